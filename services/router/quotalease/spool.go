package quotalease

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"google.golang.org/protobuf/encoding/protojson"

	quotav1 "github.com/manifoldgw/manifold/gen/go/manifold/quota/v1"
)

// The spool holds settlements the quota service could not take when the
// replica stopped: one file per replica run, one protojson settlement a
// line. Sending one again is harmless (the ledger keys lines by call id).

// spoolPattern matches every replica's spool file in the directory.
const spoolPattern = "settlements-*.jsonl"

func (a *Admission) spoolPath() string {
	return filepath.Join(a.cfg.SpoolDir, "settlements-"+a.cfg.ReplicaID+".jsonl")
}

// keep spools settlements that could not be sent (because of cause); it
// returns an error when they are lost (no spool directory, or the spool
// cannot be written).
func (a *Admission) keep(sts []*quotav1.Settlement, cause error) error {
	if a.cfg.SpoolDir == "" {
		a.logger.Error("settlements lost: the quota service cannot be reached and no spool is configured", "calls", len(sts), "err", cause)
		return fmt.Errorf("%d settlements lost: %w", len(sts), cause)
	}
	a.pendMu.Lock() // one writer at a time
	defer a.pendMu.Unlock()
	if err := a.appendSpool(sts); err != nil {
		a.logger.Error("settlements lost: spool", "calls", len(sts), "err", err, "cause", cause)
		return fmt.Errorf("%d settlements lost: %w", len(sts), err)
	}
	a.logger.Warn("settlements spooled until the next start", "calls", len(sts), "file", a.spoolPath(), "cause", cause)
	return nil
}

func (a *Admission) appendSpool(sts []*quotav1.Settlement) error {
	if err := os.MkdirAll(a.cfg.SpoolDir, 0o700); err != nil {
		return fmt.Errorf("create spool directory: %w", err)
	}
	f, err := os.OpenFile(a.spoolPath(), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("open spool: %w", err)
	}
	w := bufio.NewWriter(f)
	for _, st := range sts {
		b, err := protojson.Marshal(st)
		if err != nil {
			_ = f.Close()
			return fmt.Errorf("encode settlement %s: %w", st.GetCallId(), err)
		}
		_, _ = w.Write(append(b, '\n'))
	}
	if err := w.Flush(); err != nil {
		_ = f.Close()
		return fmt.Errorf("write spool: %w", err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return fmt.Errorf("sync spool: %w", err)
	}
	return f.Close()
}

// Resend sends the settlements spooled by earlier runs and removes each
// file once the quota service has taken all of it. It reports whether
// nothing is left to send.
func (a *Admission) Resend(ctx context.Context) bool {
	if a.cfg.SpoolDir == "" {
		return true
	}
	files, err := filepath.Glob(filepath.Join(a.cfg.SpoolDir, spoolPattern))
	if err != nil {
		return true
	}
	done := true
	for _, path := range files {
		if path == a.spoolPath() {
			continue // this run's own, written at Close
		}
		if err := a.resendFile(ctx, path); err != nil {
			a.logger.Warn("spooled settlements not sent yet", "file", path, "err", err)
			done = false
		}
	}
	return done
}

func (a *Admission) resendFile(ctx context.Context, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var batch []*quotav1.Settlement
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		st := &quotav1.Settlement{}
		if err := protojson.Unmarshal(sc.Bytes(), st); err != nil {
			// A line torn by a crash mid-write: the rest is still sent.
			a.logger.Error("spooled settlement unreadable; dropped", "file", path, "err", err)
			continue
		}
		if batch = append(batch, st); len(batch) == a.cfg.SettleBatch {
			if err := a.send(ctx, batch); err != nil {
				return err
			}
			batch = nil
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read spool: %w", err)
	}
	if len(batch) > 0 {
		if err := a.send(ctx, batch); err != nil {
			return err
		}
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
