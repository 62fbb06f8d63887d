package message

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/pii"
	"github.com/hallgate/hallgate/gateway/store"
	"github.com/hallgate/hallgate/gateway/ticket"
)

// Sentinel errors.
var (
	ErrInvalid  = errors.New("message: invalid")
	ErrNotFound = errors.New("message: not found")
	ErrNotReady = errors.New("message: not ready to publish") // no reply yet
)

// Limits of a message.
const (
	MaxTitleRunes   = 100
	MaxContentRunes = 2000
	collection      = "messages"
)

// Publication statuses.
const (
	StatusPending   = "pending"   // waiting for the reply and review
	StatusPublished = "published" // shown in the public column
	StatusWithheld  = "withheld"  // reviewed, not to be published (e.g. private matter)
)

// Submission is what a citizen sends.
type Submission struct {
	Title    string `json:"title"`
	Content  string `json:"content"`
	Name     string `json:"name"`
	Phone    string `json:"phone"`
	District string `json:"district,omitempty"`
	Address  string `json:"address,omitempty"`
	Type     string `json:"type,omitempty"` // 诉求类型, default 咨询
	// Public: the citizen agrees that the message and reply are published
	// (personal data removed). Defaults to true on the website.
	Public *bool `json:"public,omitempty"`
}

// Message is the record of the interaction column; personal data lives only
// on the ticket (sealed), never here.
type Message struct {
	ID          string    `json:"id"`
	TicketID    string    `json:"ticket_id"`
	Code        string    `json:"code"` // the ticket's public code, to follow it
	Title       string    `json:"title"`
	Content     string    `json:"content"` // scrubbed at submission
	Public      bool      `json:"public"`
	Channel     string    `json:"channel"` // website, or a partner's channel
	Status      string    `json:"status"`
	ReceivedAt  time.Time `json:"received_at"`
	Reply       string    `json:"reply,omitempty"`
	ReplyDept   string    `json:"reply_department,omitempty"`
	RepliedAt   time.Time `json:"replied_at,omitzero"`
	PublishedAt time.Time `json:"published_at,omitzero"`
	ReviewedBy  string    `json:"reviewed_by,omitempty"`
	KBDraft     string    `json:"kb_draft,omitempty"`
	Version     uint64    `json:"version"`
}

// Published is what the public column shows of a message.
type Published struct {
	Code       string    `json:"code"`
	Title      string    `json:"title"`
	Content    string    `json:"content"`
	ReceivedAt time.Time `json:"received_at"`
	RepliedAt  time.Time `json:"replied_at"`
	Department string    `json:"department"`
	Reply      string    `json:"reply"`
}

// Options connect the column to the rest of the gateway.
type Options struct {
	// KBDraft creates a knowledge-base draft and returns its id.
	KBDraft func(ctx context.Context, p auth.Principal, title, answer, department string) (string, error)
	// DepartmentName turns a code into the name shown to the public.
	DepartmentName func(ctx context.Context, code string) string
	Now            func() time.Time
}

// Service runs the interaction column over the ticket service.
type Service struct {
	st      store.Store
	tickets *ticket.Service
	opts    Options
}

// NewService returns the column's service.
func NewService(st store.Store, tickets *ticket.Service, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Service{st: st, tickets: tickets, opts: opts}
}

// FieldError names one invalid field.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// ValidationError lists every invalid field of a submission.
type ValidationError struct{ Fields []FieldError }

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Reason
	}
	return "message: invalid: " + strings.Join(parts, "; ")
}

func (e *ValidationError) Unwrap() error { return ErrInvalid }

func (sub *Submission) validate() error {
	ve := &ValidationError{}
	sub.Title, sub.Content = strings.TrimSpace(sub.Title), strings.TrimSpace(sub.Content)
	switch n := utf8.RuneCountInString(sub.Title); {
	case n == 0:
		ve.Fields = append(ve.Fields, FieldError{"title", "必填"})
	case n > MaxTitleRunes:
		ve.Fields = append(ve.Fields, FieldError{"title", fmt.Sprintf("不超过%d个字", MaxTitleRunes)})
	}
	switch n := utf8.RuneCountInString(sub.Content); {
	case n < 5:
		ve.Fields = append(ve.Fields, FieldError{"content", "请至少写5个字，说明您的诉求"})
	case n > MaxContentRunes:
		ve.Fields = append(ve.Fields, FieldError{"content", fmt.Sprintf("不超过%d个字（当前%d字）", MaxContentRunes, n)})
	}
	if strings.TrimSpace(sub.Phone) == "" {
		ve.Fields = append(ve.Fields, FieldError{"phone", "必填：用于回复您，并凭手机号后四位查询办理进度"})
	}
	if utf8.RuneCountInString(sub.Name) > 50 {
		ve.Fields = append(ve.Fields, FieldError{"name", "不超过50个字"})
	}
	if sub.Type == "" {
		sub.Type = string(ticket.TypeEnquiry)
	}
	if len(ve.Fields) > 0 {
		return ve
	}
	return nil
}

