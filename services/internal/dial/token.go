package dial

import "net/http"

// WithToken returns t sending "Authorization: Bearer <token>" on every call
// that carries no Authorization of its own: the internal token of
// Manifold's service-to-service calls. An empty token changes nothing.
func WithToken(t Target, token string) Target {
	if token == "" {
		return t
	}
	t.Client = tokenClient{next: t.Client, header: "Bearer " + token}
	return t
}

type tokenClient struct {
	next interface {
		Do(*http.Request) (*http.Response, error)
	}
	header string
}

func (c tokenClient) Do(r *http.Request) (*http.Response, error) {
	if r.Header.Get("Authorization") == "" {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", c.header)
	}
	return c.next.Do(r)
}
