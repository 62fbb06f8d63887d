package partner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hallgate/hallgate/gateway/store"
)

// SummaryCollection holds one record per partner and past day with that
// day's counts, folded from the call records by Compact.
const SummaryCollection = "partner_usage_days"

// compactLease makes one replica at a time fold usage.
const compactLease = "partner-usage-compact"

type daySummary struct {
	Partner    string         `json:"partner"`
	Day        string         `json:"day"`
	ByEndpoint map[string]int `json:"by_endpoint"`
}

func summaryID(partnerID, day string) string { return partnerID + "/" + day }

func (r *Registry) summary(ctx context.Context, partnerID, day string) (daySummary, uint64, error) {
	rec, err := r.st.Get(ctx, SummaryCollection, summaryID(partnerID, day))
	if errors.Is(err, store.ErrNotFound) {
		return daySummary{Partner: partnerID, Day: day, ByEndpoint: map[string]int{}}, 0, nil
	}
	if err != nil {
		return daySummary{}, 0, err
	}
	var s daySummary
	if err := json.Unmarshal(rec.Data, &s); err != nil {
		return daySummary{}, 0, fmt.Errorf("usage summary %s: %w", rec.ID, err)
	}
	if s.ByEndpoint == nil {
		s.ByEndpoint = map[string]int{}
	}
	return s, rec.Version, nil
}

// Compact folds the call records of days before today into one summary
// per partner and day, so the store does not grow by a record per call
// forever. Each batch's deletes and the summary update commit in one
// transaction (both version-checked), so Usage is exact at every moment
// and a crash or a concurrent compactor can neither lose nor double a
// call. It returns the number of calls folded.
func (r *Registry) Compact(ctx context.Context) (int, error) {
	ps, err := r.List(ctx)
	if err != nil {
		return 0, err
	}
	today, err := time.ParseInLocation(time.DateOnly, DayOf(r.now()), Zone)
	if err != nil {
		return 0, err
	}
	folded := 0
	for _, p := range ps {
		start, err := time.ParseInLocation(time.DateOnly, DayOf(p.CreatedAt), Zone)
		if err != nil {
			return folded, err
		}
		for d := start; d.Before(today); d = d.AddDate(0, 0, 1) {
			n, err := r.compactDay(ctx, p.ID, d.Format(time.DateOnly))
			folded += n
			if err != nil {
				return folded, err
			}
		}
	}
	return folded, nil
}

func (r *Registry) compactDay(ctx context.Context, partnerID, day string) (int, error) {
	filter := map[string]string{"partner_day": partnerID + "/" + day}
	folded := 0
	for {
		// Deleted records leave the filter, so every round starts afresh.
		page, err := r.st.List(ctx, CallsCollection, store.ListOptions{Filter: filter, Limit: 500})
		if err != nil || len(page.Records) == 0 {
			return folded, err
		}
		s, version, err := r.summary(ctx, partnerID, day)
		if err != nil {
			return folded, err
		}
		tx := store.Tx{}
		for _, rec := range page.Records {
			var c call
			if err := json.Unmarshal(rec.Data, &c); err != nil {
				return folded, fmt.Errorf("partner call %s: %w", rec.ID, err)
			}
			s.ByEndpoint[c.Endpoint]++
			tx.Deletes = append(tx.Deletes, store.Delete{Collection: CallsCollection, ID: rec.ID, ExpectVersion: rec.Version})
		}
		data, err := json.Marshal(s)
		if err != nil {
			return folded, err
		}
		tx.Puts = []store.Put{{Record: store.Record{Collection: SummaryCollection, ID: summaryID(partnerID, day), Data: data,
			Index: map[string]string{"partner": partnerID}}, ExpectVersion: version}}
		_, err = r.st.Commit(ctx, tx)
		switch {
		case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrNotFound):
			continue // another compactor moved first: look again
		case err != nil:
			return folded, err
		}
		folded += len(page.Records)
	}
}

// RunCompaction folds past days' usage every interval (default 1 h) on the
// replica holding the lease, until ctx ends. Errors are retried next round.
func (r *Registry) RunCompaction(ctx context.Context, owner string, interval time.Duration, onErr func(error)) error {
	if interval <= 0 {
		interval = time.Hour
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if ok, err := r.st.AcquireLease(ctx, compactLease, owner, interval+time.Minute); err == nil && ok {
			if _, err := r.Compact(ctx); err != nil && ctx.Err() == nil && onErr != nil {
				onErr(err)
			}
		} else if err != nil && ctx.Err() == nil && onErr != nil {
			onErr(err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
