package keyvault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"connectrpc.com/connect"
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
	// defaultCredentialGrace is how long a rotated credential's previous
	// version stays valid when the request names no grace period.
	defaultCredentialGrace = time.Hour
	// retiredKept is how many retired versions a credential keeps as
	// history (their secrets are destroyed).
	retiredKept = 5
)

// credentialAAD binds a sealed secret to its credential and version.
func credentialAAD(name string, version int32) []byte {
	return fmt.Appendf(nil, "credential/%s/%d", name, version)
}

type credential struct {
	rec     store.Credential
	version int64
}

func (s *Service) getCredential(ctx context.Context, st *store.Store, name string) (*credential, error) {
	c := &credential{}
	v, err := st.Get(ctx, store.NSCredentials, name, &c.rec)
	if errors.Is(err, store.ErrNotFound) {
		return nil, apierror.New(mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND, "credential %q not found", name)
	}
	if err != nil {
		return nil, apierror.Internal(err)
	}
	c.version = v
	return c, nil
}

// expire retires versions whose grace period is over, destroying their
// secrets, and keeps the last retiredKept retired ones.
func (s *Service) expire(c *store.Credential) {
	now := s.now()
	retired := 0
	var kept []store.CredentialVersion
	for _, v := range c.Versions { // newest first
		if !v.Retired && v.Version != c.CurrentVersion && !now.Before(v.ValidUntil) {
			v.Retired, v.Secret = true, nil
		}
		if v.Retired {
			if retired++; retired > retiredKept {
				continue
			}
		}
		kept = append(kept, v)
	}
	c.Versions = kept
}

// addVersion seals secret as the next version; the previous current one
// stays valid for grace (retired at once when grace is 0).
func (s *Service) addVersion(ctx context.Context, c *store.Credential, secret *keyvaultv1.CredentialSecret, grace time.Duration) error {
	plain, err := proto.Marshal(secret)
	if err != nil {
		return err
	}
	next := c.CurrentVersion + 1
	sealed, err := s.keyring.Seal(plain, credentialAAD(c.Name, next))
	clear(plain)
	if err != nil {
		return err
	}
	now := s.now()
	for i := range c.Versions {
		if c.Versions[i].Version == c.CurrentVersion {
			c.Versions[i].ValidUntil = now.Add(grace)
			if grace <= 0 {
				c.Versions[i].Retired, c.Versions[i].Secret = true, nil
			}
		}
	}
	v := store.CredentialVersion{Version: next, Masked: mask(secret), CreatedAt: now, CreatedBy: access.Author(ctx), Secret: &sealed}
	c.Versions = append([]store.CredentialVersion{v}, c.Versions...)
	c.CurrentVersion = next
	c.Health = store.Health{} // a new secret starts healthy
	s.expire(c)
	return nil
}

// mask shows a secret's last four characters at most, or what identifies it
// without being secret.
func mask(secret *keyvaultv1.CredentialSecret) string {
	switch {
	case secret.GetAws() != nil:
		return secret.GetAws().GetAccessKeyId()
	case secret.GetHeaders() != nil:
		var names []string
		for k := range secret.GetHeaders().GetHeaders() {
			names = append(names, k)
		}
		sort.Strings(names)
		return "headers: " + strings.Join(names, ", ")
	case secret.GetGoogleServiceAccountJson() != "":
		var sa struct {
			ClientEmail string `json:"client_email"`
		}
		_ = json.Unmarshal([]byte(secret.GetGoogleServiceAccountJson()), &sa)
		return "service account " + sa.ClientEmail
	}
	k := secret.GetApiKey()
	if len(k) < 16 {
		return "…"
	}
	return "…" + k[len(k)-4:]
}

