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
// recorded in the audit trail as done by the retention rule.
func eraseCallers(tickets *ticket.Service, st store.Store, trail *audit.Trail, days int, log *slog.Logger) func(context.Context) error {
	var b [6]byte
	_, _ = rand.Read(b[:])
	owner := "retention-" + hex.EncodeToString(b[:])
	return func(ctx context.Context) error {
		tick := time.NewTicker(eraseCallersEvery)
		defer tick.Stop()
		for {
			if ok, err := st.AcquireLease(ctx, retentionLease, owner, 2*eraseCallersEvery); err == nil && ok {
				n, err := eraseCallersOnce(ctx, tickets, trail, days, time.Now())
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

// eraseCallersOnce erases the callers' data of the tickets closed before
// now - days and records each in the audit trail.
func eraseCallersOnce(ctx context.Context, tickets *ticket.Service, trail *audit.Trail, days int, now time.Time) (int, error) {
	return tickets.ErasePersonalData(ctx, now.AddDate(0, 0, -days), func(e ticket.Erased) {
		trail.Record(audit.Entry{Actor: "system:retention", ActorName: "个人信息保存期限", Action: "SYSTEM erase caller data",
			Summary: "按保存期限删除来电人信息", Target: e.Code, Status: 200,
			Details: map[string]string{"closed_at": e.ClosedAt.UTC().Format(time.RFC3339), "retention_days": strconv.Itoa(days)}})
	})
}
