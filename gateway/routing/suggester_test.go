package routing

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// openSuggester opens a suggester on the synthetic city. These tests (and
// the other Open calls of the package's tests) check the suggester's
// mechanics; they leave the starter examples out, whose extra thousand
// documents would only slow every rebuild under the race detector
// (starter_test.go covers them).
func openSuggester(t *testing.T, st RecordStore) *Suggester {
	t.Helper()
	s, err := Open(context.Background(), Options{NoStarters: true, Store: st, Departments: synthDepartments, Tokenizer: CharNGrams, Logger: quietLogger, RetrainDelay: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestOptionsValidateListsAll(t *testing.T) {
	err := Options{RetrainDelay: -1}.Validate()
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("want ErrInvalid, got %v", err)
	}
	for _, want := range []string{"store", "departments", "retrain_delay"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestSuggestLearnsFromHistoryAndPersists(t *testing.T) {
	ctx := context.Background()
	st := openBolt(t)
	s := openSuggester(t, st)
	if _, err := s.ObserveBatch(ctx, synthExamples(400, 1)); err != nil {
		t.Fatal(err)
	}
	if err := s.Retrain(ctx); err != nil {
		t.Fatal(err)
	}
	test := synthExamples(200, 99)
	right := 0
	for _, ex := range test {
		sg, err := s.Suggest(ctx, Query{Text: ex.Text})
		if err != nil {
			t.Fatal(err)
		}
		if sg.Department == ex.Department {
			right++
		}
		if len(sg.Candidates) == 0 || len(sg.Evidence) == 0 {
			t.Fatalf("suggestion without candidates or evidence: %+v", sg)
		}
	}
	if acc := float64(right) / float64(len(test)); acc < 0.95 {
		t.Errorf("accuracy on synthetic tickets %.3f < 0.95", acc)
	}

	// A fresh suggester over the same store rebuilds from persisted examples.
	s2 := openSuggester(t, st)
	if s2.Examples() != 400 {
		t.Fatalf("reloaded %d examples, want 400", s2.Examples())
	}
	sg, err := s2.Suggest(ctx, Query{Text: "家里停水了两天，请尽快处理"})
	if err != nil {
		t.Fatal(err)
	}
	if sg.Department != "water" {
		t.Errorf("after reload: department %s, want water (%+v)", sg.Department, sg.Candidates)
	}
}

func TestObserveRejectsInvalidBatchWithoutWriting(t *testing.T) {
	ctx := context.Background()
	st := openBolt(t)
	s := openSuggester(t, st)
	exs := synthExamples(3, 1)
	exs[1].Department = "nowhere"
	exs[2].Text = " "
	_, err := s.ObserveBatch(ctx, exs)
	var ve *ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("want ValidationError, got %v", err)
	}
	for _, f := range []string{"[1].department", "[2].text"} {
		if _, ok := ve.Fields[f]; !ok {
			t.Errorf("fields %v lack %s", ve.Fields, f)
		}
	}
	if s.Examples() != 0 {
		t.Errorf("half-written: %d examples", s.Examples())
	}
	if n, _ := st.Count(ctx, CollectionExamples, nil); n != 0 {
		t.Errorf("store holds %d examples after a rejected batch", n)
	}
}

func TestObserveCleansSecondaryLabels(t *testing.T) {
	ctx := context.Background()
	st := openBolt(t)
	s := openSuggester(t, st)
	ex := synthExamples(1, 1)[0]
	ex.Type = "闲聊"
	ex.CoDepartments = []string{"nowhere", "edu"}
	if err := s.Observe(ctx, ex); err != nil {
		t.Fatal(err)
	}
	rec, err := st.Get(ctx, CollectionExamples, ex.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got Example
	if err := json.Unmarshal(rec.Data, &got); err != nil {
		t.Fatal(err)
	}
	if got.Type != "" || !slices.Equal(got.CoDepartments, []string{"edu"}) {
		t.Errorf("stored %+v, want type cleared and co_departments [edu]", got)
	}
}

func TestObserveRetrainsInBackground(t *testing.T) {
	ctx := context.Background()
	s := openSuggester(t, openBolt(t))
	before, _ := s.Suggest(ctx, Query{Text: "暖气片不热，供热站不管"})
	for i := 0; i < 6; i++ {
		if err := s.Observe(ctx, Example{Text: "暖气片不热，供热站不管，室温太低", Department: "power", Type: "投诉"}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		sg, _ := s.Suggest(ctx, Query{Text: "暖气片不热，供热站不管"})
		if sg.Department == "power" && sg.Candidates[0].Score > before.Candidates[0].Score-1 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("observed examples never reached the model")
}

func TestRulesOverrideAndCoDepartments(t *testing.T) {
	ctx := context.Background()
	s := openSuggester(t, openBolt(t))
	if _, err := s.ObserveBatch(ctx, synthExamples(200, 1)); err != nil {
		t.Fatal(err)
	}
	cat := s.Catalogue()
	r, err := cat.Create(ctx, Rule{Keywords: []string{"校车"}, Department: "edu", CoDepartments: []string{"traffic"}, Priority: 5, Note: "校车归教育，超员协办交警"})
	if err != nil {
		t.Fatal(err)
	}
	sg, err := s.Suggest(ctx, Query{Text: "校车每天严重超员，孩子站着坐车"})
	if err != nil {
		t.Fatal(err)
	}
	if sg.Department != "edu" || !slices.Contains(sg.CoDepartments, "traffic") {
		t.Fatalf("rule not applied: %+v", sg)
	}
	if !strings.Contains(strings.Join(sg.Evidence, "\n"), "校车归教育") {
		t.Errorf("evidence does not name the rule: %v", sg.Evidence)
	}
	// District-scoped rules apply only there.
	if _, err := cat.Create(ctx, Rule{Keywords: []string{"路灯"}, Department: "power", Districts: []string{"北区"}, Priority: 10}); err != nil {
		t.Fatal(err)
	}
	in, _ := s.Suggest(ctx, Query{Text: "路灯坏了好几天", District: "北区"})
	out, _ := s.Suggest(ctx, Query{Text: "路灯坏了好几天", District: "南区"})
	if in.Department != "power" {
		t.Errorf("district rule not applied in its district: %+v", in.Candidates)
	}
	if out.Candidates[0].Score >= in.Candidates[0].Score && out.Department == "power" {
		t.Errorf("district rule applied outside its district: %+v", out.Candidates)
	}

	// Update with a stale version conflicts; delete removes the rule.
	r.Priority = 6
	if _, err := cat.Update(ctx, r); err != nil {
		t.Fatal(err)
	}
	if _, err := cat.Update(ctx, r); !errors.Is(err, ErrConflict) {
		t.Fatalf("stale update: want ErrConflict, got %v", err)
	}
	if err := cat.Delete(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := cat.Get(ctx, r.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted rule: want ErrNotFound, got %v", err)
	}
	sg, _ = s.Suggest(ctx, Query{Text: "校车每天严重超员，孩子站着坐车"})
	if slices.Contains(sg.CoDepartments, "traffic") {
		t.Errorf("deleted rule still applied: %+v", sg)
	}
}

func TestRuleValidation(t *testing.T) {
	s := openSuggester(t, openBolt(t))
	_, err := s.Catalogue().Create(context.Background(), Rule{Department: "nowhere", CoDepartments: []string{"x"}, Priority: 11})
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want ValidationError, got %v", err)
	}
	for _, f := range []string{"department", "keywords", "co_departments[0]", "priority"} {
		if _, ok := ve.Fields[f]; !ok {
			t.Errorf("fields %v lack %s", ve.Fields, f)
		}
	}
}

func TestUrgentLexiconAndEvidence(t *testing.T) {
	s := openSuggester(t, openBolt(t))
	sg, err := s.Suggest(context.Background(), Query{Text: "楼道里有很浓的燃气味，怀疑漏气"})
	if err != nil {
		t.Fatal(err)
	}
	if !sg.Urgent || !strings.Contains(strings.Join(sg.Evidence, ""), "燃气味") {
		t.Errorf("gas smell not urgent or not explained: %+v", sg)
	}
	sg, _ = s.Suggest(context.Background(), Query{Text: "建议在公园多设几个长椅"})
	if sg.Urgent {
		t.Errorf("a suggestion about benches is urgent: %+v", sg)
	}
	// Live risks worded other ways than the city's own examples.
	for _, text := range []string{"小区电梯刚才突然坠梯，现在还有人在用", "河边有小孩落水了", "仓库那边冒出浓烟",
		"邻居说不想活了要跳楼，人现在在天台上", "我八十岁的父亲今天早上走失了，请帮忙找一找"} {
		if sg, _ := s.Suggest(context.Background(), Query{Text: text}); !sg.Urgent {
			t.Errorf("%s: not urgent", text)
		}
	}
	// A weak hazard told as a past event in praise is not urgent.
	if sg, _ := s.Suggest(context.Background(), Query{Text: "表扬派出所民警上个月帮我们找回走失的孩子"}); sg.Urgent && sg.Type == "表扬" {
		t.Errorf("praise about a child found last month is urgent: %+v", sg)
	}
}

func TestSuggestEmptyText(t *testing.T) {
	s := openSuggester(t, openBolt(t))
	_, err := s.Suggest(context.Background(), Query{Text: "  "})
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("want ErrInvalid, got %v", err)
	}
}

func TestDirectAnswerOnlyForGeneralEnquiries(t *testing.T) {
	ctx := context.Background()
	kb := []KBEntry{
		{ID: "k1", Question: "充电桩报装需要什么材料？", Answer: "提供身份证和车位证明。", Department: "power", Keywords: []string{"充电桩", "报装"}},
		{ID: "k2", Question: "小学入学报名需要哪些材料？", Answer: "户口簿和房产证明。", Department: "edu", Keywords: []string{"入学", "报名"}},
	}
	ix := NewBM25(kb)
	s, err := Open(ctx, Options{NoStarters: true, Store: openBolt(t), Departments: synthDepartments, Tokenizer: CharNGrams, Logger: quietLogger,
		KBEntries: func(context.Context) ([]KBEntry, error) { return kb, nil }, KBSearch: ix.Search})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.ObserveBatch(ctx, synthExamples(300, 5)); err != nil {
		t.Fatal(err)
	}
	if err := s.Retrain(ctx); err != nil {
		t.Fatal(err)
	}
	sg, err := s.Suggest(ctx, Query{Text: "来电咨询：充电桩报装需要准备什么材料，请问怎么办？"})
	if err != nil {
		t.Fatal(err)
	}
	if sg.Type != "咨询" || len(sg.DirectAnswer) == 0 || sg.DirectAnswer[0].ID != "k1" {
		t.Errorf("general enquiry: want direct answer k1, got type %s %+v", sg.Type, sg.DirectAnswer)
	}
	sg, _ = s.Suggest(ctx, Query{Text: "来电咨询：我的充电桩报装申请为什么至今还没批，请问怎么办？"})
	if len(sg.DirectAnswer) != 0 {
		t.Errorf("own-case enquiry got a direct answer: %+v", sg.DirectAnswer)
	}
}

func TestInvalidateRereadsKB(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	var kb []KBEntry
	s, err := Open(ctx, Options{NoStarters: true, Store: openBolt(t), Departments: synthDepartments, Tokenizer: CharNGrams, Logger: quietLogger,
		RetrainDelay: 10 * time.Millisecond,
		KBEntries: func(context.Context) ([]KBEntry, error) {
			mu.Lock()
			defer mu.Unlock()
			return slices.Clone(kb), nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if sg, _ := s.Suggest(ctx, Query{Text: "嘀嘀宝噪声太大"}); sg.Department == "water" {
		t.Fatalf("water before the KB entry exists: %+v", sg.Candidates)
	}
	mu.Lock()
	kb = append(kb, KBEntry{ID: "k", Question: "嘀嘀宝噪声扰民怎么办？", Department: "water", Keywords: []string{"嘀嘀宝"}})
	mu.Unlock()
	s.Invalidate()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if sg, _ := s.Suggest(ctx, Query{Text: "嘀嘀宝噪声太大"}); sg.Department == "water" {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("KB change never reached the model")
}
