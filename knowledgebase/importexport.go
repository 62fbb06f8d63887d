package knowledgebase

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/hallgate/hallgate/gateway/department"
	"github.com/hallgate/hallgate/gateway/store"
)

// Line is one JSON Lines record of import and export. Import needs at least
// id, question, answer, department, category and channel (or channels);
// entries are published unless status says otherwise.
type Line struct {
	ID             string   `json:"id"`
	Question       string   `json:"question"`
	Answer         string   `json:"answer"`
	Department     string   `json:"department"`
	Category       string   `json:"category"`
	Channel        string   `json:"channel,omitempty"`
	Channels       []string `json:"channels,omitempty"`
	Keywords       []string `json:"keywords"`
	Alternates     []string `json:"alternates,omitempty"`
	MaterialType   string   `json:"material_type,omitempty"`
	Region         string   `json:"region,omitempty"`
	IssuingUnit    string   `json:"issuing_unit,omitempty"`
	SourceDocument string   `json:"source_document,omitempty"`
	EffectiveFrom  Date     `json:"effective_from,omitzero"`
	ExpiresAt      Date     `json:"expires_at,omitzero"`
	ReviewDue      Date     `json:"review_due,omitzero"`
	Visibility     string   `json:"visibility,omitempty"`
	Status         string   `json:"status,omitempty"`
	Version        uint64   `json:"version,omitempty"` // export only; ignored on import
}

// LineError reports one rejected import line by its 1-based number.
type LineError struct {
	Line  int    `json:"line"`
	Error string `json:"error"`
}

// ImportResult answers an import: valid lines are kept, invalid ones listed.
type ImportResult struct {
	Imported  int         `json:"imported"`
	Unchanged int         `json:"unchanged"`
	Errors    []LineError `json:"errors"`
	// IgnoredColumns are the headings of a CSV import that name no field.
	IgnoredColumns []string `json:"ignored_columns,omitempty"`
}

func (l Line) entry() Entry {
	channels := l.Channels
	if l.Channel != "" {
		channels = append([]string{l.Channel}, channels...)
	}
	status := l.Status
	if status == "" {
		status = StatusPublished
	}
	return Entry{
		ID: l.ID, Title: l.Question, Alternates: l.Alternates, Answer: l.Answer,
		Category: l.Category, Department: l.Department, MaterialType: l.MaterialType,
		Keywords: l.Keywords, Channels: channels, Region: l.Region,
		IssuingUnit: l.IssuingUnit, SourceDocument: l.SourceDocument,
		EffectiveFrom: l.EffectiveFrom, ExpiresAt: l.ExpiresAt, ReviewDue: l.ReviewDue,
		Visibility: l.Visibility, Status: status,
	}
}

func lineOf(e *Entry) Line {
	l := Line{
		ID: e.ID, Question: e.Title, Answer: e.Answer, Department: e.Department,
		Category: e.Category, Channels: e.Channels, Keywords: e.Keywords,
		Alternates: e.Alternates, MaterialType: e.MaterialType, Region: e.Region,
		IssuingUnit: e.IssuingUnit, SourceDocument: e.SourceDocument,
		EffectiveFrom: e.EffectiveFrom, ExpiresAt: e.ExpiresAt, ReviewDue: e.ReviewDue,
		Visibility: e.Visibility, Status: e.Status, Version: e.Version,
	}
	if len(e.Channels) > 0 {
		l.Channel, l.Channels = e.Channels[0], e.Channels[1:]
	}
	if l.Keywords == nil {
		l.Keywords = []string{}
	}
	return l
}

type pendingLine struct {
	n     int
	entry Entry
	size  int // bytes of the line
}

