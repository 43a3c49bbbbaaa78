// Package openapi builds the OpenAPI 3.1 document of the published prompt
// APIs (`POST /apis/{slug}`), from each publication and the version its
// label points at. The prompt registry serves it over RPC and the routers
// build the same document from their local cache.
package openapi

import (
	"encoding/json"
	"sort"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	promptsv1 "github.com/manifoldgw/manifold/gen/go/manifold/prompts/v1"
	"github.com/manifoldgw/manifold/services/prompts/template"
)

// Version is the OpenAPI version the document declares.
const Version = "3.1.0"

// API is one publication with what describes it.
type API struct {
	Publication *promptsv1.Publication
	// Prompt is the served prompt (for its description); may be nil.
	Prompt *promptsv1.Prompt
	// Template is the template of the version the publication's label
	// points at (its primary target); may be nil when unknown.
	Template *promptsv1.PromptTemplate
}

// Build returns the document as JSON. serverURL, if not empty, is written
// into servers.
func Build(serverURL string, apis []API) ([]byte, error) {
	sort.Slice(apis, func(i, j int) bool { return apis[i].Publication.GetSlug() < apis[j].Publication.GetSlug() })
	paths := map[string]any{}
	for _, a := range apis {
		paths["/apis/"+a.Publication.GetSlug()] = map[string]any{"post": operation(a)}
	}
	doc := map[string]any{
		"openapi": Version,
		"info": map[string]any{
			"title":       "Manifold prompt APIs",
			"version":     "1",
			"description": "Each published prompt is a REST endpoint: POST its variables as a JSON object, get the model's answer. Authenticate with a virtual key scoped to the API (Authorization: Bearer <key>).",
		},
		"paths": paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{
				"virtualKey": map[string]any{"type": "http", "scheme": "bearer", "description": "A Manifold virtual key whose prompt-API scopes include the slug."},
			},
			"schemas": map[string]any{
				"Usage": map[string]any{
					"type": "object",
					"properties": map[string]any{
						"input_tokens":        map[string]any{"type": "integer"},
						"output_tokens":       map[string]any{"type": "integer"},
						"cached_input_tokens": map[string]any{"type": "integer"},
						"reasoning_tokens":    map[string]any{"type": "integer"},
						"total_tokens":        map[string]any{"type": "integer"},
					},
				},
				"PromptUsed": map[string]any{
					"type":        "object",
					"description": "The prompt version that answered.",
					"properties": map[string]any{
						"name":    map[string]any{"type": "string"},
						"version": map[string]any{"type": "integer"},
					},
					"required": []string{"name", "version"},
				},
				"Error": map[string]any{
					"type": "object",
					"properties": map[string]any{
						"error": map[string]any{
							"type": "object",
							"properties": map[string]any{
								"type":    map[string]any{"type": "string", "description": "The error class, e.g. invalid_request."},
								"message": map[string]any{"type": "string"},
								"field":   map[string]any{"type": "string", "description": "The field at fault, e.g. variables.topic."},
							},
							"required": []string{"type", "message"},
						},
					},
					"required": []string{"error"},
				},
			},
		},
		"security": []any{map[string]any{"virtualKey": []string{}}},
	}
	if serverURL != "" {
		doc["servers"] = []any{map[string]any{"url": serverURL}}
	}
	return json.MarshalIndent(doc, "", "  ")
}

func operation(a API) map[string]any {
	pub := a.Publication
	summary := pub.GetDescription()
	if summary == "" {
		summary = a.Prompt.GetDescription()
	}
	if summary == "" {
		summary = "Runs the prompt " + pub.GetPromptName() + "@" + pub.GetLabel()
	}
	errorRef := func(desc string) map[string]any {
		return map[string]any{"description": desc, "content": map[string]any{
			"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}},
		}}
	}
	content := map[string]any{
		"application/json": map[string]any{"schema": map[string]any{
			"type": "object",
			"properties": map[string]any{
				"output":      OutputSchema(a.Template),
				"usage":       map[string]any{"$ref": "#/components/schemas/Usage"},
				"cost_micros": map[string]any{"type": "integer", "description": "Cost in millionths of the price unit."},
				"prompt":      map[string]any{"$ref": "#/components/schemas/PromptUsed"},
			},
			"required": []string{"output", "usage", "cost_micros", "prompt"},
		}},
	}
	op := map[string]any{
		"operationId": "call_" + pub.GetSlug(),
		"summary":     summary,
		"description": "Serves " + pub.GetPromptName() + "@" + pub.GetLabel() + ".",
		"requestBody": map[string]any{
			"required": true,
			"content":  map[string]any{"application/json": map[string]any{"schema": VariablesSchema(a.Template)}},
		},
		"responses": map[string]any{
			"200": map[string]any{"description": "The model's answer.", "content": content},
			"400": errorRef("A missing or ill-typed variable (field names it), or another bad request."),
			"401": errorRef("Missing or invalid virtual key."),
			"403": errorRef("The key is not scoped to this API."),
			"404": errorRef("No API is published at this slug."),
			"429": errorRef("Rate limit or budget exhausted."),
			"502": errorRef("The model provider failed."),
		},
	}
	if pub.GetAllowStreaming() {
		op["parameters"] = []any{map[string]any{
			"name": "stream", "in": "query", "required": false,
			"description": "true streams the answer as server-sent events: `delta` events ({\"text\"}), then one `done` event (the JSON answer) or one `error` event.",
			"schema":      map[string]any{"type": "boolean"},
		}}
		content["text/event-stream"] = map[string]any{"schema": map[string]any{"type": "string"}}
	}
	return op
}

// VariablesSchema is the request body schema: the template's variables
// schema, or, without one, an object requiring every placeholder.
func VariablesSchema(t *promptsv1.PromptTemplate) map[string]any {
	if s := t.GetVariablesSchema(); s != nil {
		return s.AsMap()
	}
	props := map[string]any{}
	required := []string{}
	for _, v := range template.Variables(t) {
		props[v] = map[string]any{}
		required = append(required, v)
	}
	return map[string]any{"type": "object", "properties": props, "required": required}
}

// OutputSchema is the schema of the answer's output: the response format's
// JSON schema, any object for JSON mode, else a string.
func OutputSchema(t *promptsv1.PromptTemplate) map[string]any {
	rf := t.GetDefaults().GetResponseFormat()
	switch rf.GetType() {
	case mcpv1.ResponseFormatType_RESPONSE_FORMAT_TYPE_JSON_SCHEMA:
		if s := rf.GetJsonSchema().GetSchema(); s != nil {
			return s.AsMap()
		}
		return map[string]any{"type": "object"}
	case mcpv1.ResponseFormatType_RESPONSE_FORMAT_TYPE_JSON_OBJECT:
		return map[string]any{"type": "object"}
	}
	return map[string]any{"type": "string"}
}

// PrimaryTemplate is the template of the version label's primary target
// points at, from a prompt entry; nil when unknown.
func PrimaryTemplate(e *promptsv1.PromptEntry, label string) *promptsv1.PromptTemplate {
	for _, l := range e.GetPrompt().GetLabels() {
		if l.GetName() != label || len(l.GetTargets()) == 0 {
			continue
		}
		for _, v := range e.GetLabeledVersions() {
			if v.GetVersion() == l.GetTargets()[0].GetVersion() {
				return v.GetTemplate()
			}
		}
	}
	return nil
}
