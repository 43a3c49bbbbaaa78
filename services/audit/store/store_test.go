package store_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	auditv1 "github.com/manifoldgw/manifold/gen/go/manifold/audit/v1"
	"github.com/manifoldgw/manifold/services/audit"
	"github.com/manifoldgw/manifold/services/audit/audittest"
	"github.com/manifoldgw/manifold/services/audit/store"
	"github.com/manifoldgw/manifold/services/internal/storage"
)

func rec(id string, at time.Time) *auditv1.CallRecord {
	return &auditv1.CallRecord{
		Id: id, ReceivedAt: timestamppb.New(at), Surface: auditv1.Surface_SURFACE_CONNECT,
		Redaction: auditv1.RedactionPolicy_REDACTION_POLICY_METADATA_ONLY, Status: auditv1.CallStatus_CALL_STATUS_SUCCEEDED,
	}
}

// TestRetention ingests calls on two days, expires the older day, and checks
// that the rest is still a valid chain (and, on PostgreSQL, that the old
// day was a partition of its own that is now gone).
func TestRetention(t *testing.T) {
	for _, d := range audittest.Drivers {
		t.Run(d.Name, func(t *testing.T) {
			db := d.Open(t)
			ctx := t.Context()
			now := time.Now().UTC()
			old := now.Add(-72 * time.Hour)
			oldStore := store.New(db).WithClock(func() time.Time { return old })
			if _, _, err := oldStore.RecordCalls(ctx, []*auditv1.CallRecord{rec("old_1", old), rec("old_2", old)}); err != nil {
				t.Fatalf("RecordCalls(old): %v", err)
			}
			s := store.New(db)
			if _, _, err := s.RecordCalls(ctx, []*auditv1.CallRecord{rec("new_1", now), rec("new_2", now)}); err != nil {
				t.Fatalf("RecordCalls(new): %v", err)
			}
			if db.Driver() == storage.DriverPostgres {
				if n := partitionRows(t, db, old); n != 2 {
					t.Errorf("old day's partition holds %d rows, want 2", n)
				}
			}
			if err := s.DeleteBefore(ctx, now.Add(-24*time.Hour)); err != nil {
				t.Fatalf("DeleteBefore: %v", err)
			}
			first, last, err := s.Chain(ctx, auditv1.AuditLog_AUDIT_LOG_CALLS)
			if err != nil || first != 3 || last != 4 {
				t.Errorf("Chain = %d, %d, %v; want 3, 4", first, last, err)
			}
			if _, err := s.GetCall(ctx, "old_1"); err == nil {
				t.Error("an expired call is still there")
			}
			svc := audit.New(audit.DefaultConfig(), s, slog.New(slog.NewTextHandler(io.Discard, nil)))
			v, err := svc.VerifyChain(ctx, connect.NewRequest(&auditv1.VerifyChainRequest{Log: auditv1.AuditLog_AUDIT_LOG_CALLS}))
			if err != nil {
				t.Fatalf("VerifyChain: %v", err)
			}
			if !v.Msg.GetOk() || v.Msg.GetRecordsChecked() != 2 {
				t.Errorf("VerifyChain after retention = %v", v.Msg)
			}
			if db.Driver() == storage.DriverPostgres {
				if n := partitionRows(t, db, old); n != -1 {
					t.Errorf("old day's partition still exists (%d rows)", n)
				}
			}
		})
	}
}

// partitionRows counts the rows of day's partition, -1 if it does not exist.
func partitionRows(t *testing.T, db *storage.DB, day time.Time) int {
	t.Helper()
	name := "audit_calls_p" + day.UTC().Format("20060102")
	var exists bool
	if err := db.QueryRowContext(context.Background(), "SELECT to_regclass($1) IS NOT NULL", name).Scan(&exists); err != nil {
		t.Fatalf("look up %s: %v", name, err)
	}
	if !exists {
		return -1
	}
	var n int
	if err := db.QueryRowContext(context.Background(), fmt.Sprintf("SELECT COUNT(*) FROM %s", name)).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", name, err)
	}
	return n
}
