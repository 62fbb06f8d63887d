package hotline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/hallgate/hallgate/gateway/store"
)

// A call record keeps the caller's number (sealed) and its lookup hash.
// With the city's caller retention set, ErasePersonalData removes both from
// the calls that ended longer ago; a missed call still awaiting its
// call-back keeps its number.

// ixPersonal is the month (UTC, YYYYMM) of the last event of a call that
// still holds its caller's number and no longer needs it.
const ixPersonal = "pii"

// callMetaCollection and callIndexVersion mark the one-time indexing of
// calls an older release stored.
const (
	callMetaCollection = "call_meta"
	callIndexVersion   = "pii-index-v1"
)

func callIndex(c Call) map[string]string {
	idx := map[string]string{"status": c.Status}
	if c.CallerHash != "" {
		idx["caller"] = c.CallerHash
	}
	if m := personalMonth(c); m != "" {
		idx[ixPersonal] = m
	}
	return idx
}

// lastEvent is the time of the call's latest event.
func lastEvent(c Call) time.Time {
	last := c.RingingAt
	for _, t := range []time.Time{c.AnsweredAt, c.EndedAt, c.CalledBackAt} {
		if t.After(last) {
			last = t
		}
	}
	return last
}

func personalMonth(c Call) string {
	if (c.CallerSealed == "" && c.CallerHash == "") || c.Status == StatusMissed {
		return ""
	}
	return lastEvent(c).UTC().Format("200601")
}

// ErasePersonalData removes the caller's number and its hash from every
// call whose last event is before `before` (missed calls awaiting their
// call-back excepted) and returns how many it erased. Calls stored by an
// older release are indexed first, once.
func (s *Calls) ErasePersonalData(ctx context.Context, before time.Time) (int, error) {
	if err := s.indexOlderCalls(ctx); err != nil {
		return 0, err
	}
	n := 0
	for m := time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC); !m.After(before.UTC()); m = m.AddDate(0, 1, 0) {
		filter := map[string]string{ixPersonal: m.Format("200601")}
		cursor := ""
		for {
			page, err := s.st.List(ctx, collCalls, store.ListOptions{Filter: filter, Limit: 500, Cursor: cursor})
			if err != nil {
				return n, fmt.Errorf("erase call numbers: %w", err)
			}
			for _, r := range page.Records {
				var c Call
				if err := json.Unmarshal(r.Data, &c); err != nil {
					return n, fmt.Errorf("decode call %s: %w", r.ID, err)
				}
				if !lastEvent(c).Before(before) || personalMonth(c) == "" {
					continue
				}
				c.Version = r.Version
				c.CallerSealed, c.CallerHash = "", ""
				_, err := s.put(ctx, c)
				if errors.Is(err, store.ErrConflict) {
					continue // changed meanwhile: the next run
				}
				if err != nil {
					return n, fmt.Errorf("erase call %s: %w", c.ID, err)
				}
				n++
			}
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
	}
	return n, nil
}

// indexOlderCalls writes ixPersonal on the calls an older release stored,
// once per store (a marker records it).
func (s *Calls) indexOlderCalls(ctx context.Context) error {
	if _, err := s.st.Get(ctx, callMetaCollection, callIndexVersion); err == nil {
		return nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	cursor := ""
	for {
		page, err := s.st.List(ctx, collCalls, store.ListOptions{Limit: 500, Cursor: cursor})
		if err != nil {
			return fmt.Errorf("index calls: %w", err)
		}
		for _, r := range page.Records {
			var c Call
			if err := json.Unmarshal(r.Data, &c); err != nil {
				return fmt.Errorf("decode call %s: %w", r.ID, err)
			}
			if idx := callIndex(c); !maps.Equal(idx, r.Index) {
				_, err := s.st.Commit(ctx, store.Tx{Puts: []store.Put{{Record: store.Record{Collection: collCalls, ID: r.ID, Data: r.Data, Index: idx}, ExpectVersion: r.Version}}})
				if err != nil && !errors.Is(err, store.ErrConflict) {
					return fmt.Errorf("index call %s: %w", r.ID, err)
				}
			}
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	_, err := s.st.Commit(ctx, store.Tx{Puts: []store.Put{{Record: store.Record{Collection: callMetaCollection, ID: callIndexVersion, Data: []byte(`{"indexed":true}`)}, Force: true}}})
	return err
}
