package workflows_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/manifoldgw/manifold/services/workflows"
)

// TestDevServerStartedAgain: a dev server that exits while starting (as it
// sometimes does on a busy machine, "database is locked" while creating its
// namespaces) is started again, and the second one serves.
func TestDevServerStartedAgain(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "failed-once")
	// The first start fails the way the dev server does; later ones are
	// the real server.
	script := filepath.Join(dir, "temporal")
	body := fmt.Sprintf("#!/bin/sh\nif [ ! -e %q ]; then touch %q; echo 'level=ERROR msg=\"failed starting server: database is locked (5) (SQLITE_BUSY)\"' >&2; exit 1; fi\nexec %q \"$@\"\n",
		marker, marker, temporalBinary(t))
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	dev, err := workflows.StartDevServer(ctx, script, filepath.Join(dir, "temporal.db"), "default", slog.New(slog.NewJSONHandler(&log, nil)))
	if err != nil {
		cancel()
		t.Fatalf("StartDevServer: %v\n%s", err, &log)
	}
	defer func() { cancel(); <-dev.Done() }()
	if _, err := os.Stat(marker); err != nil {
		t.Fatal("the first start did not fail: the test proves nothing")
	}
	c, err := net.Dial("tcp", dev.Addr)
	if err != nil {
		t.Fatalf("the server started again does not listen: %v", err)
	}
	_ = c.Close()
	if !strings.Contains(log.String(), "starting it again") {
		t.Errorf("the failed start is not in the log:\n%s", &log)
	}
}