// Submit files a message: the ticket (with the caller sealed) and the
// column's record are written; the answer carries the code to follow it.
// The ticket is written first and the message record points at it, so a
// crash between the two leaves a ticket that agents handle, never a message
// without its ticket.
func (s *Service) Submit(ctx context.Context, p auth.Principal, channel ticket.Channel, sub Submission, idemKey string) (Message, error) {
	if err := sub.validate(); err != nil {
		return Message{}, err
	}
	public := sub.Public == nil || *sub.Public
	in := ticket.Intake{Channel: channel, Type: ticket.RequestType(sub.Type), Text: sub.Title + "\n" + sub.Content,
		Caller:   ticket.Caller{Name: strings.TrimSpace(sub.Name), Phone: strings.TrimSpace(sub.Phone)},
		District: sub.District, Address: sub.Address}
	fingerprint := sub.Title + "\x1f" + sub.Content + "\x1f" + sub.Phone
	ans, err := s.tickets.Create(ctx, p, in, idemKey, fingerprint)
	if err != nil {
		var tve *ticket.ValidationError
		if errors.As(err, &tve) {
			ve := &ValidationError{}
			for _, f := range tve.Fields {
				ve.Fields = append(ve.Fields, FieldError{Field: mapField(f.Field), Reason: f.Reason})
			}
			return Message{}, ve
		}
		return Message{}, err
	}
	var t *ticket.Ticket
	if ans.Replayed {
		var res ticket.IntakeResult
		if err := json.Unmarshal(ans.Body, &res); err != nil {
			return Message{}, err
		}
		t = res.Ticket
	} else {
		t = ans.Result.Ticket
	}
	m := Message{ID: t.ID, TicketID: t.ID, Code: t.Code, Title: pii.Scrub(sub.Title, sub.Name), Content: pii.Scrub(sub.Content, sub.Name),
		Public: public, Channel: string(channel), Status: StatusPending, ReceivedAt: t.CreatedAt}
	if existing, err := s.Get(ctx, m.ID); err == nil {
		return existing, nil // a retry of a message already recorded
	}
	return s.put(ctx, m, 0)
}

func mapField(f string) string {
	switch f {
	case "text":
		return "content"
	case "caller.phone":
		return "phone"
	case "caller.name":
		return "name"
	}
	return f
}

// Get returns one message.
func (s *Service) Get(ctx context.Context, id string) (Message, error) {
	rec, err := s.st.Get(ctx, collection, id)
	if errors.Is(err, store.ErrNotFound) {
		return Message{}, ErrNotFound
	} else if err != nil {
		return Message{}, err
	}
	var m Message
	if err := json.Unmarshal(rec.Data, &m); err != nil {
		return Message{}, err
	}
	m.Version = rec.Version
	return m, nil
}

func (s *Service) put(ctx context.Context, m Message, expect uint64) (Message, error) {
	data, err := json.Marshal(m)
	if err != nil {
		return Message{}, err
	}
	recs, err := s.st.Commit(ctx, store.Tx{Puts: []store.Put{{
		Record:        store.Record{Collection: collection, ID: m.ID, Data: data, Index: map[string]string{"status": m.Status}},
		ExpectVersion: expect,
	}}})
	if err != nil {
		return Message{}, fmt.Errorf("message %s: %w", m.ID, err)
	}
	m.Version = recs[0].Version
	return m, nil
}

// refresh copies the ticket's reply into the message.
func (s *Service) refresh(ctx context.Context, m *Message) (*ticket.Ticket, error) {
	t, err := s.tickets.Get(ctx, m.TicketID)
	if err != nil {
		return nil, err
	}
	if t.Reply != "" {
		m.Reply, m.RepliedAt = pii.Scrub(t.Reply, t.Caller.Name), t.RepliedAt
		m.ReplyDept = t.Department
		if s.opts.DepartmentName != nil {
			m.ReplyDept = s.opts.DepartmentName(ctx, t.Department)
		}
	}
	return t, nil
}

