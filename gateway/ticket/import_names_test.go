package ticket

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/hallgate/hallgate/gateway/department"
)

// An older system's export names departments as it knew them; the import
// stores codes, and refuses a name that fits several departments.
func TestImportResolvesDepartmentNames(t *testing.T) {
	ctx := context.Background()
	st := openBolt(t)
	depts := department.NewService(st)
	if _, err := depts.Import(ctx, []department.Department{
		{Code: "hrss", Name: "示范市人力资源和社会保障局", ShortName: "人社局", LegacyHotlines: []string{"12333"}, ConsolidationMode: department.ModeSubcentre},
		{Code: "police-hukou", Name: "示范市公安局户政管理支队", ShortName: "公安户政", LegacyHotlines: []string{}, ConsolidationMode: department.ModeMerged},
		{Code: "police-exit", Name: "示范市公安局出入境管理支队", ShortName: "公安出入境", LegacyHotlines: []string{}, ConsolidationMode: department.ModeMerged},
		{Code: "samr", Name: "示范市市场监督管理局", ShortName: "市场监管局", LegacyHotlines: []string{"12315"}, ConsolidationMode: department.ModeMerged},
	}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	stored := map[string]*Ticket{}
	calls := 0
	e := newEnvOn(t, st, func(o *Options) {
		o.DepartmentExists = depts.Exists
		o.ResolveDepartment = func(ctx context.Context, ref string) (string, error) {
			calls++
			return depts.Resolve(ctx, ref)
		}
		o.Observers = []func(context.Context, *Ticket){func(_ context.Context, tk *Ticket) {
			mu.Lock()
			stored[tk.ExternalID] = tk
			mu.Unlock()
		}}
	})
	in := strings.Join([]string{
		`{"id":"n1","text":"灵活就业人员怎么交养老保险","type":"咨询","department":"示范市人力资源和社会保障局"}`,
		`{"id":"n2","text":"公司拖欠工资三个月","type":"求助","department":"人社局","co_departments":["市场监管局"]}`,
		`{"id":"n3","text":"超市卖过期食品","type":"投诉","department":"12315"}`,
		`{"id":"n4","text":"身份证补办要多久","type":"咨询","department":"管理支队"}`,
		`{"id":"n5","text":"护照加急","type":"咨询","department":"出入境管理局"}`,
		`{"id":"n6","text":"户口迁移","type":"咨询","department":"police-hukou","co_departments":["公安出入境"]}`,
		`{"id":"n7","text":"工伤认定","type":"咨询","department":"市人社局"}`,
	}, "\n")
	res, err := e.svc.Import(ctx, supervisor, strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 5 || len(res.Errors) != 2 {
		t.Fatalf("imported %d, errors %+v", res.Imported, res.Errors)
	}
	if res.Errors[0].Line != 4 || !strings.Contains(res.Errors[0].Error, "police-exit, police-hukou") {
		t.Errorf("ambiguous name: %+v", res.Errors[0])
	}
	if res.Errors[1].Line != 5 || !strings.Contains(res.Errors[1].Error, `unknown department "出入境管理局"`) {
		t.Errorf("unknown name: %+v", res.Errors[1])
	}
	for id, want := range map[string]string{"n1": "hrss", "n2": "hrss", "n3": "samr", "n6": "police-hukou", "n7": "hrss"} {
		tk := stored[id]
		if tk == nil || tk.Department != want {
			t.Errorf("%s: stored under %+v, want %s", id, tk, want)
		}
	}
	if co := stored["n2"].CoDepartments; len(co) != 1 || co[0] != "samr" {
		t.Errorf("co-departments: %v", co)
	}
	if co := stored["n6"].CoDepartments; len(co) != 1 || co[0] != "police-exit" {
		t.Errorf("co-departments: %v", co)
	}
	// Each distinct name is resolved once per import (codes too, by one read).
	if calls != 9 {
		t.Errorf("resolver called %d times for 9 distinct names", calls)
	}
	if n, _ := st.Count(ctx, Collection, nil); n != 5 {
		t.Errorf("%d tickets stored, want 5", n)
	}
}

// Exported request types are mapped where that is unambiguous; a combined
// category is refused rather than guessed.
func TestImportMapsExportedTypes(t *testing.T) {
	got := map[string]RequestType{}
	e := newEnv(t, func(o *Options) {
		o.Observers = []func(context.Context, *Ticket){func(_ context.Context, tk *Ticket) { got[tk.ExternalID] = tk.Type }}
	})
	var in strings.Builder
	for i, typ := range []string{"投诉类", " 咨询 ", "意见建议", "求决类", "检举", "投诉举报", "闲聊"} {
		fmt.Fprintf(&in, `{"id":"x%d","text":"历史工单%d","type":%q,"department":"water"}`+"\n", i, i, typ)
	}
	res, err := e.svc.Import(context.Background(), supervisor, strings.NewReader(in.String()))
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 5 || len(res.Errors) != 2 || res.Errors[0].Line != 6 || res.Errors[1].Line != 7 {
		t.Fatalf("result %+v", res)
	}
	want := []RequestType{"投诉", "咨询", "建议", "求助", "举报"}
	for i, w := range want {
		if g := got[fmt.Sprintf("x%d", i)]; g != w {
			t.Errorf("x%d stored as %q, want %s", i, g, w)
		}
	}
}

// A department directory that fails is not a bad line: the import stops
// with the error, nothing of the batch is written, and the re-run imports
// every line.
func TestImportStopsWhenTheDirectoryFails(t *testing.T) {
	down := true
	e := newEnv(t, func(o *Options) {
		o.ResolveDepartment = func(_ context.Context, ref string) (string, error) {
			if down {
				return "", errors.New("directory unavailable")
			}
			return "water", nil
		}
	})
	in := `{"id":"d1","text":"停水","type":"求助","department":"水务局"}` + "\n" + `{"id":"d2","text":"水压低","type":"求助","department":"水务局"}`
	if _, err := e.svc.Import(context.Background(), supervisor, strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), "directory unavailable") {
		t.Fatalf("import with the directory down: %v", err)
	}
	if n, _ := e.st.Count(context.Background(), Collection, nil); n != 0 {
		t.Fatalf("%d tickets written by the stopped import", n)
	}
	down = false
	res, err := e.svc.Import(context.Background(), supervisor, strings.NewReader(in))
	if err != nil || res.Imported != 2 || len(res.Errors) != 0 {
		t.Fatalf("re-run: %+v %v", res, err)
	}
}
