package department

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hallgate/hallgate/gateway/store"
)

// Collection is the store collection that holds departments, keyed by code.
const Collection = "departments"

// Sentinel errors; check them with errors.Is.
var (
	// ErrUnknownDepartment is returned when a code names no department (HTTP 422).
	ErrUnknownDepartment = errors.New("department: unknown department")
	// ErrInvalid is wrapped by *ValidationError (HTTP 422).
	ErrInvalid = errors.New("department: invalid department")
)

// Consolidation modes of a legacy hotline (DOMAIN.md).
const (
	ModeMerged    = "merged"    // 整体并入
	ModeParallel  = "parallel"  // 双号并行
	ModeSubcentre = "subcentre" // 设分中心
)

// Department is one department's master data, shaped like departments.json.
type Department struct {
	Code              string    `json:"code"`
	Name              string    `json:"name"`
	ShortName         string    `json:"short_name,omitempty"`
	LegacyHotlines    []string  `json:"legacy_hotlines"`
	ConsolidationMode string    `json:"consolidation_mode"`
	Responsibilities  string    `json:"responsibilities,omitempty"`
	UpdatedAt         time.Time `json:"updated_at,omitzero"`
}

// FieldError names one invalid field.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// ValidationError lists every problem found; it wraps ErrInvalid.
type ValidationError struct{ Fields []FieldError }

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Reason
	}
	return ErrInvalid.Error() + ": " + strings.Join(parts, "; ")
}

func (e *ValidationError) Unwrap() error { return ErrInvalid }

var (
	codePattern    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	hotlinePattern = regexp.MustCompile(`^[0-9][0-9-]{2,19}$`)
)

// Validate reports every problem of d, with fields prefixed by prefix
// (e.g. "[3].").
func (d Department) validate(prefix string) []FieldError {
	var out []FieldError
	add := func(field, reason string) { out = append(out, FieldError{prefix + field, reason}) }
	if !codePattern.MatchString(d.Code) {
		add("code", "must be 1–64 letters, digits, '.', '-' or '_'")
	}
	if strings.TrimSpace(d.Name) == "" {
		add("name", "required")
	} else if utf8.RuneCountInString(d.Name) > 128 {
		add("name", "at most 128 characters")
	}
	if utf8.RuneCountInString(d.ShortName) > 64 {
		add("short_name", "at most 64 characters")
	}
	switch d.ConsolidationMode {
	case ModeMerged, ModeParallel, ModeSubcentre:
	default:
		add("consolidation_mode", "must be merged, parallel or subcentre")
	}
	for i, h := range d.LegacyHotlines {
		if !hotlinePattern.MatchString(h) {
			add(fmt.Sprintf("legacy_hotlines[%d]", i), "must be 3–20 digits or '-'")
		}
	}
	if utf8.RuneCountInString(d.Responsibilities) > 4000 {
		add("responsibilities", "at most 4000 characters")
	}
	return out
}

// Validate reports every problem of d at once.
func (d Department) Validate() error {
	if errs := d.validate(""); len(errs) > 0 {
		return &ValidationError{Fields: errs}
	}
	return nil
}

// Service reads and writes departments in the store.
type Service struct {
	st  store.Store
	now func() time.Time
}

// NewService returns a Service over st.
func NewService(st store.Store) *Service {
	return &Service{st: st, now: time.Now}
}

// Import upserts departments by code. Every department is validated first
// (all problems reported at once, with their array index), a code may appear
// only once, and a legacy hotline may belong to one department only; then
// everything is written in one transaction, so nothing is half-written.
func (s *Service) Import(ctx context.Context, depts []Department) (int, error) {
	if len(depts) == 0 {
		return 0, &ValidationError{Fields: []FieldError{{"", "at least one department"}}}
	}
	var problems []FieldError
	seenCode := map[string]int{}
	seenHotline := map[string]string{}
	for i, d := range depts {
		prefix := fmt.Sprintf("[%d].", i)
		problems = append(problems, d.validate(prefix)...)
		if j, dup := seenCode[d.Code]; dup && d.Code != "" {
			problems = append(problems, FieldError{prefix + "code", fmt.Sprintf("duplicate of [%d]", j)})
		}
		seenCode[d.Code] = i
		for _, h := range d.LegacyHotlines {
			if other, dup := seenHotline[h]; dup && other != d.Code {
				problems = append(problems, FieldError{prefix + "legacy_hotlines", fmt.Sprintf("%s already belongs to %s", h, other)})
			}
			seenHotline[h] = d.Code
		}
	}
	if len(problems) > 0 {
		return 0, &ValidationError{Fields: problems}
	}
	now := s.now().UTC()
	tx := store.Tx{Puts: make([]store.Put, 0, len(depts))}
	for _, d := range depts {
		d.UpdatedAt = now
		if d.LegacyHotlines == nil {
			d.LegacyHotlines = []string{}
		}
		data, err := json.Marshal(d)
		if err != nil {
			return 0, fmt.Errorf("department import %s: %w", d.Code, err)
		}
		tx.Puts = append(tx.Puts, store.Put{
			Record: store.Record{Collection: Collection, ID: d.Code, Data: data,
				Index: map[string]string{"mode": d.ConsolidationMode}},
			Force: true,
		})
	}
	if _, err := s.st.Commit(ctx, tx); err != nil {
		return 0, fmt.Errorf("department import: %w", err)
	}
	return len(depts), nil
}

// Get returns the department with code, or ErrUnknownDepartment.
func (s *Service) Get(ctx context.Context, code string) (Department, error) {
	if code == "" {
		return Department{}, fmt.Errorf("department %q: %w", code, ErrUnknownDepartment)
	}
	rec, err := s.st.Get(ctx, Collection, code)
	if errors.Is(err, store.ErrNotFound) {
		return Department{}, fmt.Errorf("department %q: %w", code, ErrUnknownDepartment)
	}
	if err != nil {
		return Department{}, fmt.Errorf("department get %s: %w", code, err)
	}
	var d Department
	if err := json.Unmarshal(rec.Data, &d); err != nil {
		return Department{}, fmt.Errorf("department decode %s: %w", code, err)
	}
	return d, nil
}

// Exists reports whether code names a known department.
func (s *Service) Exists(ctx context.Context, code string) (bool, error) {
	_, err := s.Get(ctx, code)
	if errors.Is(err, ErrUnknownDepartment) {
		return false, nil
	}
	return err == nil, err
}

// List returns every department ordered by code.
func (s *Service) List(ctx context.Context) ([]Department, error) {
	var out []Department
	cursor := ""
	for {
		page, err := s.st.List(ctx, Collection, store.ListOptions{Limit: 500, Cursor: cursor})
		if err != nil {
			return nil, fmt.Errorf("department list: %w", err)
		}
		for _, rec := range page.Records {
			var d Department
			if err := json.Unmarshal(rec.Data, &d); err != nil {
				return nil, fmt.Errorf("department decode %s: %w", rec.ID, err)
			}
			out = append(out, d)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out, nil
}

// ByHotline returns the department that owns a legacy hotline number.
func (s *Service) ByHotline(ctx context.Context, number string) (Department, error) {
	all, err := s.List(ctx)
	if err != nil {
		return Department{}, err
	}
	for _, d := range all {
		for _, h := range d.LegacyHotlines {
			if h == number {
				return d, nil
			}
		}
	}
	return Department{}, fmt.Errorf("hotline %q: %w", number, ErrUnknownDepartment)
}
