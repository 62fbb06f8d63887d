package department_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/hallgate/hallgate/gateway/department"
	"github.com/hallgate/hallgate/gateway/store/bolt"
)

func newService(t *testing.T) (*department.Service, *bolt.Store) {
	t.Helper()
	st, err := bolt.Open(context.Background(), bolt.Options{Path: filepath.Join(t.TempDir(), "d.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return department.NewService(st), st
}

func TestImportValidatesAllFirstAndUpserts(t *testing.T) {
	ctx := context.Background()
	svc, st := newService(t)
	good := department.Department{Code: "water", Name: "江川市水务集团", LegacyHotlines: []string{}, ConsolidationMode: department.ModeMerged}
	bad := []department.Department{
		good,
		{Code: "Bad Code", Name: "", ConsolidationMode: "mixed", LegacyHotlines: []string{"12a"}},
		{Code: "water", Name: "重复", ConsolidationMode: department.ModeMerged},
	}
	_, err := svc.Import(ctx, bad)
	var ve *department.ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, department.ErrInvalid) {
		t.Fatalf("got %v", err)
	}
	want := map[string]bool{"[1].code": true, "[1].name": true, "[1].consolidation_mode": true, "[1].legacy_hotlines[0]": true, "[2].code": true}
	for _, f := range ve.Fields {
		delete(want, f.Field)
	}
	if len(want) != 0 {
		t.Fatalf("problems not reported: %v (got %v)", want, ve.Fields)
	}
	if n, _ := st.Count(ctx, department.Collection, nil); n != 0 {
		t.Fatalf("half-written: %d departments stored", n)
	}

	if n, err := svc.Import(ctx, []department.Department{good}); err != nil || n != 1 {
		t.Fatal(n, err)
	}
	good.Name = "江川水务"
	good.LegacyHotlines = []string{"96101"}
	if _, err := svc.Import(ctx, []department.Department{good}); err != nil {
		t.Fatal(err)
	}
	d, err := svc.Get(ctx, "water")
	if err != nil || d.Name != "江川水务" || d.LegacyHotlines[0] != "96101" {
		t.Fatalf("upsert: %+v %v", d, err)
	}
	if ok, _ := svc.Exists(ctx, "water"); !ok {
		t.Fatal("water should exist")
	}
	if ok, _ := svc.Exists(ctx, "caac"); ok {
		t.Fatal("caac should not exist")
	}
	if _, err := svc.Get(ctx, "caac"); !errors.Is(err, department.ErrUnknownDepartment) {
		t.Fatalf("unknown: %v", err)
	}
	if h, err := svc.ByHotline(ctx, "96101"); err != nil || h.Code != "water" {
		t.Fatalf("by hotline: %+v %v", h, err)
	}
}

func TestImportDevDepartments(t *testing.T) {
	wd, _ := os.Getwd()
	path := filepath.Join(wd, "..", "..", "..", "shared", "data", "departments.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("development data absent: %v", err)
	}
	var ds []department.Department
	if err := json.Unmarshal(raw, &ds); err != nil {
		t.Fatal(err)
	}
	svc, _ := newService(t)
	n, err := svc.Import(context.Background(), ds)
	if err != nil || n != len(ds) {
		t.Fatalf("imported %d of %d: %v", n, len(ds), err)
	}
	all, err := svc.List(context.Background())
	if err != nil || len(all) != len(ds) {
		t.Fatalf("list: %d %v", len(all), err)
	}
	for i := 1; i < len(all); i++ {
		if all[i-1].Code >= all[i].Code {
			t.Fatal("list not ordered by code")
		}
	}
}
