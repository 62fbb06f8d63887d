package ticket

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hallgate/hallgate/gateway/hotline"
	"github.com/hallgate/hallgate/gateway/pii"
	"github.com/hallgate/hallgate/gateway/store"
	"github.com/hallgate/hallgate/gateway/ticket/calendar"
)

// Collections and outbox topic used in the store.
const (
	Collection        = "tickets"
	AnswersCollection = "ticket_answers" // first answers of idempotent intakes
	DeliveryTopic     = "delivery"
)

// DefaultLimits are the time limits in working days per request type
// (Guangdong 2022 practice: enquiry 2, help and suggestion 10, complaint and
// report 15). Praise needs no handling beyond being passed on: 2.
var DefaultLimits = map[RequestType]int{
	TypeEnquiry: 2, TypeHelp: 10, TypeSuggestion: 10, TypeComplaint: 15, TypeReport: 15, TypePraise: 2,
}

// Options configure the service. Zero values take the documented defaults.
type Options struct {
	// Sealer seals caller name and phone at rest and derives the lookup hash. Required.
	Sealer *pii.Sealer
	// PhoneKey returns the canonical key of a raw phone number that the
	// lookup hash is taken of. Default: hotline.Normalizer{}.Normalize(raw).Key,
	// the key the hotline screen pop uses.
	PhoneKey func(raw string) (key string, ok bool)
	// Calendar of working days. Default: the embedded official schedule.
	Calendar *calendar.Calendar
	// Limits in working days per request type. Missing types take DefaultLimits.
	Limits map[RequestType]int
	// UrgentDays caps the limit of urgent tickets (default 1).
	UrgentDays int
	// DispatchDays is the time to dispatch or answer a ticket (按时转出, default 1).
	DispatchDays int
	// ReturnDays is the return window after each dispatch (default 2).
	ReturnDays int
	// MaxExtensionDays caps the sum of approved extensions (default 10).
	MaxExtensionDays int
	// WarningDays: the scheduler warns this many working days before the due date (default 1).
	WarningDays int
	// MergeWindow: open tickets at the same address and category filed within
	// it are merge candidates (default 72h).
	MergeWindow time.Duration
	// DepartmentExists checks department codes (gateway/department). Nil accepts any code.
	DepartmentExists func(ctx context.Context, code string) (bool, error)
	// ResolveDepartment maps how an older system's export names a
	// department (its full or short name, its old hotline number) to the
	// code, for Import (department.Service.Resolve). It returns an error
	// wrapping department.ErrUnknownDepartment when nothing fits. Nil: import
	// lines must carry codes.
	ResolveDepartment func(ctx context.Context, ref string) (string, error)
	// Observers see every imported ticket and every ticket that closes (routing learns from them).
	Observers []func(ctx context.Context, t *Ticket)
	// ImportObservers, when set, see each committed batch of imported
	// tickets (up to 256) instead of Observers seeing them one by one, so a
	// learner can store a batch in one write (routing.ObserveBatch).
	ImportObservers []func(ctx context.Context, ts []*Ticket)
	// ImportDone run once after an import committed its last batch, with
	// the number imported; a learner may wait there until it has learned
	// the history, so that the import's answer means the history is in use.
	ImportDone []func(ctx context.Context, imported int)
	// IntakeOutbox adds work items to the intake's own transaction, so the
	// consumers of new tickets (hot-topic detection) see every ticket that
	// was acknowledged and none that was not.
	IntakeOutbox []func(t *Ticket) (store.OutboxItem, error)
	// IdempotencyTTL is how long an Idempotency-Key is remembered (default 24h).
	IdempotencyTTL time.Duration
	// SchedulerInterval between SLA scans (default 1m); LeaseTTL of the scan lease (default 3×interval).
	SchedulerInterval time.Duration
	LeaseTTL          time.Duration
	// Owner names this replica for leases (default random).
	Owner  string
	Logger *slog.Logger
	Now    func() time.Time
}

