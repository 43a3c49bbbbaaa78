// Package pii finds personal data and secrets in text and replaces them with
// typed placeholders such as "[EMAIL]". The call log uses it for routes with
// the PII-masked redaction policy, and the router uses it as a per-route
// guardrail that masks a request before it reaches the provider.
//
// Detection is pattern-based with checksums where the format has one (Luhn
// for payment cards, mod-97 for IBANs), so that ordinary numbers are left
// alone; it favours masking too much over leaking.
package pii

import (
	"math"
	"math/big"
	"regexp"
	"strings"
)

// Placeholders, one per kind of data.
const (
	Email      = "[EMAIL]"
	Phone      = "[PHONE]"
	Card       = "[CARD]"
	IBAN       = "[IBAN]"
	SSN        = "[SSN]"
	NationalID = "[NATIONAL_ID]"
	Secret     = "[SECRET]"
)

// detector replaces the matches of re that valid accepts with placeholder.
// prefix, when set instead, returns how long a prefix of the match to
// replace (0 for none), for patterns that may run into the next word.
type detector struct {
	re          *regexp.Regexp
	valid       func(match string) bool
	prefix      func(match string) int
	placeholder string
}

// detectors run in order: secrets and structured identifiers first, so that
// the looser phone pattern never claims a card or an account number.
var detectors = []detector{
	{re: regexp.MustCompile(`\b(?:sk|mk)-[A-Za-z0-9_-]{16,}`), placeholder: Secret},
	{re: regexp.MustCompile(`\b(?:AKIA|ASIA)[0-9A-Z]{16}\b`), placeholder: Secret},
	{re: regexp.MustCompile(`\b(?:ghp|gho|ghs|xox[abp])[_-][A-Za-z0-9_-]{16,}`), placeholder: Secret},
	{re: regexp.MustCompile(`[A-Za-z0-9_+/=-]{32,}`), valid: highEntropy, placeholder: Secret},
	{re: regexp.MustCompile(`(?i)\b[a-z0-9][a-z0-9._%+-]*@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,}\b`), placeholder: Email},
	{re: regexp.MustCompile(`\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b`), prefix: ibanPrefix, placeholder: IBAN},
	{re: regexp.MustCompile(`\b\d(?:[ -]?\d){12,18}\b`), valid: luhn, placeholder: Card},
	{re: regexp.MustCompile(`\b\d{3}-\d{2}-\d{4}\b`), valid: validSSN, placeholder: SSN},
	{re: regexp.MustCompile(`\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b`), valid: validNINO, placeholder: NationalID},
	{re: regexp.MustCompile(`(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]?\d{2,5}){1,5}`), valid: phoneDigits, placeholder: Phone},
}

// secretDetectors is how many of detectors, from the start, find secrets.
const secretDetectors = 4

// Mask returns text with every detected item replaced by its placeholder.
func Mask(text string) string { return mask(text, detectors) }

// MaskSecrets returns text with only the secrets (strings that look like API
// keys or tokens) replaced: what the call log applies even to routes that
// keep bodies in full.
func MaskSecrets(text string) string {
	if !mayHoldSecret(text) {
		return text
	}
	return mask(text, detectors[:secretDetectors])
}

// minSecretRun is the shortest run of token characters any secret detector
// matches: "sk-" or "mk-" and 16 more.
const minSecretRun = 19

// minEntropyRun is the shortest run the high-entropy detector matches.
const minEntropyRun = 32

// secretMarkers are the fixed parts of the prefixed secret formats; a run
// of token characters holding none of them can only be caught by the
// high-entropy detector.
var secretMarkers = []string{"sk-", "mk-", "AKIA", "ASIA", "gh", "xox"}

// MayHoldSecret reports whether MaskSecrets could change text. A false
// answer is certain; a true one means "look closer". It also holds for the
// JSON form of a message: JSON escaping never splits a run of token
// characters, so a JSON text it passes has no free text MaskSecrets would
// change.
func MayHoldSecret(text string) bool { return mayHoldSecret(text) }

// mayHoldSecret reports whether some run of token characters
// ([A-Za-z0-9_+/=-]) in text could be matched by a secret detector: a run
// of at least minSecretRun holding one of the secretMarkers, or a run of at
// least minEntropyRun mixing upper case, lower case and digits (which
// highEntropy requires). One pass over the bytes instead of four regular
// expressions, for the prose and hex identifiers most bodies are. It may
// say yes where the detectors find nothing, never the reverse.
func mayHoldSecret(text string) bool {
	start := 0
	var upper, lower, digit bool
	for i := 0; i <= len(text); i++ {
		if i < len(text) {
			switch c := text[i]; {
			case c >= 'a' && c <= 'z':
				lower = true
				continue
			case c >= 'A' && c <= 'Z':
				upper = true
				continue
			case c >= '0' && c <= '9':
				digit = true
				continue
			case c == '_' || c == '-' || c == '+' || c == '/' || c == '=':
				continue
			}
		}
		if n := i - start; n >= minSecretRun {
			if n >= minEntropyRun && upper && lower && digit {
				return true
			}
			run := text[start:i]
			for _, m := range secretMarkers {
				if strings.Contains(run, m) {
					return true
				}
			}
		}
		start, upper, lower, digit = i+1, false, false, false
	}
	return false
}

