package keyvault

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	keyvaultv1 "github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1"
	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/keyvault/store"
)

// snapshotPart bounds the records of each kind in one snapshot message.
const snapshotPart = 100

// changesPage bounds the changes read at once.
const changesPage = 500

// WatchKeys streams a snapshot (or the changes since the watcher's
// revision), then every change, with heartbeats while idle. Writes in this
// process wake watchers at once; writes by other processes sharing the
// database are seen within the poll interval.
func (s *Service) WatchKeys(ctx context.Context, req *connect.Request[keyvaultv1.WatchKeysRequest], stream *connect.ServerStream[keyvaultv1.WatchKeysResponse]) error {
	after := req.Msg.GetAfterRevision()
	current, err := s.store.Revision(ctx)
	if err != nil {
		return apierror.Internal(err)
	}
	if after == 0 || after > current {
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
		changes, last, err := s.store.Changes(ctx, after, changesPage)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return apierror.Internal(err)
		}
		for _, c := range changes {
			change, err := s.changeOf(ctx, c)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return apierror.Internal(err)
			}
			if change == nil {
				continue
			}
			if err := stream.Send(&keyvaultv1.WatchKeysResponse{Revision: c.Seq, Event: &keyvaultv1.WatchKeysResponse_Change{Change: change}}); err != nil {
				return err
			}
			heartbeat.Reset(s.cfg.WatchHeartbeat)
		}
		full := last-after >= changesPage
		after = last
		if full {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-poll.C:
		case <-heartbeat.C:
			if err := stream.Send(&keyvaultv1.WatchKeysResponse{Revision: after, Event: &keyvaultv1.WatchKeysResponse_Heartbeat{Heartbeat: timestamppb.New(s.now())}}); err != nil {
				return err
			}
		}
	}
}

// changeOf turns a feed entry into the change routers apply, from the
// record's latest state; nil for records routers do not cache.
func (s *Service) changeOf(ctx context.Context, c store.Change) (*keyvaultv1.KeyChange, error) {
	switch c.Namespace {
	case store.NSVirtualKeys:
		k, err := s.getVirtualKey(ctx, s.store, c.Key)
		if notFound(err) {
			return &keyvaultv1.KeyChange{Change: &keyvaultv1.KeyChange_VirtualKeyRevoked{VirtualKeyRevoked: c.Key}}, nil
		}
		if err != nil {
			return nil, err
		}
		if v := s.view(k); v.GetState() != keyvaultv1.KeyState_KEY_STATE_ACTIVE {
			return &keyvaultv1.KeyChange{Change: &keyvaultv1.KeyChange_VirtualKeyRevoked{VirtualKeyRevoked: c.Key}}, nil
		} else {
			return &keyvaultv1.KeyChange{Change: &keyvaultv1.KeyChange_VirtualKeyUpserted{VirtualKeyUpserted: v}}, nil
		}
	case store.NSAdminKeys:
		k, err := s.getAdminKey(ctx, s.store, c.Key)
		if notFound(err) {
			return &keyvaultv1.KeyChange{Change: &keyvaultv1.KeyChange_AdminKeyRevoked{AdminKeyRevoked: c.Key}}, nil
		}
		if err != nil {
			return nil, err
		}
		if v := s.adminView(k); v.GetState() != keyvaultv1.KeyState_KEY_STATE_ACTIVE {
			return &keyvaultv1.KeyChange{Change: &keyvaultv1.KeyChange_AdminKeyRevoked{AdminKeyRevoked: c.Key}}, nil
		} else {
			return &keyvaultv1.KeyChange{Change: &keyvaultv1.KeyChange_AdminKeyUpserted{AdminKeyUpserted: v}}, nil
		}
	case store.NSCredentials:
		cr, err := s.getCredential(ctx, s.store, c.Key)
		if notFound(err) {
			return &keyvaultv1.KeyChange{Change: &keyvaultv1.KeyChange_CredentialDeleted{CredentialDeleted: c.Key}}, nil
		}
		if err != nil {
			return nil, err
		}
		return &keyvaultv1.KeyChange{Change: &keyvaultv1.KeyChange_CredentialUpserted{CredentialUpserted: s.credentialView(&cr.rec)}}, nil
	}
	return nil, nil
}

func notFound(err error) bool {
	var e *apierror.Error
	return err != nil && errors.As(err, &e) && e.Class == mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND
}

// sendSnapshot sends every active key and every credential, in parts.
func (s *Service) sendSnapshot(ctx context.Context, revision int64, stream *connect.ServerStream[keyvaultv1.WatchKeysResponse]) error {
	var vks []*keyvaultv1.VirtualKey
	err := s.store.List(ctx, store.NSVirtualKeys, func(_ string, value []byte) error {
		var rec store.VirtualKey
		if err := json.Unmarshal(value, &rec); err != nil {
			return err
		}
		k := &keyvaultv1.VirtualKey{}
		if err := protojson.Unmarshal(rec.Key, k); err != nil {
			return err
		}
		if v := s.view(&virtualKey{key: k, hashes: rec.Hashes}); v.GetState() == keyvaultv1.KeyState_KEY_STATE_ACTIVE {
			vks = append(vks, v)
		}
		return nil
	})
	if err != nil {
		return apierror.Internal(err)
	}
	aks, err := s.adminKeys(ctx, s.store, false)
	if err != nil {
		return apierror.Internal(err)
	}
	creds, err := s.credentials(ctx)
	if err != nil {
		return apierror.Internal(err)
	}
	for {
		part := &keyvaultv1.KeySnapshot{}
		n := min(snapshotPart, len(vks))
		part.VirtualKeys, vks = vks[:n], vks[n:]
		n = min(snapshotPart, len(aks))
		part.AdminKeys, aks = aks[:n], aks[n:]
		n = min(snapshotPart, len(creds))
		part.Credentials, creds = creds[:n], creds[n:]
		part.Complete = len(vks) == 0 && len(aks) == 0 && len(creds) == 0
		if err := stream.Send(&keyvaultv1.WatchKeysResponse{Revision: revision, Event: &keyvaultv1.WatchKeysResponse_Snapshot{Snapshot: part}}); err != nil {
			return err
		}
		if part.Complete {
			return nil
		}
	}
}
