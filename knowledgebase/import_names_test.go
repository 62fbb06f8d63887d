package knowledgebase_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hallgate/hallgate/knowledgebase"
)

// A KB exported from an older system names departments as it knew them: the
// import keeps codes, and a name that fits nothing is refused as before.
func TestImportResolvesDepartmentNames(t *testing.T) {
	eachStore(t, func(t *testing.T, f *fixture) {
		lines := []string{
			`{"id":"n-1","question":"养老保险关系怎么转移？","answer":"到社保窗口办理。","department":"江川市人力资源和社会保障局","category":"社保就业","channel":"hotline"}`,
			`{"id":"n-2","question":"失业金怎么领取？","answer":"线上申领。","department":"市人社局","category":"社保就业","channel":"hotline"}`,
			`{"id":"n-3","question":"个税汇算在哪里办？","answer":"个税APP。","department":"12366","category":"税费","channel":"website"}`,
			`{"id":"n-4","question":"无人机在哪里登记？","answer":"向民航部门登记。","department":"民航局","category":"其他","channel":"hotline"}`,
		}
		res, err := f.kb.Import(f.ctx, editor, strings.NewReader(strings.Join(lines, "\n")))
		if err != nil {
			t.Fatal(err)
		}
		if res.Imported != 3 || len(res.Errors) != 1 || res.Errors[0].Line != 4 || !strings.Contains(res.Errors[0].Error, "unknown department 民航局") {
			t.Fatalf("result: %s", jsonIndent(res))
		}
		for id, want := range map[string]string{"n-1": "hrss", "n-2": "hrss", "n-3": "tax"} {
			e, err := f.kb.GetEntry(f.ctx, editor, id)
			if err != nil || e.Department != want {
				t.Errorf("%s: department %q (%v), want %q", id, e.Department, err, want)
			}
		}
		// Listing by code finds them: the index holds the code too.
		page, err := f.kb.ListEntries(f.ctx, editor, knowledgebase.EntryFilter{Department: "hrss"})
		if err != nil || len(page.Entries) != 2 {
			t.Fatalf("entries of hrss: %d %v", len(page.Entries), err)
		}

		it := sampleItem()
		it.Department = "水务"
		raw, _ := json.Marshal(it)
		ires, err := f.kb.ImportItems(f.ctx, editor, strings.NewReader(string(raw)))
		if err != nil || ires.Imported != 1 || len(ires.Errors) != 0 {
			t.Fatalf("items: %s %v", jsonIndent(ires), err)
		}
		got, err := f.kb.GetItem(f.ctx, editor, it.Code)
		if err != nil || got.Department != "water" {
			t.Fatalf("item department %q %v", got.Department, err)
		}
	})
}