func (s *Service) credentialView(c *store.Credential) *keyvaultv1.ProviderCredential {
	out := &keyvaultv1.ProviderCredential{
		Name: c.Name, Provider: c.Provider, Weight: c.Weight, Disabled: c.Disabled, Description: c.Description,
		CurrentVersion: c.CurrentVersion, CreatedAt: timestamppb.New(c.CreatedAt), UpdatedAt: timestamppb.New(c.UpdatedAt),
		UpdatedBy: c.UpdatedBy,
		Health: &keyvaultv1.CredentialHealth{
			Status: keyvaultv1.CredentialHealthStatus(c.Health.Status), LastErrorClass: mcpv1.ErrorClass(c.Health.ErrorClass),
			LastErrorMessage: c.Health.Message, ReportedBy: c.Health.ReportedBy,
		},
	}
	if !c.Health.CooldownUntil.IsZero() {
		out.Health.CooldownUntil = timestamppb.New(c.Health.CooldownUntil)
	}
	if !c.Health.ReportedAt.IsZero() {
		out.Health.ReportedAt = timestamppb.New(c.Health.ReportedAt)
	}
	now := s.now()
	for _, v := range c.Versions {
		cv := &keyvaultv1.CredentialVersion{Version: v.Version, Masked: v.Masked, CreatedAt: timestamppb.New(v.CreatedAt), CreatedBy: v.CreatedBy}
		switch {
		case v.Version == c.CurrentVersion:
			cv.State = keyvaultv1.CredentialVersionState_CREDENTIAL_VERSION_STATE_CURRENT
			out.Masked = v.Masked
		case v.Retired || !now.Before(v.ValidUntil):
			cv.State = keyvaultv1.CredentialVersionState_CREDENTIAL_VERSION_STATE_RETIRED
		default:
			cv.State = keyvaultv1.CredentialVersionState_CREDENTIAL_VERSION_STATE_GRACE
		}
		if !v.ValidUntil.IsZero() {
			cv.ValidUntil = timestamppb.New(v.ValidUntil)
		}
		out.Versions = append(out.Versions, cv)
	}
	return out
}

// PutCredential creates a credential or updates its settings; a secret
// given for an existing credential replaces the current one at once.
func (s *Service) PutCredential(ctx context.Context, req *connect.Request[keyvaultv1.PutCredentialRequest]) (*connect.Response[keyvaultv1.PutCredentialResponse], error) {
	in := req.Msg.GetCredential()
	var out *keyvaultv1.ProviderCredential
	err := s.write(ctx, func(st *store.Store) error {
		c, err := s.getCredential(ctx, st, in.GetName())
		expect := int64(storage.ExpectAbsent)
		switch {
		case err == nil:
			expect = c.version
		case apierror.As(err).Class == mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND:
			if req.Msg.GetSecret() == nil {
				return apierror.Invalid("secret", "a secret is required to create credential %q", in.GetName())
			}
			c = &credential{rec: store.Credential{Name: in.GetName(), CreatedAt: s.now()}}
		default:
			return err
		}
		c.rec.Provider, c.rec.Weight, c.rec.Disabled, c.rec.Description = in.GetProvider(), in.GetWeight(), in.GetDisabled(), in.GetDescription()
		c.rec.UpdatedAt, c.rec.UpdatedBy = s.now(), access.Author(ctx)
		if req.Msg.GetSecret() != nil {
			if err := s.addVersion(ctx, &c.rec, req.Msg.GetSecret(), 0); err != nil {
				return err
			}
		}
		if err := st.Put(ctx, store.NSCredentials, c.rec.Name, c.rec, expect); err != nil {
			return err
		}
		out = s.credentialView(&c.rec)
		return nil
	})
	if err != nil {
		return nil, asAPIError(err)
	}
	s.logger.InfoContext(ctx, "credential put", "credential", out.GetName(), "version", out.GetCurrentVersion(), "by", access.Author(ctx))
	return connect.NewResponse(&keyvaultv1.PutCredentialResponse{Credential: out}), nil
}

// GetCredential returns one credential, masked.
func (s *Service) GetCredential(ctx context.Context, req *connect.Request[keyvaultv1.GetCredentialRequest]) (*connect.Response[keyvaultv1.GetCredentialResponse], error) {
	c, err := s.getCredential(ctx, s.store, req.Msg.GetName())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&keyvaultv1.GetCredentialResponse{Credential: s.credentialView(&c.rec)}), nil
}

