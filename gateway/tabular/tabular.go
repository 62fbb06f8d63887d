// Package tabular reads the spreadsheets a city's older systems export, as
// CSV: UTF-8 with or without a byte-order mark, or GB 18030 (GBK, what
// Chinese spreadsheet software saves); a heading row whose headings name
// fields either by their API names or by the Chinese headings those systems
// use; quoted cells over several lines. It also writes cells a spreadsheet
// will not run as formulas. The imports of tickets and of the knowledge
// base read their CSV through it.
package tabular

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// Columns maps each field to the headings that name it besides its own name
// (a dot in a field name may be written as an underscore: caller_phone).
type Columns map[string][]string

// HeaderError says what is wrong with the heading row; nothing was read.
type HeaderError struct {
	Missing    []string // fields no column provides
	Duplicates []string // fields several columns provide
}

func (e *HeaderError) Error() string {
	var parts []string
	if len(e.Missing) > 0 {
		parts = append(parts, "no column for "+strings.Join(e.Missing, ", "))
	}
	if len(e.Duplicates) > 0 {
		parts = append(parts, "several columns for "+strings.Join(e.Duplicates, ", "))
	}
	return "CSV heading row: " + strings.Join(parts, "; ")
}

// BodyError says the body is not a CSV this package can read (its size,
// its encoding, no heading row); nothing was read.
type BodyError struct{ Reason string }

func (e *BodyError) Error() string { return e.Reason }

// Example is the first Chinese heading of field, for messages.
func (c Columns) Example(field string) string {
	if names := c[field]; len(names) > 0 {
		return names[0]
	}
	return field
}

// field returns the field a heading names, or "".
func (c Columns) field(heading string) string {
	h := foldHeading(heading)
	for f, names := range c {
		if h == f || h == strings.ReplaceAll(f, ".", "_") {
			return f
		}
		for _, n := range names {
			if h == foldHeading(n) {
				return f
			}
		}
	}
	return ""
}

// foldHeading drops a byte-order mark, spaces, letter case and a bracketed
// remark (受理时间（北京时间）).
func foldHeading(h string) string {
	h = strings.TrimPrefix(h, "\ufeff")
	if i := strings.IndexAny(h, "（("); i > 0 {
		h = h[:i]
	}
	return strings.ToLower(strings.Join(strings.Fields(h), ""))
}

// Table reads the rows of a CSV body after its heading row.
type Table struct {
	// Encoding is "utf-8" or "gb18030".
	Encoding string
	// Ignored are the headings that name no field (and are not in Known).
	Ignored []string
	fields  []string
	r       *csv.Reader
}

// Spec is what a table must hold.
type Spec struct {
	Columns Columns
	// Required lists groups of fields; each group needs a column for at
	// least one of its fields ({"department", "direct_answer"}).
	Required [][]string
	// Known are headings read elsewhere or written by an export, skipped
	// without being reported as ignored.
	Known map[string]bool
	// MaxBytes bounds the body, which is read whole to find its encoding.
	MaxBytes int64
}

// Open reads the body and its heading row.
func Open(r io.Reader, spec Spec) (*Table, error) {
	raw, err := io.ReadAll(io.LimitReader(r, spec.MaxBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(raw)) > spec.MaxBytes {
		return nil, &BodyError{fmt.Sprintf("CSV larger than %d bytes; split it", spec.MaxBytes)}
	}
	text, enc, err := Decode(raw)
	if err != nil {
		return nil, &BodyError{err.Error()}
	}
	cr := csv.NewReader(bytes.NewReader(text))
	// Strict quotes: a stray quote refuses its row (and the reader goes on
	// at the next line) instead of swallowing the rest of the file.
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, &BodyError{"no CSV heading row: " + err.Error()}
	}
	t := &Table{Encoding: enc, fields: make([]string, len(head)), r: cr}
	seen := map[string]bool{}
	herr := &HeaderError{}
	for i, h := range head {
		name := strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		f := spec.Columns.field(h)
		switch {
		case f == "":
			if name != "" && !spec.Known[name] {
				t.Ignored = append(t.Ignored, name)
			}
		case seen[f]:
			herr.Duplicates = append(herr.Duplicates, f)
		default:
			seen[f] = true
			t.fields[i] = f
		}
	}
	for _, group := range spec.Required {
		found := false
		for _, f := range group {
			found = found || seen[f]
		}
		if !found {
			herr.Missing = append(herr.Missing, group[0])
		}
	}
	if len(herr.Missing) > 0 || len(herr.Duplicates) > 0 {
		return nil, herr
	}
	return t, nil
}

