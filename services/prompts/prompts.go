// Package prompts is the prompt registry: named templates of messages with
// immutable versions, labels that point at (or split traffic between)
// versions, rendering, and prompt-as-API publications. Routers keep a local
// copy through WatchPrompts and render without calling this service.
package prompts

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"connectrpc.com/connect"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/prompts/v1/promptsv1connect"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/internal/storage"
	"github.com/manifoldgw/manifold/services/prompts/store"
)

// Config is the prompt registry's configuration.
type Config struct {
	// PublicURL is the gateway's base URL as callers see it, written into
	// the OpenAPI document's servers when the request names none.
	PublicURL string
	// WatchPoll is how often a watch checks the change log for writes made
	// by other processes (writes in this process wake watchers at once).
	WatchPoll time.Duration
	// WatchHeartbeat is how often an idle watch sends a heartbeat.
	WatchHeartbeat time.Duration
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{WatchPoll: 200 * time.Millisecond, WatchHeartbeat: 5 * time.Second}
}

// RegisterFlags registers the prompts.* flags.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.PublicURL, "prompts.public-url", c.PublicURL, "base URL of the gateway as API callers see it, for the prompt-API OpenAPI document (e.g. https://llm.example.com)")
	fs.DurationVar(&c.WatchPoll, "prompts.watch-poll", c.WatchPoll, "how often prompt watches check for changes written by other processes")
	fs.DurationVar(&c.WatchHeartbeat, "prompts.watch-heartbeat", c.WatchHeartbeat, "how often an idle prompt watch sends a heartbeat to routers")
}

// Validate names the first bad setting.
func (c Config) Validate() error {
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("invalid prompts.public-url %q: want an http:// or https:// URL", c.PublicURL)
		}
	}
	if c.WatchPoll < 10*time.Millisecond || c.WatchPoll > time.Second {
		return fmt.Errorf("invalid prompts.watch-poll %s: want 10ms to 1s (changes must reach routers within a second)", c.WatchPoll)
	}
	if c.WatchHeartbeat < 100*time.Millisecond || c.WatchHeartbeat > time.Minute {
		return fmt.Errorf("invalid prompts.watch-heartbeat %s: want 100ms to 1m", c.WatchHeartbeat)
	}
	return nil
}

// Service implements PromptService.
type Service struct {
	promptsv1connect.UnimplementedPromptServiceHandler

	cfg    Config
	logger *slog.Logger
	store  *store.Store
	wake   notifier
}

// New returns the service on db, which must have store.Migrations applied.
func New(cfg Config, db *storage.DB, logger *slog.Logger) *Service {
	s := &Service{cfg: cfg, logger: logger}
	s.wake.ch = make(chan struct{})
	s.store = store.New(db, s.wake.notify)
	return s
}

// notifier wakes every waiter when a write commits in this process.
type notifier struct {
	mu sync.Mutex
	ch chan struct{}
}

// wait returns a channel closed at the next notify.
func (n *notifier) wait() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.ch
}

func (n *notifier) notify() {
	n.mu.Lock()
	defer n.mu.Unlock()
	close(n.ch)
	n.ch = make(chan struct{})
}

// storeError maps store errors to API errors.
func storeError(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, storage.ErrNotFound):
		return apierror.New(mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND, "%s not found", what)
	case errors.Is(err, store.ErrVersionMissing):
		return apierror.Invalid("targets", "%s", err)
	case errors.Is(err, store.ErrLabelMissing):
		return apierror.Invalid("label", "%s", err)
	case errors.Is(err, store.ErrBaseMoved):
		return codeError(connect.CodeAborted, "%s; re-read the prompt and retry", err)
	case errors.Is(err, store.ErrInUse):
		return codeError(connect.CodeFailedPrecondition, "%s", err)
	case errors.Is(err, store.ErrSlugTaken):
		return codeError(connect.CodeAlreadyExists, "%s", err)
	case errors.Is(err, storage.ErrConflict):
		return codeError(connect.CodeAlreadyExists, "%s already exists", what)
	}
	var e *apierror.Error
	if errors.As(err, &e) {
		return e
	}
	return apierror.Internal(err)
}

// codeError is a Connect error with a code that has no error class of its
// own (already exists, aborted, failed precondition). Its detail says
// invalid_request, so HTTP callers see 400 and clients a clear message.
func codeError(code connect.Code, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	ce := connect.NewError(code, errors.New(msg))
	if d, err := connect.NewErrorDetail(&mcpv1.ErrorDetail{ErrorClass: mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST, Message: msg}); err == nil {
		ce.AddDetail(d)
	}
	return ce
}