// ListCredentials lists credentials by name, masked.
func (s *Service) ListCredentials(ctx context.Context, req *connect.Request[keyvaultv1.ListCredentialsRequest]) (*connect.Response[keyvaultv1.ListCredentialsResponse], error) {
	offset, ok := parsePageToken(req.Msg.GetPageToken())
	if !ok {
		return nil, apierror.Invalid("page_token", "invalid page token")
	}
	creds, err := s.credentials(ctx)
	if err != nil {
		return nil, apierror.Internal(err)
	}
	var list []*keyvaultv1.ProviderCredential
	for _, c := range creds {
		if p := req.Msg.GetProvider(); p == "" || c.GetProvider() == p {
			list = append(list, c)
		}
	}
	size := pageSize(req.Msg.GetPageSize())
	res := &keyvaultv1.ListCredentialsResponse{NextPageToken: pageToken(offset, size, len(list))}
	if offset < len(list) {
		res.Credentials = list[offset:min(len(list), offset+size)]
	}
	return connect.NewResponse(res), nil
}

// credentials returns every credential, masked, by name.
func (s *Service) credentials(ctx context.Context) ([]*keyvaultv1.ProviderCredential, error) {
	var out []*keyvaultv1.ProviderCredential
	err := s.store.List(ctx, store.NSCredentials, func(_ string, value []byte) error {
		var c store.Credential
		if err := json.Unmarshal(value, &c); err != nil {
			return err
		}
		out = append(out, s.credentialView(&c))
		return nil
	})
	return out, err
}

// RotateCredential stores a new version; the previous one stays valid for
// the grace period.
func (s *Service) RotateCredential(ctx context.Context, req *connect.Request[keyvaultv1.RotateCredentialRequest]) (*connect.Response[keyvaultv1.RotateCredentialResponse], error) {
	grace := defaultCredentialGrace
	if req.Msg.GetGracePeriod() != nil {
		grace = req.Msg.GetGracePeriod().AsDuration()
	}
	var out *keyvaultv1.ProviderCredential
	err := s.write(ctx, func(st *store.Store) error {
		c, err := s.getCredential(ctx, st, req.Msg.GetName())
		if err != nil {
			return err
		}
		if err := s.addVersion(ctx, &c.rec, req.Msg.GetSecret(), grace); err != nil {
			return err
		}
		c.rec.UpdatedAt, c.rec.UpdatedBy = s.now(), access.Author(ctx)
		if err := st.Put(ctx, store.NSCredentials, c.rec.Name, c.rec, c.version); err != nil {
			return err
		}
		out = s.credentialView(&c.rec)
		return nil
	})
	if err != nil {
		return nil, asAPIError(err)
	}
	s.logger.InfoContext(ctx, "credential rotated", "credential", out.GetName(), "version", out.GetCurrentVersion(), "grace", grace, "by", access.Author(ctx))
	return connect.NewResponse(&keyvaultv1.RotateCredentialResponse{Credential: out}), nil
}

