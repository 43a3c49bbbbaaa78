// Package envelope seals secrets with envelope encryption: each secret is
// encrypted under its own random data key (AES-256-GCM), and the data key is
// stored wrapped (AES-256-GCM) by a master key. Rotating the master key
// re-wraps data keys and never touches the sealed secrets.
package envelope

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// KeySize is the size of master and data keys: AES-256.
const KeySize = 32

// MasterKey is a key-encryption key. Its material never leaves memory; only
// its id is stored beside the data keys it wraps.
type MasterKey struct {
	id  string
	key []byte
}

// NewMasterKey returns the master key for 32 bytes of material. Its id is
// derived from the material ("local-" and 16 hex digits of its SHA-256), so
// every replica configured with the same key agrees on the id.
func NewMasterKey(material []byte) (*MasterKey, error) {
	if len(material) != KeySize {
		return nil, fmt.Errorf("master key is %d bytes, want %d", len(material), KeySize)
	}
	sum := sha256.Sum256(append([]byte("manifold master key id\x00"), material...))
	return &MasterKey{id: "local-" + hex.EncodeToString(sum[:8]), key: append([]byte(nil), material...)}, nil
}

// ParseMasterKey decodes base64 (standard or URL alphabet, padded or not)
// text holding 32 bytes.
func ParseMasterKey(text string) (*MasterKey, error) {
	text = strings.TrimSpace(text)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(text); err == nil {
			return NewMasterKey(b)
		}
	}
	return nil, errors.New("master key is not base64")
}

// GenerateMasterKey returns a new random master key and its base64 text.
func GenerateMasterKey() (*MasterKey, string, error) {
	b := make([]byte, KeySize)
	if _, err := rand.Read(b); err != nil {
		return nil, "", fmt.Errorf("generate master key: %w", err)
	}
	k, err := NewMasterKey(b)
	return k, base64.StdEncoding.EncodeToString(b), err
}

// ID names the key without revealing it.
func (k *MasterKey) ID() string { return k.id }

// String never prints the material.
func (k *MasterKey) String() string { return "master key " + k.id }

// Keyring holds the configured master keys by id and the one that wraps new
// data keys.
type Keyring struct {
	keys    map[string]*MasterKey
	mu      sync.RWMutex // guards primary
	primary string
}

// NewKeyring returns a keyring whose primary key is the first.
func NewKeyring(primary *MasterKey, others ...*MasterKey) *Keyring {
	r := &Keyring{keys: map[string]*MasterKey{primary.id: primary}, primary: primary.id}
	for _, k := range others {
		r.keys[k.id] = k
	}
	return r
}

// Primary is the id of the key that wraps new data keys.
func (r *Keyring) Primary() string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.primary
}

// Has reports whether id is configured.
func (r *Keyring) Has(id string) bool { _, ok := r.keys[id]; return ok }

// SetPrimary makes id, which must be configured, the wrapping key.
func (r *Keyring) SetPrimary(id string) error {
	if !r.Has(id) {
		return fmt.Errorf("master key %q is not configured", id)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.primary = id
	return nil
}

// Sealed is a secret at rest: the ciphertext, the data key wrapped by a
// master key, and that master key's id. It holds no plaintext.
type Sealed struct {
	MasterKeyID string `json:"mk"`
	WrappedKey  []byte `json:"dk"`
	Ciphertext  []byte `json:"ct"`
}

// Seal encrypts plaintext under a new data key wrapped by the primary
// master key. aad binds the ciphertext to its owner (e.g. "credential/x/3"),
// so a sealed value copied to another record does not open.
func (r *Keyring) Seal(plaintext, aad []byte) (Sealed, error) {
	dk := make([]byte, KeySize)
	if _, err := rand.Read(dk); err != nil {
		return Sealed{}, fmt.Errorf("generate data key: %w", err)
	}
	ct, err := gcmSeal(dk, plaintext, aad)
	if err != nil {
		return Sealed{}, err
	}
	mk := r.keys[r.Primary()]
	wrapped, err := gcmSeal(mk.key, dk, wrapAAD(aad))
	clear(dk)
	if err != nil {
		return Sealed{}, err
	}
	return Sealed{MasterKeyID: mk.id, WrappedKey: wrapped, Ciphertext: ct}, nil
}

// Open decrypts a sealed value.
func (r *Keyring) Open(s Sealed, aad []byte) ([]byte, error) {
	dk, err := r.unwrap(s, aad)
	if err != nil {
		return nil, err
	}
	defer clear(dk)
	pt, err := gcmOpen(dk, s.Ciphertext, aad)
	if err != nil {
		return nil, fmt.Errorf("open secret: %w", err)
	}
	return pt, nil
}

// Rewrap returns s with its data key wrapped by master key id; the
// ciphertext is unchanged.
func (r *Keyring) Rewrap(s Sealed, aad []byte, id string) (Sealed, error) {
	mk, ok := r.keys[id]
	if !ok {
		return Sealed{}, fmt.Errorf("master key %q is not configured", id)
	}
	dk, err := r.unwrap(s, aad)
	if err != nil {
		return Sealed{}, err
	}
	defer clear(dk)
	wrapped, err := gcmSeal(mk.key, dk, wrapAAD(aad))
	if err != nil {
		return Sealed{}, err
	}
	return Sealed{MasterKeyID: id, WrappedKey: wrapped, Ciphertext: s.Ciphertext}, nil
}

// Check wraps and unwraps a probe with master key id.
func (r *Keyring) Check(id string) error {
	mk, ok := r.keys[id]
	if !ok {
		return fmt.Errorf("master key %q is not configured", id)
	}
	probe := []byte("manifold master key probe")
	ct, err := gcmSeal(mk.key, probe, nil)
	if err != nil {
		return err
	}
	_, err = gcmOpen(mk.key, ct, nil)
	return err
}

func (r *Keyring) unwrap(s Sealed, aad []byte) ([]byte, error) {
	mk, ok := r.keys[s.MasterKeyID]
	if !ok {
		return nil, fmt.Errorf("master key %q is not configured", s.MasterKeyID)
	}
	dk, err := gcmOpen(mk.key, s.WrappedKey, wrapAAD(aad))
	if err != nil {
		return nil, fmt.Errorf("unwrap data key with %s: %w", mk.id, err)
	}
	return dk, nil
}

func wrapAAD(aad []byte) []byte { return append([]byte("manifold data key\x00"), aad...) }

func gcmSeal(key, plaintext, aad []byte) ([]byte, error) {
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("generate nonce: %w", err)
	}
	return aead.Seal(nonce, nonce, plaintext, aad), nil
}

func gcmOpen(key, sealed, aad []byte) ([]byte, error) {
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	if len(sealed) < aead.NonceSize() {
		return nil, errors.New("sealed value too short")
	}
	return aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], aad)
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
