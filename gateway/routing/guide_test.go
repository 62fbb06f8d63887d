package routing

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A dispatch guide of an invented town, written for these tests: its own
// departments, duties and words, in the shape a city's guide takes.
const synthGuide = "# 示例镇派单指引\n" +
	"\n" +
	"通用规则：\n" +
	"- 主办只派一个部门，其余为协办。\n" +
	"- urgent=true 仅用于正在发生的险情：桥梁开裂、游船漏水或倾覆、缆车悬空等。一般投诉不算紧急。\n" +
	"\n" +
	"各部门归口（每行一个部门）：\n" +
	"- `parks`（园林处）：公园开放时间、游船租赁（含押金退还，游船超载的协办 harbor）、古树名木保护；公园内摊贩归 stalls。\n" +
	"- `stalls`（摊点办）：夜市摊位管理、早餐车审批（协办 parks）；夜市喇叭叫卖不归 stalls，归 quiet。\n" +
	"- `harbor`（港务所）：码头秩序、渡船班次；游艇停泊由 harbor 主办、parks 协办。\n" +
	"- `quiet` ：广场舞音响、夜市喇叭叫卖。\n"

var guideKnown = map[string]bool{"parks": true, "stalls": true, "harbor": true, "quiet": true}

func TestParseGuideSynthetic(t *testing.T) {
	rules, err := ParseGuide(strings.NewReader(synthGuide), guideKnown)
	if err != nil {
		t.Fatal(err)
	}
	var urgent *Rule
	byDept := map[string]Rule{}
	for i, r := range rules {
		if r.Urgent {
			urgent = &rules[i]
			continue
		}
		byDept[r.Department] = r
		if bad := r.Validate(guideKnown); len(bad) > 0 {
			t.Errorf("rule %s does not validate: %v", r.ID, bad)
		}
	}
	if len(byDept) != 4 {
		t.Fatalf("want 4 department lines, got %d: %+v", len(byDept), rules)
	}
	if r := byDept["parks"]; r.ID != "guide-parks" || r.Note != "园林处" || r.Priority != guidePriority {
		t.Errorf("parks rule head: %+v", r)
	}
	if urgent == nil {
		t.Fatal("no urgent rule from the general section")
	}
	for _, want := range []string{"桥梁开裂", "游船漏水", "倾覆", "缆车悬空"} {
		if !slices.Contains(urgent.Keywords, want) {
			t.Errorf("urgent phrases %v lack %s", urgent.Keywords, want)
		}
	}
	if slices.Contains(urgent.Keywords, "一般投诉不算紧急") {
		t.Errorf("urgent phrases run past their sentence: %v", urgent.Keywords)
	}

	type want struct {
		dept string
		co   []string
	}
	// item text fragment → where it must go
	cases := map[string]map[string]want{
		"parks": {
			"公园开放时间": {"parks", nil},
			"押金退还":   {"parks", nil},
			"游船超载":   {"parks", []string{"harbor"}},
			"古树名木保护": {"parks", nil},
			"公园内摊贩":  {"stalls", nil},
		},
		"stalls": {
			"夜市摊位管理": {"stalls", nil},
			"早餐车审批":  {"stalls", []string{"parks"}},
			"夜市喇叭叫卖": {"quiet", nil},
		},
		"harbor": {
			"码头秩序": {"harbor", nil},
			"游艇停泊": {"harbor", []string{"parks"}},
		},
		"quiet": {
			"广场舞音响": {"quiet", nil},
		},
	}
	for dept, frags := range cases {
		items := byDept[dept].ScopeItems()
		for frag, w := range frags {
			found := false
			for _, it := range items {
				if !strings.Contains(it.Text, frag) {
					continue
				}
				if it.Department == w.dept && slices.Equal(it.CoDepartments, w.co) {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: no item with %q → %s %v; items %+v", dept, frag, w.dept, w.co, items)
			}
		}
		for _, it := range items {
			if it.Department == "stalls" && dept == "stalls" && strings.Contains(it.Text, "喇叭") {
				t.Errorf("an exception stayed with its line's department: %+v", it)
			}
		}
	}
}

func TestParseGuideReportsEveryProblemByLine(t *testing.T) {
	guide := synthGuide +
		"- `ghost`（幽灵局）：夜间巡逻。\n" +
		"- `parks`（园林处）：再写一行。\n" +
		"- `harbor`（港务所） 没有冒号\n" +
		"- `quiet2`：噪声投诉（协办 nobody）。\n"
	known := map[string]bool{"parks": true, "stalls": true, "harbor": true, "quiet": true, "quiet2": true}
	_, err := ParseGuide(strings.NewReader(guide), known)
	var ge *GuideError
	if !errors.As(err, &ge) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("want a *GuideError wrapping ErrInvalid, got %v", err)
	}
	for _, want := range []string{"line 12: unknown department ghost", "line 13: department parks already has line 8",
		"line 14: a department line needs", "line 15: unknown department nobody"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	// Without known codes nothing is unknown.
	if _, err := ParseGuide(strings.NewReader(synthGuide), nil); err != nil {
		t.Errorf("nil known: %v", err)
	}
}

func TestRuleValidateScopeAndUrgent(t *testing.T) {
	known := map[string]bool{"parks": true, "harbor": true}
	cases := []struct {
		r    Rule
		bad  []string
		none bool
	}{
		{r: Rule{Department: "parks", Scope: "游船租赁、古树保护（协办 harbor）", Priority: 5}, none: true},
		{r: Rule{Department: "parks", Scope: "游船租赁（协办 nowhere）"}, bad: []string{"scope"}},
		{r: Rule{Department: "parks", Scope: "、；"}, bad: []string{"scope"}},
		{r: Rule{Department: "parks", Scope: strings.Repeat("游船", maxScopeRunes)}, bad: []string{"scope"}},
		{r: Rule{Urgent: true, Keywords: []string{"桥梁开裂"}}, none: true},
		{r: Rule{Urgent: true}, bad: []string{"keywords"}},
		{r: Rule{Urgent: true, Keywords: []string{"x"}, Scope: "游船"}, bad: []string{"scope"}},
		{r: Rule{Department: "parks"}, bad: []string{"keywords"}},
		{r: Rule{Scope: "游船"}, bad: []string{"department"}},
		{r: Rule{Department: "parks", Keywords: []string{"游船"}}, none: true},
	}
	for i, c := range cases {
		bad := c.r.Validate(known)
		if c.none && len(bad) > 0 {
			t.Errorf("case %d: unexpected problems %v", i, bad)
		}
		for _, f := range c.bad {
			if _, ok := bad[f]; !ok {
				t.Errorf("case %d: want a problem on %s, got %v", i, f, bad)
			}
		}
	}
}

func TestRuleJSONCompatible(t *testing.T) {
	// A rule stored before scopes existed decodes unchanged.
	var r Rule
	if err := json.Unmarshal([]byte(`{"id":"r1","keywords":["停水"],"department":"water","priority":3}`), &r); err != nil {
		t.Fatal(err)
	}
	if r.Scope != "" || r.Urgent || r.ScopeItems() != nil {
		t.Errorf("old rule grew scope fields: %+v", r)
	}
	b, _ := json.Marshal(r)
	if strings.Contains(string(b), "scope") || strings.Contains(string(b), "urgent") {
		t.Errorf("a keyword rule encodes new fields: %s", b)
	}
	b, _ = json.Marshal(Rule{Department: "parks", Scope: "游船租赁", Urgent: false})
	if !strings.Contains(string(b), `"scope":"游船租赁"`) {
		t.Errorf("scope not encoded: %s", b)
	}
}

// A scope rule teaches a department a duty nobody else has, names its
// co-department for a case, and an urgent rule's phrase makes a request
// urgent; all through the catalogue of a running suggester.
func TestSuggesterLearnsFromScopeRules(t *testing.T) {
	ctx := context.Background()
	s := openSuggester(t, openBolt(t))
	if _, err := s.ObserveBatch(ctx, synthExamples(200, 1)); err != nil {
		t.Fatal(err)
	}
	q := Query{Text: "来电反映：小区里共享充电宝押金一直不退，请尽快处理。"}
	before, err := s.Suggest(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if before.Department == "traffic" || slices.Contains(before.CoDepartments, "market") || before.Urgent {
		t.Fatalf("the synthetic history already routes the new duty: %+v", before)
	}
	cat := s.Catalogue()
	if _, err := cat.Create(ctx, Rule{Department: "traffic", Scope: "共享单车停放；共享充电宝押金退还（协办 market）", Priority: 8}); err != nil {
		t.Fatal(err)
	}
	if _, err := cat.Create(ctx, Rule{Department: "traffic", Scope: "充电宝（协办 nowhere）"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("unknown co-department in a scope: want ErrInvalid, got %v", err)
	}
	if _, err := cat.Create(ctx, Rule{Urgent: true, Keywords: []string{"广告牌摇晃"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Retrain(ctx); err != nil {
		t.Fatal(err)
	}
	after, err := s.Suggest(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if after.Department != "traffic" {
		t.Fatalf("scope rule ignored: before %s, after %+v", before.Department, after)
	}
	if !slices.Contains(after.CoDepartments, "market") {
		t.Errorf("the scope clause's co-department is missing: %+v", after)
	}
	if !slices.ContainsFunc(after.Evidence, func(e string) bool { return strings.Contains(e, "派单指引") }) {
		t.Errorf("no evidence quotes the scope clause: %v", after.Evidence)
	}
	urg, err := s.Suggest(ctx, Query{Text: "来电反映：路边广告牌摇晃，请处理。"})
	if err != nil {
		t.Fatal(err)
	}
	if !urg.Urgent {
		t.Errorf("urgent phrase of the catalogue not applied: %+v", urg)
	}
}

// The development city's guide (read where it lies, never copied) parses
// with every department line to a known code.
func TestParseGuideDev(t *testing.T) {
	data := devData(t)
	path := filepath.Join(data, "dispatch_guide.md")
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("dispatch guide absent: %v", err)
	}
	defer f.Close()
	depts, err := LoadDepartments(filepath.Join(data, "departments.json"))
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, d := range depts {
		known[d.Code] = true
	}
	rules, err := ParseGuide(f, known)
	if err != nil {
		t.Fatal(err)
	}
	lines := 0
	for _, r := range rules {
		if r.Urgent {
			continue
		}
		lines++
		if bad := r.Validate(known); len(bad) > 0 {
			t.Errorf("%s: %v", r.ID, bad)
		}
		for _, it := range r.ScopeItems() {
			if !known[it.Department] {
				t.Errorf("%s: item %q goes to unknown %s", r.ID, it.Text, it.Department)
			}
		}
	}
	// Every back-ticked department line of the file became a rule.
	b, _ := os.ReadFile(path)
	want := 0
	for _, l := range strings.Split(string(b), "\n") {
		if guideLine.MatchString(strings.TrimSpace(l)) {
			want++
		}
	}
	if lines != want || want == 0 {
		t.Errorf("%d department lines parsed, %d in the file", lines, want)
	}
}

// FuzzParseGuide: a guide is an administrator's upload; parsing must never
// panic, and every clause goes to the line's department or a code the line
// names, never an empty one.
func FuzzParseGuide(f *testing.F) {
	f.Add(synthGuide)
	f.Add("- `a`：（（协办 b）、归 c；不归 a，归")
	f.Add("- `a`（：x、y（含 z，w 的协办 b））；u 由 c 主办、d 协办")
	f.Add("- `a`:\xff\xfe、“未闭合，（")
	f.Add("- `a`：00归A(00)00") // a parenthesis right after a code once glued the code to the next word
	f.Fuzz(func(t *testing.T, in string) {
		rules, _ := ParseGuide(strings.NewReader(in), nil)
		for _, r := range rules {
			_ = r.Validate(nil)
			for _, it := range r.ScopeItems() {
				if it.Department == "" || strings.TrimSpace(it.Text) == "" {
					t.Fatalf("empty item %+v from %q", it, in)
				}
				if it.Department != r.Department && !strings.Contains(r.Scope, it.Department) {
					t.Fatalf("item %+v goes to a code its line does not name: %q", it, r.Scope)
				}
			}
		}
	})
}
