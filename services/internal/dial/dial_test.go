package dial_test

import (
	"errors"
	"io"
	"testing"

	"github.com/manifoldgw/manifold/services/internal/dial"
)

// TestMemoryCloseConns: closing the in-memory connections ends them for the
// client too, and forgets them.
func TestMemoryCloseConns(t *testing.T) {
	m := dial.NewMemory()
	defer m.Close()
	accepted := make(chan error, 1)
	go func() {
		_, err := m.Accept()
		accepted <- err
	}()
	client, err := m.DialContext(t.Context(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := <-accepted; err != nil {
		t.Fatal(err)
	}
	m.CloseConns()
	if _, err := client.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Errorf("client read after CloseConns: %v, want EOF", err)
	}
	m.CloseConns() // nothing left: a no-op
}