// WithDefaults fills zero values.
func (o Options) WithDefaults() Options {
	if o.PhoneKey == nil {
		norm := hotline.Normalizer{}
		o.PhoneKey = func(raw string) (string, bool) {
			n, err := norm.Normalize(raw)
			if err != nil {
				return "", false
			}
			return n.Key, true
		}
	}
	limits := map[RequestType]int{}
	for k, v := range DefaultLimits {
		limits[k] = v
	}
	for k, v := range o.Limits {
		limits[k] = v
	}
	o.Limits = limits
	if o.UrgentDays == 0 {
		o.UrgentDays = 1
	}
	if o.DispatchDays == 0 {
		o.DispatchDays = 1
	}
	if o.ReturnDays == 0 {
		o.ReturnDays = 2
	}
	if o.MaxExtensionDays == 0 {
		o.MaxExtensionDays = 10
	}
	if o.WarningDays == 0 {
		o.WarningDays = 1
	}
	if o.MergeWindow == 0 {
		o.MergeWindow = 72 * time.Hour
	}
	if o.IdempotencyTTL == 0 {
		o.IdempotencyTTL = 24 * time.Hour
	}
	if o.SchedulerInterval == 0 {
		o.SchedulerInterval = time.Minute
	}
	if o.LeaseTTL == 0 {
		o.LeaseTTL = 3 * o.SchedulerInterval
	}
	if o.Owner == "" {
		var b [6]byte
		_, _ = rand.Read(b[:])
		o.Owner = "ticket-" + hex.EncodeToString(b[:])
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Validate reports every problem at once; it does no I/O.
func (o Options) Validate() error {
	var errs []error
	if o.Sealer == nil {
		errs = append(errs, errors.New("ticket: options.Sealer is required (caller data is sealed at rest)"))
	}
	for _, rt := range RequestTypes {
		if o.Limits[rt] < 1 {
			errs = append(errs, fmt.Errorf("ticket: options.Limits[%s] must be ≥ 1 working day", rt))
		}
	}
	for k := range o.Limits {
		if !validType(k) {
			errs = append(errs, fmt.Errorf("ticket: options.Limits has unknown request type %q", k))
		}
	}
	for name, v := range map[string]int{"UrgentDays": o.UrgentDays, "DispatchDays": o.DispatchDays, "ReturnDays": o.ReturnDays, "MaxExtensionDays": o.MaxExtensionDays, "WarningDays": o.WarningDays} {
		if v < 0 {
			errs = append(errs, fmt.Errorf("ticket: options.%s must not be negative", name))
		}
	}
	if o.MergeWindow < 0 || o.IdempotencyTTL < 0 || o.SchedulerInterval < 0 || o.LeaseTTL < o.SchedulerInterval {
		errs = append(errs, errors.New("ticket: options durations must be positive and LeaseTTL ≥ SchedulerInterval"))
	}
	return errors.Join(errs...)
}

// Service holds the ticket use cases.
type Service struct {
	st    store.Store
	opts  Options
	cal   *calendar.Calendar
	log   *slog.Logger
	ids   *idGen
	codes *codeAlloc
	// missingWarned is the day (string) the missing next-year schedule was
	// last logged.
	missingWarned atomic.Value
	// lastSweep is when the last successful deadline sweep started (zero:
	// none yet in this process, so the next one reads every open ticket).
	indexMigrated atomic.Bool // every stored ticket carries this release's index fields
	sweepMu       sync.Mutex
	lastSweep     time.Time
	lastFullSweep time.Time
}

// NewService builds the service: defaults → Validate → ready (no I/O).
func NewService(st store.Store, opts Options) (*Service, error) {
	if st == nil {
		return nil, errors.New("ticket: store is required")
	}
	opts = opts.WithDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	cal := opts.Calendar
	if cal == nil {
		var err error
		if cal, err = calendar.Default(calendar.China, opts.Logger); err != nil {
			return nil, err
		}
	}
	return &Service{st: st, opts: opts, cal: cal, log: opts.Logger, ids: &idGen{}, codes: &codeAlloc{}}, nil
}

// Calendar is the working-day calendar in use.
func (s *Service) Calendar() *calendar.Calendar { return s.cal }

// Options returns the effective options.
func (s *Service) Options() Options { return s.opts }

// now is in the calendar's zone, so stored and shown times read as local (UTC+8) time.
func (s *Service) now() time.Time { return s.opts.Now().In(s.cal.Location()) }

// sealedCaller is the caller at rest.
type sealedCaller struct {
	Name         string `json:"name,omitempty"`  // pii.Sealer sealed
	Phone        string `json:"phone,omitempty"` // pii.Sealer sealed
	Confidential bool   `json:"confidential,omitempty"`
	PhoneHash    string `json:"phone_hash,omitempty"`
}

// stored is the document at rest: Caller shadows Ticket.Caller.
type stored struct {
	Ticket
	Caller sealedCaller `json:"caller"`
}

func (s *Service) phoneHash(raw string) string {
	if raw == "" {
		return ""
	}
	key, ok := s.opts.PhoneKey(raw)
	if !ok {
		key = raw
	}
	return s.opts.Sealer.Hash(key)
}

// CallerHash is the keyed hash tickets of this phone number are indexed by.
func (s *Service) CallerHash(phone string) string { return s.phoneHash(phone) }

func (s *Service) encode(t *Ticket) (store.Record, error) {
	name, err := s.opts.Sealer.Seal(t.Caller.Name)
	if err != nil {
		return store.Record{}, err
	}
	phone, err := s.opts.Sealer.Seal(t.Caller.Phone)
	if err != nil {
		return store.Record{}, err
	}
	doc := stored{Ticket: *t, Caller: sealedCaller{Name: name, Phone: phone, Confidential: t.Caller.Confidential, PhoneHash: s.phoneHash(t.Caller.Phone)}}
	data, err := json.Marshal(doc)
	if err != nil {
		return store.Record{}, fmt.Errorf("ticket %s: encode: %w", t.ID, err)
	}
	return store.Record{Collection: Collection, ID: t.ID, Data: data, Index: s.index(t, doc.Caller.PhoneHash)}, nil
}

func boolIndex(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// Index fields of a ticket record (equality filters of store.List).
const (
	ixStatus     = "status"
	ixOpen       = "open"
	ixCode       = "code"
	ixCaller     = "caller"
	ixLead       = "lead"
	ixDeptPrefix = "d:" // d:<code> = "1" for the lead and each co-department
	ixExternal   = "ext"
	ixPlace      = "place"
	ixOverdue    = "overdue"
	ixHistorical = "historical"
	// ixSLA is the day (YYYYMMDD, calendar zone) of an open ticket's next
	// scheduler event, its warning or its overdue: the minutely sweep reads
	// the tickets of the days since its last run, not every open ticket.
	ixSLA = "sla"
	// ixRisk: open and warned or overdue (临期与超期); ixCallback: a bad
	// rating not yet called back. The supervisors' lists read them
	// directly instead of filtering the newest few hundred tickets.
	ixRisk     = "risk"
	ixCallback = "callback"
	// ixChannel is the intake channel (Open311 lists its own requests).
	ixChannel = "channel"
	// ixPersonal is the month (YYYYMM, calendar zone) a final ticket that
	// still holds its caller's data was closed: the retention sweep reads
	// the months past the retention, not every closed ticket.
	ixPersonal = "pii"
)

func (s *Service) index(t *Ticket, callerHash string) map[string]string {
	ix := map[string]string{
		ixStatus:     string(t.Status),
		ixOpen:       boolIndex(!t.Status.Final()),
		ixCode:       t.Code,
		ixOverdue:    boolIndex(t.Overdue && !t.Status.Final()),
		ixHistorical: boolIndex(t.Historical),
		ixChannel:    string(t.Channel),
	}
	// Written only when set: they are only ever asked for set, and most
	// tickets are closed (an entry per ticket would grow the index for
	// nothing).
	if day := s.slaDay(t); day != "" {
		ix[ixSLA] = day
	}
	if !t.Status.Final() && (t.Warned || t.Overdue) {
		ix[ixRisk] = "1"
	}
	if BadRating(t.Rating) && !t.CalledBack {
		ix[ixCallback] = "1"
	}
	if callerHash != "" {
		ix[ixCaller] = callerHash
	}
	if m := s.personalMonth(t); m != "" {
		ix[ixPersonal] = m
	}
	if t.Department != "" {
		ix[ixLead] = t.Department
		ix[ixDeptPrefix+t.Department] = "1"
	}
	for _, d := range t.CoDepartments {
		ix[ixDeptPrefix+d] = "1"
	}
	if t.ExternalID != "" {
		ix[ixExternal] = t.ExternalID
	}
	if p := s.placeKey(t); p != "" {
		ix[ixPlace] = p
	}
	return ix
}

// placeKey groups tickets at the same address and category (merge
// candidates); keyed so that addresses are not readable from the index.
func (s *Service) placeKey(t *Ticket) string {
	addr := normalizeSpace(t.Address)
	if addr == "" {
		return ""
	}
	cat := t.Category
	if cat == "" {
		cat = string(t.Type)
	}
	return s.opts.Sealer.Hash("place\x1f" + t.District + "\x1f" + addr + "\x1f" + cat)
}

func (s *Service) decode(r store.Record) (*Ticket, error) {
	var doc stored
	if err := json.Unmarshal(r.Data, &doc); err != nil {
		return nil, fmt.Errorf("ticket %s: decode: %w", r.ID, err)
	}
	t := doc.Ticket
	var err error
	if t.Caller.Name, err = s.opts.Sealer.Open(doc.Caller.Name); err != nil {
		return nil, fmt.Errorf("ticket %s: caller name: %w", r.ID, err)
	}
	if t.Caller.Phone, err = s.opts.Sealer.Open(doc.Caller.Phone); err != nil {
		return nil, fmt.Errorf("ticket %s: caller phone: %w", r.ID, err)
	}
	t.Caller.Confidential = doc.Caller.Confidential
	t.Version = r.Version
	return &t, nil
}

// Get loads a ticket by internal id or public code.
func (s *Service) Get(ctx context.Context, idOrCode string) (*Ticket, error) {
	if idOrCode == "" {
		return nil, fmt.Errorf("get ticket: %w", ErrNotFound)
	}
	r, err := s.st.Get(ctx, Collection, idOrCode)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) {
		page, lerr := s.st.List(ctx, Collection, store.ListOptions{Filter: map[string]string{ixCode: idOrCode}, Limit: 1})
		if lerr != nil {
			return nil, fmt.Errorf("get ticket %s: %w", idOrCode, lerr)
		}
		if len(page.Records) == 0 {
			return nil, fmt.Errorf("get ticket %s: %w", idOrCode, ErrNotFound)
		}
		r = page.Records[0]
	} else if err != nil {
		return nil, fmt.Errorf("get ticket %s: %w", idOrCode, err)
	}
	return s.decode(r)
}

// Filter selects tickets for List.
type Filter struct {
	Status      Status
	Department  string // lead or co-department
	CallerPhone string // raw number; matched through the keyed hash
	CallerHash  string // already hashed (hotline screen pop)
	Overdue     bool
	Open        *bool
	// AtRisk: open tickets the scheduler has warned about or marked
	// overdue; AwaitingCallback: bad ratings not yet called back.
	AtRisk           bool
	AwaitingCallback bool
	Channel          Channel
	// Before, with newest-first order and no cursor, starts the listing at
	// the tickets filed before this instant (ids begin with their intake
	// time), so an old window does not read every newer ticket.
	Before time.Time
	// Text keeps the tickets whose text, address, district, category or
	// code hold every word of it (an agent's 查询历史工单); Since bounds the
	// intake time a text search reaches back to.
	Text   string
	Since  time.Time
	Limit  int
	Cursor string
	Oldest bool // ascending intake order; default newest first
}

// Page is one page of tickets.
type Page struct {
	Tickets    []*Ticket `json:"tickets"`
	NextCursor string    `json:"next_cursor,omitempty"`
}

// List returns tickets matching f, newest first unless f.Oldest.
func (s *Service) List(ctx context.Context, f Filter) (Page, error) {
	filter := map[string]string{}
	if f.Status != "" {
		filter[ixStatus] = string(f.Status)
	}
	if f.Department != "" {
		filter[ixDeptPrefix+f.Department] = "1"
	}
	if f.CallerPhone != "" {
		filter[ixCaller] = s.phoneHash(f.CallerPhone)
	}
	if f.CallerHash != "" {
		filter[ixCaller] = f.CallerHash
	}
	if f.Overdue {
		filter[ixOverdue] = "1"
	}
	if f.Open != nil {
		filter[ixOpen] = boolIndex(*f.Open)
	}
	if f.AtRisk {
		filter[ixRisk] = "1"
	}
	if f.AwaitingCallback {
		filter[ixCallback] = "1"
	}
	if f.Channel != "" {
		filter[ixChannel] = string(f.Channel)
	}
	if f.Text != "" {
		return s.search(ctx, f, filter)
	}
	cursor := f.Cursor
	if cursor == "" && !f.Oldest && !f.Before.IsZero() {
		// An id may run ahead of its intake time when a clock went back
		// (idGen keeps ids monotonic): start an hour later.
		cursor = store.EncodeCursor(idTimePrefix(f.Before.Add(time.Hour)))
	}
	p, err := s.st.List(ctx, Collection, store.ListOptions{Filter: filter, Limit: f.Limit, Cursor: cursor, Reverse: !f.Oldest})
	if err != nil {
		return Page{}, fmt.Errorf("list tickets: %w", err)
	}
	out := Page{NextCursor: p.NextCursor, Tickets: make([]*Ticket, 0, len(p.Records))}
	for _, r := range p.Records {
		t, err := s.decode(r)
		if err != nil {
			return Page{}, err
		}
		out.Tickets = append(out.Tickets, t)
	}
	return out, nil
}

// History lists a caller's tickets for the hotline screen pop (wire it as
// hotline.Lookups.History): open ones first, then the newest.
func (s *Service) History(ctx context.Context, callerHash string, limit int) ([]hotline.TicketSummary, error) {
	if callerHash == "" {
		return []hotline.TicketSummary{}, nil
	}
	if limit <= 0 {
		limit = 20
	}
	page, err := s.List(ctx, Filter{CallerHash: callerHash, Limit: limit})
	if err != nil {
		return nil, err
	}
	out := make([]hotline.TicketSummary, 0, len(page.Tickets))
	for _, t := range page.Tickets {
		out = append(out, hotline.TicketSummary{ID: t.ID, Code: t.Code, Status: string(t.Status), Open: !t.Status.Final(),
			Type: string(t.Type), Department: t.Department, Summary: summary(t.Text, 40), CreatedAt: t.CreatedAt, Deadline: t.Deadlines.Due})
	}
	hotline.SortHistory(out)
	return out, nil
}
