package ticket

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/department"
	"github.com/hallgate/hallgate/gateway/store"
)

// ImportLine is one JSON line of historical tickets. The fields of
// ../shared/data/tickets_dev.jsonl are the minimum; the rest are optional.
type ImportLine struct {
	ID            string   `json:"id"`
	Channel       Channel  `json:"channel"`
	Text          string   `json:"text"`
	District      string   `json:"district"`
	Address       string   `json:"address"`
	Type          string   `json:"type"`
	Category      string   `json:"category"`
	Department    string   `json:"department"`
	CoDepartments []string `json:"co_departments"`
	Urgent        bool     `json:"urgent"`
	DirectAnswer  bool     `json:"direct_answer"`
	KBEntry       string   `json:"kb_entry"`
	Reply         string   `json:"reply"`
	Rating        string   `json:"rating"`
	CreatedAt     FlexTime `json:"created_at"`
	ClosedAt      FlexTime `json:"closed_at"`
	// Caller, when the old system kept it, lets the screen pop show the
	// caller's history from before hallgate; it is sealed like any caller.
	Caller Caller `json:"caller"`
}

// FlexTime accepts the time formats exports of older systems use: RFC 3339,
// "2006-01-02 15:04:05" and "2006-01-02" (China time when no zone is given),
// or null / "".
type FlexTime struct{ time.Time }

// UnmarshalJSON implements json.Unmarshaler.
func (f *FlexTime) UnmarshalJSON(b []byte) error {
	var s string
	if string(b) == "null" {
		return nil
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("time must be a string: %w", err)
	}
	return f.parse(s)
}

// parse reads one of the accepted forms; "" leaves f zero.
func (f *FlexTime) parse(s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		f.Time = t
		return nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04", time.DateOnly, "2006/01/02 15:04:05", "2006/1/2 15:04:05", "2006/1/2 15:04", "2006/01/02", "2006/1/2", "2006年1月2日"} {
		if t, err := time.ParseInLocation(layout, s, chinaZone); err == nil {
			f.Time = t
			return nil
		}
	}
	return fmt.Errorf("unrecognised time %q (use RFC 3339 or YYYY-MM-DD HH:MM:SS)", s)
}

var chinaZone = time.FixedZone("CST", 8*3600)

// ImportError names a refused line (1-based).
type ImportError struct {
	Line  int    `json:"line"`
	Error string `json:"error"`
}

// ImportResult answers an import.
type ImportResult struct {
	Imported int           `json:"imported"`
	Skipped  int           `json:"skipped"` // already imported (same id)
	Errors   []ImportError `json:"errors"`
	// IgnoredColumns are the headings of a CSV import that name no field.
	IgnoredColumns []string `json:"ignored_columns,omitempty"`
}

// importBatch lines share one Tx: one fsync per batch, not per ticket.
const importBatch = 256

// MaxImportLine bounds one JSON line.
const MaxImportLine = 1 << 20

// Import stores JSON Lines of historical tickets as closed tickets and shows
// them to the observers (ImportObservers batch by batch, else Observers).
// Lines already imported (same id) are skipped, so an import can be re-run
// after a failure.
func (s *Service) Import(ctx context.Context, p auth.Principal, r io.Reader) (ImportResult, error) {
	return s.importRows(ctx, p, func(row func(n int, l *ImportLine, problem string) error) (string, error) {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64*1024), MaxImportLine)
		line := 0
		for sc.Scan() {
			line++
			raw := strings.TrimSpace(sc.Text())
			if raw == "" {
				continue
			}
			var l ImportLine
			if err := json.Unmarshal([]byte(raw), &l); err != nil {
				if err := row(line, nil, "malformed JSON: "+err.Error()); err != nil {
					return "", err
				}
				continue
			}
			if err := row(line, &l, ""); err != nil {
				return "", err
			}
		}
		if err := sc.Err(); err != nil {
			if errors.Is(err, bufio.ErrTooLong) {
				return "", row(line+1, nil, fmt.Sprintf("line longer than %d bytes; import stopped", MaxImportLine))
			}
			return "", fmt.Errorf("import read: %w", err)
		}
		return "", nil
	})
}

