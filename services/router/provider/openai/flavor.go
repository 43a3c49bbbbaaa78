package openai

import (
	"hash/fnv"
	"strings"
)

// Flavor selects the quirks of one member of the OpenAI-compatible family
// (shared/PROVIDER_WIRE_FORMATS.md §4.2). The zero value is OpenAI itself.
type Flavor int

const (
	// FlavorOpenAI is api.openai.com.
	FlavorOpenAI Flavor = iota
	// FlavorAzure is Azure OpenAI: deployment URLs, api-key header,
	// api-version query. Use NewAzure.
	FlavorAzure
	// FlavorMistral is api.mistral.ai: random_seed, max_tokens, 9-character
	// tool-call ids, no stream_options or user.
	FlavorMistral
	// FlavorGroq is api.groq.com: no messages[].name.
	FlavorGroq
	// FlavorCompatible is any other OpenAI-compatible server (vLLM,
	// Together, OpenRouter, DeepSeek, Ollama's /v1): sends top_k and
	// max_tokens, and system instead of developer.
	FlavorCompatible
)

// quirks is the per-flavor table. Keep it small: only differences that
// make a real server reject or misread a request belong here.
type quirks struct {
	defaultBase string
	// developerAsSystem sends ROLE_DEVELOPER as "system".
	developerAsSystem bool
	// maxTokens sends max_tokens instead of max_completion_tokens.
	maxTokens bool
	// randomSeed sends random_seed instead of seed.
	randomSeed bool
	// topK forwards SamplingParams.top_k.
	topK bool
	// noStreamOptions omits stream_options (usage arrives unasked).
	noStreamOptions bool
	// noUser omits the end-user id.
	noUser bool
	// noName omits messages[].name.
	noName bool
	// shortIDs maps tool-call ids to exactly 9 alphanumerics.
	shortIDs bool
	// floatEmbeddings asks for float embeddings (base64 is not supported).
	floatEmbeddings bool
}

var flavors = map[Flavor]quirks{
	FlavorOpenAI: {defaultBase: "https://api.openai.com/v1"},
	FlavorAzure:  {},
	FlavorMistral: {defaultBase: "https://api.mistral.ai/v1", developerAsSystem: true, maxTokens: true, randomSeed: true,
		noStreamOptions: true, noUser: true, shortIDs: true, floatEmbeddings: true},
	FlavorGroq:       {defaultBase: "https://api.groq.com/openai/v1", developerAsSystem: true, noName: true, floatEmbeddings: true},
	FlavorCompatible: {developerAsSystem: true, maxTokens: true, topK: true, floatEmbeddings: true},
}

// ParseFlavor maps a configured provider kind to its flavor ("openai",
// "azure", "mistral", "groq"; anything else is FlavorCompatible).
func ParseFlavor(kind string) Flavor {
	switch strings.ToLower(kind) {
	case "", "openai":
		return FlavorOpenAI
	case "azure", "azure_openai", "azure-openai":
		return FlavorAzure
	case "mistral":
		return FlavorMistral
	case "groq":
		return FlavorGroq
	}
	return FlavorCompatible
}

const base62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

// mistralID maps any tool-call id to the 9 alphanumerics Mistral demands.
// Ids that already fit pass unchanged, so Mistral's own ids round-trip; the
// mapping is a pure function of the id, so a call and its result always
// map to the same value.
func mistralID(id string) string {
	if len(id) == 9 && isAlnum(id) {
		return id
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(id))
	n := h.Sum64()
	var b [9]byte
	for i := range b {
		b[i] = base62[n%62]
		n /= 62
	}
	return string(b[:])
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}
