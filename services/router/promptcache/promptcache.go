// Package promptcache is the router's PromptRenderer: a local copy of the
// prompt registry (prompts, labels, the versions labels point at, and
// publications) kept current by the registry's WatchPrompts stream, so that
// rendering a prompt reference needs no RPC. A/B splits are drawn here.
package promptcache

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"connectrpc.com/connect"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	promptsv1 "github.com/manifoldgw/manifold/gen/go/manifold/prompts/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/prompts/v1/promptsv1connect"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/internal/dial"
	"github.com/manifoldgw/manifold/services/prompts/openapi"
	"github.com/manifoldgw/manifold/services/prompts/template"
	"github.com/manifoldgw/manifold/services/router"
)

// defaultLabel is what a reference without a label or version resolves.
const defaultLabel = "production"

// staleAfter is how long the watch may stay silent (heartbeats included)
// before the cache reconnects.
const staleAfter = 20 * time.Second

// Cache is a router's copy of the prompt registry.
type Cache struct {
	client promptsv1connect.PromptServiceClient
	logger *slog.Logger

	mu       sync.RWMutex
	ready    bool
	revision int64
	prompts  map[string]*promptsv1.PromptEntry
	pubs     map[string]*promptsv1.Publication
	// versions holds versions fetched by number (immutable, kept forever).
	versions map[versionKey]*promptsv1.PromptVersion
	// changed is closed and replaced whenever the cache changes.
	changed chan struct{}
}

type versionKey struct {
	name    string
	version int32
}

var _ router.PromptRenderer = (*Cache)(nil)

// New returns an empty cache that reaches the registry at target. Call Run
// to fill it.
func New(target dial.Target, logger *slog.Logger) *Cache {
	return &Cache{
		client:   promptsv1connect.NewPromptServiceClient(target.Client, target.BaseURL),
		logger:   logger,
		prompts:  map[string]*promptsv1.PromptEntry{},
		pubs:     map[string]*promptsv1.Publication{},
		versions: map[versionKey]*promptsv1.PromptVersion{},
		changed:  make(chan struct{}),
	}
}

// Run keeps the cache current until ctx ends: it watches the registry,
// resumes from the last applied revision after a failure, and reconnects
// when the stream goes silent.
func (c *Cache) Run(ctx context.Context) {
	backoff := 50 * time.Millisecond
	for ctx.Err() == nil {
		progressed, err := c.watch(ctx)
		if ctx.Err() != nil {
			return
		}
		if progressed {
			backoff = 50 * time.Millisecond
		}
		c.logger.Debug("prompt watch ended; reconnecting", "err", err, "in", backoff)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(backoff*2, 2*time.Second)
	}
}

// watch runs one watch stream; progressed reports whether any message came.
func (c *Cache) watch(ctx context.Context) (progressed bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c.mu.RLock()
	after := c.revision
	c.mu.RUnlock()
	stream, err := c.client.WatchPrompts(ctx, connect.NewRequest(&promptsv1.WatchPromptsRequest{AfterRevision: after}))
	if err != nil {
		return false, err
	}
	defer func() { _ = stream.Close() }()
	watchdog := time.AfterFunc(staleAfter, cancel)
	defer watchdog.Stop()
	var pending *snapshot
	for stream.Receive() {
		progressed = true
		watchdog.Reset(staleAfter)
		msg := stream.Msg()
		switch ev := msg.GetEvent().(type) {
		case *promptsv1.WatchPromptsResponse_Snapshot:
			if pending == nil {
				pending = &snapshot{prompts: map[string]*promptsv1.PromptEntry{}, pubs: map[string]*promptsv1.Publication{}}
			}
			for _, e := range ev.Snapshot.GetPrompts() {
				pending.prompts[e.GetPrompt().GetName()] = e
			}
			for _, p := range ev.Snapshot.GetPublications() {
				pending.pubs[p.GetSlug()] = p
			}
			if ev.Snapshot.GetComplete() {
				c.update(func() {
					c.prompts, c.pubs, c.revision, c.ready = pending.prompts, pending.pubs, msg.GetRevision(), true
				})
				pending = nil
			}
		case *promptsv1.WatchPromptsResponse_Change:
			c.update(func() {
				switch ch := ev.Change.GetChange().(type) {
				case *promptsv1.PromptChange_PromptUpserted:
					c.prompts[ch.PromptUpserted.GetPrompt().GetName()] = ch.PromptUpserted
				case *promptsv1.PromptChange_PromptDeleted:
					delete(c.prompts, ch.PromptDeleted)
					for k := range c.versions {
						if k.name == ch.PromptDeleted {
							delete(c.versions, k) // a new prompt of that name starts over
						}
					}
				case *promptsv1.PromptChange_PublicationUpserted:
					c.pubs[ch.PublicationUpserted.GetSlug()] = ch.PublicationUpserted
				case *promptsv1.PromptChange_PublicationDeleted:
					delete(c.pubs, ch.PublicationDeleted)
				}
				c.revision = msg.GetRevision()
			})
		case *promptsv1.WatchPromptsResponse_Heartbeat:
		}
	}
	return progressed, stream.Err()
}

type snapshot struct {
	prompts map[string]*promptsv1.PromptEntry
	pubs    map[string]*promptsv1.Publication
}

// update applies fn under the write lock and wakes Changed waiters.
func (c *Cache) update(fn func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fn()
	close(c.changed)
	c.changed = make(chan struct{})
}

