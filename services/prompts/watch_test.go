package prompts_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"

	promptsv1 "github.com/manifoldgw/manifold/gen/go/manifold/prompts/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/prompts/v1/promptsv1connect"
	"github.com/manifoldgw/manifold/services/prompts"
	"github.com/manifoldgw/manifold/services/prompts/promptstest"
)

// watch opens a watch after revision; the stream ends with the test.
func watch(t *testing.T, c promptsv1connect.PromptServiceClient, after int64) *connect.ServerStreamForClient[promptsv1.WatchPromptsResponse] {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	s, err := c.WatchPrompts(ctx, connect.NewRequest(&promptsv1.WatchPromptsRequest{AfterRevision: after}))
	if err != nil {
		t.Fatalf("WatchPrompts: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// next returns the next message that is not a heartbeat.
func next(t *testing.T, s *connect.ServerStreamForClient[promptsv1.WatchPromptsResponse]) *promptsv1.WatchPromptsResponse {
	t.Helper()
	for s.Receive() {
		if s.Msg().GetHeartbeat() == nil {
			return s.Msg()
		}
	}
	t.Fatalf("watch ended: %v", s.Err())
	return nil
}

func TestWatchSnapshotChangesAndResume(t *testing.T) {
	for _, d := range promptstest.Drivers {
		t.Run(d.Name, func(t *testing.T) {
			t.Parallel()
			cfg := prompts.DefaultConfig()
			cfg.WatchHeartbeat = 100 * time.Millisecond
			c := promptsv1connect.NewPromptServiceClient(http.DefaultClient, promptstest.Serve(t, d.Open(t), cfg))
			create(t, c, "a", "A {{x}}", "production")
			if _, err := c.PublishPrompt(t.Context(), connect.NewRequest(&promptsv1.PublishPromptRequest{Slug: "a", PromptName: "a", Label: "production"})); err != nil {
				t.Fatalf("PublishPrompt: %v", err)
			}

			s := watch(t, c, 0)
			snap := next(t, s)
			if !snap.GetSnapshot().GetComplete() || len(snap.GetSnapshot().GetPrompts()) != 1 || len(snap.GetSnapshot().GetPublications()) != 1 || snap.GetRevision() != 2 {
				t.Fatalf("snapshot = %v", snap)
			}
			if e := snap.GetSnapshot().GetPrompts()[0]; len(e.GetLabeledVersions()) != 1 || e.GetLabeledVersions()[0].GetVersion() != 1 {
				t.Errorf("snapshot entry lacks its labeled version: %v", e)
			}
			// Idle: a heartbeat carries the current revision.
			if !s.Receive() || s.Msg().GetHeartbeat() == nil || s.Msg().GetRevision() != 2 {
				t.Fatalf("want a heartbeat at revision 2, got %v (%v)", s.Msg(), s.Err())
			}

			update(t, c, "a", "A2 {{x}}", "staging")
			ch := next(t, s)
			e := ch.GetChange().GetPromptUpserted()
			if ch.GetRevision() != 3 || e.GetPrompt().GetLatestVersion() != 2 || len(e.GetLabeledVersions()) != 2 {
				t.Fatalf("change = %v", ch)
			}
			if _, err := c.DeletePrompt(t.Context(), connect.NewRequest(&promptsv1.DeletePromptRequest{Name: "a", Force: true})); err != nil {
				t.Fatalf("DeletePrompt: %v", err)
			}
			pubGone, promptGone := next(t, s), next(t, s)
			if pubGone.GetChange().GetPublicationDeleted() != "a" || promptGone.GetChange().GetPromptDeleted() != "a" || promptGone.GetRevision() != 5 {
				t.Fatalf("delete changes = %v, %v", pubGone, promptGone)
			}

			// Resuming replays only what came after; an unknown future
			// revision gets a fresh snapshot.
			r := watch(t, c, 3)
			if m := next(t, r); m.GetRevision() != 4 || m.GetChange().GetPublicationDeleted() != "a" {
				t.Errorf("resume after 3: first message %v", m)
			}
			f := watch(t, c, 99)
			if m := next(t, f); !m.GetSnapshot().GetComplete() || len(m.GetSnapshot().GetPrompts()) != 0 || m.GetRevision() != 5 {
				t.Errorf("resume after an unknown revision: %v", m)
			}
		})
	}
}
