package keyvault

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

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

type adminKey struct {
	key     *keyvaultv1.AdminKey
	hash    []byte
	version int64
}

func decodeAdminKey(value []byte) (*adminKey, error) {
	var rec store.AdminKey
	if err := json.Unmarshal(value, &rec); err != nil {
		return nil, err
	}
	k := &keyvaultv1.AdminKey{}
	if err := protojson.Unmarshal(rec.Key, k); err != nil {
		return nil, err
	}
	return &adminKey{key: k, hash: rec.Hash}, nil
}

func (s *Service) getAdminKey(ctx context.Context, st *store.Store, id string) (*adminKey, error) {
	var rec store.AdminKey
	v, err := st.Get(ctx, store.NSAdminKeys, id, &rec)
	if errors.Is(err, store.ErrNotFound) {
		return nil, apierror.New(mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND, "admin key %q not found", id)
	}
	if err != nil {
		return nil, apierror.Internal(err)
	}
	k := &keyvaultv1.AdminKey{}
	if err := protojson.Unmarshal(rec.Key, k); err != nil {
		return nil, apierror.Internal(fmt.Errorf("decode admin key %s: %w", id, err))
	}
	return &adminKey{key: k, hash: rec.Hash, version: v}, nil
}

func putAdminKey(ctx context.Context, st *store.Store, k *adminKey, expect int64) error {
	b, err := protojson.Marshal(k.key)
	if err != nil {
		return err
	}
	return st.Put(ctx, store.NSAdminKeys, k.key.GetId(), store.AdminKey{Key: b, Hash: k.hash}, expect)
}

func (s *Service) adminView(k *adminKey) *keyvaultv1.AdminKey {
	out := proto.Clone(k.key).(*keyvaultv1.AdminKey)
	out.State = s.state(out.GetState(), out.GetExpiresAt())
	return out
}

// CreateAdminKey creates an admin key and returns its secret once.
func (s *Service) CreateAdminKey(ctx context.Context, req *connect.Request[keyvaultv1.CreateAdminKeyRequest]) (*connect.Response[keyvaultv1.CreateAdminKeyResponse], error) {
	m := req.Msg
	secret, err := newSecret(adminKeyPrefix)
	if err != nil {
		return nil, apierror.Internal(err)
	}
	k := &adminKey{key: &keyvaultv1.AdminKey{
		Id: newID("ak_"), Name: m.GetName(), Role: m.GetRole(), SecretHint: hint(secret, adminKeyPrefix),
		User: m.GetUser(), ExpiresAt: m.GetExpiresAt(), State: keyvaultv1.KeyState_KEY_STATE_ACTIVE,
		CreatedAt: timestamppb.New(s.now()), CreatedBy: access.Author(ctx),
	}, hash: s.hash(secret)}
	err = s.write(ctx, func(st *store.Store) error {
		if err := putAdminKey(ctx, st, k, storage.ExpectAbsent); err != nil {
			return err
		}
		return putHash(ctx, st, k.hash, kindAdmin, k.key.GetId())
	})
	if err != nil {
		return nil, asAPIError(err)
	}
	s.logger.InfoContext(ctx, "admin key created", "key_id", k.key.GetId(), "role", roleName(k.key.GetRole()), "by", access.Author(ctx))
	return connect.NewResponse(&keyvaultv1.CreateAdminKeyResponse{Key: s.adminView(k), Secret: secret}), nil
}

// ListAdminKeys lists admin keys newest first.
func (s *Service) ListAdminKeys(ctx context.Context, req *connect.Request[keyvaultv1.ListAdminKeysRequest]) (*connect.Response[keyvaultv1.ListAdminKeysResponse], error) {
	offset, ok := parsePageToken(req.Msg.GetPageToken())
	if !ok {
		return nil, apierror.Invalid("page_token", "invalid page token")
	}
	keys, err := s.adminKeys(ctx, s.store, req.Msg.GetIncludeInactive())
	if err != nil {
		return nil, apierror.Internal(err)
	}
	size := pageSize(req.Msg.GetPageSize())
	res := &keyvaultv1.ListAdminKeysResponse{NextPageToken: pageToken(offset, size, len(keys))}
	if offset < len(keys) {
		res.Keys = keys[offset:min(len(keys), offset+size)]
	}
	return connect.NewResponse(res), nil
}