// Changed returns a channel closed at the next change to the cache.
func (c *Cache) Changed() <-chan struct{} {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.changed
}

// Revision is the registry revision the cache reflects; 0 before the first
// snapshot.
func (c *Cache) Revision() int64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.revision
}

// Ready reports whether the first snapshot has arrived.
func (c *Cache) Ready() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.ready
}

// Render renders r's prompt reference: the prompt's messages go before the
// request's own and its defaults apply where the request is silent. A
// label that splits traffic picks a version by weight (stuck to the
// caller's key or end user when the label says so). Only a version asked
// for by number that no label points at costs one RPC, once.
func (c *Cache) Render(ctx context.Context, caller *router.Caller, r *mcpv1.Request) (*mcpv1.Request, string, int32, error) {
	ref := r.GetPrompt()
	name := ref.GetName()
	var keyID string
	if caller != nil {
		keyID = caller.KeyID
	}
	v, err := c.resolve(ctx, name, ref, keyID, r.GetOptions().GetUser())
	if err != nil {
		return nil, name, 0, err
	}
	msgs, err := template.Render(v.GetTemplate(), ref.GetVariables())
	if err != nil {
		return nil, name, v.GetVersion(), err
	}
	return template.Apply(r, msgs, v.GetTemplate().GetDefaults()), name, v.GetVersion(), nil
}

func (c *Cache) resolve(ctx context.Context, name string, ref *mcpv1.PromptRef, keyID, user string) (*promptsv1.PromptVersion, error) {
	c.mu.RLock()
	ready, e := c.ready, c.prompts[name]
	c.mu.RUnlock()
	if !ready {
		return nil, apierror.New(mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE, "prompts are not loaded yet; retry shortly")
	}
	if e == nil {
		err := apierror.New(mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND, "prompt %q not found", name)
		err.Field = "request.prompt.name"
		return nil, err
	}
	if sel, ok := ref.GetSelector().(*mcpv1.PromptRef_Version); ok {
		return c.version(ctx, e, sel.Version)
	}
	labelName := ref.GetLabel()
	if labelName == "" {
		labelName = defaultLabel
	}
	var label *promptsv1.Label
	for _, l := range e.GetPrompt().GetLabels() {
		if l.GetName() == labelName && len(l.GetTargets()) > 0 {
			label = l
		}
	}
	if label == nil {
		err := apierror.New(mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND, "prompt %q has no label %q", name, labelName)
		err.Field = "request.prompt.label"
		return nil, err
	}
	return c.version(ctx, e, template.Pick(label, template.SplitKey(label, keyID, user)))
}

// version finds a version among the entry's labeled versions, then among
// those fetched before, and fetches it otherwise.
func (c *Cache) version(ctx context.Context, e *promptsv1.PromptEntry, n int32) (*promptsv1.PromptVersion, error) {
	for _, v := range e.GetLabeledVersions() {
		if v.GetVersion() == n {
			return v, nil
		}
	}
	name := e.GetPrompt().GetName()
	key := versionKey{name, n}
	c.mu.RLock()
	v := c.versions[key]
	c.mu.RUnlock()
	if v != nil {
		return v, nil
	}
	if n > e.GetPrompt().GetLatestVersion() {
		err := apierror.New(mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND, "prompt %q has no version %d", name, n)
		err.Field = "request.prompt.version"
		return nil, err
	}
	res, err := c.client.GetPrompt(ctx, connect.NewRequest(&promptsv1.GetPromptRequest{
		Name: name, Selector: &promptsv1.GetPromptRequest_Version{Version: n},
	}))
	if err != nil {
		if e := apierror.As(err); e.Class == mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND {
			return nil, e
		}
		u := apierror.New(mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE, "prompt registry unavailable")
		u.Cause = err
		return nil, u
	}
	v = res.Msg.GetVersion()
	c.mu.Lock()
	c.versions[key] = v
	c.mu.Unlock()
	return v, nil
}

// Template returns the template of a version if the cache holds it.
func (c *Cache) Template(name string, version int32) *promptsv1.PromptTemplate {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, v := range c.prompts[name].GetLabeledVersions() {
		if v.GetVersion() == version {
			return v.GetTemplate()
		}
	}
	return c.versions[versionKey{name, version}].GetTemplate()
}

// Label returns a prompt's label as the cache holds it, or nil. The result
// is shared: do not modify it.
func (c *Cache) Label(name, label string) *promptsv1.Label {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, l := range c.prompts[name].GetPrompt().GetLabels() {
		if l.GetName() == label {
			return l
		}
	}
	return nil
}

// Publication returns the publication at slug, if any.
func (c *Cache) Publication(slug string) (*promptsv1.Publication, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	p, ok := c.pubs[slug]
	return p, ok
}

// OpenAPI builds the OpenAPI document of every publication from the cache.
func (c *Cache) OpenAPI(serverURL string) ([]byte, error) {
	c.mu.RLock()
	apis := make([]openapi.API, 0, len(c.pubs))
	for _, p := range c.pubs {
		e := c.prompts[p.GetPromptName()]
		apis = append(apis, openapi.API{Publication: p, Prompt: e.GetPrompt(), Template: openapi.PrimaryTemplate(e, p.GetLabel())})
	}
	c.mu.RUnlock()
	return openapi.Build(serverURL, apis)
}
