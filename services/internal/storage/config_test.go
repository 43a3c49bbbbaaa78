package storage

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigTarget(t *testing.T) {
	for _, tc := range []struct {
		cfg        Config
		wantDriver Driver
		wantPath   string
	}{
		{Config{DataDir: "/var/lib/manifold"}, DriverSQLite, "/var/lib/manifold/manifold.db"},
		{Config{DatabaseURL: "sqlite:///abs/dir/m.db", DataDir: "/ignored"}, DriverSQLite, "/abs/dir/m.db"},
		{Config{DatabaseURL: "sqlite:rel/m.db"}, DriverSQLite, filepath.Clean("rel/m.db")},
		{Config{DatabaseURL: "postgres://u:pw@db.example:5432/manifold?sslmode=disable"}, DriverPostgres, ""},
		{Config{DatabaseURL: "postgresql://u@db.example/manifold?sslmode=disable&search_path=x"}, DriverPostgres, ""},
	} {
		got, err := tc.cfg.target()
		if err != nil {
			t.Errorf("%+v: %v", tc.cfg, err)
			continue
		}
		if got.driver != tc.wantDriver || got.path != tc.wantPath || (got.pool != nil) != (tc.wantDriver == DriverPostgres) {
			t.Errorf("%+v: got %s %q, want %s %q", tc.cfg, got.driver, got.path, tc.wantDriver, tc.wantPath)
		}
		if err := tc.cfg.Validate(); err != nil {
			t.Errorf("%+v: Validate: %v", tc.cfg, err)
		}
	}
}

func TestConfigValidateErrors(t *testing.T) {
	const secret = "s3cr3t-pw"
	for _, tc := range []struct {
		cfg      Config
		wantName string // the setting the message must name
	}{
		{Config{}, "data_dir"},
		{Config{DataDir: "/tmp/what?"}, "data_dir"},
		{Config{DatabaseURL: "sqlite:"}, "database_url"},
		{Config{DatabaseURL: "sqlite://host/m.db"}, "database_url"},
		{Config{DatabaseURL: "sqlite:///m.db?mode=ro"}, "database_url"},
		{Config{DatabaseURL: "mysql://root:" + secret + "@db/manifold"}, "database_url"},
		{Config{DatabaseURL: "host=db user=root password=" + secret}, "database_url"},
		{Config{DatabaseURL: "root:" + secret + "@db/manifold"}, "database_url"},
		{Config{DatabaseURL: "postgres://root:" + secret + "@db:notaport/manifold"}, "database_url"},
		{Config{DatabaseURL: "postgres://root:" + secret + " x@db/manifold"}, "database_url"},
		{Config{DatabaseURL: "postgres://root:" + secret + "@db/manifold?sslmode=bogus"}, "database_url"},
	} {
		err := tc.cfg.Validate()
		if err == nil {
			t.Errorf("%q: Validate succeeded, want an error", tc.cfg.DatabaseURL)
			continue
		}
		if !strings.Contains(err.Error(), tc.wantName) {
			t.Errorf("%q: error %q does not name %s", tc.cfg.DatabaseURL, err, tc.wantName)
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("%q: error leaks the password: %q", tc.cfg.DatabaseURL, err)
		}
	}
}
