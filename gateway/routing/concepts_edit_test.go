package routing

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseConceptEditsListsEveryProblem(t *testing.T) {
	text := strings.Join([]string{
		"# 本市补充",         // 1 comment
		"特种设备 | 观光梯 -电梯", // 2 fine
		"没有竖线的一行",        // 3 no bar
		"共享单车 | 车",       // 4 short term
		"| 小黄车",          // 5 no name
		"-殡葬",            // 6 fine: drop
		"欠薪 |",           // 7 nothing to change
		"网约车 | " + strings.Repeat("长", 40), // 8 too long
		"-", // 9 drop of nothing
	}, "\n")
	edits, problems := ParseConceptEdits(text)
	var lines []int
	for _, p := range problems {
		lines = append(lines, p.Line)
		if p.Reason == "" || p.Text == "" {
			t.Errorf("problem without reason or text: %+v", p)
		}
	}
	if want := []int{3, 4, 5, 7, 8, 9}; !slices.Equal(lines, want) {
		t.Errorf("problem lines %v, want %v (%+v)", lines, want, problems)
	}
	if len(edits) != 2 || edits[0].Line != 2 || edits[1].Drop != "殡葬" {
		t.Fatalf("edits: %+v", edits)
	}
	if e := edits[0]; !slices.Equal(e.Formal, []string{"特种设备"}) || !slices.Equal(e.Everyday, []string{"观光梯"}) || !slices.Equal(e.Remove, []string{"电梯"}) {
		t.Errorf("line 2 parsed as %+v", e)
	}
}

func TestApplyConceptEdits(t *testing.T) {
	base := []Concept{
		{Name: "特种设备", Terms: []string{"特种设备", "电梯", "扶梯"}, Formal: 1},
		{Name: "殡葬", Terms: []string{"殡葬", "丧葬", "墓地"}, Formal: 2},
	}
	edits, problems := ParseConceptEdits("特种设备 起重机械 | 观光梯 -电梯\n-殡葬\n共享单车 互联网租赁自行车 | 小黄车\n殡葬 | -墓地\n特种设备 | -升降机")
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	out, ch := ApplyConceptEdits(base, edits)
	if len(out) != 2 || out[0].Name != "特种设备" || out[1].Name != "共享单车" {
		t.Fatalf("concepts after the edits: %+v", out)
	}
	if got := out[0]; !slices.Equal(got.Terms, []string{"特种设备", "起重机械", "扶梯", "观光梯"}) || got.Formal != 2 {
		t.Errorf("extended concept %+v", got)
	}
	if got := out[1]; got.Formal != 2 || !slices.Equal(got.Terms, []string{"共享单车", "互联网租赁自行车", "小黄车"}) {
		t.Errorf("new concept %+v", got)
	}
	if ch.Added != 1 || ch.Extended != 1 || ch.Dropped != 1 || ch.TermsAdded != 5 || ch.TermsRemoved != 1 || ch.Concepts != 2 {
		t.Errorf("change %+v", ch)
	}
	// Line 4 removes from a dropped concept, line 5 a term the concept lacks.
	if len(ch.Stale) != 2 || ch.Stale[0].Line != 4 || ch.Stale[1].Line != 5 {
		t.Errorf("stale lines %+v", ch.Stale)
	}
	if base[0].Terms[1] != "电梯" || len(base) != 2 {
		t.Error("the base lexicon was changed in place")
	}
}

func TestSynonymConceptsJoinOrAdd(t *testing.T) {
	base := []Concept{{Name: "欠薪", Terms: []string{"欠薪", "工钱"}, Formal: 1}}
	out := SynonymConcepts(slices.Clone(base), [][]string{{"工钱", "辛苦钱", "血汗钱"}, {"医保", "医疗保险"}, {"孤", "x"}})
	if len(out) != 2 {
		t.Fatalf("concepts %+v", out)
	}
	if !slices.Equal(out[0].Terms, []string{"欠薪", "工钱", "辛苦钱", "血汗钱"}) || out[0].Formal != 1 {
		t.Errorf("joined %+v", out[0])
	}
	if out[1].Name != "医保" || out[1].Formal != 2 {
		t.Errorf("added %+v", out[1])
	}
	if len(base[0].Terms) != 2 {
		t.Error("the base lexicon was changed in place")
	}
}

