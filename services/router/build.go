package router

import (
	"fmt"
	"net/http"
	"time"

	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	"github.com/manifoldgw/manifold/services/router/demo"
	"github.com/manifoldgw/manifold/services/router/provider"
	"github.com/manifoldgw/manifold/services/router/provider/anthropic"
	"github.com/manifoldgw/manifold/services/router/provider/bedrock"
	"github.com/manifoldgw/manifold/services/router/provider/gemini"
	"github.com/manifoldgw/manifold/services/router/provider/ollama"
	"github.com/manifoldgw/manifold/services/router/provider/openai"
)

// The demo provider and model are always in the catalog, so a new gateway
// answers offline.
func demoEntries() (*routerv1.Provider, *routerv1.Model) {
	return &routerv1.Provider{Name: "demo", Kind: routerv1.ProviderKind_PROVIDER_KIND_DEMO},
		&routerv1.Model{
			Name: demo.Model, Provider: "demo", UpstreamModel: demo.Model,
			ContextWindow: 32768, MaxOutputTokens: 4096,
			Capabilities: []routerv1.Capability{
				routerv1.Capability_CAPABILITY_TOOLS, routerv1.Capability_CAPABILITY_STREAMING,
				routerv1.Capability_CAPABILITY_JSON_OBJECT, routerv1.Capability_CAPABILITY_JSON_SCHEMA,
				routerv1.Capability_CAPABILITY_VISION, routerv1.Capability_CAPABILITY_EMBEDDINGS,
			},
			Prices: &routerv1.Prices{},
		}
}

// newAdapter builds the adapter for a provider's kind.
func newAdapter(p *routerv1.Provider, client *http.Client, demoDelay time.Duration) (provider.Provider, error) {
	cfg := provider.Config{
		Name: p.GetName(), BaseURL: p.GetBaseUrl(), Headers: p.GetHeaders(),
		APIVersion: p.GetApiVersion(), Region: p.GetRegion(), HTTPClient: client,
	}
	switch p.GetKind() {
	case routerv1.ProviderKind_PROVIDER_KIND_DEMO:
		return &demo.Provider{TokenDelay: demoDelay}, nil
	case routerv1.ProviderKind_PROVIDER_KIND_OPENAI:
		return openai.New(cfg, openai.WithFlavor(openai.ParseFlavor(p.GetFlavor()))), nil
	case routerv1.ProviderKind_PROVIDER_KIND_AZURE_OPENAI:
		return openai.NewAzure(cfg), nil
	case routerv1.ProviderKind_PROVIDER_KIND_ANTHROPIC:
		return anthropic.New(cfg), nil
	case routerv1.ProviderKind_PROVIDER_KIND_GEMINI:
		return gemini.New(cfg), nil
	case routerv1.ProviderKind_PROVIDER_KIND_OLLAMA:
		return ollama.New(cfg), nil
	case routerv1.ProviderKind_PROVIDER_KIND_BEDROCK:
		return bedrock.New(cfg), nil
	}
	return nil, fmt.Errorf("provider %q: kind %s is not supported yet", p.GetName(), p.GetKind())
}

// buildCatalog turns a spec into a catalog snapshot with adapters. The demo
// provider and model are added unless the spec replaces them.
func buildCatalog(spec Spec, client *http.Client, demoDelay time.Duration) (*catalog, error) {
	c := newCatalog()
	creds := map[string]provider.Credential{}
	for _, cs := range spec.Credentials {
		if cs.Name == "" {
			return nil, fmt.Errorf("credential without a name")
		}
		secret, err := resolveCredential(cs, nil)
		if err != nil {
			return nil, err
		}
		creds[cs.Name] = provider.Credential{Name: cs.Name, APIKey: secret.apiKey, AccessKeyID: secret.akid, SecretAccessKey: secret.secretKey, SessionToken: secret.token}
	}
	dp, dm := demoEntries()
	providers := append([]*routerv1.Provider{dp}, spec.Providers...)
	for _, p := range providers {
		impl, err := newAdapter(p, client, demoDelay)
		if err != nil {
			return nil, err
		}
		e := &providerEntry{cfg: p, impl: impl}
		for _, ref := range p.GetCredentials() {
			cred, ok := creds[ref.GetName()]
			if !ok {
				// Not in the configuration: the key vault holds it, and
				// the CredentialSource hook supplies it per call.
				cred = provider.Credential{Name: ref.GetName()}
			}
			w := int(ref.GetWeight())
			if w == 0 {
				w = 1
			}
			e.creds = append(e.creds, weightedCredential{cred: cred, weight: w})
		}
		c.providers[p.GetName()] = e
	}
	for _, m := range append([]*routerv1.Model{dm}, spec.Models...) {
		c.models[m.GetName()] = m
	}
	for _, r := range spec.Routes {
		c.routes[r.GetName()] = r
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	return c, nil
}

// apply builds and installs a catalog from spec.
func (s *Service) apply(spec Spec) error {
	c, err := buildCatalog(spec, s.client, s.cfg.DemoTokenDelay)
	if err != nil {
		return err
	}
	s.spec = spec
	s.cat.Store(c)
	return nil
}
