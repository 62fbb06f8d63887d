package knowledgebase_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/hallgate/hallgate/gateway/department"
	"github.com/hallgate/hallgate/knowledgebase"
)

func TestImportReportsBadLinesAndKeepsGoodOnes(t *testing.T) {
	eachStore(t, testImportReportsBadLinesAndKeepsGoodOnes)
}

func testImportReportsBadLinesAndKeepsGoodOnes(t *testing.T, f *fixture) {
	// Take one title so a later line collides with an existing entry.
	if _, err := f.kb.CreateEntry(f.ctx, editor, sampleEntry("held", "水表坏了找谁修？")); err != nil {
		t.Fatal(err)
	}
	lines := []string{
		`{"id":"i-1","question":"自来水如何过户？","answer":"带身份证到营业厅。","department":"water","category":"水电燃气","channel":"hotline","keywords":["过户"]}`,
		`{"id":"i-2","question":"停水了怎么办","answer":"拨打热线。","department":"water","category":"水电燃气",`, // 2: malformed JSON
		``, // 3: blank, skipped
		`{"id":"i-4","question":"养老保险怎么转移","answer":"","department":"hrss","category":"社保就业","channel":"website","keywords":[]}`,                                          // 4: no answer
		`{"id":"i-5","question":"无人机在哪里登记","answer":"向民航部门登记。","department":"caac","category":"其他","channel":"hotline","keywords":["无人机"]}`,                               // 5: unknown department
		`{"id":"i-1","question":"另一个问题","answer":"x","department":"water","category":"水电燃气","channel":"hotline","keywords":[]}`,                                           // 6: duplicate id
		`{"id":"i-7","question":"水表坏了找谁修？","answer":"报修。","department":"water","category":"水电燃气","channel":"hotline","keywords":[]}`,                                      // 7: title held by "held"
		`{"id":"i-8","question":"个税如何汇算","answer":"通过个税APP。","department":"tax","category":"税费","channel":"website","keywords":["个税","` + strings.Repeat("汇", 21) + `"]}`, // 8: keyword too long
		`{"id":"i-9","question":"个税汇算截止时间","answer":"每年6月30日前。","department":"tax","category":"税费","channels":["website","hotline"],"keywords":["个税"],"status":"draft","visibility":"internal","expires_at":"2027-07-01"}`,
		`{"id":"i-10","question":"失业金怎么领","answer":"线上申领。","department":"hrss","category":"社保就业","keywords":[]}`, // 10: no channel
	}
	res, err := f.kb.Import(f.ctx, editor, strings.NewReader(strings.Join(lines, "\n")+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 2 {
		t.Fatalf("imported %d, want 2: %s", res.Imported, jsonIndent(res))
	}
	wantLines := []int{2, 4, 5, 6, 7, 8, 10}
	if len(res.Errors) != len(wantLines) {
		t.Fatalf("errors: %s", jsonIndent(res.Errors))
	}
	for i, le := range res.Errors {
		if le.Line != wantLines[i] || le.Error == "" {
			t.Fatalf("error %d: %+v, want line %d", i, le, wantLines[i])
		}
	}
	if !strings.Contains(res.Errors[2].Error, "unknown department") {
		t.Fatalf("line 5 reason: %s", res.Errors[2].Error)
	}
	// Nothing half-written: exactly the held entry and two imported ones,
	// with one title reservation and at least one version each.
	for coll, want := range map[string]int{knowledgebase.CollEntries: 3, knowledgebase.CollTitles: 3} {
		if n, _ := f.st.Count(f.ctx, coll, nil); n != want {
			t.Fatalf("%s holds %d records, want %d", coll, n, want)
		}
	}
	e1, err := f.kb.GetEntry(f.ctx, citizen, "i-1")
	if err != nil || e1.Status != knowledgebase.StatusPublished {
		t.Fatalf("imported entry default status: %+v %v", e1, err)
	}
	e9, err := f.kb.GetEntry(f.ctx, editor, "i-9")
	if err != nil || e9.Status != knowledgebase.StatusDraft || e9.Visibility != knowledgebase.VisibilityInternal ||
		len(e9.Channels) != 2 || e9.ExpiresAt.IsZero() {
		t.Fatalf("i-9: %+v %v", e9, err)
	}

	// Export round-trips: re-importing the export changes nothing.
	var buf bytes.Buffer
	n, err := f.kb.Export(f.ctx, editor, &buf)
	if err != nil || n != 3 {
		t.Fatalf("export: %d %v", n, err)
	}
	again, err := f.kb.Import(f.ctx, editor, bytes.NewReader(buf.Bytes()))
	if err != nil || again.Imported != 3 || again.Unchanged != 3 || len(again.Errors) != 0 {
		t.Fatalf("re-import of export: %s %v", jsonIndent(again), err)
	}
	vs, _ := f.kb.Versions(f.ctx, knowledgebase.KindEntry, "i-1")
	if len(vs) != 1 {
		t.Fatalf("unchanged re-import wrote versions: %d", len(vs))
	}
	// Citizens' export... is not theirs: the service still filters.
	buf.Reset()
	if n, _ := f.kb.Export(f.ctx, citizen, &buf); n != 1 {
		t.Fatalf("citizen export saw %d entries, want the 1 published public one", n)
	}

	if _, err := f.kb.Import(f.ctx, waterDept, strings.NewReader(lines[0])); !errors.Is(err, knowledgebase.ErrForbidden) {
		t.Fatalf("department import: %v", err)
	}
}

func TestImportUpdatesChangedLines(t *testing.T) {
	f := newFixture(t)
	line := `{"id":"u-1","question":"自来水如何过户？","answer":"带身份证到营业厅。","department":"water","category":"水电燃气","channel":"hotline","keywords":["过户"]}`
	if res, err := f.kb.Import(f.ctx, editor, strings.NewReader(line)); err != nil || res.Imported != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	changed := strings.Replace(line, "带身份证到营业厅。", "可在APP在线办理。", 1)
	if res, err := f.kb.Import(f.ctx, editor, strings.NewReader(changed)); err != nil || res.Imported != 1 || res.Unchanged != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	vs, _ := f.kb.Versions(f.ctx, knowledgebase.KindEntry, "u-1")
	if len(vs) != 2 || vs[1].Action != "import" || len(vs[1].Changes) != 1 || vs[1].Changes[0].Field != "answer" {
		t.Fatalf("versions: %s", jsonIndent(vs))
	}
}

func TestImportDevCorpus(t *testing.T) {
	path := sharedData(t, "kb_dev.jsonl")
	f := newFixture(t)
	var depts []department.Department
	raw, err := os.ReadFile(sharedData(t, "departments.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &depts); err != nil {
		t.Fatal(err)
	}
	if _, err := f.depts.Import(f.ctx, depts); err != nil {
		t.Fatal(err)
	}
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	lines := 0
	sc := bufio.NewScanner(file)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) != "" {
			lines++
		}
	}
	_, _ = file.Seek(0, 0)
	res, err := f.kb.Import(f.ctx, editor, file)
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != lines || len(res.Errors) != 0 {
		t.Fatalf("imported %d of %d lines, errors %s", res.Imported, lines, jsonIndent(res.Errors))
	}
	if n, _ := f.idx.Count(f.ctx); n != lines {
		t.Fatalf("index holds %d docs, want %d", n, lines)
	}
	if n, _ := f.kb.StoredCount(f.ctx); n != lines {
		t.Fatalf("store holds %d entries, want %d", n, lines)
	}
}

func BenchmarkImport(b *testing.B) {
	var sb strings.Builder
	for i := range 1000 {
		sb.WriteString(`{"id":"b-` + strconv.Itoa(i) + `","question":"第` + strconv.Itoa(i) + `个问题怎么办理","answer":"按规定办理。","department":"water","category":"水电燃气","channel":"hotline","keywords":["办理"]}` + "\n")
	}
	body := sb.String()
	for b.Loop() {
		b.StopTimer()
		f := newFixture(b)
		b.StartTimer()
		res, err := f.kb.Import(f.ctx, editor, strings.NewReader(body))
		if err != nil || res.Imported != 1000 {
			b.Fatalf("%d %v %v", res.Imported, err, res.Errors[:min(3, len(res.Errors))])
		}
	}
	b.ReportMetric(float64(1000*b.N)/b.Elapsed().Seconds(), "entries/s")
}
