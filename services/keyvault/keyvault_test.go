package keyvault_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	keyvaultv1 "github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1/keyvaultv1connect"
	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/access"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/internal/storage"
	"github.com/manifoldgw/manifold/services/keyvault/envelope"
	"github.com/manifoldgw/manifold/services/keyvault/keyvaulttest"
)

func client(v *keyvaulttest.Vault, token string, opts ...connect.ClientOption) keyvaultv1connect.KeyVaultServiceClient {
	return keyvaultv1connect.NewKeyVaultServiceClient(http.DefaultClient, v.URL, append(opts, access.WithToken(token))...)
}

func apiKeySecret(k string) *keyvaultv1.CredentialSecret {
	return &keyvaultv1.CredentialSecret{Secret: &keyvaultv1.CredentialSecret_ApiKey{ApiKey: k}}
}

// must returns a call's response message, failing the test on error:
// must(client.Call(ctx, req))(t, "Call").
func must[T any](res *connect.Response[T], err error) func(t *testing.T, what string) *T {
	return func(t *testing.T, what string) *T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return res.Msg
	}
}

// checkCode requires err to be a Connect error with code and, when class is
// set, an ErrorDetail of that class.
func checkCode(t *testing.T, what string, err error, code connect.Code, class mcpv1.ErrorClass) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: succeeded, want %v", what, code)
	}
	if got := connect.CodeOf(err); got != code {
		t.Fatalf("%s: code %v (%v), want %v", what, got, err, code)
	}
	if class != mcpv1.ErrorClass_ERROR_CLASS_UNSPECIFIED {
		if got := apierror.As(err).Class; got != class {
			t.Fatalf("%s: class %v, want %v", what, got, class)
		}
	}
}

