package keyvault

import (
	"context"
	"crypto/hmac"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	keyvaultv1 "github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1"
	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/access"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/internal/storage"
	"github.com/manifoldgw/manifold/services/keyvault/store"
)

const (
	kindVirtual = "virtual"
	kindAdmin   = "admin"
	// defaultKeyGrace is how long a rotated virtual key's previous secret
	// keeps working when the request names no grace period.
	defaultKeyGrace = 24 * time.Hour
)

// virtualKey is a decoded virtual key record.
type virtualKey struct {
	key     *keyvaultv1.VirtualKey
	hashes  []store.SecretHash
	version int64
}

func (s *Service) getVirtualKey(ctx context.Context, st *store.Store, id string) (*virtualKey, error) {
	var rec store.VirtualKey
	v, err := st.Get(ctx, store.NSVirtualKeys, id, &rec)
	if errors.Is(err, store.ErrNotFound) {
		return nil, apierror.New(mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND, "virtual key %q not found", id)
	}
	if err != nil {
		return nil, apierror.Internal(err)
	}
	k := &keyvaultv1.VirtualKey{}
	if err := protojson.Unmarshal(rec.Key, k); err != nil {
		return nil, apierror.Internal(fmt.Errorf("decode virtual key %s: %w", id, err))
	}
	return &virtualKey{key: k, hashes: rec.Hashes, version: v}, nil
}

func putVirtualKey(ctx context.Context, st *store.Store, k *virtualKey, expect int64) error {
	b, err := protojson.Marshal(k.key)
	if err != nil {
		return err
	}
	return st.Put(ctx, store.NSVirtualKeys, k.key.GetId(), store.VirtualKey{Key: b, Hashes: k.hashes}, expect)
}

func putHash(ctx context.Context, st *store.Store, hash []byte, kind, id string) error {
	return st.Put(ctx, store.NSKeyHashes, hex.EncodeToString(hash), store.HashEntry{Kind: kind, ID: id}, storage.ExpectAbsent)
}

// state is a key's state now: expiry is computed, not stored.
func (s *Service) state(stored keyvaultv1.KeyState, expires *timestamppb.Timestamp) keyvaultv1.KeyState {
	if stored == keyvaultv1.KeyState_KEY_STATE_ACTIVE && expires != nil && !s.now().Before(expires.AsTime()) {
		return keyvaultv1.KeyState_KEY_STATE_EXPIRED
	}
	return stored
}

// view is a virtual key as shown: its state now, and the previous secret's
// grace end if one is still valid.
func (s *Service) view(k *virtualKey) *keyvaultv1.VirtualKey {
	out := proto.Clone(k.key).(*keyvaultv1.VirtualKey)
	out.State = s.state(out.GetState(), out.GetExpiresAt())
	out.PreviousSecretExpiresAt = nil
	for _, h := range k.hashes {
		if h.Version < out.GetSecretVersion() && s.now().Before(h.ExpiresAt) {
			out.PreviousSecretExpiresAt = timestamppb.New(h.ExpiresAt)
		}
	}
	return out
}

// CreateVirtualKey creates a key and returns its secret once.
func (s *Service) CreateVirtualKey(ctx context.Context, req *connect.Request[keyvaultv1.CreateVirtualKeyRequest]) (*connect.Response[keyvaultv1.CreateVirtualKeyResponse], error) {
	m := req.Msg
	secret, err := newSecret(virtualKeyPrefix)
	if err != nil {
		return nil, apierror.Internal(err)
	}
	now := timestamppb.New(s.now())
	k := &virtualKey{key: &keyvaultv1.VirtualKey{
		Id: newID("vk_"), Name: m.GetName(), SecretHint: hint(secret, virtualKeyPrefix),
		Owner: m.GetOwner(), Scopes: m.GetScopes(), ExpiresAt: m.GetExpiresAt(), Metadata: m.GetMetadata(),
		BudgetIds: m.GetBudgetIds(), RateLimitIds: m.GetRateLimitIds(),
		State: keyvaultv1.KeyState_KEY_STATE_ACTIVE, SecretVersion: 1,
		CreatedAt: now, CreatedBy: access.Author(ctx), UpdatedAt: now,
	}}
	hash := s.hash(secret)
	k.hashes = []store.SecretHash{{Version: 1, Hash: hash}}
	err = s.write(ctx, func(st *store.Store) error {
		if err := putVirtualKey(ctx, st, k, storage.ExpectAbsent); err != nil {
			return err
		}
		return putHash(ctx, st, hash, kindVirtual, k.key.GetId())
	})
	if err != nil {
		return nil, asAPIError(err)
	}
	s.logger.InfoContext(ctx, "virtual key created", "key_id", k.key.GetId(), "by", access.Author(ctx))
	return connect.NewResponse(&keyvaultv1.CreateVirtualKeyResponse{Key: s.view(k), Secret: secret}), nil
}

