package quotalease

import (
	"context"
	"time"
)

// SetClock replaces the admission's clock, before its first call.
func (a *Admission) SetClock(now func() time.Time) { a.now = now }

// RenewDue runs one pass of the renewals Run makes every tick.
func (a *Admission) RenewDue(ctx context.Context) { a.renewDue(ctx) }