// rawContents returns every row of the database as text: the SQLite file
// and its write-ahead log as they are on disk, or every PostgreSQL table of
// the test's schema rendered as text.
func rawContents(t *testing.T, driver string, dir, dbURL string) string {
	t.Helper()
	var b strings.Builder
	if driver == "sqlite" {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			b.Write(data)
		}
		if b.Len() == 0 {
			t.Fatal("no database files found")
		}
		return b.String()
	}
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	rows, err := conn.Query(t.Context(), "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(tables) == 0 {
		t.Fatalf("list tables: %v (%d)", err, len(tables))
	}
	for _, table := range tables {
		rows, err := conn.Query(t.Context(), "SELECT t::text FROM "+pgx.Identifier{table}.Sanitize()+" t")
		if err != nil {
			t.Fatal(err)
		}
		texts, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range texts {
			b.WriteString(s)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// TestNoPlaintextAtRest stores credentials and keys, then reads the raw
// database (and the logs) and finds none of the secrets, while the vault
// still resolves and authenticates them.
func TestNoPlaintextAtRest(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			var db *storage.DB
			var dir, dbURL string
			if driver == "sqlite" {
				dir = t.TempDir()
				var err error
				db, err = storage.Open(t.Context(), storage.Config{DataDir: dir})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = db.Close() })
				if err := db.Migrate(t.Context(), storage.DocumentsMigrations()); err != nil {
					t.Fatal(err)
				}
			} else {
				db, dbURL = keyvaulttest.OpenPostgresURL(t)
			}
			cfg := keyvaulttest.Config(t)
			v := keyvaulttest.Serve(t, db, cfg)
			admin := client(v, keyvaulttest.AdminToken)
			internal := client(v, keyvaulttest.InternalToken)

			apiKey := "sk-test-PLAINTEXT-" + strings.Repeat("a1", 12)
			rotated := "sk-test-ROTATED-" + strings.Repeat("b2", 12)
			awsSecret := "AWSSECRETPLAINTEXT" + strings.Repeat("c3", 10)
			ctx := t.Context()
			put := must(admin.PutCredential(ctx, connect.NewRequest(&keyvaultv1.PutCredentialRequest{
				Credential: &keyvaultv1.ProviderCredential{Name: "openai-1", Provider: "openai", Weight: 2},
				Secret:     apiKeySecret(apiKey),
			})))(t, "PutCredential")
			if got := put.GetCredential().GetMasked(); got != "…"+apiKey[len(apiKey)-4:] {
				t.Errorf("masked = %q, want the last four characters only", got)
			}
			must(admin.RotateCredential(ctx, connect.NewRequest(&keyvaultv1.RotateCredentialRequest{
				Name: "openai-1", Secret: apiKeySecret(rotated),
			})))(t, "RotateCredential")
			must(admin.PutCredential(ctx, connect.NewRequest(&keyvaultv1.PutCredentialRequest{
				Credential: &keyvaultv1.ProviderCredential{Name: "bedrock-1", Provider: "bedrock"},
				Secret: &keyvaultv1.CredentialSecret{Secret: &keyvaultv1.CredentialSecret_Aws{Aws: &keyvaultv1.AwsSecret{
					AccessKeyId: "AKIAEXAMPLE12345", SecretAccessKey: awsSecret,
				}}},
			})))(t, "PutCredential aws")
			vk := must(admin.CreateVirtualKey(ctx, connect.NewRequest(&keyvaultv1.CreateVirtualKeyRequest{
				Name: "app", Owner: &keyvaultv1.KeyOwner{Team: "checkout"}, Scopes: &keyvaultv1.KeyScopes{Routes: []string{"*"}},
			})))(t, "CreateVirtualKey")
			ak := must(admin.CreateAdminKey(ctx, connect.NewRequest(&keyvaultv1.CreateAdminKeyRequest{
				Name: "ops", Role: keyvaultv1.AdminRole_ADMIN_ROLE_VIEWER, User: "ops@example.com",
			})))(t, "CreateAdminKey")
			if !strings.HasPrefix(vk.GetSecret(), "mk-") || len(vk.GetSecret()) != 46 {
				t.Fatalf("virtual key secret %q: want mk- and 43 characters", vk.GetSecret())
			}
			rot := must(admin.RotateVirtualKey(ctx, connect.NewRequest(&keyvaultv1.RotateVirtualKeyRequest{KeyId: vk.GetKey().GetId()})))(t, "RotateVirtualKey")

			secrets := []string{apiKey, rotated, awsSecret, vk.GetSecret(), rot.GetSecret(), ak.GetSecret(), cfg.MasterKey}
			raw := rawContents(t, driver, dir, dbURL)
			if !strings.Contains(raw, "openai-1") {
				t.Fatal("raw contents do not hold the credential's name: the raw read is not looking at the vault's data")
			}
			for _, s := range secrets {
				if strings.Contains(raw, s) {
					t.Errorf("raw database holds a plaintext secret %q…", s[:8])
				}
			}

			// Admin reads are masked; the internal identity resolves.
			list := must(admin.ListCredentials(ctx, connect.NewRequest(&keyvaultv1.ListCredentialsRequest{})))(t, "ListCredentials")
			if len(list.GetCredentials()) != 2 {
				t.Fatalf("ListCredentials: %d credentials, want 2", len(list.GetCredentials()))
			}
			text := list.String()
			for _, s := range secrets {
				if strings.Contains(text, s) {
					t.Errorf("ListCredentials returns a secret")
				}
			}
			res := must(internal.ResolveCredential(ctx, connect.NewRequest(&keyvaultv1.ResolveCredentialRequest{Name: "openai-1"})))(t, "ResolveCredential")
			if res.GetSecret().GetApiKey() != rotated || res.GetVersion() != 2 {
				t.Errorf("ResolveCredential = version %d, want the rotated secret, version 2", res.GetVersion())
			}
			old := must(internal.ResolveCredential(ctx, connect.NewRequest(&keyvaultv1.ResolveCredentialRequest{Name: "openai-1", Version: 1})))(t, "ResolveCredential v1")
			if old.GetSecret().GetApiKey() != apiKey || old.GetValidUntil() == nil {
				t.Errorf("version 1 in its grace period: want its secret and valid_until")
			}
			who := must(internal.AuthenticateKey(ctx, connect.NewRequest(&keyvaultv1.AuthenticateKeyRequest{Secret: rot.GetSecret()})))(t, "AuthenticateKey")
			if who.GetPrincipal().GetKeyId() != vk.GetKey().GetId() || who.GetPrincipal().GetSecretVersion() != 2 {
				t.Errorf("AuthenticateKey = %v, want key %s version 2", who.GetPrincipal(), vk.GetKey().GetId())
			}

			logs := v.Logs.String()
			if !strings.Contains(logs, "credential resolved") {
				t.Fatal("the vault logged nothing about resolving: the log check would prove nothing")
			}
			for _, s := range secrets {
				if strings.Contains(logs, s) {
					t.Errorf("logs hold a secret %q…", s[:8])
				}
			}
		})
	}
}

