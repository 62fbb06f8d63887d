package ticket

import (
	"context"
	"errors"
	"fmt"
	"maps"
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
	if err := s.migrateIndex(ctx); err != nil {
		s.log.WarnContext(ctx, "index tickets of an older release", "err", err)
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

// slaDay is the ixSLA value of t: the calendar day of its next scheduler
// event (the warning, then the overdue, which fires just after the due
// time, so possibly the next day: the sweep reads one day back), or "" when
// none is pending.
func (s *Service) slaDay(t *Ticket) string {
	if t.Status.Final() || t.Deadlines.Due.IsZero() || t.Overdue {
		return ""
	}
	next := t.Deadlines.Due
	if !t.Warned && !t.Deadlines.Warning.IsZero() {
		next = t.Deadlines.Warning
	}
	return slaKey(next.In(s.cal.Location()))
}

func slaKey(t time.Time) string { return t.Format("20060102") }

// fullSweepEvery is how often the sweep still reads every open ticket: a
// safety net for tickets written without ixSLA by a replica of an older
// release during a rolling upgrade.
const fullSweepEvery = time.Hour

// sweep marks the warnings and overdues that fell due. The first sweep of a
// process, and one an hour, reads every open ticket (and re-indexes those
// whose index is not what this release writes); the others read the tickets
// whose next event falls on a day since the last successful sweep, one day
// back. At 20,000 open tickets the full read took 1.3 s, and it ran every
// minute.
func (s *Service) sweep(ctx context.Context) (warned, overdue int, err error) {
	now := s.now()
	s.sweepMu.Lock()
	last, lastFull := s.lastSweep, s.lastFullSweep
	s.sweepMu.Unlock()
	full := last.IsZero() || now.Sub(lastFull) >= fullSweepEvery || now.Before(lastFull)
	var filters []map[string]string
	if full {
		filters = []map[string]string{{ixOpen: "1"}}
	} else {
		for d := last.AddDate(0, 0, -1); slaKey(d) <= slaKey(now); d = d.AddDate(0, 0, 1) {
			filters = append(filters, map[string]string{ixSLA: slaKey(d)})
		}
	}
	for _, f := range filters {
		w, o, err := s.sweepListed(ctx, f, full)
		warned, overdue = warned+w, overdue+o
		if err != nil {
			return warned, overdue, err
		}
	}
	s.sweepMu.Lock()
	s.lastSweep = now
	if full {
		s.lastFullSweep = now
	}
	s.sweepMu.Unlock()
	return warned, overdue, nil
}

// sweepListed handles the tickets filter selects; with backfill it also
// re-indexes those whose index is not what this release writes.
func (s *Service) sweepListed(ctx context.Context, filter map[string]string, backfill bool) (warned, overdue int, err error) {
	cursor := ""
	for {
		page, err := s.st.List(ctx, Collection, store.ListOptions{Filter: filter, Limit: 200, Cursor: cursor})
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
				if backfill {
					if err := s.reindex(ctx, r, t); err != nil {
						return warned, overdue, err
					}
				}
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

// reindex rewrites the index of a record an older release stored with
// fewer index fields (data unchanged), when it differs from what this
// release writes. A conflict means the ticket was written meanwhile, which
// indexed it.
func (s *Service) reindex(ctx context.Context, r store.Record, t *Ticket) error {
	ix := s.index(t, r.Index[ixCaller])
	if maps.Equal(ix, r.Index) {
		return nil
	}
	_, err := s.st.Commit(ctx, store.Tx{Puts: []store.Put{{Record: store.Record{Collection: Collection, ID: r.ID, Data: r.Data, Index: ix}, ExpectVersion: r.Version}}})
	if errors.Is(err, store.ErrConflict) {
		return nil
	}
	return err
}

// MetaCollection holds the ticket service's own settings.
const MetaCollection = "ticket_meta"

// indexVersion names the index fields this release writes on every ticket
// (ixSLA, ixRisk, ixCallback, ixPersonal); a marker with it says every
// stored ticket has them.
const indexVersion = "index-v3"

// migrateIndex indexes, once per store, every ticket an older release
// stored (closed ones too: a bad rating awaiting its callback may be on a
// closed ticket), then sets the marker. The lease holder runs it; until it
// is done the supervisors' at-risk and callback lists may miss such
// tickets.
func (s *Service) migrateIndex(ctx context.Context) error {
	if s.indexMigrated.Load() {
		return nil
	}
	if _, err := s.st.Get(ctx, MetaCollection, indexVersion); err == nil {
		s.indexMigrated.Store(true)
		return nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	n, cursor := 0, ""
	for {
		page, err := s.st.List(ctx, Collection, store.ListOptions{Limit: 200, Cursor: cursor})
		if err != nil {
			return fmt.Errorf("index tickets: %w", err)
		}
		for _, r := range page.Records {
			t, err := s.decode(r)
			if err != nil {
				return err
			}
			if err := s.reindex(ctx, r, t); err != nil {
				return fmt.Errorf("index tickets: %w", err)
			}
			n++
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if _, err := s.st.Commit(ctx, store.Tx{Puts: []store.Put{{Record: store.Record{Collection: MetaCollection, ID: indexVersion, Data: []byte(`{"indexed":true}`)}, Force: true}}}); err != nil {
		return fmt.Errorf("index tickets: %w", err)
	}
	s.log.InfoContext(ctx, "tickets indexed for the supervisors' lists", "tickets", n)
	s.indexMigrated.Store(true)
	return nil
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
