package tabular

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
)

var cols = Columns{"text": {"诉求内容", "内容"}, "type": {"诉求类型"}, "caller.phone": {"来电号码"}, "department": {"承办单位"}}

func read(t *testing.T, body []byte, spec Spec) (*Table, []Row, []*RowError) {
	t.Helper()
	if spec.Columns == nil {
		spec.Columns = cols
	}
	if spec.MaxBytes == 0 {
		spec.MaxBytes = 1 << 20
	}
	tab, err := Open(bytes.NewReader(body), spec)
	if err != nil {
		t.Fatal(err)
	}
	var rows []Row
	var bad []*RowError
	for {
		r, err := tab.Next()
		var re *RowError
		switch {
		case errors.Is(err, io.EOF):
			return tab, rows, bad
		case errors.As(err, &re):
			bad = append(bad, re)
		case err != nil:
			t.Fatal(err)
		default:
			rows = append(rows, r)
		}
	}
}

func TestReadsExportsAsWritten(t *testing.T) {
	body := "诉求内容（必填）, Type ,caller_phone,备注,状态\r\n" +
		"\"第一行\n第二行\",咨询,13800000000,x,已办结\r\n" +
		",,,,\r\n" +
		"'=1+1,投诉,,,\r\n"
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(body)
	if err != nil {
		t.Fatal(err)
	}
	for name, raw := range map[string][]byte{"utf-8": []byte(body), "bom": append([]byte("\xef\xbb\xbf"), body...), "gbk": []byte(gbk)} {
		tab, rows, bad := read(t, raw, Spec{Known: map[string]bool{"状态": true}, Required: [][]string{{"text"}, {"department", "type"}}})
		if len(bad) != 0 || len(rows) != 2 {
			t.Fatalf("%s: rows %v, bad %v", name, rows, bad)
		}
		if rows[0].Line != 2 || rows[0].Cells["text"] != "第一行\n第二行" || rows[0].Cells["type"] != "咨询" || rows[0].Cells["caller.phone"] != "13800000000" {
			t.Errorf("%s: first row %+v", name, rows[0])
		}
		if rows[1].Line != 5 || rows[1].Cells["text"] != "=1+1" {
			t.Errorf("%s: second row %+v (blank row skipped, formula guard removed)", name, rows[1])
		}
		if !slices.Equal(tab.Ignored, []string{"备注"}) {
			t.Errorf("%s: ignored %v", name, tab.Ignored)
		}
		if want := map[string]string{"gbk": "gb18030"}[name]; want != "" && tab.Encoding != want {
			t.Errorf("%s: encoding %s", name, tab.Encoding)
		}
	}
}

func TestRefusesWhatItCannotRead(t *testing.T) {
	spec := Spec{Columns: cols, MaxBytes: 1 << 10, Required: [][]string{{"text"}, {"department", "type"}}}
	_, err := Open(strings.NewReader("内容,诉求内容,备注\n"), spec)
	var he *HeaderError
	if !errors.As(err, &he) || !slices.Equal(he.Missing, []string{"department"}) || !slices.Equal(he.Duplicates, []string{"text"}) {
		t.Fatalf("heading: %v", err)
	}
	var be *BodyError
	for name, body := range map[string]string{"empty": "", "undecodable": "\xff\xfe\xfd,\xfc\n", "too large": strings.Repeat("x", 2<<10)} {
		if _, err := Open(strings.NewReader(body), spec); !errors.As(err, &be) {
			t.Errorf("%s: %v", name, err)
		}
	}
	_, rows, bad := read(t, []byte("内容,诉求类型\n\"a\"b\"c,咨询\nok,投诉\n"), Spec{})
	if len(bad) != 1 || bad[0].Line != 2 || len(rows) != 1 || rows[0].Cells["text"] != "ok" || rows[0].Line != 3 {
		t.Errorf("a stray quote: rows %+v, refused %+v; want line 2 refused and line 3 read", rows, bad)
	}
}

func TestCells(t *testing.T) {
	for v, want := range map[string]bool{"是": true, "Y": true, "1": true, "否": false, "": false, "一般": false, "紧急": true} {
		if got, err := Bool(v, "紧急"); err != nil || got != want {
			t.Errorf("Bool(%q) = %v, %v", v, got, err)
		}
	}
	if _, err := Bool("也许"); err == nil {
		t.Error("Bool accepted 也许")
	}
	if got := List("住建局、 城管局，;水务局"); !slices.Equal(got, []string{"住建局", "城管局", "水务局"}) {
		t.Errorf("List: %q", got)
	}
	for _, v := range []string{"=SUM(A1)", "+86", "-1", "@x", "\tx", "plain", "'quoted", ""} {
		if Plain(Safe(v)) != v {
			t.Errorf("Safe/Plain round trip of %q: %q", v, Plain(Safe(v)))
		}
		if s := Safe(v); s != "" && strings.ContainsRune("=+-@\t", rune(s[0])) {
			t.Errorf("Safe(%q) = %q still starts a formula", v, s)
		}
	}
	var buf bytes.Buffer
	w, err := NewWriter(&buf, []string{"内容", "类型"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write([]string{"=HYPERLINK(1)", "a,b"}); err != nil || w.Flush() != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != "\ufeff内容,类型\r\n'=HYPERLINK(1),\"a,b\"\r\n" {
		t.Errorf("written %q", got)
	}
}

// FuzzTable: any body opens or is refused with a HeaderError or BodyError;
// an opened table reads to its end, every row a Row or a RowError on a
// line of the body, never a panic.
func FuzzTable(f *testing.F) {
	f.Add([]byte("诉求内容,诉求类型\n\"a\nb\",咨询\n,\n"))
	f.Add([]byte("\xef\xbb\xbftext,type,caller_phone\n\"x\"y,1,2\nz,3\n"))
	f.Add([]byte("\xd6\xd0\xce\xc4,type\n\xb2\xe2,1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := Open(bytes.NewReader(data), Spec{Columns: cols, MaxBytes: 1 << 16, Required: [][]string{{"text"}}})
		var he *HeaderError
		var be *BodyError
		if err != nil {
			if !errors.As(err, &he) && !errors.As(err, &be) {
				t.Fatal(err)
			}
			return
		}
		lines := bytes.Count(data, []byte("\n")) + bytes.Count(data, []byte("\r")) + 1
		for i := 0; ; i++ {
			r, err := tab.Next()
			var re *RowError
			switch {
			case errors.Is(err, io.EOF):
				return
			case errors.As(err, &re):
				if re.Line < 1 || re.Line > lines {
					t.Fatalf("row error on line %d of %d", re.Line, lines)
				}
			case err != nil:
				t.Fatal(err)
			case r.Line < 2 || r.Line > lines:
				t.Fatalf("row on line %d of %d", r.Line, lines)
			}
			if i > lines {
				t.Fatalf("more rows than lines (%d)", lines)
			}
		}
	})
}
