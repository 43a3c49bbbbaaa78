// Package keyvault is the key vault: provider credentials (envelope-encrypted
// and versioned), virtual keys and admin keys (stored only as keyed hashes),
// the principals they authenticate as, and a watch stream that keeps router
// caches current.
package keyvault

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"connectrpc.com/connect"

	"github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1/keyvaultv1connect"
	"github.com/manifoldgw/manifold/services/internal/access"
	"github.com/manifoldgw/manifold/services/internal/storage"
	"github.com/manifoldgw/manifold/services/keyvault/envelope"
	"github.com/manifoldgw/manifold/services/keyvault/store"
)

// Service implements KeyVaultService.
type Service struct {
	keyvaultv1connect.UnimplementedKeyVaultServiceHandler

	cfg     Config
	logger  *slog.Logger
	store   *store.Store
	keyring *envelope.Keyring
	now     func() time.Time
	wake    notifier
	// hashKey is the HMAC key for key secrets, unwrapped once at start.
	hashKey []byte
	// failures slows down clients whose authentications fail.
	failures access.Throttle
	// mu serialises the vault's writes in this process (the store's
	// compare-and-swap covers other processes).
	mu sync.Mutex
}

// metaKey is the one record of NSMeta.
const metaKey = "vault"

// New opens the vault on db, whose documents must be migrated: it loads the
// master keys, and creates the hashing key on first start.
func New(ctx context.Context, cfg Config, db *storage.DB, logger *slog.Logger) (*Service, error) {
	keyring, err := cfg.keyring()
	if err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, logger: logger, store: store.New(db), keyring: keyring, now: time.Now}
	s.wake.ch = make(chan struct{})
	if err := s.loadMeta(ctx); err != nil {
		return nil, err
	}
	if cfg.AuthRequired && cfg.AdminToken == "" {
		logger.WarnContext(ctx, "keys are required and no bootstrap admin token is configured: set MANIFOLD_ADMIN_TOKEN to create the first keys, unless admin keys exist already")
	}
	return s, nil
}

// loadMeta reads (or on first start creates) the hashing key.
func (s *Service) loadMeta(ctx context.Context) error {
	var meta store.Meta
	_, err := s.store.Get(ctx, store.NSMeta, metaKey, &meta)
	if errors.Is(err, store.ErrNotFound) {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return fmt.Errorf("generate hashing key: %w", err)
		}
		sealed, err := s.keyring.Seal(key, []byte("hash_key"))
		if err != nil {
			return err
		}
		meta = store.Meta{HashKey: sealed}
		err = s.store.Put(ctx, store.NSMeta, metaKey, meta, storage.ExpectAbsent)
		if errors.Is(err, store.ErrConflict) { // another replica won the race
			_, err = s.store.Get(ctx, store.NSMeta, metaKey, &meta)
		}
		if err != nil {
			return fmt.Errorf("store hashing key: %w", err)
		}
	} else if err != nil {
		return fmt.Errorf("read key vault state: %w", err)
	}
	if s.keyring.Has(meta.HashKey.MasterKeyID) && meta.HashKey.MasterKeyID != s.keyring.Primary() {
		// A master key rotation happened: keep wrapping with the key the
		// data keys are wrapped with now.
		if err := s.keyring.SetPrimary(meta.HashKey.MasterKeyID); err != nil {
			return err
		}
	}
	key, err := s.keyring.Open(meta.HashKey, []byte("hash_key"))
	if err != nil {
		return fmt.Errorf("unwrap hashing key (is the right master key configured?): %w", err)
	}
	s.hashKey = key
	return nil
}

// hash is the keyed hash under which a key secret is stored.
func (s *Service) hash(secret string) []byte {
	m := hmac.New(sha256.New, s.hashKey)
	m.Write([]byte(secret))
	return m.Sum(nil)
}

// notifier wakes every waiter when a write commits in this process.
type notifier struct {
	mu sync.Mutex
	ch chan struct{}
}

func (n *notifier) wait() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.ch
}

func (n *notifier) notify() {
	n.mu.Lock()
	defer n.mu.Unlock()
	close(n.ch)
	n.ch = make(chan struct{})
}

// Handler returns the Connect handler and its path, with the vault's access
// checks ahead of opts' interceptors (so unauthenticated callers learn
// nothing, not even whether their request is valid).
func (s *Service) Handler(opts ...connect.HandlerOption) (string, http.Handler) {
	opts = append([]connect.HandlerOption{connect.WithInterceptors(s.Interceptor())}, opts...)
	return keyvaultv1connect.NewKeyVaultServiceHandler(s, opts...)
}
