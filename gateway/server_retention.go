package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"strconv"
	"time"

	"github.com/hallgate/hallgate/gateway/audit"
	"github.com/hallgate/hallgate/gateway/store"
	"github.com/hallgate/hallgate/gateway/ticket"
)

// retentionLease makes one replica at a time erase callers' data.
const retentionLease = "ticket-caller-retention"

// eraseCallersEvery is how often the holder of the lease looks for tickets
// past tickets.caller_retention_days.
const eraseCallersEvery = time.Hour

// eraseCallers is the background job of tickets.caller_retention_days: on
// the replica holding the lease, once an hour, the tickets closed more
// than days ago lose their callers' data (ticket.ErasePersonalData), each
// recorded in the audit trail as done by the retention rule, and so do the
// call records that ended as long ago (one audit entry per run).
func eraseCallers(c *Capabilities, st store.Store, trail *audit.Trail, days int, log *slog.Logger) func(context.Context) error {
	var b [6]byte
	_, _ = rand.Read(b[:])
	owner := "retention-" + hex.EncodeToString(b[:])
	return func(ctx context.Context) error {
		tick := time.NewTicker(eraseCallersEvery)
		defer tick.Stop()
		for {
			if ok, err := st.AcquireLease(ctx, retentionLease, owner, 2*eraseCallersEvery); err == nil && ok {
				n, err := eraseCallersOnce(ctx, c, trail, days, time.Now())
				switch {
				case err != nil && ctx.Err() == nil:
					log.Error("erasing callers' data past their retention failed; retried within the hour", "error", err.Error(), "erased", n)
				case n > 0:
					log.Info("callers' data erased past their retention", "tickets", n, "retention_days", days)
				}
			}
			select {
			case <-ctx.Done():
				return nil
			case <-tick.C:
			}
		}
	}
}

// eraseCallersOnce erases the callers' data of the tickets closed, and the
// calls ended, before now - days, and records them in the audit trail; it
// returns how many tickets and calls it erased.
func eraseCallersOnce(ctx context.Context, c *Capabilities, trail *audit.Trail, days int, now time.Time) (int, error) {
	before := now.AddDate(0, 0, -days)
	n, err := c.Tickets.ErasePersonalData(ctx, before, func(e ticket.Erased) {
		trail.Record(audit.Entry{Actor: retentionActor, ActorName: retentionName, Action: "SYSTEM erase caller data",
			Summary: "按保存期限删除工单的来电人信息", Target: e.Code, Status: 200,
			Details: map[string]string{"closed_at": e.ClosedAt.UTC().Format(time.RFC3339), "retention_days": strconv.Itoa(days)}})
	})
	if err != nil {
		return n, err
	}
	calls, err := c.Calls.ErasePersonalData(ctx, before)
	if calls > 0 {
		trail.Record(audit.Entry{Actor: retentionActor, ActorName: retentionName, Action: "SYSTEM erase call numbers",
			Summary: "按保存期限删除通话记录的来电号码", Status: 200,
			Details: map[string]string{"calls": strconv.Itoa(calls), "before": before.UTC().Format(time.RFC3339), "retention_days": strconv.Itoa(days)}})
	}
	return n + calls, err
}

const (
	retentionActor = "system:retention"
	retentionName  = "个人信息保存期限"
)
