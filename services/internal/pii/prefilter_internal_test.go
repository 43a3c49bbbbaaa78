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
	if mayHoldSecret("Hello! How can I help you today with your account?") {
		t.Error("prefilter flags ordinary prose")
	}
	alphabet := "ab-_+/=Z9 .,sk-AKIAghp_xoxb"
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := make([]byte, r.IntN(60))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		text := string(b)
		if !mayHoldSecret(text) && mask(text, detectors[:secretDetectors]) != text {
			t.Fatalf("prefilter says no secret in %q, the detectors mask it", text)
		}
	}
}
