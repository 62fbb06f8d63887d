package ticket

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/hallgate/hallgate/gateway/store"
)

// Rate is a KPI as numerator, denominator and their ratio (nil when nothing counted).
type Rate struct {
	Num  int      `json:"num"`
	Den  int      `json:"den"`
	Rate *float64 `json:"rate"`
}

func (r *Rate) add(ok bool) {
	r.Den++
	if ok {
		r.Num++
	}
}

func (r *Rate) finish() {
	if r.Den > 0 {
		v := float64(r.Num) / float64(r.Den)
		r.Rate = &v
	}
}

// StatsQuery selects tickets by department (lead or co) and intake period [From, To).
type StatsQuery struct {
	Department string
	From, To   time.Time
}

// Stats are the KPIs used to judge a hotline (DOMAIN.md), over tickets
// handled here (imported history has no timings and is left out).
type Stats struct {
	Department                 string         `json:"department,omitempty"`
	From                       time.Time      `json:"from,omitzero"`
	To                         time.Time      `json:"to,omitzero"`
	Tickets                    int            `json:"tickets"`
	ByStatus                   map[Status]int `json:"by_status"`
	OnTimeDispatch             Rate           `json:"on_time_dispatch"`      // 按时转出率: dispatched or answered by the dispatch deadline
	OnTimeReply                Rate           `json:"on_time_reply"`         // 按时答复率: first reply by the due date
	OnTimeClosure              Rate           `json:"on_time_closure"`       // 按时办结率: closed by the due date
	FirstCallResolution        Rate           `json:"first_call_resolution"` // 首呼解决率: answered on the spot
	Satisfaction               Rate           `json:"satisfaction"`          // 满意率: good ratings among rated tickets (the last rating counts)
	BadRatingsAwaitingCallback int            `json:"bad_ratings_awaiting_callback"`
	OverdueOpen                int            `json:"overdue_open"`   // open and past due now
	ClosedLate                 int            `json:"closed_late"`    // closed after the due date
	OverdueMarked              int            `json:"overdue_marked"` // ever marked overdue by the scheduler
	// ByType and ByChannel count the tickets by request type and intake
	// channel (the breakdowns of a monthly report).
	ByType    map[RequestType]int `json:"by_type,omitempty"`
	ByChannel map[Channel]int     `json:"by_channel,omitempty"`
	// ByDepartment are the same KPIs per lead department, ordered by code,
	// when no department was asked for: the supervisors' ranking (考核排名).
	// Tickets without a lead (answered on the spot, transferred, disposed)
	// are the centre's own and only in the totals.
	ByDepartment []Stats `json:"by_department,omitempty"`
}

// Stats computes the KPIs by scanning the selected tickets.
func (s *Service) Stats(ctx context.Context, q StatsQuery) (Stats, error) {
	st := Stats{Department: q.Department, From: q.From, To: q.To, ByStatus: map[Status]int{}, ByType: map[RequestType]int{}, ByChannel: map[Channel]int{}}
	perDept := map[string]*Stats{}
	now := s.now()
	err := s.eachInPeriod(ctx, q, false, func(t *Ticket) error {
		s.count(&st, t, now)
		st.ByType[t.Type]++
		st.ByChannel[t.Channel]++
		if q.Department == "" && t.Department != "" {
			ds := perDept[t.Department]
			if ds == nil {
				ds = &Stats{Department: t.Department, From: q.From, To: q.To, ByStatus: map[Status]int{}}
				perDept[t.Department] = ds
			}
			s.count(ds, t, now)
		}
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("stats: %w", err)
	}
	st.finish()
	for _, code := range slices.Sorted(maps.Keys(perDept)) {
		ds := perDept[code]
		ds.finish()
		st.ByDepartment = append(st.ByDepartment, *ds)
	}
	return st, nil
}

// eachInPeriod calls fn for each ticket of q's department (lead or co)
// received in q's period, in intake order. Without history, it reads the
// tickets handled here and only the period's own: ticket ids begin with
// their intake time (idGen), and listings run in id order, so the listing
// starts at the period's first id and stops after its last. An id may run
// ahead of its intake time when a clock went back (idGen keeps ids
// monotonic), hence the hour's margin at the end. Imported history has
// ids of its import, not of its intake, so with history every ticket is
// read and selected by its intake time.
func (s *Service) eachInPeriod(ctx context.Context, q StatsQuery, history bool, fn func(*Ticket) error) error {
	filter := map[string]string{}
	if !history {
		filter[ixHistorical] = "0"
	}
	if q.Department != "" {
		filter[ixDeptPrefix+q.Department] = "1"
	}
	cursor, stop := "", ""
	if !history && !q.From.IsZero() {
		cursor = store.EncodeCursor(idTimePrefix(q.From))
	}
	if !history && !q.To.IsZero() {
		stop = idTimePrefix(q.To.Add(time.Hour))
	}
	for {
		page, err := s.st.List(ctx, Collection, store.ListOptions{Filter: filter, Limit: 500, Cursor: cursor})
		if err != nil {
			return err
		}
		for _, r := range page.Records {
			if stop != "" && r.ID >= stop {
				return nil
			}
			t, err := s.decode(r)
			if err != nil {
				return err
			}
			if (!q.From.IsZero() && t.CreatedAt.Before(q.From)) || (!q.To.IsZero() && !t.CreatedAt.Before(q.To)) {
				continue
			}
			if err := fn(t); err != nil {
				return err
			}
		}
		if page.NextCursor == "" {
			return nil
		}
		cursor = page.NextCursor
	}
}

func (st *Stats) finish() {
	for _, r := range []*Rate{&st.OnTimeDispatch, &st.OnTimeReply, &st.OnTimeClosure, &st.FirstCallResolution, &st.Satisfaction} {
		r.finish()
	}
}

func (s *Service) count(st *Stats, t *Ticket, now time.Time) {
	st.Tickets++
	st.ByStatus[t.Status]++
	due := t.Deadlines.Due
	switch {
	case t.DirectAnswer:
		st.OnTimeDispatch.add(!t.ClosedAt.After(t.Deadlines.Dispatch))
	case !t.DispatchedAt.IsZero():
		st.OnTimeDispatch.add(!t.DispatchedAt.After(t.Deadlines.Dispatch))
	case !t.Status.Final() && now.After(t.Deadlines.Dispatch):
		st.OnTimeDispatch.add(false) // still not dispatched, already late
	}
	if !t.RepliedAt.IsZero() {
		st.OnTimeReply.add(!t.RepliedAt.After(due))
	}
	if t.Status == StatusClosed || t.Status == StatusAnswered {
		late := t.ClosedAt.After(due)
		st.OnTimeClosure.add(!late)
		if late {
			st.ClosedLate++
		}
	}
	if t.Status != StatusDisposed && t.Status != StatusTransferred && t.Status != StatusMerged {
		st.FirstCallResolution.add(t.DirectAnswer)
	}
	if t.Rating != "" {
		st.Satisfaction.add(!BadRating(t.Rating))
		if BadRating(t.Rating) && !t.CalledBack {
			st.BadRatingsAwaitingCallback++
		}
	}
	if !t.Status.Final() && now.After(due) {
		st.OverdueOpen++
	}
	if t.Overdue {
		st.OverdueMarked++
	}
}