// DeleteCredential destroys a credential and its versions. Idempotent.
func (s *Service) DeleteCredential(ctx context.Context, req *connect.Request[keyvaultv1.DeleteCredentialRequest]) (*connect.Response[keyvaultv1.DeleteCredentialResponse], error) {
	name := req.Msg.GetName()
	existed := false
	err := s.write(ctx, func(st *store.Store) error {
		var c store.Credential
		if _, err := st.Get(ctx, store.NSCredentials, name, &c); errors.Is(err, store.ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		existed = true
		return st.Delete(ctx, store.NSCredentials, name)
	})
	if err != nil {
		return nil, asAPIError(err)
	}
	if !existed {
		return nil, apierror.New(mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND, "credential %q not found", name)
	}
	s.logger.InfoContext(ctx, "credential deleted", "credential", name, "by", access.Author(ctx))
	return connect.NewResponse(&keyvaultv1.DeleteCredentialResponse{}), nil
}

// ResolveCredential returns a current or grace version's plaintext, to the
// internal service identity only (see procedures).
func (s *Service) ResolveCredential(ctx context.Context, req *connect.Request[keyvaultv1.ResolveCredentialRequest]) (*connect.Response[keyvaultv1.ResolveCredentialResponse], error) {
	name := req.Msg.GetName()
	c, err := s.getCredential(ctx, s.store, name)
	if err != nil {
		return nil, err
	}
	want := req.Msg.GetVersion()
	if want == 0 {
		want = c.rec.CurrentVersion
	}
	now := s.now()
	for _, v := range c.rec.Versions {
		if v.Version != want {
			continue
		}
		current := v.Version == c.rec.CurrentVersion
		if v.Secret == nil || v.Retired || (!current && !now.Before(v.ValidUntil)) {
			break
		}
		plain, err := s.keyring.Open(*v.Secret, credentialAAD(name, v.Version))
		if err != nil {
			return nil, apierror.Internal(fmt.Errorf("open credential %s version %d: %w", name, v.Version, err))
		}
		secret := &keyvaultv1.CredentialSecret{}
		err = proto.Unmarshal(plain, secret)
		clear(plain)
		if err != nil {
			return nil, apierror.Internal(fmt.Errorf("decode credential %s version %d: %w", name, v.Version, err))
		}
		res := &keyvaultv1.ResolveCredentialResponse{Name: name, Provider: c.rec.Provider, Version: v.Version, Secret: secret}
		if !current {
			res.ValidUntil = timestamppb.New(v.ValidUntil)
		}
		s.logger.InfoContext(ctx, "credential resolved", "credential", name, "version", v.Version, "by", access.Author(ctx))
		return connect.NewResponse(res), nil
	}
	return nil, apierror.New(mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND, "credential %q has no valid version %d", name, want)
}

// ReportCredentialStatus records what a provider said about a credential.
func (s *Service) ReportCredentialStatus(ctx context.Context, req *connect.Request[keyvaultv1.ReportCredentialStatusRequest]) (*connect.Response[keyvaultv1.ReportCredentialStatusResponse], error) {
	m := req.Msg
	cooldown := s.cfg.CredentialCooldown
	if m.GetCooldown() != nil && m.GetCooldown().AsDuration() > 0 {
		cooldown = m.GetCooldown().AsDuration()
	}
	var out *keyvaultv1.CredentialHealth
	err := s.write(ctx, func(st *store.Store) error {
		c, err := s.getCredential(ctx, st, m.GetName())
		if err != nil {
			return err
		}
		now := s.now()
		h := &c.rec.Health
		if m.GetVersion() == c.rec.CurrentVersion {
			switch m.GetErrorClass() {
			case mcpv1.ErrorClass_ERROR_CLASS_UNSPECIFIED:
				*h = store.Health{Status: int32(keyvaultv1.CredentialHealthStatus_CREDENTIAL_HEALTH_STATUS_HEALTHY)}
			case mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED, mcpv1.ErrorClass_ERROR_CLASS_OVERLOADED, mcpv1.ErrorClass_ERROR_CLASS_QUOTA_EXCEEDED:
				if h.Status != int32(keyvaultv1.CredentialHealthStatus_CREDENTIAL_HEALTH_STATUS_INVALID) {
					h.Status = int32(keyvaultv1.CredentialHealthStatus_CREDENTIAL_HEALTH_STATUS_COOLING_DOWN)
					if end := now.Add(cooldown); end.After(h.CooldownUntil) {
						h.CooldownUntil = end
					}
				}
			case mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION, mcpv1.ErrorClass_ERROR_CLASS_PERMISSION_DENIED:
				h.Status = int32(keyvaultv1.CredentialHealthStatus_CREDENTIAL_HEALTH_STATUS_INVALID)
			}
			h.ErrorClass = int32(m.GetErrorClass())
			h.Message = m.GetMessage()
		}
		h.ReportedAt, h.ReportedBy = now, m.GetReplicaId()
		if err := st.Put(ctx, store.NSCredentials, c.rec.Name, c.rec, c.version); err != nil {
			return err
		}
		out = s.credentialView(&c.rec).GetHealth()
		return nil
	})
	if err != nil {
		return nil, asAPIError(err)
	}
	return connect.NewResponse(&keyvaultv1.ReportCredentialStatusResponse{Health: out}), nil
}
