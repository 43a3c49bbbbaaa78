package cli

import (
	"testing"
	"time"
)

func TestFormatLatency(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                          "0s",
		412345 * time.Nanosecond:   "412µs",
		999999 * time.Nanosecond:   "1ms",
		267400 * time.Microsecond:  "267ms",
		1234567 * time.Microsecond: "1.235s",
	} {
		if got := formatLatency(d); got != want {
			t.Errorf("formatLatency(%v) = %q, want %q", d, got, want)
		}
	}
}