// GetVirtualKey returns a key without secret.
func (s *Service) GetVirtualKey(ctx context.Context, req *connect.Request[keyvaultv1.GetVirtualKeyRequest]) (*connect.Response[keyvaultv1.GetVirtualKeyResponse], error) {
	k, err := s.getVirtualKey(ctx, s.store, req.Msg.GetKeyId())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&keyvaultv1.GetVirtualKeyResponse{Key: s.view(k)}), nil
}

// ListVirtualKeys lists keys newest first.
func (s *Service) ListVirtualKeys(ctx context.Context, req *connect.Request[keyvaultv1.ListVirtualKeysRequest]) (*connect.Response[keyvaultv1.ListVirtualKeysResponse], error) {
	m := req.Msg
	offset, ok := parsePageToken(m.GetPageToken())
	if !ok {
		return nil, apierror.Invalid("page_token", "invalid page token")
	}
	states := m.GetStates()
	if len(states) == 0 {
		states = []keyvaultv1.KeyState{keyvaultv1.KeyState_KEY_STATE_ACTIVE}
	}
	var keys []*keyvaultv1.VirtualKey
	err := s.store.List(ctx, store.NSVirtualKeys, func(_ string, value []byte) error {
		var rec store.VirtualKey
		if err := json.Unmarshal(value, &rec); err != nil {
			return err
		}
		k := &keyvaultv1.VirtualKey{}
		if err := protojson.Unmarshal(rec.Key, k); err != nil {
			return err
		}
		v := s.view(&virtualKey{key: k, hashes: rec.Hashes})
		o := v.GetOwner()
		if !slices.Contains(states, v.GetState()) ||
			(m.GetUser() != "" && o.GetUser() != m.GetUser()) ||
			(m.GetTeam() != "" && o.GetTeam() != m.GetTeam()) ||
			(m.GetProject() != "" && o.GetProject() != m.GetProject()) {
			return nil
		}
		keys = append(keys, v)
		return nil
	})
	if err != nil {
		return nil, apierror.Internal(err)
	}
	sort.SliceStable(keys, func(i, j int) bool {
		return keys[i].GetCreatedAt().AsTime().After(keys[j].GetCreatedAt().AsTime())
	})
	size := pageSize(m.GetPageSize())
	res := &keyvaultv1.ListVirtualKeysResponse{NextPageToken: pageToken(offset, size, len(keys))}
	if offset < len(keys) {
		res.Keys = keys[offset:min(len(keys), offset+size)]
	}
	return connect.NewResponse(res), nil
}

// UpdateVirtualKey changes a key's settings, never its secret.
func (s *Service) UpdateVirtualKey(ctx context.Context, req *connect.Request[keyvaultv1.UpdateVirtualKeyRequest]) (*connect.Response[keyvaultv1.UpdateVirtualKeyResponse], error) {
	in := req.Msg.GetKey()
	var out *keyvaultv1.VirtualKey
	err := s.write(ctx, func(st *store.Store) error {
		k, err := s.getVirtualKey(ctx, st, in.GetId())
		if err != nil {
			return err
		}
		if k.key.GetState() == keyvaultv1.KeyState_KEY_STATE_REVOKED {
			return apierror.Invalid("key.id", "virtual key %q is revoked", in.GetId())
		}
		for _, p := range req.Msg.GetUpdateMask().GetPaths() {
			switch p {
			case "name":
				k.key.Name = in.GetName()
			case "owner":
				if in.GetOwner().GetUser() == "" && in.GetOwner().GetTeam() == "" && in.GetOwner().GetProject() == "" {
					return apierror.Invalid("key.owner", "set at least one of user, team and project")
				}
				k.key.Owner = in.GetOwner()
			case "scopes":
				k.key.Scopes = in.GetScopes()
			case "expires_at":
				if in.GetExpiresAt() != nil && !in.GetExpiresAt().AsTime().After(s.now()) {
					return apierror.Invalid("key.expires_at", "must be in the future")
				}
				k.key.ExpiresAt = in.GetExpiresAt()
			case "metadata":
				k.key.Metadata = in.GetMetadata()
			case "budget_ids":
				k.key.BudgetIds = in.GetBudgetIds()
			case "rate_limit_ids":
				k.key.RateLimitIds = in.GetRateLimitIds()
			default:
				return apierror.Invalid("update_mask", "cannot update %q (want name, owner, scopes, expires_at, metadata, budget_ids or rate_limit_ids)", p)
			}
		}
		k.key.UpdatedAt = timestamppb.New(s.now())
		if err := putVirtualKey(ctx, st, k, k.version); err != nil {
			return err
		}
		out = s.view(k)
		return nil
	})
	if err != nil {
		return nil, asAPIError(err)
	}
	s.logger.InfoContext(ctx, "virtual key updated", "key_id", out.GetId(), "by", access.Author(ctx))
	return connect.NewResponse(&keyvaultv1.UpdateVirtualKeyResponse{Key: out}), nil
}