func (s *Service) adminKeys(ctx context.Context, st *store.Store, inactive bool) ([]*keyvaultv1.AdminKey, error) {
	var keys []*keyvaultv1.AdminKey
	err := st.List(ctx, store.NSAdminKeys, func(_ string, value []byte) error {
		k, err := decodeAdminKey(value)
		if err != nil {
			return err
		}
		if v := s.adminView(k); inactive || v.GetState() == keyvaultv1.KeyState_KEY_STATE_ACTIVE {
			keys = append(keys, v)
		}
		return nil
	})
	sort.SliceStable(keys, func(i, j int) bool {
		return keys[i].GetCreatedAt().AsTime().After(keys[j].GetCreatedAt().AsTime())
	})
	return keys, err
}

// RevokeAdminKey revokes an admin key, but never the last active admin one.
func (s *Service) RevokeAdminKey(ctx context.Context, req *connect.Request[keyvaultv1.RevokeAdminKeyRequest]) (*connect.Response[keyvaultv1.RevokeAdminKeyResponse], error) {
	var out *keyvaultv1.AdminKey
	err := s.write(ctx, func(st *store.Store) error {
		k, err := s.getAdminKey(ctx, st, req.Msg.GetKeyId())
		if err != nil {
			return err
		}
		if k.key.GetState() != keyvaultv1.KeyState_KEY_STATE_REVOKED {
			if k.key.GetRole() == keyvaultv1.AdminRole_ADMIN_ROLE_ADMIN && s.cfg.AdminToken == "" {
				active, err := s.adminKeys(ctx, st, false)
				if err != nil {
					return err
				}
				admins := 0
				for _, a := range active {
					if a.GetRole() == keyvaultv1.AdminRole_ADMIN_ROLE_ADMIN {
						admins++
					}
				}
				if admins <= 1 {
					return failedPrecondition("admin key %q is the last active key with role admin and no bootstrap token is configured; create another admin key first", k.key.GetId())
				}
			}
			now := timestamppb.New(s.now())
			k.key.State, k.key.RevokedAt, k.key.RevokeReason = keyvaultv1.KeyState_KEY_STATE_REVOKED, now, req.Msg.GetReason()
			if err := putAdminKey(ctx, st, k, k.version); err != nil {
				return err
			}
		}
		out = s.adminView(k)
		return nil
	})
	if err != nil {
		return nil, asAPIError(err)
	}
	s.logger.InfoContext(ctx, "admin key revoked", "key_id", out.GetId(), "by", access.Author(ctx))
	return connect.NewResponse(&keyvaultv1.RevokeAdminKeyResponse{Key: out}), nil
}

func (s *Service) authenticateAdmin(ctx context.Context, id string, hash []byte) (*keyvaultv1.Principal, error) {
	k, err := s.getAdminKey(ctx, s.store, id)
	if err != nil {
		if e := apierror.As(err); e.Class == mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND {
			return nil, unauthenticated("invalid key")
		}
		return nil, err
	}
	if !hmac.Equal(k.hash, hash) {
		return nil, unauthenticated("invalid key")
	}
	if st := s.state(k.key.GetState(), k.key.GetExpiresAt()); st != keyvaultv1.KeyState_KEY_STATE_ACTIVE {
		return nil, unauthenticated("admin key %s is %s", k.key.GetId(), stateName(st))
	}
	return &keyvaultv1.Principal{
		Kind: keyvaultv1.PrincipalKind_PRINCIPAL_KIND_ADMIN_KEY, KeyId: k.key.GetId(), Name: k.key.GetName(),
		Owner: &keyvaultv1.KeyOwner{User: k.key.GetUser()}, Role: k.key.GetRole(), SecretVersion: 1,
		ExpiresAt: k.key.GetExpiresAt(),
	}, nil
}

// failedPrecondition is a Connect FAILED_PRECONDITION error with an
// ErrorDetail of class INVALID_REQUEST.
func failedPrecondition(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	ce := connect.NewError(connect.CodeFailedPrecondition, errors.New(msg))
	if d, err := connect.NewErrorDetail(&mcpv1.ErrorDetail{ErrorClass: mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST, Message: msg}); err == nil {
		ce.AddDetail(d)
	}
	return ce
}
