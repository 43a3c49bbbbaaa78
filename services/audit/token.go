package audit

import (
	"encoding/base64"
	"fmt"

	"github.com/manifoldgw/manifold/services/internal/apierror"
)

// encodePageToken makes an opaque page token of a position.
func encodePageToken(c Cursor) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "v1.%d.%d", c.Time, c.Seq))
}

// decodePageToken reads a page token; empty means the first page.
func decodePageToken(tok string) (*Cursor, error) {
	if tok == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	var c Cursor
	if err == nil {
		_, err = fmt.Sscanf(string(b), "v1.%d.%d", &c.Time, &c.Seq)
	}
	if err != nil {
		return nil, apierror.Invalid("page_token", "malformed page token")
	}
	return &c, nil
}
