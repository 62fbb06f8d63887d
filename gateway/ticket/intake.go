package ticket

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/store"
)

// MaxTextRunes bounds the request text.
const MaxTextRunes = 5000

// Intake is the body of POST /api/v1/tickets. Department (and
// co-departments) are optional: given, the ticket is dispatched at once.
type Intake struct {
	Channel       Channel     `json:"channel"`
	Type          RequestType `json:"type"`
	Text          string      `json:"text"`
	Caller        Caller      `json:"caller"`
	District      string      `json:"district,omitempty"`
	Address       string      `json:"address,omitempty"`
	Lat           *float64    `json:"lat,omitempty"`
	Long          *float64    `json:"long,omitempty"`
	Attachments   []string    `json:"attachments,omitempty"`
	Category      string      `json:"category,omitempty"`
	Urgent        bool        `json:"urgent,omitempty"`
	Department    string      `json:"department,omitempty"`
	CoDepartments []string    `json:"co_departments,omitempty"`
	Related       []string    `json:"related,omitempty"`
	// KBEntry answers the ticket on the spot (直接答复) with the entry it
	// cites; Reply may carry what the caller was told. Not with Department.
	KBEntry string `json:"kb_entry,omitempty"`
	Reply   string `json:"reply,omitempty"`
}

// Candidate is an open ticket the new one may duplicate (并单).
type Candidate struct {
	ID        string      `json:"id"`
	Code      string      `json:"code"`
	Status    Status      `json:"status"`
	Type      RequestType `json:"type"`
	Reason    string      `json:"reason"` // same_caller or same_place
	Summary   string      `json:"summary"`
	CreatedAt time.Time   `json:"created_at"`
}

// IntakeResult is the answer to an intake.
type IntakeResult struct {
	Ticket          *Ticket     `json:"ticket"`
	MergeCandidates []Candidate `json:"merge_candidates"`
}

// Answer carries the encoded first answer, so a retry with the same
// Idempotency-Key gets the same body byte for byte.
type Answer struct {
	Body     []byte
	Replayed bool
	Result   *IntakeResult // nil when replayed
}

func validType(t RequestType) bool { return slices.Contains(RequestTypes, t) }

func normalizeSpace(s string) string { return strings.Join(strings.Fields(s), "") }

func (s *Service) validateIntake(ctx context.Context, p auth.Principal, in *Intake) error {
	ve := &ValidationError{}
	in.Text = strings.TrimSpace(in.Text)
	switch {
	case in.Channel == "":
		ve.add("channel", "required")
	case !slices.Contains(Channels, in.Channel):
		ve.add("channel", "one of hotline, website, app, open311, hall, department, partner")
	case p.Has(auth.RoleDepartment) && !p.Has(auth.RoleAgent) && in.Channel != ChannelDepartment:
		ve.add("channel", "department principals file tickets with channel \"department\"")
	}
	switch {
	case in.Type == "":
		ve.add("type", "required")
	case !validType(in.Type):
		ve.add("type", "one of 咨询, 求助, 投诉, 举报, 建议, 表扬")
	}
	switch n := utf8.RuneCountInString(in.Text); {
	case n == 0:
		ve.add("text", "required")
	case n > MaxTextRunes:
		ve.add("text", fmt.Sprintf("at most %d characters", MaxTextRunes))
	}
	if in.Caller.Phone != "" {
		if _, ok := s.opts.PhoneKey(in.Caller.Phone); !ok {
			ve.add("caller.phone", "not a telephone number")
		}
	}
	if utf8.RuneCountInString(in.Caller.Name) > 50 {
		ve.add("caller.name", "at most 50 characters")
	}
	if (in.Lat == nil) != (in.Long == nil) {
		ve.add("lat", "lat and long go together")
	}
	if in.Lat != nil && (*in.Lat < -90 || *in.Lat > 90) {
		ve.add("lat", "between -90 and 90")
	}
	if in.Long != nil && (*in.Long < -180 || *in.Long > 180) {
		ve.add("long", "between -180 and 180")
	}
	if in.KBEntry != "" && in.Department != "" {
		ve.add("kb_entry", "a ticket is either answered on the spot or dispatched, not both")
	}
	if in.Department == "" && len(in.CoDepartments) > 0 {
		ve.add("department", "required when co_departments are given")
	}
	if in.Department != "" {
		err := s.checkDepartments(ctx, Command{Department: in.Department, CoDepartments: in.CoDepartments})
		var dve *ValidationError
		if errors.As(err, &dve) {
			ve.Fields = append(ve.Fields, dve.Fields...)
		} else if err != nil {
			return err
		}
	}
	return ve.orNil()
}

