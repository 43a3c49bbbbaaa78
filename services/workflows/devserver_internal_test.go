package workflows

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"
)

// TestLineLog: the Temporal dev server's text log lines become records of
// the gateway's JSON log, one per line, at the level they name, however the
// writes split them.
func TestLineLog(t *testing.T) {
	var out bytes.Buffer
	w := &lineLog{logger: slog.New(slog.NewJSONHandler(&out, nil))}
	for _, chunk := range []string{`time=2026-12-04T22:00:00Z level=ERROR msg="Persistent store`, ` operation failure" error="locked"` + "\n\ntime=2026", "-12-04T22:00:01Z level=WARN msg=slow\n"} {
		if n, err := w.Write([]byte(chunk)); n != len(chunk) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	var got []map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(out.Bytes()), []byte("\n")) {
		var rec map[string]any
		if err := json.Unmarshal(line, &rec); err != nil {
			t.Fatalf("not a JSON record: %q", line)
		}
		got = append(got, rec)
	}
	if len(got) != 2 || got[0]["level"] != "ERROR" || got[1]["level"] != "WARN" ||
		got[0]["line"] != `time=2026-12-04T22:00:00Z level=ERROR msg="Persistent store operation failure" error="locked"` {
		t.Fatalf("records %v", got)
	}
}
