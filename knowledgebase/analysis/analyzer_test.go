package analysis

import (
	"slices"
	"strings"
	"sync"
	"testing"
)

func termTexts(ts []Term) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Text
	}
	return out
}

func TestNormalize(t *testing.T) {
	cases := map[string]string{
		"社會保險證":       "社会保险证",
		"ＡＢＣ１２３　申请":   "abc123 申请",
		"怎么办？？  户口本！": "怎么办 户口本",
		"X-Ray 辐射":    "x-ray 辐射",
		"  戶籍 ":       "户籍",
	}
	for in, want := range cases {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSegment(t *testing.T) {
	a := Shared()
	got := a.Segment("社保卡丢了怎么补办")
	if !slices.Contains(got, "社保卡") || !slices.Contains(got, "补办") {
		t.Fatalf("Segment = %v, want 社保卡 and 补办 as words", got)
	}
	got = a.Segment("EMS邮寄passport")
	if !slices.Equal(got, []string{"ems", "邮寄", "passport"}) {
		t.Fatalf("Segment mixed = %v", got)
	}
}

func TestSplitSyllables(t *testing.T) {
	if got := splitSyllables("shebaoka"); !slices.Equal(got, []string{"she", "bao", "ka"}) {
		t.Fatalf("shebaoka → %v", got)
	}
	if got := splitSyllables("gjj"); got != nil {
		t.Fatalf("gjj → %v, want nil", got)
	}
}

func intersects(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

func TestPinyinAndInitialsMeetIndex(t *testing.T) {
	a := Shared()
	idx := termTexts(a.IndexTerms(FieldTitle, "社会保障卡和社保卡如何申领"))
	for _, q := range []string{"shebaoka", "sbk", "shebao"} {
		if !intersects(termTexts(a.QueryTerms(q)), idx) {
			t.Errorf("query %q shares no term with the title", q)
		}
	}
	// Body fields carry no pinyin.
	body := termTexts(a.IndexTerms(FieldBody, "社保卡"))
	if slices.Contains(body, PinyinPrefix+"shebao") {
		t.Errorf("body terms contain pinyin: %v", body)
	}
}

func TestHomophoneTypoVariant(t *testing.T) {
	a := Shared()
	for typo, right := range map[string]string{"公积斤": "公积金", "社宝卡": "社保卡", "户藉": "户籍"} {
		q := a.QueryTerms(typo)
		idx := termTexts(a.IndexTerms(FieldTitle, right))
		found := false
		for _, term := range q {
			if term.Type == TermVariant && slices.Contains(idx, term.Text) {
				found = true
			}
		}
		if !found {
			t.Errorf("typo %q has no pinyin variant matching %q", typo, right)
		}
	}
}

func TestSynonymsDefaultAndRuntime(t *testing.T) {
	a, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	q := termTexts(a.QueryTerms("passport 怎么办"))
	if !slices.Contains(q, "护照") {
		t.Fatalf("passport not expanded to 护照: %v", q)
	}
	if slices.Contains(termTexts(a.QueryTerms("樱桃")), "车厘子") {
		t.Fatal("unexpected synonym before SetSynonyms")
	}
	a.SetSynonyms([][]string{{"樱桃", "车厘子"}})
	if !slices.Contains(termTexts(a.QueryTerms("樱桃")), "车厘子") {
		t.Fatal("runtime synonym not applied")
	}
	// Defaults survive SetSynonyms.
	if !slices.Contains(termTexts(a.QueryTerms("passport")), "护照") {
		t.Fatal("defaults lost after SetSynonyms")
	}
}

func TestInfixBigram(t *testing.T) {
	a := Shared()
	if !intersects(termTexts(a.QueryTerms("简单")), termTexts(a.IndexTerms(FieldBody, "安装简单"))) {
		t.Fatal("infix 简单 does not meet 安装简单")
	}
}

func TestOptionsValidate(t *testing.T) {
	err := Options{ExtraWords: []string{" "}, Synonyms: [][]string{{"a"}}}.Validate()
	if err == nil {
		t.Fatal("want error")
	}
}

func TestConcurrentUse(t *testing.T) {
	a, _ := New(Options{})
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				a.QueryTerms("社保卡怎么办理 shebaoka")
				a.Segment("公积金提取")
				if i == 0 && j%50 == 0 {
					a.SetSynonyms([][]string{{"甲", "乙"}})
				}
			}
		}(i)
	}
	wg.Wait()
}

func BenchmarkQueryTerms(b *testing.B) {
	a := Shared()
	for b.Loop() {
		a.QueryTerms("我爸上个月去世了户口怎么注销 hukou")
	}
}

func BenchmarkIndexTermsTitle(b *testing.B) {
	a := Shared()
	for b.Loop() {
		a.IndexTerms(FieldTitle, "跨省流动就业人员如何办理职工养老保险关系转移？")
	}
}

func BenchmarkSegment(b *testing.B) {
	a := Shared()
	for b.Loop() {
		a.Segment("小区化粪池满了冒出来找谁清掏，物业不管")
	}
}

func TestShippedSynonymsAreWellFormed(t *testing.T) {
	seen := map[string]int{}
	for i, g := range DefaultSynonyms() {
		if len(g) < 2 {
			t.Errorf("group %d has %d terms", i, len(g))
		}
		for _, term := range g {
			if Normalize(term) != term && Normalize(term) != strings.ToLower(term) {
				t.Errorf("group %d: term %q is not normalized", i, term)
			}
		}
		seen[g[0]]++
	}
	if len(DefaultSynonyms()) < 200 {
		t.Errorf("only %d default groups", len(DefaultSynonyms()))
	}
}

func TestPolyphonicReadings(t *testing.T) {
	a := Shared()
	for q, title := range map[string]string{"yinhang": "银行网点", "huankuan": "提前还款", "changqi": "长期护理", "yh": "银行卡"} {
		if !intersects(termTexts(a.QueryTerms(q)), termTexts(a.IndexTerms(FieldTitle, title))) {
			t.Errorf("query %q shares no term with %q", q, title)
		}
	}
}