// storedAnswer is the first answer to an idempotent intake. It is created
// (ExpectVersion 0) in the same Tx as the ticket, so exactly one intake per
// key commits and a retry reads back what the first one answered.
type storedAnswer struct {
	Fingerprint string          `json:"fingerprint"`
	ExpiresAt   time.Time       `json:"expires_at"`
	Body        json.RawMessage `json:"body"`
}

func answerID(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:16])
}

// Create files a ticket. With a non-empty idempotency key (scoped to the
// principal), the first answer commits atomically with the ticket and every
// retry within IdempotencyTTL gets it back byte for byte; a retry with
// another fingerprint (request body hash) fails with ErrIdemReuse. Two
// concurrent first attempts cannot both commit: the answer record is
// create-only, and the loser replays the winner's answer.
func (s *Service) Create(ctx context.Context, p auth.Principal, in Intake, idemKey, fingerprint string) (Answer, error) {
	if len(p.Departments()) > 0 && !p.Has(auth.RoleAgent) && !p.Has(auth.RoleSupervisor) && !p.Has(auth.RoleAdmin) {
		// A parallel-mode department centre files tickets it handles itself.
		if in.Department == "" {
			in.Department = p.Departments()[0]
		} else if !slices.Contains(p.Departments(), in.Department) {
			return Answer{}, fmt.Errorf("intake for department %s: %w", in.Department, ErrForbidden)
		}
	}
	now := s.now()
	var ik *idem
	if idemKey != "" {
		ik = &idem{id: answerID("ticket-intake\x1f" + p.ID + "\x1f" + idemKey), fingerprint: fingerprint}
		ans, found, err := s.replay(ctx, ik, now)
		if found || err != nil {
			return ans, err
		}
	}
	if err := s.validateIntake(ctx, p, &in); err != nil {
		return Answer{}, err
	}
	ans, err := s.create(ctx, p, in, s.ids.next(now), now, ik)
	if errors.Is(err, store.ErrConflict) && ik != nil {
		// A concurrent attempt with the same key committed first.
		ans, found, rerr := s.replay(ctx, ik, now)
		if rerr != nil || found {
			return ans, rerr
		}
		return Answer{}, ErrInProgress
	}
	return ans, err
}

type idem struct {
	id          string
	fingerprint string
	expect      uint64 // version of an expired answer to overwrite
}

// replay returns the stored answer for the key, if a live one exists.
func (s *Service) replay(ctx context.Context, ik *idem, now time.Time) (Answer, bool, error) {
	r, err := s.st.Get(ctx, AnswersCollection, ik.id)
	if errors.Is(err, store.ErrNotFound) {
		return Answer{}, false, nil
	}
	if err != nil {
		return Answer{}, false, fmt.Errorf("intake idempotency: %w", err)
	}
	var a storedAnswer
	if err := json.Unmarshal(r.Data, &a); err != nil {
		return Answer{}, false, fmt.Errorf("intake idempotency: %w", err)
	}
	if now.After(a.ExpiresAt) {
		ik.expect = r.Version // expired: the key is free again
		return Answer{}, false, nil
	}
	if a.Fingerprint != ik.fingerprint {
		return Answer{}, true, ErrIdemReuse
	}
	return Answer{Body: a.Body, Replayed: true}, true, nil
}

// CodeBlock is how many ticket codes one counter increment reserves. The
// public code's daily sequence is unique but, across replicas and restarts,
// not gap-free or strictly in intake order; in exchange a durable counter
// write happens once per CodeBlock tickets instead of once per ticket.
const CodeBlock = 50

// codeAlloc hands out codes from the reserved block of the current day.
type codeAlloc struct {
	mu   sync.Mutex
	day  string
	next uint64
	end  uint64
}

func (s *Service) newCode(ctx context.Context, now time.Time) (string, error) {
	day := now.In(s.cal.Location()).Format("20060102")
	a := s.codes
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.day != day || a.next >= a.end {
		block, err := s.st.Next(ctx, "ticket-code-"+day)
		if err != nil {
			return "", fmt.Errorf("ticket code: %w", err)
		}
		a.day, a.next, a.end = day, (block-1)*CodeBlock+1, block*CodeBlock+1
	}
	n := a.next
	a.next++
	return fmt.Sprintf("JC%s%06d", day, n), nil
}

