package ticket

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hallgate/hallgate/gateway/pii"
	"github.com/hallgate/hallgate/gateway/store"
)

// Personal data is kept no longer than its purpose needs (个人信息保护法,
// art. 19): once a ticket has been final for the city's retention period,
// ErasePersonalData removes its caller's name and phone number and scrubs
// phone numbers, ID and bank card numbers, e-mail addresses and the
// caller's name from its texts (the request, the reply, the notes of its
// events). What the city learns from — the request's words, place,
// department, type, deadlines, rating — stays, and so do the statistics.
// An erased ticket no longer appears in the caller's history on the screen
// pop, and its code can no longer be followed with the phone's last four
// digits.

// closedTime is when a final ticket became final.
func closedTime(t *Ticket) time.Time {
	if !t.ClosedAt.IsZero() {
		return t.ClosedAt
	}
	return t.UpdatedAt
}

// personalMonth is t's ixPersonal value: the month it was closed, for a
// final ticket that still holds its caller's data; "" otherwise.
func (s *Service) personalMonth(t *Ticket) string {
	if !t.Status.Final() || !t.PersonalDataErasedAt.IsZero() || (t.Caller.Name == "" && t.Caller.Phone == "") {
		return ""
	}
	return closedTime(t).In(s.cal.Location()).Format("200601")
}

// earliestMonth is where the sweep starts: no ticket, imported history
// included, was closed before it.
var earliestMonth = time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)

// Erased names a ticket whose personal data ErasePersonalData removed.
type Erased struct {
	ID, Code string
	ClosedAt time.Time
}

// ErasePersonalData erases the personal data of every final ticket closed
// before `before`, calling done for each after its commit, and returns how
// many it erased. It reads the months up to before's through the
// ixPersonal index (a few hundred empty lookups, then the tickets due);
// a ticket changed meanwhile is left for the next run.
func (s *Service) ErasePersonalData(ctx context.Context, before time.Time, done func(Erased)) (int, error) {
	loc := s.cal.Location()
	last := before.In(loc)
	n := 0
	for m := earliestMonth.In(loc); !m.After(last); m = m.AddDate(0, 1, 0) {
		month := m.Format("200601")
		cursor := ""
		for {
			page, err := s.st.List(ctx, Collection, store.ListOptions{Filter: map[string]string{ixPersonal: month}, Limit: 200, Cursor: cursor})
			if err != nil {
				return n, fmt.Errorf("erase personal data: %w", err)
			}
			for _, r := range page.Records {
				t, err := s.decode(r)
				if err != nil {
					return n, err
				}
				if !closedTime(t).Before(before) || s.personalMonth(t) == "" {
					continue
				}
				s.erase(t, s.now())
				rec, err := s.encode(t)
				if err != nil {
					return n, err
				}
				_, err = s.st.Commit(ctx, store.Tx{Puts: []store.Put{{Record: rec, ExpectVersion: r.Version}}})
				if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
					continue
				}
				if err != nil {
					return n, fmt.Errorf("erase personal data of %s: %w", t.Code, err)
				}
				n++
				if done != nil {
					done(Erased{ID: t.ID, Code: t.Code, ClosedAt: closedTime(t)})
				}
			}
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
	}
	return n, nil
}

// erase removes t's personal data in place.
func (s *Service) erase(t *Ticket, now time.Time) {
	name := t.Caller.Name
	t.Caller = Caller{Confidential: t.Caller.Confidential}
	t.Text = pii.Scrub(t.Text, name)
	t.Reply = pii.Scrub(t.Reply, name)
	for i := range t.Events {
		e := &t.Events[i]
		e.Note = pii.Scrub(e.Note, name)
		for k, v := range e.Data {
			if str, ok := v.(string); ok {
				e.Data[k] = pii.Scrub(str, name)
			}
		}
	}
	t.PersonalDataErasedAt = now.UTC()
}