// TestAccess checks authentication and roles on the vault's own RPCs, and
// that refused calls change nothing.
func TestAccess(t *testing.T) {
	for _, d := range keyvaulttest.Drivers {
		t.Run(d.Name, func(t *testing.T) {
			v := keyvaulttest.Serve(t, d.Open(t), keyvaulttest.Config(t))
			ctx := t.Context()
			admin := client(v, keyvaulttest.AdminToken)
			mkAdmin := func(role keyvaultv1.AdminRole) (string, string) {
				res := must(admin.CreateAdminKey(ctx, connect.NewRequest(&keyvaultv1.CreateAdminKeyRequest{Name: role.String(), Role: role, User: "u"})))(t, "CreateAdminKey")
				return res.GetSecret(), res.GetKey().GetId()
			}
			viewer, _ := mkAdmin(keyvaultv1.AdminRole_ADMIN_ROLE_VIEWER)
			developer, _ := mkAdmin(keyvaultv1.AdminRole_ADMIN_ROLE_DEVELOPER)
			adminKey, _ := mkAdmin(keyvaultv1.AdminRole_ADMIN_ROLE_ADMIN)
			revoked, revokedID := mkAdmin(keyvaultv1.AdminRole_ADMIN_ROLE_ADMIN)
			must(admin.RevokeAdminKey(ctx, connect.NewRequest(&keyvaultv1.RevokeAdminKeyRequest{KeyId: revokedID})))(t, "RevokeAdminKey")
			vk := must(admin.CreateVirtualKey(ctx, connect.NewRequest(&keyvaultv1.CreateVirtualKeyRequest{
				Name: "app", Owner: &keyvaultv1.KeyOwner{User: "a"}, Scopes: &keyvaultv1.KeyScopes{Routes: []string{"*"}},
			})))(t, "CreateVirtualKey")
			must(client(v, adminKey).PutCredential(ctx, connect.NewRequest(&keyvaultv1.PutCredentialRequest{
				Credential: &keyvaultv1.ProviderCredential{Name: "c1", Provider: "openai"}, Secret: apiKeySecret("sk-first-secret-value-1234"),
			})))(t, "PutCredential")
			snapshot := func() string {
				res := must(admin.ListCredentials(ctx, connect.NewRequest(&keyvaultv1.ListCredentialsRequest{})))(t, "ListCredentials")
				keys := must(admin.ListVirtualKeys(ctx, connect.NewRequest(&keyvaultv1.ListVirtualKeysRequest{})))(t, "ListVirtualKeys")
				adminKeys := must(admin.ListAdminKeys(ctx, connect.NewRequest(&keyvaultv1.ListAdminKeysRequest{IncludeInactive: true})))(t, "ListAdminKeys")
				return res.String() + keys.String() + adminKeys.String()
			}
			before := snapshot()
			put := &keyvaultv1.PutCredentialRequest{Credential: &keyvaultv1.ProviderCredential{Name: "c1", Provider: "openai"}, Secret: apiKeySecret("sk-second-secret-value-5678")}
			unauth, denied := connect.CodeUnauthenticated, connect.CodePermissionDenied
			authClass, deniedClass := mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION, mcpv1.ErrorClass_ERROR_CLASS_PERMISSION_DENIED
			for _, p := range []struct {
				name string
				opts []connect.ClientOption
			}{{"connect", nil}, {"grpcweb", []connect.ClientOption{connect.WithGRPCWeb()}}} {
				for _, tc := range []struct {
					name  string
					token string
					code  connect.Code
					class mcpv1.ErrorClass
				}{
					{"missing", "", unauth, authClass},
					{"malformed", "not-a-key", unauth, authClass},
					{"unknown", "mka-" + strings.Repeat("x", 43), unauth, authClass},
					{"revoked", revoked, unauth, authClass},
					{"viewer", viewer, denied, deniedClass},
					{"developer", developer, denied, deniedClass},
					{"virtual key", vk.GetSecret(), denied, deniedClass},
				} {
					_, err := client(v, tc.token, p.opts...).PutCredential(ctx, connect.NewRequest(put))
					checkCode(t, p.name+" PutCredential as "+tc.name, err, tc.code, tc.class)
				}
			}
			// Bad input from an unauthenticated caller is refused as
			// unauthenticated: nothing about the request is checked first.
			_, err := client(v, "").PutCredential(ctx, connect.NewRequest(&keyvaultv1.PutCredentialRequest{}))
			checkCode(t, "invalid PutCredential without key", err, unauth, authClass)
			// Viewers read; internal RPCs refuse admin keys.
			must(client(v, viewer).ListCredentials(ctx, connect.NewRequest(&keyvaultv1.ListCredentialsRequest{})))(t, "ListCredentials as viewer")
			_, err = client(v, adminKey).ResolveCredential(ctx, connect.NewRequest(&keyvaultv1.ResolveCredentialRequest{Name: "c1"}))
			checkCode(t, "ResolveCredential as admin", err, denied, deniedClass)
			_, err = client(v, viewer).RevokeVirtualKey(ctx, connect.NewRequest(&keyvaultv1.RevokeVirtualKeyRequest{KeyId: vk.GetKey().GetId()}))
			checkCode(t, "RevokeVirtualKey as viewer", err, denied, deniedClass)
			// Listing admin keys is a read too, and shows no secret;
			// creating and revoking them is a change, for admins only.
			secrets := []string{viewer, developer, adminKey, revoked}
			for _, r := range []struct{ name, token string }{{"viewer", viewer}, {"developer", developer}} {
				list := must(client(v, r.token).ListAdminKeys(ctx, connect.NewRequest(&keyvaultv1.ListAdminKeysRequest{IncludeInactive: true})))(t, "ListAdminKeys as "+r.name)
				if len(list.GetKeys()) != len(secrets) {
					t.Fatalf("ListAdminKeys as %s: %d keys, want %d", r.name, len(list.GetKeys()), len(secrets))
				}
				for _, k := range list.GetKeys() {
					if len(k.GetSecretHint()) != len("mka-")+4 {
						t.Errorf("ListAdminKeys as %s: secret hint %q, want mka- and 4 characters", r.name, k.GetSecretHint())
					}
				}
				text := list.String()
				for _, s := range secrets {
					if strings.Contains(text, s) || strings.Contains(text, s[len("mka-"):]) {
						t.Errorf("ListAdminKeys as %s returns a secret", r.name)
					}
				}
				_, err = client(v, r.token).CreateAdminKey(ctx, connect.NewRequest(&keyvaultv1.CreateAdminKeyRequest{Name: "x", Role: keyvaultv1.AdminRole_ADMIN_ROLE_ADMIN, User: "u"}))
				checkCode(t, "CreateAdminKey as "+r.name, err, denied, deniedClass)
				if want := "role " + r.name + " may not change the key vault; role admin is needed"; !strings.Contains(err.Error(), want) {
					t.Errorf("CreateAdminKey as %s: %v, want %q", r.name, err, want)
				}
				_, err = client(v, r.token).RevokeAdminKey(ctx, connect.NewRequest(&keyvaultv1.RevokeAdminKeyRequest{KeyId: list.GetKeys()[0].GetId()}))
				checkCode(t, "RevokeAdminKey as "+r.name, err, denied, deniedClass)
			}
			who := must(client(v, viewer).WhoAmI(ctx, connect.NewRequest(&keyvaultv1.WhoAmIRequest{})))(t, "WhoAmI")
			if who.GetPrincipal().GetRole() != keyvaultv1.AdminRole_ADMIN_ROLE_VIEWER {
				t.Errorf("WhoAmI role = %v, want viewer", who.GetPrincipal().GetRole())
			}
			if after := snapshot(); after != before {
				t.Errorf("refused calls changed the vault:\nbefore %s\nafter  %s", before, after)
			}
			// An invalid request from an admin names the field.
			_, err = admin.PutCredential(ctx, connect.NewRequest(&keyvaultv1.PutCredentialRequest{Credential: &keyvaultv1.ProviderCredential{Name: "Bad Name", Provider: "x"}}))
			checkCode(t, "invalid PutCredential", err, connect.CodeInvalidArgument, mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST)
			_, err = admin.PutCredential(ctx, connect.NewRequest(&keyvaultv1.PutCredentialRequest{Credential: &keyvaultv1.ProviderCredential{Name: "new", Provider: "x"}}))
			checkCode(t, "PutCredential without secret", err, connect.CodeInvalidArgument, mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST)
		})
	}
}

