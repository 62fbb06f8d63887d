package knowledgebase_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hallgate/hallgate/knowledgebase"
)

func importLine(id, question string) string {
	return fmt.Sprintf(`{"id":%q,"question":%q,"answer":"到营业厅办理。","department":"water","category":"水电燃气","channel":"hotline","keywords":[]}`, id, question)
}

// A batch is prepared while the batch before it commits; a line taking a
// title that the earlier batch frees must still get it, as it would if the
// batches ran one after the other.
func TestImportTitleFreedByEarlierBatch(t *testing.T) {
	// Every line its own batch, so line 2 prepares while line 1 commits.
	eachStoreWith(t, knowledgebase.Options{ImportBatch: 1}, testImportTitleFreedByEarlierBatch)
}

func testImportTitleFreedByEarlierBatch(t *testing.T, f *fixture) {
	for round := range 5 {
		a0, b0 := fmt.Sprintf("a%d", round), fmt.Sprintf("b%d", round)
		title := fmt.Sprintf("水表坏了找谁修？（%d）", round)
		if _, err := f.kb.CreateEntry(f.ctx, editor, sampleEntry(a0, title)); err != nil {
			t.Fatal(err)
		}
		renamed := fmt.Sprintf("水表坏了怎么报修？（%d）", round)
		in := importLine(a0, renamed) + "\n" + importLine(b0, title) + "\n"
		res, err := f.kb.Import(f.ctx, editor, strings.NewReader(in))
		if err != nil || res.Imported != 2 || len(res.Errors) != 0 {
			t.Fatalf("round %d: %s %v", round, jsonIndent(res), err)
		}
		a, _ := f.kb.GetEntry(f.ctx, editor, a0)
		b, _ := f.kb.GetEntry(f.ctx, editor, b0)
		if a.Title != renamed || b.Title != title {
			t.Fatalf("round %d: titles a=%q b=%q", round, a.Title, b.Title)
		}
	}
}

// A long import through small batches: every valid line is written once,
// indexed before Import returns, and the bad ones are reported in line
// order, whichever stage was busy when they came.
func TestImportPipelineKeepsEveryLine(t *testing.T) {
	eachStoreWith(t, knowledgebase.Options{ImportBatch: 7}, testImportPipelineKeepsEveryLine)
}

func testImportPipelineKeepsEveryLine(t *testing.T, f *fixture) {
	if _, err := f.kb.CreateEntry(f.ctx, editor, sampleEntry("held", "已被占用的问题？")); err != nil {
		t.Fatal(err)
	}
	var lines []string
	var wantErr []int
	for i := 1; i <= 400; i++ {
		switch {
		case i%50 == 0:
			lines = append(lines, `{"id":"broken",`) // malformed
			wantErr = append(wantErr, i)
		case i%77 == 0:
			lines = append(lines, importLine(fmt.Sprintf("p-%d", i), "已被占用的问题？")) // title held in the store
			wantErr = append(wantErr, i)
		default:
			lines = append(lines, importLine(fmt.Sprintf("p-%d", i), fmt.Sprintf("第%d个问题怎么办？", i)))
		}
	}
	res, err := f.kb.Import(f.ctx, editor, strings.NewReader(strings.Join(lines, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	if want := 400 - len(wantErr); res.Imported != want || res.Unchanged != 0 {
		t.Fatalf("imported %d (unchanged %d), want %d", res.Imported, res.Unchanged, want)
	}
	if len(res.Errors) != len(wantErr) {
		t.Fatalf("errors: %s", jsonIndent(res.Errors))
	}
	for i, le := range res.Errors {
		if le.Line != wantErr[i] {
			t.Fatalf("error %d on line %d, want line %d", i, le.Line, wantErr[i])
		}
	}
	if n, _ := f.st.Count(f.ctx, knowledgebase.CollEntries, nil); n != res.Imported+1 {
		t.Fatalf("store holds %d entries, want %d", n, res.Imported+1)
	}
	for i := 1; i <= 400; i++ {
		_, ok := f.idx.doc(fmt.Sprintf("p-%d", i))
		if want := i%50 != 0 && i%77 != 0; ok != want {
			t.Fatalf("p-%d indexed %v, want %v", i, ok, want)
		}
	}
	// Importing the same lines again changes nothing.
	again, err := f.kb.Import(f.ctx, editor, strings.NewReader(strings.Join(lines, "\n")))
	if err != nil || again.Imported != res.Imported || again.Unchanged != res.Imported || len(again.Errors) != len(wantErr) {
		t.Fatalf("re-import: %+v %v", again, err)
	}
}
