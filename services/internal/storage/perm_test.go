package storage_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/manifoldgw/manifold/services/internal/storage"
)

// TestSQLiteFilesPrivate: a new SQLite database and its WAL files are
// readable by their owner only (they hold key hashes, encrypted
// credentials and call bodies).
func TestSQLiteFilesPrivate(t *testing.T) {
	dir := t.TempDir()
	db, err := storage.Open(t.Context(), storage.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(t.Context(), "CREATE TABLE t (v TEXT)"); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "manifold.db*"))
	if len(files) < 2 {
		t.Fatalf("files %v, want the database and its WAL", files)
	}
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v, want no access for group and others", filepath.Base(f), st.Mode().Perm())
		}
	}
}
