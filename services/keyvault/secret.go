package keyvault

import (
	"crypto/rand"
	"fmt"
	"strconv"
	"strings"
)

// Key secrets are a prefix and 43 base62 characters (256 bits of entropy
// from crypto/rand).
const (
	virtualKeyPrefix = "mk-"
	adminKeyPrefix   = "mka-"
	secretLength     = 43
	hintLength       = 4 // characters of the random part shown in hints
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// newSecret returns prefix and secretLength random base62 characters.
func newSecret(prefix string) (string, error) {
	out := make([]byte, 0, secretLength)
	buf := make([]byte, 64)
	for len(out) < secretLength {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("generate key: %w", err)
		}
		for _, b := range buf {
			// Rejection sampling keeps every character equally likely.
			if b < 248 && len(out) < secretLength {
				out = append(out, base62[b%62])
			}
		}
	}
	return prefix + string(out), nil
}

// wellFormed reports whether s has the shape of a key secret with prefix.
func wellFormed(s, prefix string) bool {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok || len(rest) != secretLength {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if !strings.ContainsRune(base62, rune(rest[i])) {
			return false
		}
	}
	return true
}

// hint is the start of a secret, to recognise it: "mk-4fQz".
func hint(secret, prefix string) string {
	return secret[:len(prefix)+hintLength]
}

// newID returns a public id such as "vk_…".
func newID(prefix string) string {
	return prefix + strings.ToLower(rand.Text())
}

// pageToken is an offset into a sorted listing.
func pageToken(offset, size, total int) string {
	if offset+size >= total {
		return ""
	}
	return strconv.Itoa(offset + size)
}

func parsePageToken(tok string) (int, bool) {
	if tok == "" {
		return 0, true
	}
	n, err := strconv.Atoi(tok)
	return n, err == nil && n >= 0
}

func pageSize(n int32) int {
	if n <= 0 {
		return 100
	}
	return int(n)
}
