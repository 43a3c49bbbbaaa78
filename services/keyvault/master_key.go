package keyvault

import (
	"context"
	"encoding/json"

	"connectrpc.com/connect"

	keyvaultv1 "github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1"
	"github.com/manifoldgw/manifold/services/internal/access"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/keyvault/store"
)

// RotateMasterKey re-wraps every data key (credential versions and the
// hashing key) with a configured master key; the sealed secrets are not
// re-encrypted. Other replicas pick the new key up as the wrapping key when
// they restart; until then both keys must stay configured everywhere.
func (s *Service) RotateMasterKey(ctx context.Context, req *connect.Request[keyvaultv1.RotateMasterKeyRequest]) (*connect.Response[keyvaultv1.RotateMasterKeyResponse], error) {
	id := req.Msg.GetNewMasterKeyId()
	if !s.keyring.Has(id) {
		return nil, apierror.Invalid("new_master_key_id", "master key %q is not configured on this key vault (configure it with master-key or previous-master-keys first)", id)
	}
	if err := s.keyring.Check(id); err != nil {
		return nil, apierror.Internal(err)
	}
	res := &keyvaultv1.RotateMasterKeyResponse{PreviousMasterKeyId: s.keyring.Primary(), MasterKeyId: id}
	err := s.write(ctx, func(st *store.Store) error {
		var meta store.Meta
		mv, err := st.Get(ctx, store.NSMeta, metaKey, &meta)
		if err != nil {
			return err
		}
		if meta.HashKey, err = s.keyring.Rewrap(meta.HashKey, []byte("hash_key"), id); err != nil {
			return err
		}
		res.DataKeysRewrapped++
		type rec struct {
			c       store.Credential
			version int64
		}
		var creds []rec
		if err := st.List(ctx, store.NSCredentials, func(_ string, value []byte) error {
			var c store.Credential
			if err := json.Unmarshal(value, &c); err != nil {
				return err
			}
			creds = append(creds, rec{c: c})
			return nil
		}); err != nil {
			return err
		}
		for _, r := range creds {
			v, err := st.Get(ctx, store.NSCredentials, r.c.Name, &r.c)
			if err != nil {
				return err
			}
			for i, cv := range r.c.Versions {
				if cv.Secret == nil {
					continue
				}
				sealed, err := s.keyring.Rewrap(*cv.Secret, credentialAAD(r.c.Name, cv.Version), id)
				if err != nil {
					return err
				}
				r.c.Versions[i].Secret = &sealed
				res.DataKeysRewrapped++
			}
			if !req.Msg.GetDryRun() {
				if err := st.Put(ctx, store.NSCredentials, r.c.Name, r.c, v); err != nil {
					return err
				}
			}
		}
		if req.Msg.GetDryRun() {
			return nil
		}
		return st.Put(ctx, store.NSMeta, metaKey, meta, mv)
	})
	if err != nil {
		return nil, asAPIError(err)
	}
	if !req.Msg.GetDryRun() {
		if err := s.keyring.SetPrimary(id); err != nil {
			return nil, apierror.Internal(err)
		}
		s.logger.InfoContext(ctx, "master key rotated", "previous", res.GetPreviousMasterKeyId(), "master_key_id", id, "data_keys", res.GetDataKeysRewrapped(), "by", access.Author(ctx))
	}
	return connect.NewResponse(res), nil
}
