// Package keycache is the router's Authenticator and CredentialSource: a
// local copy of the key vault's active virtual keys and provider credentials
// kept current by the vault's WatchKeys stream. A key is checked with the
// vault once (AuthenticateKey) and then answered from memory until the watch
// says it changed, was revoked or the cached principal expires; credential
// secrets are resolved once per version and kept in memory only.
package keycache

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"strings"
	"sync"
	"time"

	"connectrpc.com/connect"

	keyvaultv1 "github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1/keyvaultv1connect"
	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/access"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/internal/dial"
	"github.com/manifoldgw/manifold/services/router"
	"github.com/manifoldgw/manifold/services/router/provider"
)

// staleAfter is how long the watch may stay silent (heartbeats included)
// before the cache stops trusting itself and reconnects.
const staleAfter = 15 * time.Second

// maxEntries bounds the cached authentications; past it the cache starts
// over (each key then costs one vault call again).
const maxEntries = 100000

// denyAll is a scope entry no route, model or prompt API is named, so that
// an empty scope list (which allows nothing) stays non-empty for the router.
const denyAll = "\x00"

// Cache is a router's copy of the key vault.
type Cache struct {
	client keyvaultv1connect.KeyVaultServiceClient
	logger *slog.Logger
	now    func() time.Time

	mu        sync.RWMutex
	ready     bool
	heard     time.Time // last message from the watch
	revision  int64
	keys      map[string]*keyvaultv1.VirtualKey // active keys by id
	auth      map[[sha256.Size]byte]*entry
	creds     map[string]*keyvaultv1.ProviderCredential
	secrets   map[string]*secret // by credential name
	readyOnce chan struct{}
}

// entry is one cached authentication.
type entry struct {
	keyID   string
	caller  *router.Caller
	expires time.Time // zero: never
}

// secret is a resolved credential version.
type secret struct {
	version int32
	cred    provider.Credential
}

var (
	_ router.Authenticator    = (*Cache)(nil)
	_ router.CredentialSource = (*Cache)(nil)
)

// New returns an empty cache that reaches the key vault at target with the
// internal service token. Call Run to fill it.
func New(target dial.Target, internalToken string, logger *slog.Logger) *Cache {
	return &Cache{
		client:    keyvaultv1connect.NewKeyVaultServiceClient(target.Client, target.BaseURL, access.WithToken(internalToken)),
		logger:    logger,
		now:       time.Now,
		keys:      map[string]*keyvaultv1.VirtualKey{},
		auth:      map[[sha256.Size]byte]*entry{},
		creds:     map[string]*keyvaultv1.ProviderCredential{},
		secrets:   map[string]*secret{},
		readyOnce: make(chan struct{}),
	}
}

// Ready is closed once the first snapshot is applied.
func (c *Cache) Ready() <-chan struct{} { return c.readyOnce }

// Authenticate resolves a virtual key's secret to its caller.
func (c *Cache) Authenticate(ctx context.Context, key string) (*router.Caller, error) {
	if key == "" {
		return nil, apierror.New(mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION, "missing API key: send it as \"Authorization: Bearer mk-…\" or \"x-api-key: mk-…\"")
	}
	if !wellFormed(key) {
		return nil, apierror.New(mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION, "malformed API key: want a Manifold virtual key (mk-…)")
	}
	h := sha256.Sum256([]byte(key))
	now := c.now()
	c.mu.RLock()
	e, fresh := c.auth[h], c.fresh(now)
	c.mu.RUnlock()
	if e != nil && fresh {
		if !e.expires.IsZero() && !now.Before(e.expires) {
			return nil, apierror.New(mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION, "API key %s has expired", e.keyID)
		}
		return e.caller, nil
	}
	res, err := c.client.AuthenticateKey(ctx, connect.NewRequest(&keyvaultv1.AuthenticateKeyRequest{Secret: key}))
	if err != nil {
		if connect.CodeOf(err) == connect.CodeUnauthenticated {
			return nil, apierror.New(mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION, "%s", apierror.As(err).Message)
		}
		if ctx.Err() != nil {
			return nil, apierror.As(ctx.Err())
		}
		c.logger.WarnContext(ctx, "key vault unreachable for authentication", "err", err)
		return nil, apierror.New(mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE, "cannot check the API key now; retry")
	}
	p := res.Msg.GetPrincipal()
	if p.GetKind() != keyvaultv1.PrincipalKind_PRINCIPAL_KIND_VIRTUAL_KEY {
		return nil, apierror.New(mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION, "not a virtual key")
	}
	e = &entry{keyID: p.GetKeyId(), caller: callerOf(p)}
	if p.GetExpiresAt() != nil {
		e.expires = p.GetExpiresAt().AsTime()
	}
	c.mu.Lock()
	// Cache only what the watch confirms is active at this secret version:
	// a revocation that overtook the call must not be undone.
	if k := c.keys[p.GetKeyId()]; k != nil && c.fresh(now) && p.GetSecretVersion() <= k.GetSecretVersion() {
		if len(c.auth) >= maxEntries {
			c.auth = map[[sha256.Size]byte]*entry{}
		}
		c.auth[h] = e
	}
	c.mu.Unlock()
	return e.caller, nil
}