// importRows is the import behind every format: read calls row for each
// row of the input, with the decoded line or the reason it could not be
// decoded; rows are checked, resolved and committed in batches. What read
// returns besides an error is a note for the log (the format read).
func (s *Service) importRows(ctx context.Context, p auth.Principal, read func(row func(n int, l *ImportLine, problem string) error) (string, error)) (ImportResult, error) {
	res := ImportResult{Errors: []ImportError{}}
	var batch []*Ticket
	inBatch := map[string]bool{}
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		var tx store.Tx
		for _, t := range batch {
			rec, err := s.encode(t)
			if err != nil {
				return err
			}
			tx.Puts = append(tx.Puts, store.Put{Record: rec})
		}
		if _, err := s.st.Commit(ctx, tx); err != nil {
			return fmt.Errorf("import: %w", err)
		}
		res.Imported += len(batch)
		if len(s.opts.ImportObservers) > 0 {
			for _, o := range s.opts.ImportObservers {
				cp := make([]*Ticket, len(batch))
				for i, t := range batch {
					cp[i] = t.Clone()
				}
				o(ctx, cp)
			}
		} else {
			for _, t := range batch {
				s.observe(ctx, t)
			}
		}
		batch, inBatch = batch[:0], map[string]bool{}
		return nil
	}
	a := actorOf(p)
	names := s.departmentNames()
	format, err := read(func(line int, l *ImportLine, problem string) error {
		if l == nil {
			res.Errors = append(res.Errors, ImportError{line, problem})
			return nil
		}
		err := names.resolve(ctx, l)
		var t *Ticket
		if err == nil {
			t, err = s.historical(ctx, a, *l)
		}
		var lp lineProblem
		if errors.As(err, &lp) {
			res.Errors = append(res.Errors, ImportError{line, err.Error()})
			return nil
		}
		if err != nil {
			// The store or the department directory failed, not the line:
			// stop, keep what was committed; a re-run skips it.
			return fmt.Errorf("import line %d: %w", line, err)
		}
		if l.ID != "" {
			if inBatch[l.ID] {
				res.Skipped++
				return nil
			}
			n, err := s.st.Count(ctx, Collection, map[string]string{ixExternal: l.ID})
			if err != nil {
				return fmt.Errorf("import line %d: %w", line, err)
			}
			if n > 0 {
				res.Skipped++
				return nil
			}
			inBatch[l.ID] = true
		}
		batch = append(batch, t)
		if len(batch) >= importBatch {
			return flush()
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	if err := flush(); err != nil {
		return res, err
	}
	attrs := []any{"imported", res.Imported, "skipped", res.Skipped, "errors", len(res.Errors)}
	if format != "" {
		attrs = append(attrs, "format", format)
	}
	s.log.InfoContext(ctx, "tickets imported", attrs...)
	for _, done := range s.opts.ImportDone {
		done(ctx, res.Imported)
	}
	return res, nil
}

// typeAliases are how older hotline systems name the request types in
// their exports (GB/T 33358 categories and common local variants).
var typeAliases = map[string]string{
	"意见建议": "建议", "意见": "建议", "感谢": "表扬", "表扬感谢": "表扬",
	"查询": "咨询", "求决": "求助", "求助求决": "求助", "检举": "举报",
}

// historicalType maps an exported request type to one of RequestTypes
// where that is unambiguous: 投诉类 is 投诉, 意见建议 is 建议. A combined
// category (投诉举报) stays as written, for the check to refuse: guessing
// would teach the type model a wrong label.
func historicalType(t string) string {
	t = strings.TrimSpace(t)
	if validType(RequestType(t)) {
		return t
	}
	base := strings.TrimSuffix(t, "类")
	if validType(RequestType(base)) {
		return base
	}
	if a := typeAliases[base]; a != "" {
		return a
	}
	return t
}

// lineProblem is what is wrong with one import line; the import reports it
// by line and goes on. Any other error stops the import.
type lineProblem string

func (p lineProblem) Error() string { return string(p) }

// departmentNames resolves the department names of one import, each once.
type departmentNames struct {
	resolve1 func(ctx context.Context, ref string) (string, error)
	seen     map[string]string // ref → code; "" when it fits none
	refused  map[string]error  // ref → why it cannot be resolved (ambiguous)
}

func (s *Service) departmentNames() *departmentNames {
	return &departmentNames{resolve1: s.opts.ResolveDepartment, seen: map[string]string{}, refused: map[string]error{}}
}

// resolve rewrites the line's lead and co-departments to codes. A name that
// fits no department is left as written, for the check that follows to
// report as unknown; one that fits several refuses the line with the
// candidates.
func (n *departmentNames) resolve(ctx context.Context, l *ImportLine) error {
	if n.resolve1 == nil {
		return nil
	}
	one := func(field, ref string) (string, error) {
		if ref == "" {
			return ref, nil
		}
		if err, ok := n.refused[ref]; ok {
			return "", fmt.Errorf("%s: %w", field, err)
		}
		code, ok := n.seen[ref]
		if !ok {
			var err error
			code, err = n.resolve1(ctx, ref)
			var amb *department.AmbiguousError
			switch {
			case errors.As(err, &amb):
				n.refused[ref] = err
				return "", fmt.Errorf("%s: %w", field, err)
			case errors.Is(err, department.ErrUnknownDepartment):
				code = ""
			case err != nil:
				return "", err
			}
			n.seen[ref] = code
		}
		if code == "" {
			return ref, nil
		}
		return code, nil
	}
	var problems []string
	var err error
	var amb *department.AmbiguousError
	if l.Department, err = one("department", l.Department); errors.As(err, &amb) {
		problems = append(problems, err.Error())
	} else if err != nil {
		return err
	}
	for i, c := range l.CoDepartments {
		if l.CoDepartments[i], err = one(fmt.Sprintf("co_departments[%d]", i), c); errors.As(err, &amb) {
			problems = append(problems, err.Error())
		} else if err != nil {
			return err
		}
	}
	if len(problems) > 0 {
		return lineProblem(strings.Join(problems, "; "))
	}
	return nil
}

func (s *Service) historical(ctx context.Context, a actor, l ImportLine) (*Ticket, error) {
	var problems []string
	l.Text = strings.TrimSpace(l.Text)
	if l.Text == "" {
		problems = append(problems, "text: required")
	}
	l.Type = historicalType(l.Type)
	if !validType(RequestType(l.Type)) {
		problems = append(problems, "type: one of 咨询, 求助, 投诉, 举报, 建议, 表扬")
	}
	if l.Channel == "" {
		l.Channel = ChannelHotline // history is kept as it was; an unknown channel name is no reason to lose a line
	}
	if l.Caller.Phone != "" {
		if _, ok := s.opts.PhoneKey(l.Caller.Phone); !ok {
			problems = append(problems, "caller.phone: not a telephone number")
		}
	}
	if l.Rating != "" && !slices.Contains(Ratings, l.Rating) {
		problems = append(problems, "rating: one of "+strings.Join(Ratings, ", "))
	}
	if l.Department == "" && !l.DirectAnswer {
		problems = append(problems, "department: required unless direct_answer")
	}
	if l.Department != "" {
		err := s.checkDepartments(ctx, Command{Department: l.Department, CoDepartments: l.CoDepartments})
		var ve *ValidationError
		if errors.As(err, &ve) {
			for _, f := range ve.Fields {
				problems = append(problems, f.Field+": "+f.Reason)
			}
		} else if err != nil {
			return nil, err
		}
	}
	if len(problems) > 0 {
		return nil, lineProblem(strings.Join(problems, "; "))
	}
	now := s.now()
	created := now
	if !l.CreatedAt.IsZero() {
		created = l.CreatedAt.Time
	}
	closed := created
	if !l.ClosedAt.IsZero() && !l.ClosedAt.Before(created) {
		closed = l.ClosedAt.Time
	}
	id := s.ids.next(now)
	t := &Ticket{ID: id, Code: "LS" + id, ExternalID: l.ID, Historical: true, Channel: l.Channel, Type: RequestType(l.Type),
		Text: l.Text, Caller: l.Caller, District: l.District, Address: l.Address, Category: l.Category, Urgent: l.Urgent,
		Department: l.Department, CoDepartments: slices.Clone(l.CoDepartments), DirectAnswer: l.DirectAnswer, KBEntry: l.KBEntry,
		Reply: l.Reply, Rating: l.Rating, Status: StatusClosed, CreatedAt: created, ClosedAt: closed, UpdatedAt: now}
	if l.Rating != "" {
		t.Ratings = []string{l.Rating}
	}
	if l.DirectAnswer && l.Department == "" {
		t.Status = StatusAnswered
	}
	record(t, a, EvImport, t.Status, now, "", map[string]any{"external_id": l.ID})
	t.Events[0].From = ""
	return t, nil
}
