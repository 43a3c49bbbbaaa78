// Package console serves the web console at /console/: the single-page app
// in web/, built by `make web` into dist/ and embedded in the binary.
package console

import (
	"embed"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// Prefix is the URL path the console is served under.
const Prefix = "/console/"

// dist holds the built console; in a clone where `make web` has not run it
// holds only README.txt.
//
//go:embed all:dist
var dist embed.FS

// Handler serves the embedded console under Prefix.
func Handler() http.Handler {
	files, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // "dist" is a literal embedded directory: cannot fail
	}
	return New(files)
}

// New serves the console built in files (index.html at its root, hashed
// bundles under assets/) under Prefix:
//   - an existing file is served as is, assets/ cached for good (their
//     names change with their content), anything else revalidated;
//   - a missing file under assets/ is 404;
//   - any other path is a page of the app and gets index.html, whose
//     router reads the path (SPA fallback);
//   - without index.html (the console was not built) every path is 503.
func New(files fs.FS) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")

		if _, err := fs.Stat(files, "index.html"); err != nil {
			http.Error(w, errNotBuilt.Error(), http.StatusServiceUnavailable)
			return
		}
		name := strings.TrimPrefix(path.Clean("/"+strings.TrimPrefix(r.URL.Path, Prefix)), "/")
		if name != "" && name != "index.html" && serveFile(w, r, files, name) {
			return
		}
		if strings.HasPrefix(name, "assets/") {
			http.NotFound(w, r)
			return
		}
		h.Set("Cache-Control", "no-cache")
		if !serveFile(w, r, files, "index.html") {
			http.Error(w, errNotBuilt.Error(), http.StatusServiceUnavailable)
		}
	})
}

// serveFile serves the regular file name of files and reports whether
// there was one.
func serveFile(w http.ResponseWriter, r *http.Request, files fs.FS, name string) bool {
	f, err := files.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || info.IsDir() {
		return false
	}
	content, ok := f.(io.ReadSeeker)
	if !ok {
		return false
	}
	if strings.HasPrefix(name, "assets/") {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else if w.Header().Get("Cache-Control") == "" {
		w.Header().Set("Cache-Control", "no-cache")
	}
	// Embedded files have no modification time; ServeContent then sends
	// no Last-Modified and picks the type from the name.
	http.ServeContent(w, r, name, time.Time{}, content)
	return true
}

// errNotBuilt is what New answers without index.html.
var errNotBuilt = errors.New("console not built: run make web")
