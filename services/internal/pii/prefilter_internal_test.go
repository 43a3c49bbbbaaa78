package pii

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// The prefilter must never hide a secret the detectors would find: the
// shortest secrets pass it, and on random text it only ever says "no" where
// the detectors find nothing.
func TestSecretPrefilter(t *testing.T) {
	shortest := []string{
		"sk-" + strings.Repeat("a", 16),
		"mk-" + strings.Repeat("Z", 16),
		"AKIA" + strings.Repeat("7", 16),
		"ghp_" + strings.Repeat("x", 16),
		"xoxb-" + strings.Repeat("Q", 16),
		"aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF",
	}
	for _, s := range shortest {
		text := "the key is " + s + ", keep it"
		if !mayHoldSecret(text) {
			t.Errorf("prefilter passes over %q", s)
		}
		if got := MaskSecrets(text); got != "the key is [SECRET], keep it" {
			t.Errorf("MaskSecrets(%q) = %q", text, got)
		}
	}
	for _, text := range []string{
		"Hello! How can I help you today with your account?",
		`{"id":"call_0123456789abcdef0123456789abcdef","model":"gpt-4o-mini-2024-07-18"}`,
		"see https://example.com/docs/getting-started/configuration-reference-guide",
		"digest E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
	} {
		if mayHoldSecret(text) {
			t.Errorf("prefilter flags %q, which holds no secret", text)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	check := func(alphabet string, maxLen int) {
		t.Helper()
		for range 20000 {
			b := make([]byte, r.IntN(maxLen))
			for i := range b {
				b[i] = alphabet[r.IntN(len(alphabet))]
			}
			text := string(b)
			if !mayHoldSecret(text) && mask(text, detectors[:secretDetectors]) != text {
				t.Fatalf("prefilter says no secret in %q, the detectors mask it", text)
			}
		}
	}
	check("ab-_+/=Z9 .,sk-AKIAghp_xoxb", 60)
	// Long runs without separators: the high-entropy detector's ground.
	check("abcdefABCDEF0123456789_-+/=", 80)
	check("abcdef0123456789_", 80)
}