// RevokeVirtualKey revokes a key for good. Idempotent.
func (s *Service) RevokeVirtualKey(ctx context.Context, req *connect.Request[keyvaultv1.RevokeVirtualKeyRequest]) (*connect.Response[keyvaultv1.RevokeVirtualKeyResponse], error) {
	var out *keyvaultv1.VirtualKey
	err := s.write(ctx, func(st *store.Store) error {
		k, err := s.getVirtualKey(ctx, st, req.Msg.GetKeyId())
		if err != nil {
			return err
		}
		if k.key.GetState() != keyvaultv1.KeyState_KEY_STATE_REVOKED {
			now := timestamppb.New(s.now())
			k.key.State, k.key.RevokedAt, k.key.RevokeReason, k.key.UpdatedAt = keyvaultv1.KeyState_KEY_STATE_REVOKED, now, req.Msg.GetReason(), now
			if err := putVirtualKey(ctx, st, k, k.version); err != nil {
				return err
			}
		}
		out = s.view(k)
		return nil
	})
	if err != nil {
		return nil, asAPIError(err)
	}
	s.logger.InfoContext(ctx, "virtual key revoked", "key_id", out.GetId(), "by", access.Author(ctx))
	return connect.NewResponse(&keyvaultv1.RevokeVirtualKeyResponse{Key: out}), nil
}

// RotateVirtualKey gives a key a new secret, returned once; the previous
// one works for the grace period and any older one stops at once.
func (s *Service) RotateVirtualKey(ctx context.Context, req *connect.Request[keyvaultv1.RotateVirtualKeyRequest]) (*connect.Response[keyvaultv1.RotateVirtualKeyResponse], error) {
	grace := defaultKeyGrace
	if req.Msg.GetGracePeriod() != nil {
		grace = req.Msg.GetGracePeriod().AsDuration()
	}
	secret, err := newSecret(virtualKeyPrefix)
	if err != nil {
		return nil, apierror.Internal(err)
	}
	hash := s.hash(secret)
	var out *keyvaultv1.VirtualKey
	err = s.write(ctx, func(st *store.Store) error {
		k, err := s.getVirtualKey(ctx, st, req.Msg.GetKeyId())
		if err != nil {
			return err
		}
		if st := s.state(k.key.GetState(), k.key.GetExpiresAt()); st != keyvaultv1.KeyState_KEY_STATE_ACTIVE {
			return apierror.Invalid("key_id", "virtual key %q is %s", k.key.GetId(), stateName(st))
		}
		now := s.now()
		var keep []store.SecretHash
		for _, h := range k.hashes {
			if h.Version == k.key.GetSecretVersion() && grace > 0 {
				h.ExpiresAt = now.Add(grace)
				keep = append(keep, h)
				continue
			}
			if err := st.Delete(ctx, store.NSKeyHashes, hex.EncodeToString(h.Hash)); err != nil {
				return err
			}
		}
		k.key.SecretVersion++
		k.key.SecretHint = hint(secret, virtualKeyPrefix)
		k.key.UpdatedAt = timestamppb.New(now)
		k.hashes = append(keep, store.SecretHash{Version: k.key.GetSecretVersion(), Hash: hash})
		if err := putHash(ctx, st, hash, kindVirtual, k.key.GetId()); err != nil {
			return err
		}
		if err := putVirtualKey(ctx, st, k, k.version); err != nil {
			return err
		}
		out = s.view(k)
		return nil
	})
	if err != nil {
		return nil, asAPIError(err)
	}
	s.logger.InfoContext(ctx, "virtual key rotated", "key_id", out.GetId(), "secret_version", out.GetSecretVersion(), "by", access.Author(ctx))
	return connect.NewResponse(&keyvaultv1.RotateVirtualKeyResponse{Key: out, Secret: secret}), nil
}

