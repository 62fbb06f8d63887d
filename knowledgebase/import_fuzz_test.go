package knowledgebase_test

import (
	"bytes"
	"testing"
	"unicode/utf8"

	"github.com/hallgate/hallgate/knowledgebase"
)

// FuzzImport feeds arbitrary bodies to Import: it must never fail as a
// whole for bad content, must report only real line numbers, and every
// entry it keeps must satisfy the schema.
func FuzzImport(f *testing.F) {
	f.Add([]byte(`{"id":"f-1","question":"自来水如何过户？","answer":"带身份证。","department":"water","category":"水电燃气","channel":"hotline","keywords":["过户"]}`))
	f.Add([]byte("{\"id\":\"f-2\"}\n\n[1,2]\nnull\n\xef\xbb\xbf{}"))
	f.Add([]byte(`{"id":"f-3","question":"q","answer":"a","department":"water","category":"/","channels":["x"],"keywords":[""],"expires_at":"2026-13-40"}`))
	fx := newFixture(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := fx.kb.Import(fx.ctx, editor, bytes.NewReader(body))
		if err != nil {
			t.Fatalf("Import failed as a whole: %v", err)
		}
		lines := bytes.Count(body, []byte("\n")) + 1
		for _, le := range res.Errors {
			if le.Line < 1 || le.Line > lines {
				t.Fatalf("line %d outside 1..%d", le.Line, lines)
			}
		}
		page, err := fx.kb.ListEntries(fx.ctx, editor, knowledgebase.EntryFilter{Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Entries {
			if e.Title == "" || e.Answer == "" || utf8.RuneCountInString(e.Title) > knowledgebase.MaxTitleRunes || e.Department == "" {
				t.Fatalf("invalid entry kept: %+v", e)
			}
		}
	})
}