// fresh reports whether the watch was heard recently enough to trust the
// cache. Call with mu held.
func (c *Cache) fresh(now time.Time) bool {
	return c.ready && now.Sub(c.heard) < staleAfter
}

// wellFormed checks the shape of a virtual key: "mk-" and 43 base62
// characters.
func wellFormed(key string) bool {
	rest, ok := strings.CutPrefix(key, "mk-")
	if !ok || len(rest) != 43 {
		return false
	}
	for _, r := range rest {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') {
			return false
		}
	}
	return true
}

// callerOf maps a principal to the router's caller.
func callerOf(p *keyvaultv1.Principal) *router.Caller {
	return &router.Caller{
		KeyID: p.GetKeyId(), Owner: p.GetOwner().GetUser(), Team: p.GetOwner().GetTeam(), Project: p.GetOwner().GetProject(),
		Routes: scope(p.GetScopes().GetRoutes()), Models: scope(p.GetScopes().GetModels()),
		PromptAPIs: scope(p.GetScopes().GetPromptApis()),
		BudgetIDs:  p.GetBudgetIds(), RateLimitIDs: p.GetRateLimitIds(), Metadata: p.GetMetadata(),
	}
}

// scope turns a key's scope list into the router's, where an empty list
// allows everything: an empty key list allows nothing.
func scope(patterns []string) []string {
	if len(patterns) == 0 {
		return []string{denyAll}
	}
	return patterns
}

// Credential returns the secret of an enabled vault credential, resolving
// it from the vault on first use of each version.
func (c *Cache) Credential(ctx context.Context, name string) (provider.Credential, bool) {
	c.mu.RLock()
	meta := c.creds[name]
	s := c.secrets[name]
	c.mu.RUnlock()
	if meta == nil || meta.GetDisabled() {
		return provider.Credential{}, false
	}
	if s != nil && s.version == meta.GetCurrentVersion() {
		return s.cred, true
	}
	res, err := c.client.ResolveCredential(ctx, connect.NewRequest(&keyvaultv1.ResolveCredentialRequest{Name: name}))
	if err != nil {
		c.logger.WarnContext(ctx, "cannot resolve credential", "credential", name, "err", err)
		if s != nil {
			return s.cred, true // the previous version is still in its grace period
		}
		return provider.Credential{}, false
	}
	cred := provider.Credential{Name: name}
	sec := res.Msg.GetSecret()
	switch {
	case sec.GetAws() != nil:
		cred.AccessKeyID, cred.SecretAccessKey, cred.SessionToken = sec.GetAws().GetAccessKeyId(), sec.GetAws().GetSecretAccessKey(), sec.GetAws().GetSessionToken()
	default:
		cred.APIKey = sec.GetApiKey()
	}
	c.mu.Lock()
	if c.creds[name] != nil { // not deleted meanwhile
		c.secrets[name] = &secret{version: res.Msg.GetVersion(), cred: cred}
	}
	c.mu.Unlock()
	return cred, true
}