// Row is one data row: its cells by field, trimmed and with a formula
// guard removed, and the line of the file it starts on.
type Row struct {
	Line  int
	Cells map[string]string
}

// Next returns the next row that is not blank; io.EOF after the last. A
// row the CSV reader cannot parse comes back as a *RowError, and reading
// can go on.
func (t *Table) Next() (Row, error) {
	for {
		rec, err := t.r.Read()
		if errors.Is(err, io.EOF) {
			return Row{}, io.EOF
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return Row{}, &RowError{Line: pe.StartLine, Reason: "malformed CSV: " + pe.Err.Error()}
		}
		if err != nil {
			return Row{}, err
		}
		line, _ := t.r.FieldPos(0)
		row := Row{Line: line, Cells: map[string]string{}}
		blank := true
		for i, v := range rec {
			if v = strings.TrimSpace(v); v != "" {
				blank = false
			}
			if i < len(t.fields) && t.fields[i] != "" {
				row.Cells[t.fields[i]] = Plain(v)
			}
		}
		if !blank {
			return row, nil
		}
	}
}

// RowError is a row that could not be read; the table reads on after it.
type RowError struct {
	Line   int
	Reason string
}

func (e *RowError) Error() string { return e.Reason }

// Decode returns the UTF-8 text of a CSV body (raw itself when it is
// UTF-8, without a copy) and the encoding it was in.
func Decode(raw []byte) ([]byte, string, error) {
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	if utf8.Valid(raw) {
		return raw, "utf-8", nil
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(raw)
	// The decoder replaces what GB 18030 cannot read with U+FFFD.
	if err != nil || !utf8.Valid(out) || bytes.ContainsRune(out, utf8.RuneError) {
		return nil, "", errors.New("the CSV is neither UTF-8 nor GB 18030 (GBK)")
	}
	return out, "gb18030", nil
}

// Bool reads the yes/no of a cell; extra names count as yes (紧急程度:
// 紧急 / 一般).
func Bool(v string, yes ...string) (bool, error) {
	switch strings.ToLower(v) {
	case "", "否", "不", "no", "n", "false", "0", "一般", "普通", "f":
		return false, nil
	case "是", "yes", "y", "true", "1", "t", "√":
		return true, nil
	}
	for _, y := range yes {
		if v == y {
			return true, nil
		}
	}
	return false, fmt.Errorf("%q is neither 是 nor 否", v)
}

// List splits a cell listing several values (住建局、城管局).
func List(v string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(v, func(r rune) bool { return strings.ContainsRune("、,，;；/| ", r) }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Safe keeps a spreadsheet from running a cell as a formula (CSV
// injection): a cell that begins with = + - @ or a control character gets
// a leading apostrophe, which spreadsheets hide and Plain removes.
func Safe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// Plain undoes Safe.
func Plain(v string) string {
	if len(v) > 1 && v[0] == '\'' && strings.ContainsRune("=+-@\t\r", rune(v[1])) {
		return v[1:]
	}
	return v
}

// Writer writes a CSV a spreadsheet opens as UTF-8: a byte-order mark,
// CRLF line ends, and every cell through Safe.
type Writer struct{ w *csv.Writer }

// NewWriter starts the CSV with its byte-order mark and heading row.
func NewWriter(w io.Writer, headings []string) (*Writer, error) {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return nil, err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(headings); err != nil {
		return nil, err
	}
	return &Writer{cw}, nil
}

// Write writes one row.
func (w *Writer) Write(cells []string) error {
	safe := make([]string, len(cells))
	for i, c := range cells {
		safe[i] = Safe(c)
	}
	return w.w.Write(safe)
}

// Flush writes what is buffered and reports any error so far.
func (w *Writer) Flush() error {
	w.w.Flush()
	return w.w.Error()
}