// A city's word the shipped lexicon never heard of: an edit makes it reach
// the department whose duty names its category, the suggestion says why,
// and removing the edit takes the bridge away again.
func TestConceptEditsReachTheModel(t *testing.T) {
	ctx := context.Background()
	depts := []DepartmentInfo{
		{Code: "transport", Name: "交通运输局", Responsibilities: "负责互联网租赁自行车的停放秩序管理；负责道路运输监督。"},
		{Code: "eco", Name: "生态环境局", Responsibilities: "负责大气污染防治和噪声污染防治监督管理。"},
		{Code: "hrss", Name: "人力资源和社会保障局", Responsibilities: "负责劳动保障监察和欠薪治理。"},
	}
	s := openWithDepartments(t, depts, nil)
	const text = "嘀嘀宝横七竖八堆在小区门口"
	lead := func() (string, []string) {
		t.Helper()
		if err := s.Retrain(ctx); err != nil {
			t.Fatal(err)
		}
		sg, err := s.Suggest(ctx, Query{Text: text})
		if err != nil {
			t.Fatal(err)
		}
		return sg.Department, sg.Evidence
	}
	if got, _ := lead(); got == "transport" {
		t.Fatalf("routed to transport without the edit: the test proves nothing")
	}
	ce, ch, err := s.Catalogue().SetConceptEdits(ctx, "互联网租赁自行车 | 嘀嘀宝", "admin-1", 0)
	if err != nil {
		t.Fatal(err)
	}
	if ce.Version == 0 || ch.Extended+ch.Added != 1 {
		t.Errorf("saved %+v, change %+v", ce, ch)
	}
	v, err := s.Lexicon(ctx, text, "嘀嘀宝")
	if err != nil {
		t.Fatal(err)
	}
	if v.InModel || len(v.Matches) == 0 || v.Matches[0].Term != "嘀嘀宝" || len(v.ConceptsOfTerm) != 1 {
		t.Errorf("lexicon view before the rebuild: %+v", v)
	}
	got, ev := lead()
	if got != "transport" {
		t.Fatalf("routed to %s with the edit", got)
	}
	if !strings.Contains(strings.Join(ev, "\n"), "「嘀嘀宝」属「互联网租赁自行车」") {
		t.Errorf("evidence does not name the bridge: %q", ev)
	}
	if v, _ := s.Lexicon(ctx, "", ""); !v.InModel || v.Edits.UpdatedBy != "admin-1" {
		t.Errorf("after the rebuild: %+v", v.Edits)
	}
	// A stale version conflicts; a bad line saves nothing.
	if _, _, err := s.Catalogue().SetConceptEdits(ctx, "", "admin-1", ce.Version+1); !errors.Is(err, ErrConflict) {
		t.Errorf("stale version: %v", err)
	}
	var pe *ConceptEditError
	if _, _, err := s.Catalogue().SetConceptEdits(ctx, "特种设备 | -不存在的词", "admin-1", 0); !errors.As(err, &pe) || pe.Problems[0].Line != 1 {
		t.Errorf("a removal of a missing term: %v", err)
	}
	if now, _ := s.Catalogue().ConceptEdits(ctx); now.Version != ce.Version {
		t.Errorf("a refused edit changed the stored one: %+v", now)
	}
	if _, _, err := s.Catalogue().SetConceptEdits(ctx, "", "admin-1", ce.Version); err != nil {
		t.Fatal(err)
	}
	if got, _ := lead(); got == "transport" {
		t.Error("still routed to transport after the edit was removed")
	}
}

// The knowledge base's runtime synonyms reach routing through the lexicon,
// and a change of them schedules a rebuild.
func TestKBSynonymsJoinTheLexicon(t *testing.T) {
	ctx := context.Background()
	depts := []DepartmentInfo{
		// Names no duty template matches: the synonyms alone must bridge.
		{Code: "eco", Name: "甲局", Responsibilities: "负责大气污染防治监督管理。"},
		{Code: "water", Name: "乙局", Responsibilities: "负责供水排水管理。"},
		{Code: "hrss", Name: "丙局", Responsibilities: "负责劳动保障监察。"},
	}
	groups, version := [][]string{}, uint64(0)
	s := openWithDepartments(t, depts, func(context.Context) ([][]string, uint64, error) { return groups, version, nil })
	if changed, err := s.SyncConcepts(ctx); err != nil || changed {
		t.Fatalf("nothing changed yet: %v %v", changed, err)
	}
	const text = "咕咕叫工地的事情没人管"
	if sg, err := s.Suggest(ctx, Query{Text: text}); err != nil || sg.Department == "hrss" {
		t.Fatalf("routed to hrss without the synonym: the test proves nothing (%v)", err)
	}
	groups, version = [][]string{{"劳动保障监察", "咕咕叫工地"}}, 7
	if changed, err := s.SyncConcepts(ctx); err != nil || !changed {
		t.Fatalf("a synonym change not noticed: %v %v", changed, err)
	}
	if err := s.Retrain(ctx); err != nil {
		t.Fatal(err)
	}
	sg, err := s.Suggest(ctx, Query{Text: text})
	if err != nil {
		t.Fatal(err)
	}
	if sg.Department != "hrss" {
		t.Errorf("routed to %s", sg.Department)
	}
	if v, _ := s.Lexicon(ctx, "", ""); v.SynonymGroups != 1 || !v.InModel {
		t.Errorf("view %+v", v)
	}
}

// openWithDepartments opens a suggester over depts that rebuilds only when
// told to.
func openWithDepartments(t *testing.T, depts []DepartmentInfo, syn SynonymSource) *Suggester {
	t.Helper()
	// Without the starter examples: these tests measure what the lexicon
	// and its edits do, and the starters would route the cases anyway.
	s, err := Open(context.Background(), Options{Store: openBolt(t), Logger: quietLogger, RetrainDelay: time.Hour, Synonyms: syn, NoStarters: true,
		Departments: func(context.Context) ([]DepartmentInfo, error) { return depts, nil }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