// AuthenticateKey resolves a presented secret to its principal.
func (s *Service) AuthenticateKey(ctx context.Context, req *connect.Request[keyvaultv1.AuthenticateKeyRequest]) (*connect.Response[keyvaultv1.AuthenticateKeyResponse], error) {
	p, err := s.authenticate(ctx, req.Msg.GetSecret())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&keyvaultv1.AuthenticateKeyResponse{Principal: p}), nil
}

func unauthenticated(format string, args ...any) error {
	return apierror.New(mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION, format, args...)
}

// authenticate resolves a virtual or admin key's secret. Failures are
// AUTHENTICATION errors that never echo the secret.
func (s *Service) authenticate(ctx context.Context, secret string) (*keyvaultv1.Principal, error) {
	var kind string
	switch {
	case wellFormed(secret, adminKeyPrefix):
		kind = kindAdmin
	case wellFormed(secret, virtualKeyPrefix):
		kind = kindVirtual
	default:
		return nil, unauthenticated("malformed key: want an admin key (\"mka-\" and %[1]d letters and digits), a virtual key (\"mk-\" and %[1]d) or the bootstrap admin token", secretLength)
	}
	hash := s.hash(secret)
	var entry store.HashEntry
	if _, err := s.store.Get(ctx, store.NSKeyHashes, hex.EncodeToString(hash), &entry); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, unauthenticated("invalid key")
		}
		return nil, apierror.Internal(err)
	}
	if entry.Kind != kind {
		return nil, unauthenticated("invalid key")
	}
	if kind == kindAdmin {
		return s.authenticateAdmin(ctx, entry.ID, hash)
	}
	k, err := s.getVirtualKey(ctx, s.store, entry.ID)
	if err != nil {
		if e := apierror.As(err); e.Class == mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND {
			return nil, unauthenticated("invalid key")
		}
		return nil, err
	}
	switch st := s.state(k.key.GetState(), k.key.GetExpiresAt()); st {
	case keyvaultv1.KeyState_KEY_STATE_ACTIVE:
	default:
		return nil, unauthenticated("key %s is %s", k.key.GetId(), stateName(st))
	}
	for _, h := range k.hashes {
		if !hmac.Equal(h.Hash, hash) {
			continue
		}
		expires := k.key.GetExpiresAt()
		if !h.ExpiresAt.IsZero() {
			if !s.now().Before(h.ExpiresAt) {
				return nil, unauthenticated("key %s was rotated and this secret's grace period is over", k.key.GetId())
			}
			if expires == nil || h.ExpiresAt.Before(expires.AsTime()) {
				expires = timestamppb.New(h.ExpiresAt)
			}
		}
		return &keyvaultv1.Principal{
			Kind: keyvaultv1.PrincipalKind_PRINCIPAL_KIND_VIRTUAL_KEY, KeyId: k.key.GetId(), Name: k.key.GetName(),
			Owner: k.key.GetOwner(), Scopes: k.key.GetScopes(), BudgetIds: k.key.GetBudgetIds(),
			RateLimitIds: k.key.GetRateLimitIds(), Metadata: k.key.GetMetadata(),
			SecretVersion: h.Version, ExpiresAt: expires,
		}, nil
	}
	return nil, unauthenticated("invalid key")
}

func stateName(st keyvaultv1.KeyState) string {
	return strings.ToLower(strings.TrimPrefix(st.String(), "KEY_STATE_"))
}

// WhoAmI returns the caller's principal.
func (s *Service) WhoAmI(ctx context.Context, _ *connect.Request[keyvaultv1.WhoAmIRequest]) (*connect.Response[keyvaultv1.WhoAmIResponse], error) {
	return connect.NewResponse(&keyvaultv1.WhoAmIResponse{Principal: principalFrom(ctx)}), nil
}

// write runs fn in one transaction, serialised with this process's other
// writes, and wakes watchers when it commits.
func (s *Service) write(ctx context.Context, fn func(st *store.Store) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.store.Tx(ctx, fn); err != nil {
		return err
	}
	s.wake.notify()
	return nil
}

// asAPIError keeps errors meant for callers and hides the rest.
func asAPIError(err error) error {
	var e *apierror.Error
	var ce *connect.Error
	if errors.As(err, &e) || errors.As(err, &ce) {
		return err
	}
	if errors.Is(err, store.ErrConflict) {
		return apierror.New(mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE, "changed concurrently; retry")
	}
	return apierror.Internal(err)
}
