package router

import "testing"

func TestGlob(t *testing.T) {
	for _, tc := range []struct {
		pattern, name string
		want          bool
	}{
		{"*", "openai/gpt-4o", true},
		{"chat", "chat", true},
		{"chat", "chat-2", false},
		{"chat-*", "chat-fast", true},
		{"chat-*", "chat", false},
		{"*-mini", "gpt-4o-mini", true},
		{"gpt-*-mini", "gpt-4o-mini", true},
		{"gpt-*-mini", "gpt-4o", false},
		{"a*b*c", "abc", true},
		{"a*b*c", "acb", false},
		{"\x00", "anything", false},
	} {
		if got := glob(tc.pattern, tc.name); got != tc.want {
			t.Errorf("glob(%q, %q) = %v, want %v", tc.pattern, tc.name, got, tc.want)
		}
	}
}
