package storage

import "time"

// Expected versions for Documents.Put and Documents.Delete; any value > 0
// is a compare-and-swap against that version.
const (
	// ExpectAbsent makes Put create only: ErrConflict if the key exists.
	ExpectAbsent int64 = 0
	// ExpectAny makes Put an unconditional upsert and Delete unconditional.
	ExpectAny int64 = -1
)

// Document is one versioned value in a namespace.
type Document struct {
	Namespace string
	Key       string
	Value     []byte
	// Version is 1 on creation and grows by one on each write. Deleting and
	// re-creating a key starts again at 1; watch Change.Seq to tell them apart.
	Version   int64
	CreatedAt time.Time // UTC, microsecond precision
	UpdatedAt time.Time // UTC, microsecond precision
}

// Change is one entry of the change feed: a Put or a Delete, committed.
type Change struct {
	// Seq is gapless and increases in commit order across all namespaces.
	Seq       int64
	Namespace string
	Key       string
	// Version is the version written, or for a delete the version removed.
	Version int64
	Deleted bool
	At      time.Time // UTC, microsecond precision
}