// TestVirtualKeyLifecycle covers rotation with and without grace,
// revocation, expiry and updates.
func TestVirtualKeyLifecycle(t *testing.T) {
	for _, d := range keyvaulttest.Drivers {
		t.Run(d.Name, func(t *testing.T) {
			v := keyvaulttest.Serve(t, d.Open(t), keyvaulttest.Config(t))
			ctx := t.Context()
			admin := client(v, keyvaulttest.AdminToken)
			internal := client(v, keyvaulttest.InternalToken)
			auth := func(secret string) (*keyvaultv1.Principal, error) {
				res, err := internal.AuthenticateKey(ctx, connect.NewRequest(&keyvaultv1.AuthenticateKeyRequest{Secret: secret}))
				if err != nil {
					return nil, err
				}
				return res.Msg.GetPrincipal(), nil
			}
			created := must(admin.CreateVirtualKey(ctx, connect.NewRequest(&keyvaultv1.CreateVirtualKeyRequest{
				Name: "app", Owner: &keyvaultv1.KeyOwner{Project: "p1"}, Scopes: &keyvaultv1.KeyScopes{Routes: []string{"chat"}},
				Metadata: map[string]string{"env": "prod"}, BudgetIds: []string{"b1"},
			})))(t, "CreateVirtualKey")
			id, first := created.GetKey().GetId(), created.GetSecret()
			p, err := auth(first)
			if err != nil || p.GetKeyId() != id || p.GetOwner().GetProject() != "p1" || p.GetBudgetIds()[0] != "b1" || p.GetScopes().GetRoutes()[0] != "chat" {
				t.Fatalf("AuthenticateKey = %v, %v", p, err)
			}
			// Rotation with the default grace: both secrets work.
			second := must(admin.RotateVirtualKey(ctx, connect.NewRequest(&keyvaultv1.RotateVirtualKeyRequest{KeyId: id})))(t, "RotateVirtualKey")
			if second.GetKey().GetId() != id || second.GetKey().GetSecretVersion() != 2 || second.GetKey().GetPreviousSecretExpiresAt() == nil {
				t.Fatalf("rotated key = %v", second.GetKey())
			}
			if p, err := auth(first); err != nil || p.GetExpiresAt() == nil {
				t.Fatalf("previous secret in its grace period: %v, %v (want its grace end as expiry)", p, err)
			}
			if _, err := auth(second.GetSecret()); err != nil {
				t.Fatalf("new secret: %v", err)
			}
			// Rotation without grace: only the newest works.
			third := must(admin.RotateVirtualKey(ctx, connect.NewRequest(&keyvaultv1.RotateVirtualKeyRequest{KeyId: id, GracePeriod: durationpb.New(0)})))(t, "RotateVirtualKey")
			for _, old := range []string{first, second.GetSecret()} {
				_, err := auth(old)
				checkCode(t, "old secret after rotation", err, connect.CodeUnauthenticated, mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION)
			}
			// Update keeps the secret.
			upd := must(admin.UpdateVirtualKey(ctx, connect.NewRequest(&keyvaultv1.UpdateVirtualKeyRequest{
				Key: &keyvaultv1.VirtualKey{Id: id, Name: "renamed"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"name"}},
			})))(t, "UpdateVirtualKey")
			if upd.GetKey().GetName() != "renamed" || upd.GetKey().GetScopes().GetRoutes()[0] != "chat" {
				t.Errorf("updated key = %v", upd.GetKey())
			}
			_, err = admin.UpdateVirtualKey(ctx, connect.NewRequest(&keyvaultv1.UpdateVirtualKeyRequest{
				Key: &keyvaultv1.VirtualKey{Id: id}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"secret_hint"}},
			}))
			checkCode(t, "update of an output-only field", err, connect.CodeInvalidArgument, mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST)
			if _, err := auth(third.GetSecret()); err != nil {
				t.Fatalf("secret after update: %v", err)
			}
			// Revocation is final and idempotent.
			for range 2 {
				rev := must(admin.RevokeVirtualKey(ctx, connect.NewRequest(&keyvaultv1.RevokeVirtualKeyRequest{KeyId: id, Reason: "leaked"})))(t, "RevokeVirtualKey")
				if rev.GetKey().GetState() != keyvaultv1.KeyState_KEY_STATE_REVOKED {
					t.Fatalf("state = %v", rev.GetKey().GetState())
				}
			}
			_, err = auth(third.GetSecret())
			checkCode(t, "revoked key", err, connect.CodeUnauthenticated, mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION)
			listed := must(admin.ListVirtualKeys(ctx, connect.NewRequest(&keyvaultv1.ListVirtualKeysRequest{})))(t, "ListVirtualKeys")
			if len(listed.GetKeys()) != 0 {
				t.Errorf("active keys after revocation: %v", listed.GetKeys())
			}
			listed = must(admin.ListVirtualKeys(ctx, connect.NewRequest(&keyvaultv1.ListVirtualKeysRequest{States: []keyvaultv1.KeyState{keyvaultv1.KeyState_KEY_STATE_REVOKED}})))(t, "ListVirtualKeys revoked")
			if len(listed.GetKeys()) != 1 || listed.GetKeys()[0].GetRevokeReason() != "leaked" {
				t.Errorf("revoked keys: %v", listed.GetKeys())
			}
			_, err = auth("mk-" + strings.Repeat("Z", 43))
			checkCode(t, "unknown key", err, connect.CodeUnauthenticated, mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION)
			_, err = auth("mk-short-key")
			checkCode(t, "malformed key", err, connect.CodeUnauthenticated, mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION)
			// The message names every credential an admin could mean,
			// the bootstrap token included, and never echoes the secret.
			if msg := err.Error(); !strings.Contains(msg, "bootstrap admin token") || strings.Contains(msg, "short-key") {
				t.Errorf("malformed key: %q", msg)
			}

			// Expiry: a key created to expire shortly stops authenticating
			// once its time has passed (polled, no fixed sleep).
			exp := must(admin.CreateVirtualKey(ctx, connect.NewRequest(&keyvaultv1.CreateVirtualKeyRequest{
				Name: "short", Owner: &keyvaultv1.KeyOwner{User: "a"}, Scopes: &keyvaultv1.KeyScopes{},
				ExpiresAt: timestamppb.New(time.Now().Add(300 * time.Millisecond)),
			})))(t, "CreateVirtualKey expiring")
			deadline := time.Now().Add(5 * time.Second)
			for {
				_, err := auth(exp.GetSecret())
				if err != nil {
					checkCode(t, "expired key", err, connect.CodeUnauthenticated, mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION)
					if !strings.Contains(err.Error(), "expired") {
						t.Errorf("expired key error %q does not say so", err)
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("expired key still authenticates")
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

// TestCredentialVersions covers rotation with grace, replacement without,
// deletion and health reports.
func TestCredentialVersions(t *testing.T) {
	for _, d := range keyvaulttest.Drivers {
		t.Run(d.Name, func(t *testing.T) {
			v := keyvaulttest.Serve(t, d.Open(t), keyvaulttest.Config(t))
			ctx := t.Context()
			admin := client(v, keyvaulttest.AdminToken)
			internal := client(v, keyvaulttest.InternalToken)
			resolve := func(version int32) (*keyvaultv1.ResolveCredentialResponse, error) {
				res, err := internal.ResolveCredential(ctx, connect.NewRequest(&keyvaultv1.ResolveCredentialRequest{Name: "c", Version: version}))
				if err != nil {
					return nil, err
				}
				return res.Msg, nil
			}
			must(admin.PutCredential(ctx, connect.NewRequest(&keyvaultv1.PutCredentialRequest{
				Credential: &keyvaultv1.ProviderCredential{Name: "c", Provider: "openai"}, Secret: apiKeySecret("sk-version-one-000000001"),
			})))(t, "PutCredential")
			// A put with a secret replaces at once: version 1 is retired.
			put := must(admin.PutCredential(ctx, connect.NewRequest(&keyvaultv1.PutCredentialRequest{
				Credential: &keyvaultv1.ProviderCredential{Name: "c", Provider: "openai", Description: "leaked v1"}, Secret: apiKeySecret("sk-version-two-000000002"),
			})))(t, "PutCredential replace")
			if put.GetCredential().GetCurrentVersion() != 2 || put.GetCredential().GetVersions()[1].GetState() != keyvaultv1.CredentialVersionState_CREDENTIAL_VERSION_STATE_RETIRED {
				t.Fatalf("after replace: %v", put.GetCredential())
			}
			_, err := resolve(1)
			checkCode(t, "retired version", err, connect.CodeNotFound, mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND)
			// A rotation keeps the previous version for the grace period.
			rot := must(admin.RotateCredential(ctx, connect.NewRequest(&keyvaultv1.RotateCredentialRequest{
				Name: "c", Secret: apiKeySecret("sk-version-three-0000003"), GracePeriod: durationpb.New(time.Hour),
			})))(t, "RotateCredential")
			if rot.GetCredential().GetVersions()[1].GetState() != keyvaultv1.CredentialVersionState_CREDENTIAL_VERSION_STATE_GRACE {
				t.Fatalf("after rotation: %v", rot.GetCredential())
			}
			if r, err := resolve(2); err != nil || r.GetSecret().GetApiKey() != "sk-version-two-000000002" {
				t.Fatalf("version 2 in grace: %v, %v", r, err)
			}
			if r, err := resolve(0); err != nil || r.GetVersion() != 3 {
				t.Fatalf("current: %v, %v", r, err)
			}
			// Health reports.
			hr := must(internal.ReportCredentialStatus(ctx, connect.NewRequest(&keyvaultv1.ReportCredentialStatusRequest{
				Name: "c", Version: 3, ErrorClass: mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED, ReplicaId: "r1",
			})))(t, "ReportCredentialStatus")
			if hr.GetHealth().GetStatus() != keyvaultv1.CredentialHealthStatus_CREDENTIAL_HEALTH_STATUS_COOLING_DOWN || hr.GetHealth().GetCooldownUntil() == nil {
				t.Errorf("health after 429: %v", hr.GetHealth())
			}
			hr = must(internal.ReportCredentialStatus(ctx, connect.NewRequest(&keyvaultv1.ReportCredentialStatusRequest{
				Name: "c", Version: 2, ErrorClass: mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION, ReplicaId: "r1",
			})))(t, "ReportCredentialStatus stale version")
			if hr.GetHealth().GetStatus() != keyvaultv1.CredentialHealthStatus_CREDENTIAL_HEALTH_STATUS_COOLING_DOWN {
				t.Errorf("a report about an old version changed health: %v", hr.GetHealth())
			}
			// Deletion destroys every version; deleting it again finds
			// nothing, as for every other resource.
			must(admin.DeleteCredential(ctx, connect.NewRequest(&keyvaultv1.DeleteCredentialRequest{Name: "c"})))(t, "DeleteCredential")
			_, err = admin.DeleteCredential(ctx, connect.NewRequest(&keyvaultv1.DeleteCredentialRequest{Name: "c"}))
			checkCode(t, "deleting a deleted credential", err, connect.CodeNotFound, mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND)
			_, err = resolve(0)
			checkCode(t, "deleted credential", err, connect.CodeNotFound, mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND)
		})
	}
}

// TestMasterKeyRotation re-wraps the data keys with a new master key; a
// vault restarted with the new key alone still opens every secret and
// authenticates existing keys.
func TestMasterKeyRotation(t *testing.T) {
	db := keyvaulttest.OpenSQLite(t)
	oldCfg := keyvaulttest.Config(t)
	newKey := keyvaulttest.NewMasterKey(t)
	newMK, err := envelope.ParseMasterKey(newKey)
	if err != nil {
		t.Fatal(err)
	}
	cfg := oldCfg
	cfg.PreviousMasterKeys = newKey // configured, not yet wrapping
	v := keyvaulttest.Serve(t, db, cfg)
	ctx := t.Context()
	admin := client(v, keyvaulttest.AdminToken)
	must(admin.PutCredential(ctx, connect.NewRequest(&keyvaultv1.PutCredentialRequest{
		Credential: &keyvaultv1.ProviderCredential{Name: "c", Provider: "openai"}, Secret: apiKeySecret("sk-survives-master-rotation"),
	})))(t, "PutCredential")
	vk := must(admin.CreateVirtualKey(ctx, connect.NewRequest(&keyvaultv1.CreateVirtualKeyRequest{
		Name: "app", Owner: &keyvaultv1.KeyOwner{User: "a"}, Scopes: &keyvaultv1.KeyScopes{},
	})))(t, "CreateVirtualKey")
	_, err = admin.RotateMasterKey(ctx, connect.NewRequest(&keyvaultv1.RotateMasterKeyRequest{NewMasterKeyId: "local-unknown"}))
	checkCode(t, "RotateMasterKey to an unconfigured key", err, connect.CodeInvalidArgument, mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST)
	dry := must(admin.RotateMasterKey(ctx, connect.NewRequest(&keyvaultv1.RotateMasterKeyRequest{NewMasterKeyId: newMK.ID(), DryRun: true})))(t, "RotateMasterKey dry run")
	if dry.GetDataKeysRewrapped() != 2 { // the hashing key and one credential version
		t.Errorf("dry run would re-wrap %d data keys, want 2", dry.GetDataKeysRewrapped())
	}
	res := must(admin.RotateMasterKey(ctx, connect.NewRequest(&keyvaultv1.RotateMasterKeyRequest{NewMasterKeyId: newMK.ID()})))(t, "RotateMasterKey")
	if res.GetMasterKeyId() != newMK.ID() || res.GetPreviousMasterKeyId() == newMK.ID() {
		t.Errorf("RotateMasterKey = %v", res)
	}

	restarted := oldCfg
	restarted.MasterKey = newKey // the old key is gone
	v2 := keyvaulttest.Serve(t, db, restarted)
	internal := client(v2, keyvaulttest.InternalToken)
	r := must(internal.ResolveCredential(ctx, connect.NewRequest(&keyvaultv1.ResolveCredentialRequest{Name: "c"})))(t, "ResolveCredential after restart")
	if r.GetSecret().GetApiKey() != "sk-survives-master-rotation" {
		t.Errorf("secret after master key rotation = %q", r.GetSecret().GetApiKey())
	}
	must(internal.AuthenticateKey(ctx, connect.NewRequest(&keyvaultv1.AuthenticateKeyRequest{Secret: vk.GetSecret()})))(t, "AuthenticateKey after restart")
}

// TestWatchKeys checks the snapshot and the changes a router sees.
func TestWatchKeys(t *testing.T) {
	v := keyvaulttest.Serve(t, keyvaulttest.OpenSQLite(t), keyvaulttest.Config(t))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	admin := client(v, keyvaulttest.AdminToken)
	first := must(admin.CreateVirtualKey(ctx, connect.NewRequest(&keyvaultv1.CreateVirtualKeyRequest{
		Name: "a", Owner: &keyvaultv1.KeyOwner{User: "a"}, Scopes: &keyvaultv1.KeyScopes{},
	})))(t, "CreateVirtualKey")
	refused, err := admin.WatchKeys(ctx, connect.NewRequest(&keyvaultv1.WatchKeysRequest{}))
	if err == nil {
		if refused.Receive() {
			t.Fatal("an admin key opened the internal watch")
		}
		err = refused.Err()
	}
	checkCode(t, "WatchKeys as admin", err, connect.CodePermissionDenied, mcpv1.ErrorClass_ERROR_CLASS_PERMISSION_DENIED)
	stream, err := client(v, keyvaulttest.InternalToken).WatchKeys(ctx, connect.NewRequest(&keyvaultv1.WatchKeysRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	next := func() *keyvaultv1.WatchKeysResponse {
		t.Helper()
		for stream.Receive() {
			if stream.Msg().GetHeartbeat() == nil {
				return stream.Msg()
			}
		}
		t.Fatalf("watch ended: %v", stream.Err())
		return nil
	}
	snap := next().GetSnapshot()
	if !snap.GetComplete() || len(snap.GetVirtualKeys()) != 1 || snap.GetVirtualKeys()[0].GetId() != first.GetKey().GetId() {
		t.Fatalf("snapshot = %v", snap)
	}
	must(admin.RevokeVirtualKey(ctx, connect.NewRequest(&keyvaultv1.RevokeVirtualKeyRequest{KeyId: first.GetKey().GetId()})))(t, "RevokeVirtualKey")
	if got := next().GetChange().GetVirtualKeyRevoked(); got != first.GetKey().GetId() {
		t.Fatalf("change after revoke = %v", got)
	}
	must(admin.PutCredential(ctx, connect.NewRequest(&keyvaultv1.PutCredentialRequest{
		Credential: &keyvaultv1.ProviderCredential{Name: "c", Provider: "openai"}, Secret: apiKeySecret("sk-watch-never-sends-this"),
	})))(t, "PutCredential")
	msg := next()
	if msg.GetChange().GetCredentialUpserted().GetName() != "c" {
		t.Fatalf("change after put = %v", msg)
	}
	if strings.Contains(msg.String(), "sk-watch-never-sends-this") {
		t.Error("the watch carried a credential's secret")
	}
	b, _ := proto.Marshal(msg)
	if strings.Contains(string(b), "sk-watch-never-sends-this") {
		t.Error("the watch carried a credential's secret")
	}
}
