package calllog

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/encoding/protodelim"

	auditv1 "github.com/manifoldgw/manifold/gen/go/manifold/audit/v1"
)

// spoolSuffix ends every segment file's name.
const spoolSuffix = ".spool"

// spool is a local append-only store of call records that could not be
// handed to the audit service: a directory of segment files, each a
// sequence of size-delimited CallRecord messages. Appends go to the current
// segment; draining first closes it (so that appends continue in a new one)
// and sends the closed segments oldest first, deleting each once it is
// sent. A segment cut short by a crash loses only its torn last record.
type spool struct {
	dir string

	mu      sync.Mutex
	cur     *os.File
	curName string
	w       *bufio.Writer
	n       int // segment counter, for unique ordered names

	// unsynced is set while the current segment has writes not yet synced
	// to disk.
	unsynced bool
	// dirty is set while the spool may hold records.
	dirty atomic.Bool
}

func openSpool(dir string) (*spool, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create spool directory: %w", err)
	}
	s := &spool{dir: dir}
	segs, err := s.segments()
	if err != nil {
		return nil, err
	}
	s.dirty.Store(len(segs) > 0)
	return s, nil
}

// append writes recs to the current segment, and syncs it to disk when
// durable is set (otherwise the next sync does).
func (s *spool) append(recs []*auditv1.CallRecord, durable bool) error {
	if len(recs) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == nil {
		s.n++
		name := filepath.Join(s.dir, fmt.Sprintf("%020d-%06d%s", time.Now().UnixNano(), s.n, spoolSuffix))
		f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return fmt.Errorf("open spool segment: %w", err)
		}
		s.cur, s.curName, s.w = f, name, bufio.NewWriterSize(f, 64<<10)
	}
	for _, r := range recs {
		if _, err := protodelim.MarshalTo(s.w, r); err != nil {
			return fmt.Errorf("write spool: %w", err)
		}
	}
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("write spool: %w", err)
	}
	s.dirty.Store(true)
	s.unsynced = true
	if durable {
		return s.syncLocked()
	}
	return nil
}

// sync syncs the current segment's writes to disk.
func (s *spool) sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.syncLocked()
}

func (s *spool) syncLocked() error {
	if s.cur == nil || !s.unsynced {
		return nil
	}
	if err := s.cur.Sync(); err != nil {
		return fmt.Errorf("sync spool: %w", err)
	}
	s.unsynced = false
	return nil
}

// rotate closes the current segment so that it can be drained.
func (s *spool) rotate() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == nil {
		return nil
	}
	err := errors.Join(s.syncLocked(), s.cur.Close())
	s.cur, s.curName, s.w, s.unsynced = nil, "", nil, false
	if err != nil {
		return fmt.Errorf("close spool segment: %w", err)
	}
	return nil
}

// segments lists the segment files, oldest first.
func (s *spool) segments() ([]string, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("read spool directory: %w", err)
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), spoolSuffix) {
			out = append(out, filepath.Join(s.dir, e.Name()))
		}
	}
	slices.Sort(out)
	return out, nil
}

// drain sends every closed segment in batches of up to batch records,
// oldest first, and deletes each segment once all of it is sent. It stops
// at the first failed send; that segment is sent again, whole, next time
// (the audit service skips the records it already has).
func (s *spool) drain(batch int, send func([]*auditv1.CallRecord) error) error {
	if err := s.rotate(); err != nil {
		return err
	}
	segs, err := s.segments()
	if err != nil {
		return err
	}
	for _, seg := range segs {
		s.mu.Lock()
		current := seg == s.curName
		s.mu.Unlock()
		if current {
			break // appended to since rotate; next drain
		}
		if err := sendSegment(seg, batch, send); err != nil {
			return err
		}
		if err := os.Remove(seg); err != nil {
			return fmt.Errorf("remove spool segment: %w", err)
		}
	}
	s.mu.Lock()
	if s.cur == nil {
		s.dirty.Store(false)
	}
	s.mu.Unlock()
	return nil
}

// sendSegment sends one segment's records. Reading stops at the end of
// the file or at the first record that does not decode: the tail a crash
// tore mid-write.
func sendSegment(name string, batch int, send func([]*auditv1.CallRecord) error) error {
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("open spool segment: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64<<10)
	var recs []*auditv1.CallRecord
	for {
		rec := &auditv1.CallRecord{}
		if err := protodelim.UnmarshalFrom(r, rec); err != nil {
			break
		}
		recs = append(recs, rec)
		if len(recs) == batch {
			if err := send(recs); err != nil {
				return err
			}
			recs = nil
		}
	}
	if len(recs) > 0 {
		return send(recs)
	}
	return nil
}

// close closes the current segment.
func (s *spool) close() error { return s.rotate() }