// Import reads JSON Lines from r and upserts the entries (editors only).
// Every line is checked on its own — JSON, required fields, limits, known
// department, unique id and title — and each line's write is atomic: a
// rejected line writes nothing, accepted lines are kept. Valid lines are
// committed in batches while the input is read; when a batch fails, its
// lines are retried one by one so a single bad line cannot sink its
// neighbours.
func (s *Service) Import(ctx context.Context, actor Actor, r io.Reader) (ImportResult, error) {
	if !actor.Editor {
		return ImportResult{}, fmt.Errorf("import: %w", ErrForbidden)
	}
	run := newImportRun(ctx, s, actor.ID)
	defer run.drain()
	li := newLineImporter(s, run)
	err := s.eachLine(ctx, r, func(n int, raw []byte) error {
		var l Line
		if err := json.Unmarshal(raw, &l); err != nil {
			run.fail(n, fmt.Errorf("malformed JSON: %v", err))
			return nil
		}
		return li.add(ctx, n, l, len(raw))
	}, run.fail)
	res, ferr := run.finish(err == nil)
	if err == nil {
		err = ferr
	}
	if err != nil {
		return res, fmt.Errorf("import: %w", err)
	}
	return res, nil
}

// importProjectChunk is how many imported entries are projected into the
// index at once.
const importProjectChunk = 5000

func sortLineErrors(errs []LineError) {
	for i := 1; i < len(errs); i++ {
		for j := i; j > 0 && errs[j].Line < errs[j-1].Line; j-- {
			errs[j], errs[j-1] = errs[j-1], errs[j]
		}
	}
}

