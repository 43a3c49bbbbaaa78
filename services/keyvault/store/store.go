// Package store keeps the key vault's records in the shared document store,
// whose change feed drives WatchKeys: every write is a change with a gapless
// sequence number, seen by every key vault replica sharing the database.
//
// Records hold no plaintext secret: credentials are sealed (envelope), keys
// are kept as keyed hashes.
package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/manifoldgw/manifold/services/internal/storage"
	"github.com/manifoldgw/manifold/services/keyvault/envelope"
)

// Namespaces of the key vault's documents. All start with "keyvault.".
const (
	NSCredentials = "keyvault.credentials"
	NSVirtualKeys = "keyvault.virtual_keys"
	NSAdminKeys   = "keyvault.admin_keys"
	// NSKeyHashes indexes virtual and admin keys by the hex keyed hash of
	// each valid secret, to the key's kind and id.
	NSKeyHashes = "keyvault.key_hashes"
	// NSMeta holds the hashing key and the active master key id.
	NSMeta = "keyvault.meta"
)

// Prefix is what every key vault namespace starts with.
const Prefix = "keyvault."

// ErrNotFound and ErrConflict are the storage errors callers test for.
var (
	ErrNotFound = storage.ErrNotFound
	ErrConflict = storage.ErrConflict
)

// CredentialVersion is one version of a credential's secret.
type CredentialVersion struct {
	Version    int32            `json:"version"`
	Masked     string           `json:"masked"`
	CreatedAt  time.Time        `json:"created_at"`
	CreatedBy  string           `json:"created_by"`
	ValidUntil time.Time        `json:"valid_until,omitzero"`
	Retired    bool             `json:"retired,omitempty"`
	Secret     *envelope.Sealed `json:"secret,omitempty"` // nil once retired: destroyed
}

// Health is the shared health of a credential.
type Health struct {
	Status        int32     `json:"status,omitempty"`
	CooldownUntil time.Time `json:"cooldown_until,omitzero"`
	ErrorClass    int32     `json:"error_class,omitempty"`
	Message       string    `json:"message,omitempty"`
	ReportedAt    time.Time `json:"reported_at,omitzero"`
	ReportedBy    string    `json:"reported_by,omitempty"`
}

// Credential is a provider credential and its versions, newest first.
type Credential struct {
	Name           string              `json:"name"`
	Provider       string              `json:"provider"`
	Weight         uint32              `json:"weight"`
	Disabled       bool                `json:"disabled,omitempty"`
	Description    string              `json:"description,omitempty"`
	CurrentVersion int32               `json:"current_version"`
	Versions       []CredentialVersion `json:"versions"`
	Health         Health              `json:"health"`
	CreatedAt      time.Time           `json:"created_at"`
	UpdatedAt      time.Time           `json:"updated_at"`
	UpdatedBy      string              `json:"updated_by,omitempty"`
}

// SecretHash is one valid secret of a key: its keyed hash.
type SecretHash struct {
	Version   int32     `json:"version"`
	Hash      []byte    `json:"hash"`
	ExpiresAt time.Time `json:"expires_at,omitzero"` // end of a rotation's grace
}

// VirtualKey is a virtual key's settings (the protobuf message as JSON, which
// holds no secret) and the hashes of its valid secrets.
type VirtualKey struct {
	Key    json.RawMessage `json:"key"`
	Hashes []SecretHash    `json:"hashes"`
}

// AdminKey is an admin key (protobuf JSON) and the hash of its secret.
type AdminKey struct {
	Key  json.RawMessage `json:"key"`
	Hash []byte          `json:"hash"`
}

// HashEntry points a keyed hash at its key.
type HashEntry struct {
	Kind string `json:"kind"` // "virtual" or "admin"
	ID   string `json:"id"`
}

// Meta is the vault's own state.
type Meta struct {
	// HashKey is the HMAC key for key secrets, sealed like any secret: a
	// master key rotation re-wraps it, so existing keys keep working.
	HashKey envelope.Sealed `json:"hash_key"`
}

// Store reads and writes key vault records.
type Store struct {
	db   *storage.DB
	docs *storage.Documents
}

// New returns the store on db, whose documents must be migrated.
func New(db *storage.DB) *Store { return &Store{db: db, docs: db.Documents()} }

// Tx runs fn with a store whose writes commit together.
func (s *Store) Tx(ctx context.Context, fn func(tx *Store) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(&Store{db: s.db, docs: s.docs.WithTx(tx)}); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Get reads one record into v and returns its version.
func (s *Store) Get(ctx context.Context, ns, key string, v any) (int64, error) {
	d, err := s.docs.Get(ctx, ns, key)
	if err != nil {
		return 0, err
	}
	if err := json.Unmarshal(d.Value, v); err != nil {
		return 0, fmt.Errorf("decode %s/%s: %w", ns, key, err)
	}
	return d.Version, nil
}

// Put writes v at ns/key; expect as in storage.Documents.Put.
func (s *Store) Put(ctx context.Context, ns, key string, v any, expect int64) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s/%s: %w", ns, key, err)
	}
	_, err = s.docs.Put(ctx, ns, key, b, expect)
	return err
}

// Delete removes ns/key; absent keys are fine.
func (s *Store) Delete(ctx context.Context, ns, key string) error {
	err := s.docs.Delete(ctx, ns, key, storage.ExpectAny)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	return err
}

// List returns every record of ns, by key, decoded by decode.
func (s *Store) List(ctx context.Context, ns string, decode func(key string, value []byte) error) error {
	docs, err := s.docs.List(ctx, ns)
	if err != nil {
		return err
	}
	for _, d := range docs {
		if err := decode(d.Key, d.Value); err != nil {
			return fmt.Errorf("decode %s/%s: %w", ns, d.Key, err)
		}
	}
	return nil
}

// Change is one key vault change of the feed.
type Change = storage.Change

// Changes returns the key vault's changes after seq (at most limit read from
// the feed), and the last seq read, which may be past the last change
// returned when other components wrote in between.
func (s *Store) Changes(ctx context.Context, after int64, limit int) ([]Change, int64, error) {
	all, err := s.docs.Changes(ctx, after, limit)
	if err != nil {
		return nil, after, err
	}
	last := after
	var out []Change
	for _, c := range all {
		last = c.Seq
		if strings.HasPrefix(c.Namespace, Prefix) {
			out = append(out, c)
		}
	}
	return out, last, nil
}

// Revision is the newest seq of the change feed.
func (s *Store) Revision(ctx context.Context) (int64, error) {
	seq := int64(0)
	for {
		cs, err := s.docs.Changes(ctx, seq, 1000)
		if err != nil {
			return 0, err
		}
		if len(cs) == 0 {
			return seq, nil
		}
		seq = cs[len(cs)-1].Seq
	}
}
