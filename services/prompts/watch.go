package prompts

import (
	"context"
	"errors"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	promptsv1 "github.com/manifoldgw/manifold/gen/go/manifold/prompts/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/internal/storage"
	"github.com/manifoldgw/manifold/services/prompts/store"
)

// snapshotPart bounds the prompts or publications in one snapshot message.
const snapshotPart = 100

// changesPage bounds the changes read at once.
const changesPage = 500

// WatchPrompts streams a snapshot (or the changes since the watcher's
// revision), then every change, with heartbeats while idle. Writes in this
// process wake watchers at once; writes by other processes sharing the
// database are seen within the poll interval.
func (s *Service) WatchPrompts(ctx context.Context, req *connect.Request[promptsv1.WatchPromptsRequest], stream *connect.ServerStream[promptsv1.WatchPromptsResponse]) error {
	after := req.Msg.GetAfterRevision()
	current, err := s.store.Revision(ctx)
	if err != nil {
		return apierror.Internal(err)
	}
	if after == 0 || after > current {
		// The snapshot is read after current, so it may already hold some
		// changes after it; replaying those is harmless (they replace
		// entries with their latest state).
		if err := s.sendSnapshot(ctx, current, stream); err != nil {
			return err
		}
		after = current
	}
	poll := time.NewTicker(s.cfg.WatchPoll)
	defer poll.Stop()
	heartbeat := time.NewTicker(s.cfg.WatchHeartbeat)
	defer heartbeat.Stop()
	for {
		wake := s.wake.wait() // before reading, so no commit is missed
		changes, err := s.store.Changes(ctx, after, changesPage)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return apierror.Internal(err)
		}
		for _, c := range changes {
			msg, err := s.changeMessage(ctx, c)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return apierror.Internal(err)
			}
			if err := stream.Send(msg); err != nil {
				return err
			}
			after = c.Revision
		}
		if len(changes) > 0 {
			heartbeat.Reset(s.cfg.WatchHeartbeat)
		}
		if len(changes) == changesPage {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-poll.C:
		case <-heartbeat.C:
			if err := stream.Send(&promptsv1.WatchPromptsResponse{
				Revision: after, Event: &promptsv1.WatchPromptsResponse_Heartbeat{Heartbeat: timestamppb.Now()},
			}); err != nil {
				return err
			}
		}
	}
}

// changeMessage turns a change into the current state of what it names.
func (s *Service) changeMessage(ctx context.Context, c store.Change) (*promptsv1.WatchPromptsResponse, error) {
	msg := &promptsv1.WatchPromptsResponse{Revision: c.Revision}
	change := &promptsv1.PromptChange{}
	msg.Event = &promptsv1.WatchPromptsResponse_Change{Change: change}
	switch c.Kind {
	case store.KindPublication:
		pub, err := s.store.GetPublication(ctx, c.Key)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			change.Change = &promptsv1.PromptChange_PublicationDeleted{PublicationDeleted: c.Key}
		case err != nil:
			return nil, err
		default:
			change.Change = &promptsv1.PromptChange_PublicationUpserted{PublicationUpserted: pub}
		}
	default:
		e, err := s.store.Entry(ctx, c.Key)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			change.Change = &promptsv1.PromptChange_PromptDeleted{PromptDeleted: c.Key}
		case err != nil:
			return nil, err
		default:
			change.Change = &promptsv1.PromptChange_PromptUpserted{PromptUpserted: e}
		}
	}
	return msg, nil
}

// sendSnapshot sends every prompt entry and publication, in parts that
// share revision; the last part is marked complete.
func (s *Service) sendSnapshot(ctx context.Context, revision int64, stream *connect.ServerStream[promptsv1.WatchPromptsResponse]) error {
	send := func(part *promptsv1.PromptSnapshot) error {
		return stream.Send(&promptsv1.WatchPromptsResponse{Revision: revision, Event: &promptsv1.WatchPromptsResponse_Snapshot{Snapshot: part}})
	}
	part := &promptsv1.PromptSnapshot{}
	flush := func() error {
		if len(part.Prompts)+len(part.Publications) < snapshotPart {
			return nil
		}
		if err := send(part); err != nil {
			return err
		}
		part = &promptsv1.PromptSnapshot{}
		return nil
	}
	after := ""
	for {
		ps, err := s.store.ListPrompts(ctx, after, "", "", snapshotPart)
		if err != nil {
			return apierror.Internal(err)
		}
		for _, p := range ps {
			e, err := s.store.Entry(ctx, p.GetName())
			if errors.Is(err, storage.ErrNotFound) {
				continue // deleted meanwhile; its change follows
			}
			if err != nil {
				return apierror.Internal(err)
			}
			part.Prompts = append(part.Prompts, e)
			if err := flush(); err != nil {
				return err
			}
		}
		if len(ps) < snapshotPart {
			break
		}
		after = ps[len(ps)-1].GetName()
	}
	after = ""
	for {
		pubs, err := s.store.ListPublications(ctx, after, "", snapshotPart)
		if err != nil {
			return apierror.Internal(err)
		}
		for _, p := range pubs {
			part.Publications = append(part.Publications, p)
			if err := flush(); err != nil {
				return err
			}
		}
		if len(pubs) < snapshotPart {
			break
		}
		after = pubs[len(pubs)-1].GetSlug()
	}
	part.Complete = true
	return send(part)
}