func mask(text string, detectors []detector) string {
	if text == "" {
		return text
	}
	for _, d := range detectors {
		locs := d.re.FindAllStringIndex(text, -1)
		if locs == nil {
			continue
		}
		var b strings.Builder
		last := 0
		for _, loc := range locs {
			start, end := loc[0], loc[1]
			m := text[start:end]
			switch {
			case d.prefix != nil:
				end = start + d.prefix(m)
			case joined(text, start, end) || (d.valid != nil && !d.valid(m)):
				end = start
			}
			if end == start {
				continue
			}
			b.WriteString(text[last:start])
			b.WriteString(d.placeholder)
			last = end
		}
		b.WriteString(text[last:])
		text = b.String()
	}
	return text
}

// joined reports whether text[start:end] is glued to a neighbouring word
// or identifier by a letter, digit, '-' or '_' (part of a UUID, a path, a
// longer code), which makes it something other than what it looks like.
func joined(text string, start, end int) bool {
	glue := func(c byte) bool {
		return c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
	}
	return (start > 0 && glue(text[start-1])) || (end < len(text) && glue(text[end]))
}

// digits returns the ASCII digits of s.
func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// luhn accepts 13 to 19 digits passing the Luhn check.
func luhn(s string) bool {
	d := digits(s)
	if len(d) < 13 || len(d) > 19 {
		return false
	}
	sum := 0
	for i := len(d) - 1; i >= 0; i-- {
		n := int(d[i] - '0')
		if (len(d)-1-i)%2 == 1 {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
	}
	return sum%10 == 0
}

// ibanLengths is the IBAN length of some countries; others must be 15 to 34.
var ibanLengths = map[string]int{
	"DE": 22, "GB": 22, "FR": 27, "ES": 24, "IT": 27, "NL": 18, "BE": 16, "CH": 21,
	"AT": 20, "IE": 22, "PT": 25, "PL": 28, "SE": 24, "DK": 18, "NO": 15, "FI": 18,
	"LU": 20, "GR": 27, "CZ": 24, "HU": 28, "RO": 24,
}

// ibanPrefix returns the length of the longest prefix of m that is a valid
// IBAN, or 0: the pattern may have run into a following word in capitals.
func ibanPrefix(m string) int {
	for n := len(m); n >= 15; n-- {
		if m[n-1] == ' ' {
			continue
		}
		if validIBAN(m[:n]) {
			return n
		}
	}
	return 0
}

// validIBAN accepts an IBAN whose mod-97 check is 1.
func validIBAN(s string) bool {
	s = strings.ReplaceAll(s, " ", "")
	if n, ok := ibanLengths[s[:2]]; (ok && len(s) != n) || len(s) < 15 || len(s) > 34 {
		return false
	}
	rearranged := s[4:] + s[:4]
	var b strings.Builder
	for _, r := range rearranged {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			b.WriteString(big.NewInt(int64(r - 'A' + 10)).String())
		default:
			return false
		}
	}
	n, ok := new(big.Int).SetString(b.String(), 10)
	return ok && new(big.Int).Mod(n, big.NewInt(97)).Int64() == 1
}

// validSSN rejects the US SSN ranges never issued.
func validSSN(s string) bool {
	area, group, serial := s[:3], s[4:6], s[7:]
	return area != "000" && area != "666" && area[0] != '9' && group != "00" && serial != "0000"
}

// validNINO rejects the UK National Insurance prefixes never issued.
func validNINO(s string) bool {
	switch strings.ToUpper(s[:2]) {
	case "BG", "GB", "NK", "KN", "TN", "NT", "ZZ":
		return false
	}
	return true
}

// phoneDigits accepts 10 to 15 digits (E.164 allows up to 15), so that
// years, prices and short counts are left alone.
func phoneDigits(s string) bool {
	n := len(digits(s))
	return n >= 10 && n <= 15
}

// highEntropy accepts long tokens that mix upper case, lower case and
// digits with the entropy of random data: API keys, bearer tokens. Hex
// digests and UUIDs, single-case, are left alone.
func highEntropy(s string) bool {
	var upper, lower, digit bool
	counts := map[rune]int{}
	for _, r := range s {
		switch {
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= '0' && r <= '9':
			digit = true
		}
		counts[r]++
	}
	if !upper || !lower || !digit {
		return false
	}
	var h float64
	n := float64(len(s))
	for _, c := range counts {
		p := float64(c) / n
		h -= p * math.Log2(p)
	}
	return h >= 4.0
}
