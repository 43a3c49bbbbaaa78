package quota

import (
	"context"
	"fmt"
	"strings"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	auditv1 "github.com/manifoldgw/manifold/gen/go/manifold/audit/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/audit/v1/auditv1connect"
	quotav1 "github.com/manifoldgw/manifold/gen/go/manifold/quota/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/quota/v1/quotav1connect"
)

// alertProcedure names budget alerts in the audit log: they are events of
// the quota service, not RPCs anyone made.
var alertProcedure = quotav1connect.QuotaServiceListBudgetAlertsProcedure

// ForwardAlerts sends the budget alerts fired since the process started
// (and in the day before, in case an earlier process stopped before sending
// its last ones) to the audit log every interval, until ctx ends. Each
// alert keeps its id there, so alerts sent twice — by two quota instances,
// or again after a restart — are stored once.
func (s *Service) ForwardAlerts(ctx context.Context, audit auditv1connect.AuditServiceClient, every time.Duration) {
	since := time.Now().Add(-24 * time.Hour)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		alerts, err := s.store.ListAlerts(ctx, "", nil, since, time.Now().Add(time.Minute), 0, "", 1000)
		if err != nil || len(alerts) == 0 {
			if err != nil && ctx.Err() == nil {
				s.logger.Warn("reading budget alerts to forward", "error", err)
			}
			continue
		}
		actions := make([]*auditv1.AdminAction, len(alerts))
		latest := since
		for i, a := range alerts {
			actions[len(alerts)-1-i] = alertAction(a) // oldest first
			latest = maxTime(latest, a.GetFiredAt().AsTime())
		}
		if _, err := audit.RecordAdminActions(ctx, connect.NewRequest(&auditv1.RecordAdminActionsRequest{Actions: actions})); err != nil {
			if ctx.Err() == nil {
				s.logger.Warn("budget alerts not sent to the audit log; will retry", "count", len(actions), "error", err)
			}
			continue
		}
		// Alerts fired in the same microsecond as the latest are read
		// again next time; the audit log stores them once.
		since = latest
	}
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// alertAction is a budget alert as an audit-log entry.
func alertAction(a *quotav1.BudgetAlert) *auditv1.AdminAction {
	subject := strings.ToLower(strings.TrimPrefix(a.GetSubject().GetKind().String(), "SUBJECT_KIND_")) + ":" + a.GetSubject().GetId()
	return &auditv1.AdminAction{
		Id:           a.GetId(),
		Time:         timestamppb.New(a.GetFiredAt().AsTime()),
		Actor:        &auditv1.Actor{Kind: auditv1.ActorKind_ACTOR_KIND_SERVICE, Id: "quota"},
		Action:       alertProcedure,
		ResourceType: "budget_alert",
		ResourceId:   a.GetBudgetId(),
		Comment: fmt.Sprintf("budget %s of %s crossed %d%%: spent %d of %d micro-dollars this period",
			a.GetBudgetId(), subject, a.GetThresholdPercent(), a.GetSpentMicros(), a.GetLimitMicros()),
	}
}
