package router

import (
	"context"
	"io"
	"log/slog"
	"testing"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
)

// oneKey accepts a single secret.
type oneKey string

func (k oneKey) Authenticate(_ context.Context, secret string) (*Caller, error) {
	if secret != string(k) {
		return nil, apierror.New(mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION, "invalid API key")
	}
	return &Caller{KeyID: "vk_1"}, nil
}

// TestFailedKeysSlowDownTheClient: after a few wrong keys from one client
// its next attempts wait; other clients do not, and a right key clears it.
func TestFailedKeysSlowDownTheClient(t *testing.T) {
	s := New(DefaultConfig(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	s.Use(Hooks{Auth: oneKey("mk-right")})
	for range 6 {
		if _, err := s.checkKey(t.Context(), "mk-wrong", "127.0.0.1:40000"); apierror.As(err).Class != mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION {
			t.Fatalf("wrong key: %v, want an authentication error", err)
		}
	}
	if d := s.authFailures.Delay("127.0.0.1"); d <= 0 {
		t.Fatalf("after 6 wrong keys the client's next attempt waits %s, want > 0", d)
	}
	if d := s.authFailures.Delay("127.0.0.2"); d != 0 {
		t.Errorf("another client waits %s, want 0", d)
	}
	if _, err := s.checkKey(t.Context(), "mk-right", "127.0.0.1:40001"); err != nil {
		t.Fatalf("right key: %v", err)
	}
	if d := s.authFailures.Delay("127.0.0.1"); d != 0 {
		t.Errorf("after a right key the client waits %s, want 0", d)
	}
}