func (s *Service) create(ctx context.Context, p auth.Principal, in Intake, id string, now time.Time, ik *idem) (Answer, error) {
	code, err := s.newCode(ctx, now)
	if err != nil {
		return Answer{}, err
	}
	t := &Ticket{ID: id, Code: code, Channel: in.Channel, Type: in.Type, Text: in.Text, Caller: in.Caller,
		District: strings.TrimSpace(in.District), Address: strings.TrimSpace(in.Address), Lat: in.Lat, Long: in.Long,
		Attachments: in.Attachments, Category: in.Category, Urgent: in.Urgent, Related: in.Related,
		Status: StatusReceived, CreatedAt: now, UpdatedAt: now}
	t.Deadlines.Dispatch = s.cal.AddWorkingDays(now, s.opts.DispatchDays)
	s.setDue(t, now)
	a := actorOf(p)
	record(t, a, EvIntake, StatusReceived, now, "", map[string]any{"channel": in.Channel})
	t.Events[0].From = ""

	cands, err := s.mergeCandidates(ctx, t, now)
	if err != nil {
		return Answer{}, err
	}
	ch := &change{ticket: t}
	if in.Department != "" {
		if ch, err = s.transition(ctx, t, a, Command{Type: EvDispatch, Department: in.Department, CoDepartments: in.CoDepartments}); err != nil {
			return Answer{}, err
		}
		t = ch.ticket
	} else if in.KBEntry != "" {
		if ch, err = s.transition(ctx, t, a, Command{Type: EvAnswer, KBEntry: in.KBEntry, Text: in.Reply}); err != nil {
			return Answer{}, err
		}
		t = ch.ticket
	}
	t.Version = 1
	res := &IntakeResult{Ticket: View(p, t), MergeCandidates: cands}
	body, err := json.Marshal(res)
	if err != nil {
		return Answer{}, err
	}
	rec, err := s.encode(t)
	if err != nil {
		return Answer{}, err
	}
	tx := store.Tx{Puts: []store.Put{{Record: rec}}}
	if ik != nil {
		data, err := json.Marshal(storedAnswer{Fingerprint: ik.fingerprint, ExpiresAt: now.Add(s.opts.IdempotencyTTL), Body: body})
		if err != nil {
			return Answer{}, err
		}
		tx.Puts = append(tx.Puts, store.Put{Record: store.Record{Collection: AnswersCollection, ID: ik.id, Data: data,
			Index: map[string]string{ixExpires: expiryDay(now.Add(s.opts.IdempotencyTTL))}}, ExpectVersion: ik.expect})
	}
	if tx.Enqueue, err = s.deliveries(t, t.Events[len(t.Events)-1], ch.targets); err != nil {
		return Answer{}, err
	}
	for _, extra := range s.opts.IntakeOutbox {
		item, err := extra(t)
		if err != nil {
			return Answer{}, fmt.Errorf("intake %s: %w", id, err)
		}
		tx.Enqueue = append(tx.Enqueue, item)
	}
	if _, err := s.st.Commit(ctx, tx); err != nil {
		return Answer{}, fmt.Errorf("intake %s: %w", id, err) // wraps store.ErrConflict for a lost idempotency race
	}
	if ch.closed {
		s.observe(ctx, t)
	}
	s.log.InfoContext(ctx, "ticket filed", "ticket", t.ID, "code", t.Code, "channel", t.Channel, "type", t.Type, "deliveries", len(tx.Enqueue), "merge_candidates", len(cands))
	return Answer{Body: body, Result: res}, nil
}

// mergeCandidates finds open tickets of the same caller, and open tickets at
// the same address and category filed within the merge window.
func (s *Service) mergeCandidates(ctx context.Context, t *Ticket, now time.Time) ([]Candidate, error) {
	out := []Candidate{}
	seen := map[string]bool{t.ID: true}
	add := func(filter map[string]string, reason string, within time.Duration) error {
		filter[ixOpen] = "1"
		page, err := s.st.List(ctx, Collection, store.ListOptions{Filter: filter, Limit: 20, Reverse: true})
		if err != nil {
			return fmt.Errorf("merge candidates: %w", err)
		}
		for _, r := range page.Records {
			if seen[r.ID] {
				continue
			}
			var o candidateDoc // only what a candidate shows: no caller data to open
			if err := json.Unmarshal(r.Data, &o); err != nil {
				return fmt.Errorf("merge candidate %s: %w", r.ID, err)
			}
			if within > 0 && now.Sub(o.CreatedAt) > within {
				continue
			}
			seen[r.ID] = true
			out = append(out, Candidate{ID: o.ID, Code: o.Code, Status: o.Status, Type: o.Type, Reason: reason, Summary: summary(o.Text, 40), CreatedAt: o.CreatedAt})
		}
		return nil
	}
	if h := s.phoneHash(t.Caller.Phone); h != "" {
		if err := add(map[string]string{ixCaller: h}, "same_caller", 0); err != nil {
			return nil, err
		}
	}
	if place := s.placeKey(t); place != "" {
		if err := add(map[string]string{ixPlace: place}, "same_place", s.opts.MergeWindow); err != nil {
			return nil, err
		}
	}
	return out, nil
}

type candidateDoc struct {
	ID        string      `json:"id"`
	Code      string      `json:"code"`
	Status    Status      `json:"status"`
	Type      RequestType `json:"type"`
	Text      string      `json:"text"`
	CreatedAt time.Time   `json:"created_at"`
}

func summary(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
