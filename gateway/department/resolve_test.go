package department_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/hallgate/hallgate/gateway/department"
)

func TestResolveNamesFromOlderSystems(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	city := []department.Department{
		{Code: "hrss", Name: "示范市人力资源和社会保障局", ShortName: "人社局", LegacyHotlines: []string{"12333"}, ConsolidationMode: department.ModeSubcentre},
		{Code: "police-hukou", Name: "示范市公安局户政管理支队", ShortName: "公安户政", LegacyHotlines: []string{}, ConsolidationMode: department.ModeMerged},
		{Code: "police-exit", Name: "示范市公安局出入境管理支队", ShortName: "公安出入境", LegacyHotlines: []string{}, ConsolidationMode: department.ModeMerged},
		{Code: "samr", Name: "示范市市场监督管理局", ShortName: "市场监管局", LegacyHotlines: []string{"12315", "12365"}, ConsolidationMode: department.ModeMerged},
		{Code: "water", Name: "示范市水务局", ShortName: "", LegacyHotlines: []string{}, ConsolidationMode: department.ModeMerged},
	}
	if _, err := svc.Import(ctx, city); err != nil {
		t.Fatal(err)
	}
	for ref, want := range map[string]string{
		"hrss":   "hrss",
		" HRSS ": "hrss",
		"ｈｒｓｓ":   "hrss",
		"示范市人力资源和社会保障局":  "hrss",
		"示范市 人力资源和社会保障局": "hrss",
		"人社局":       "hrss",
		"市人社局":      "hrss",
		"12333":     "hrss",
		"12365":     "samr",
		"市场监督管理局":   "samr",
		"公安出入境":     "police-exit",
		"公安局户政管理支队": "police-hukou",
		"示范市水务局":    "water",
		"水务局":       "water", // no short name: the full name without the city
	} {
		got, err := svc.Resolve(ctx, ref)
		if err != nil || got != want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", ref, got, err, want)
		}
	}
	for _, ref := range []string{"", "教育局", "12345", "局", "police"} {
		if got, err := svc.Resolve(ctx, ref); !errors.Is(err, department.ErrUnknownDepartment) {
			t.Errorf("Resolve(%q) = %q, %v; want unknown", ref, got, err)
		}
	}
	// 管理支队 ends both police names: refused with both codes, never a guess.
	_, err := svc.Resolve(ctx, "管理支队")
	var amb *department.AmbiguousError
	if !errors.As(err, &amb) || !slices.Equal(amb.Candidates, []string{"police-exit", "police-hukou"}) || !errors.Is(err, department.ErrUnknownDepartment) {
		t.Fatalf("ambiguous name: %v", err)
	}
}
