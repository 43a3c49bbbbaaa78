package workflows

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// sealer encrypts the virtual key a run's model calls are made with, so
// that the secret never appears in clear in Temporal's history. Its key is
// a random 32 bytes kept in a file under the data directory (mode 0600),
// created on first use; every process sharing the Temporal namespace must
// use the same file.
type sealer struct{ aead cipher.AEAD }

func openSealer(path string) (*sealer, error) {
	key, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key = make([]byte, 32)
		_, _ = rand.Read(key)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("run key file: %w", err)
		}
		if err := os.WriteFile(path, key, 0o600); err != nil {
			return nil, fmt.Errorf("run key file: %w", err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("run key file: %w", err)
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("run key file %s: want 32 bytes, found %d", path, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead}, nil
}

// seal returns the secret encrypted and base64-encoded; "" stays "".
func (s *sealer) seal(secret string) string {
	if secret == "" {
		return ""
	}
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce)
	return base64.RawStdEncoding.EncodeToString(s.aead.Seal(nonce, nonce, []byte(secret), nil))
}

// open reverses seal.
func (s *sealer) open(sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	b, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil || len(b) < s.aead.NonceSize() {
		return "", errors.New("the run's key cannot be decoded")
	}
	plain, err := s.aead.Open(nil, b[:s.aead.NonceSize()], b[s.aead.NonceSize():], nil)
	if err != nil {
		return "", errors.New("the run's key cannot be decrypted (was the run key file replaced?)")
	}
	return string(plain), nil
}
