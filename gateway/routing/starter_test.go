package routing

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/hallgate/hallgate/knowledgebase/analysis"
)

func TestShippedStartersWellFormed(t *testing.T) {
	if _, err := parseStarters(starterText); err != nil {
		t.Fatal(err)
	}
	if len(shippedStarters) < 500 {
		t.Fatalf("%d starter examples shipped, want at least 500", len(shippedStarters))
	}
	perKind := map[string]int{}
	texts := map[string]bool{}
	for _, s := range shippedStarters {
		perKind[s.Kind]++
		if texts[s.Text] {
			t.Errorf("starter text twice: %s", s.Text)
		}
		texts[s.Text] = true
	}
	for k, n := range perKind {
		if n < 5 {
			t.Errorf("kind %s: only %d starter examples", k, n)
		}
	}
	for _, bad := range []string{
		`{"kind":"不存在的局","text":"路灯不亮","type":"投诉"}`,
		`{"kind":"城市管理局","text":"路灯不亮","type":"抱怨"}`,
		`{"kind":"城市管理局","text":"","type":"投诉"}`,
	} {
		if _, err := parseStarters([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

// TestStarterExamplesFollowTheCitysDepartments: a kind goes to the city's
// one department of that kind under the city's code; a kind the city has
// no department of, or two departments of, is left out.
func TestStarterExamplesFollowTheCitysDepartments(t *testing.T) {
	kindOf := func(depts []DepartmentInfo) map[string]string {
		names := templateNames(depts)
		out := map[string]string{}
		for i, d := range depts {
			out[d.Code] = names[i]
		}
		return out
	}
	city := []DepartmentInfo{
		{Code: "rs", Name: "青山市人力资源和社会保障局"},
		{Code: "cg", Name: "青山市城市管理局"},
		{Code: "misc", Name: "青山市档案馆"},
	}
	k := kindOf(city)
	if k["rs"] == "" || k["cg"] == "" {
		t.Fatalf("templates not found for the test city: %v", k)
	}
	got := starterExamples(city, codeIndex(city), nil)
	if len(got) == 0 {
		t.Fatal("no starter examples for a city with 人社 and 城管")
	}
	per := map[string]int{}
	for _, ex := range got {
		per[ex.Department]++
		if !ex.starter || ex.Urgent || len(ex.CoDepartments) > 0 {
			t.Fatalf("starter example not marked or carrying labels: %+v", ex)
		}
	}
	want := func(kind string) int {
		n := 0
		for _, s := range shippedStarters {
			if s.Kind == kind {
				n++
			}
		}
		return n
	}
	if per["rs"] != want(k["rs"]) || per["cg"] != want(k["cg"]) || per["misc"] != 0 || len(per) != 2 {
		t.Errorf("examples per department %v; want rs %d, cg %d", per, want(k["rs"]), want(k["cg"]))
	}
	// Two departments of one kind: which would handle its examples is the
	// city's choice, so neither gets them.
	twin := append(slices.Clone(city), DepartmentInfo{Code: "cg2", Name: "青山市东区城市管理局"})
	for _, ex := range starterExamples(twin, codeIndex(twin), nil) {
		if ex.Department == "cg" || ex.Department == "cg2" {
			t.Fatalf("an ambiguous kind's example went to %s", ex.Department)
		}
	}
}

// TestStartersAreLearnedNotQuoted: a model with starters and no history
// routes a starter-like request, but quotes no starter as a similar past
// ticket; with NoStarters it learns from no such examples.
func TestStartersAreLearnedNotQuoted(t *testing.T) {
	city := []DepartmentInfo{
		{Code: "rs", Name: "青山市人力资源和社会保障局", Responsibilities: "负责就业和社会保险。"},
		{Code: "cg", Name: "青山市城市管理局", Responsibilities: "负责市容环境卫生。"},
		{Code: "gd", Name: "国网青山供电公司", Responsibilities: "负责供电服务。"},
	}
	tok := WordTokenizer(analysis.Shared())
	with := buildModel(tok, city, nil, nil, nil, defaultParams())
	p := defaultParams()
	p.NoStarters = true
	without := buildModel(tok, city, nil, nil, nil, p)
	n := 0
	for _, ex := range with.examples {
		if ex.starter {
			n++
		}
	}
	if n == 0 || len(without.examples) != 0 {
		t.Fatalf("starter examples in the models: with %d, without %d", n, len(without.examples))
	}
	var quoted []string
	for _, s := range shippedStarters {
		if len([]rune(s.Text)) > 10 {
			quoted = append(quoted, string([]rune(s.Text)[:10]))
		}
	}
	for _, ex := range with.examples[:min(20, len(with.examples))] {
		pr := with.predict(context.Background(), Query{Text: ex.Text}, nil)
		for _, e := range pr.evidence {
			for _, q := range quoted {
				if strings.Contains(e, q) {
					t.Fatalf("evidence quotes a starter example: %s", e)
				}
			}
		}
		if with.depts[pr.ranked[0]].Code != ex.Department {
			t.Logf("starter %q routed to %s, labelled %s", ex.Text, with.depts[pr.ranked[0]].Code, ex.Department)
		}
	}
	if with.urg != nil {
		t.Error("the urgency model learned from starter examples alone")
	}
}

// TestStartersStepBackBesideAGuide: a city's dispatch guide (scope rules)
// is its own account of who does what; the common practice of the starter
// examples then stays out.
func TestStartersStepBackBesideAGuide(t *testing.T) {
	city := []DepartmentInfo{
		{Code: "rs", Name: "青山市人力资源和社会保障局", Responsibilities: "负责就业和社会保险。"},
		{Code: "cg", Name: "青山市城市管理局", Responsibilities: "负责市容环境卫生。"},
	}
	if len(starterExamples(city, codeIndex(city), nil)) == 0 {
		t.Fatal("no starter examples for the test city")
	}
	guide := []Rule{{ID: "guide-cg", Department: "cg", Scope: "餐饮油烟、占道经营"}}
	m := buildModel(WordTokenizer(analysis.Shared()), city, nil, nil, guide, defaultParams())
	if len(m.examples) != 0 {
		t.Fatalf("%d starter examples beside a guide", len(m.examples))
	}
}

// codeIndex maps each department's code to its index, as the model does.
func codeIndex(depts []DepartmentInfo) map[string]int {
	idx := make(map[string]int, len(depts))
	for i, d := range depts {
		idx[d.Code] = i
	}
	return idx
}