// Review is an editor's decision on publication, with optional edits of
// the public text.
type Review struct {
	Publish bool   `json:"publish"`
	Title   string `json:"title,omitempty"`
	Content string `json:"content,omitempty"`
	Reply   string `json:"reply,omitempty"`
}

// ReviewMessage publishes or withholds a replied message.
func (s *Service) ReviewMessage(ctx context.Context, p auth.Principal, id string, r Review) (Message, error) {
	m, err := s.Get(ctx, id)
	if err != nil {
		return Message{}, err
	}
	t, err := s.refresh(ctx, &m)
	if err != nil {
		return Message{}, err
	}
	if r.Publish {
		if !m.Public {
			return Message{}, fmt.Errorf("%w: 留言人未同意公开", ErrNotReady)
		}
		if m.Reply == "" && r.Reply == "" {
			return Message{}, fmt.Errorf("%w: 该留言尚无部门答复", ErrNotReady)
		}
	}
	if r.Title != "" {
		m.Title = pii.Scrub(r.Title, t.Caller.Name)
	}
	if r.Content != "" {
		m.Content = pii.Scrub(r.Content, t.Caller.Name)
	}
	if r.Reply != "" {
		m.Reply = pii.Scrub(r.Reply, t.Caller.Name)
		if m.RepliedAt.IsZero() {
			m.RepliedAt = s.opts.Now().UTC()
		}
	}
	m.ReviewedBy = p.ID
	if r.Publish {
		m.Status, m.PublishedAt = StatusPublished, s.opts.Now().UTC()
	} else {
		m.Status, m.PublishedAt = StatusWithheld, time.Time{}
	}
	return s.put(ctx, m, m.Version)
}

// Pending lists messages waiting for review, refreshed with their replies.
func (s *Service) Pending(ctx context.Context, limit int, cursor string) ([]Message, string, error) {
	page, err := s.st.List(ctx, collection, store.ListOptions{Filter: map[string]string{"status": StatusPending}, Limit: limit, Cursor: cursor})
	if err != nil {
		return nil, "", err
	}
	out := make([]Message, 0, len(page.Records))
	for _, rec := range page.Records {
		var m Message
		if err := json.Unmarshal(rec.Data, &m); err != nil {
			return nil, "", err
		}
		m.Version = rec.Version
		if _, err := s.refresh(ctx, &m); err != nil && !errors.Is(err, ticket.ErrNotFound) {
			return nil, "", err
		}
		out = append(out, m)
	}
	return out, page.NextCursor, nil
}

// PublishedPage lists the public column, newest first.
func (s *Service) PublishedPage(ctx context.Context, limit int, cursor string) ([]Published, string, error) {
	page, err := s.st.List(ctx, collection, store.ListOptions{Filter: map[string]string{"status": StatusPublished}, Limit: limit, Cursor: cursor, Reverse: true})
	if err != nil {
		return nil, "", err
	}
	out := make([]Published, 0, len(page.Records))
	for _, rec := range page.Records {
		var m Message
		if err := json.Unmarshal(rec.Data, &m); err != nil {
			return nil, "", err
		}
		out = append(out, Published{Code: m.Code, Title: m.Title, Content: m.Content, ReceivedAt: m.ReceivedAt,
			RepliedAt: m.RepliedAt, Department: m.ReplyDept, Reply: m.Reply})
	}
	return out, page.NextCursor, nil
}

// ToKBDraft turns a message's reply into a knowledge-base draft.
func (s *Service) ToKBDraft(ctx context.Context, p auth.Principal, id string) (Message, error) {
	if s.opts.KBDraft == nil {
		return Message{}, errors.New("message: no knowledge base configured")
	}
	m, err := s.Get(ctx, id)
	if err != nil {
		return Message{}, err
	}
	t, err := s.refresh(ctx, &m)
	if err != nil {
		return Message{}, err
	}
	if m.Reply == "" {
		return Message{}, fmt.Errorf("%w: 该留言尚无部门答复", ErrNotReady)
	}
	if m.KBDraft != "" {
		return m, nil
	}
	draft, err := s.opts.KBDraft(ctx, p, m.Title, m.Reply, t.Department)
	if err != nil {
		return Message{}, err
	}
	m.KBDraft = draft
	return s.put(ctx, m, m.Version)
}