// eachLine walks the JSON Lines in r: blank lines are skipped, a byte-order
// mark on the first line is dropped, a line over MaxImportLineBytes goes to
// tooLong with its number, and every other line to line with its number. An
// error from line, a read error or a cancelled ctx ends the walk.
func (s *Service) eachLine(ctx context.Context, r io.Reader, line func(n int, raw []byte) error, tooLong func(n int, err error)) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for n := 1; ; n++ {
		raw, long, err := readLine(br, s.opts.MaxImportLineBytes)
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read line %d: %w", n, err)
		}
		eof := errors.Is(err, io.EOF)
		if n == 1 {
			raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
		}
		raw = bytes.TrimSpace(raw)
		switch {
		case long:
			tooLong(n, fmt.Errorf("line longer than %d bytes", s.opts.MaxImportLineBytes))
		case len(raw) > 0: // blank lines are allowed (trailing newline, separators)
			if err := line(n, raw); err != nil {
				return err
			}
		}
		if eof {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// readLine reads one line of at most max bytes; a longer line is consumed
// and reported as tooLong.
func readLine(br *bufio.Reader, max int) (line []byte, tooLong bool, err error) {
	var buf []byte
	for {
		chunk, isPrefix, err := br.ReadLine()
		if len(buf)+len(chunk) > max {
			tooLong = true
		} else {
			buf = append(buf, chunk...)
		}
		if err != nil {
			return buf, tooLong, err
		}
		if !isPrefix {
			return buf, tooLong, nil
		}
	}
}

// lineImporter checks the decoded lines of one import (JSON Lines or CSV)
// and adds the valid ones to its run: ids and questions must be unique
// within the import, departments are resolved once each.
type lineImporter struct {
	s                 *Service
	run               *importRun
	known             departmentRefs
	seenID, seenTitle map[string]int
}

func newLineImporter(s *Service, run *importRun) *lineImporter {
	return &lineImporter{s: s, run: run, known: departmentRefs{}, seenID: map[string]int{}, seenTitle: map[string]int{}}
}

// add checks line n (size bytes of input) and queues it, or records why
// not; the error is a failure of the run itself (a write, the department
// directory), which stops the import.
func (li *lineImporter) add(ctx context.Context, n int, l Line, size int) error {
	e, lerr := li.s.checkLine(ctx, l, li.known)
	switch {
	case lerr != nil && !isLineError(lerr):
		return lerr // the department directory failed, not the line: stop
	case lerr != nil:
		li.run.fail(n, lerr)
	case li.seenID[e.ID] > 0:
		li.run.fail(n, fmt.Errorf("duplicate id %q (line %d)", e.ID, li.seenID[e.ID]))
	case li.seenTitle[titleKey(e.Title)] > 0:
		li.run.fail(n, fmt.Errorf("duplicate question (line %d)", li.seenTitle[titleKey(e.Title)]))
	default:
		li.seenID[e.ID], li.seenTitle[titleKey(e.Title)] = n, n
		return li.run.add(pendingLine{n, e, size})
	}
	return nil
}

// checkLine validates one decoded line; known caches department names.
func (s *Service) checkLine(ctx context.Context, l Line, known departmentRefs) (Entry, error) {
	var fe fieldErrors
	if strings.TrimSpace(l.ID) == "" {
		fe.add("id", "required")
	}
	if strings.TrimSpace(l.Question) == "" {
		fe.add("question", "required")
	}
	if l.Channel == "" && len(l.Channels) == 0 {
		fe.add("channel", "required")
	}
	e := l.entry()
	e.normalize()
	for _, f := range e.validate() {
		if f.Field == "title" {
			f.Field = "question"
			if f.Reason == "required" {
				continue // already reported
			}
		}
		fe = append(fe, f)
	}
	if e.Department != "" {
		code, reason, err := known.resolve(ctx, s.depts, e.Department)
		if err != nil {
			return Entry{}, err
		}
		if reason != "" {
			fe.add("department", reason)
		}
		e.Department = code
	}
	if err := fe.err(); err != nil {
		return Entry{}, err
	}
	return e, nil
}

// departmentRefs resolves the departments one import names, each once: an
// export from an older system may write a department's name, short name or
// old hotline number where hallgate keeps its code.
type departmentRefs map[string]departmentRef

type departmentRef struct{ code, reason string }

// resolve returns the code ref stands for, or the reason it stands for
// none; err is a failure of the directory itself.
func (k departmentRefs) resolve(ctx context.Context, dir DepartmentDirectory, ref string) (code, reason string, err error) {
	if r, ok := k[ref]; ok {
		return r.code, r.reason, nil
	}
	code, err = dir.Resolve(ctx, ref)
	var amb *department.AmbiguousError
	switch {
	case errors.As(err, &amb):
		reason = err.Error()
	case errors.Is(err, department.ErrUnknownDepartment):
		reason = reasonUnknownDepartment + " " + ref
	case err != nil:
		return "", "", err
	}
	if reason != "" {
		code = ref
	}
	k[ref] = departmentRef{code, reason}
	return code, reason, nil
}

// prepareImport builds the upsert of one imported entry; skip means the
// stored entry already says the same.
func (s *Service) prepareImport(ctx context.Context, by string, e Entry) (store.Tx, Entry, bool, error) {
	old, err := s.loadEntry(ctx, e.ID)
	switch {
	case errors.Is(err, ErrNotFound):
		tx, out, err := s.entryTx(ctx, by, nil, e, ActionImport, "")
		return tx, out, false, err
	case err != nil:
		return store.Tx{}, Entry{}, false, err
	}
	changes, err := diff(&old, &e)
	if err != nil {
		return store.Tx{}, Entry{}, false, err
	}
	if len(changes) == 0 {
		return store.Tx{}, old, true, nil
	}
	tx, out, err := s.entryTx(ctx, by, &old, e, ActionImport, "")
	return tx, out, false, err
}

// Export writes every entry visible to actor as JSON Lines, in id order,
// in the import format (plus version), so an export re-imports unchanged.
func (s *Service) Export(ctx context.Context, actor Actor, w io.Writer) (int, error) {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return s.eachExported(ctx, actor, func(e *Entry) error { return enc.Encode(lineOf(e)) })
}

// eachExported calls fn for each entry actor may see, in id order, and
// returns how many it passed.
func (s *Service) eachExported(ctx context.Context, actor Actor, fn func(e *Entry) error) (int, error) {
	n := 0
	cursor := ""
	for {
		page, err := s.ListEntries(ctx, actor, EntryFilter{Limit: 500, Cursor: cursor})
		if err != nil {
			return n, err
		}
		for i := range page.Entries {
			if err := fn(&page.Entries[i]); err != nil {
				return n, fmt.Errorf("export: %w", err)
			}
			n++
		}
		if page.NextCursor == "" {
			return n, nil
		}
		cursor = page.NextCursor
	}
}
