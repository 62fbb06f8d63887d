package knowledgebase_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/hallgate/hallgate/knowledgebase"
)

func TestImportItems(t *testing.T) {
	f := newFixture(t)
	good, _ := json.Marshal(sampleItem())
	bad := sampleItem()
	bad.Code = "360100-WATER-GG-0002"
	bad.Department = "nowhere"
	badLine, _ := json.Marshal(bad)
	body := strings.Join([]string{string(good), "{broken", string(badLine), string(good)}, "\n")
	res, err := f.kb.ImportItems(f.ctx, editor, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 1 || len(res.Errors) != 3 || res.Errors[0].Line != 2 || res.Errors[1].Line != 3 || res.Errors[2].Line != 4 ||
		!strings.Contains(res.Errors[1].Error, "unknown department") {
		t.Fatalf("result: %s", jsonIndent(res))
	}
	it, err := f.kb.GetItem(f.ctx, citizen, "360100-WATER-GG-0001")
	if err != nil || it.Status != knowledgebase.StatusPublished {
		t.Fatalf("imported item: %+v %v", it, err)
	}
	again, err := f.kb.ImportItems(f.ctx, editor, strings.NewReader(string(good)))
	if err != nil || again.Imported != 1 || again.Unchanged != 1 {
		t.Fatalf("re-import: %+v %v", again, err)
	}
	if _, err := f.kb.ImportItems(f.ctx, waterDept, strings.NewReader(string(good))); !errors.Is(err, knowledgebase.ErrForbidden) {
		t.Fatalf("department import: %v", err)
	}
}
