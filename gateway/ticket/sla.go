package ticket

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hallgate/hallgate/gateway/store"
)

// SLALease is the store lease that lets one replica scan deadlines at a time.
const SLALease = "ticket-sla"

// Run scans deadlines every SchedulerInterval until ctx ends. Any number of
// replicas may run it: the lease keeps the scans apart, and the Warned and
// Overdue markers, written with an expected version, make each warning and
// overdue event happen once even when two scans overlap (lease expiry).
func (s *Service) Run(ctx context.Context) error {
	tick := time.NewTicker(s.opts.SchedulerInterval)
	defer tick.Stop()
	for {
		s.warnMissingYear(s.now())
		if _, _, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "deadline sweep", "err", err)
		}
		select {
		case <-ctx.Done():
			// Release with a fresh context: ours is done, the lease should not linger.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			_ = s.st.ReleaseLease(rctx, SLALease, s.opts.Owner)
			cancel()
			return nil
		case <-tick.C:
		}
	}
}

// Sweep scans open tickets once, if this replica holds the lease, and
// returns how many warning and overdue events it wrote.
func (s *Service) Sweep(ctx context.Context) (warned, overdue int, err error) {
	ok, err := s.st.AcquireLease(ctx, SLALease, s.opts.Owner, s.opts.LeaseTTL)
	if err != nil || !ok {
		return 0, 0, err
	}
	if err := s.purgeAnswers(ctx, s.now()); err != nil {
		s.log.WarnContext(ctx, "purge idempotency answers", "err", err)
	}
	return s.sweep(ctx)
}

// ixExpires indexes stored intake answers by the UTC day they expire.
const ixExpires = "exp"

func expiryDay(t time.Time) string { return t.UTC().Format("20060102") }

// purgeDays is how far back purgeAnswers looks for expired days.
const purgeDays = 14

// purgeAnswers deletes intake answers whose expiry day has passed, so
// idempotency keys do not pile up (their records are created with the
// ticket, so nothing else would remove them).
func (s *Service) purgeAnswers(ctx context.Context, now time.Time) error {
	for d := purgeDays; d >= 1; d-- {
		day := expiryDay(now.AddDate(0, 0, -d))
		for {
			page, err := s.st.List(ctx, AnswersCollection, store.ListOptions{Filter: map[string]string{ixExpires: day}, Limit: 500})
			if err != nil {
				return err
			}
			if len(page.Records) == 0 {
				break
			}
			var tx store.Tx
			for _, r := range page.Records {
				tx.Deletes = append(tx.Deletes, store.Delete{Collection: AnswersCollection, ID: r.ID, ExpectVersion: r.Version})
			}
			if _, err := s.st.Commit(ctx, tx); errors.Is(err, store.ErrConflict) {
				break // another replica purged (or a key was reused) meanwhile: next sweep
			} else if err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Service) sweep(ctx context.Context) (warned, overdue int, err error) {
	cursor := ""
	for {
		page, err := s.st.List(ctx, Collection, store.ListOptions{Filter: map[string]string{ixOpen: "1"}, Limit: 200, Cursor: cursor})
		if err != nil {
			return warned, overdue, fmt.Errorf("deadline sweep: %w", err)
		}
		for _, r := range page.Records {
			t, err := s.decode(r)
			if err != nil {
				return warned, overdue, err
			}
			ev := s.due(t, s.now())
			if ev == "" {
				continue
			}
			done, err := s.mark(ctx, t.ID, ev)
			if err != nil {
				return warned, overdue, err
			}
			if done && ev == EvOverdue {
				overdue++
			} else if done {
				warned++
			}
		}
		if page.NextCursor == "" {
			return warned, overdue, nil
		}
		cursor = page.NextCursor
	}
}

// due says which scheduler event t needs now, if any.
func (s *Service) due(t *Ticket, now time.Time) string {
	if t.Status.Final() || t.Deadlines.Due.IsZero() {
		return ""
	}
	if !t.Overdue && now.After(t.Deadlines.Due) {
		return EvOverdue
	}
	if !t.Warned && !t.Overdue && !now.Before(t.Deadlines.Warning) {
		return EvWarning
	}
	return ""
}

// mark writes a scheduler event unless another replica already did; the
// marker is re-checked on every attempt against the current version.
func (s *Service) mark(ctx context.Context, id, ev string) (bool, error) {
	for attempt := 0; attempt < maxCommitAttempts; attempt++ {
		r, err := s.st.Get(ctx, Collection, id)
		if err != nil {
			return false, err
		}
		t, err := s.decode(r)
		if err != nil {
			return false, err
		}
		now := s.now()
		if s.due(t, now) != ev {
			return false, nil // someone else marked it, or it moved on
		}
		next := t.Clone()
		data := map[string]any{"due": t.Deadlines.Due}
		switch ev {
		case EvOverdue:
			next.Overdue, next.Warned = true, true
		case EvWarning:
			next.Warned = true
		}
		record(next, systemActor, ev, sameStatus, now, "", data)
		var targets []target
		if next.Status == StatusDispatched || next.Status == StatusAccepted {
			targets = leadTarget(next) // 催办: the lead hears about it
		}
		_, err = s.commit(ctx, &change{ticket: next, targets: targets})
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return false, err
		}
		s.log.InfoContext(ctx, "ticket deadline", "ticket", t.ID, "code", t.Code, "event", ev)
		return true, nil
	}
	return false, fmt.Errorf("ticket %s: %s: %w", id, ev, ErrConflict)
}
