package routing

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/hallgate/hallgate/knowledgebase/analysis"
)

func TestConceptLexiconWellFormed(t *testing.T) {
	cs, err := ParseConcepts(conceptText)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) < 200 {
		t.Errorf("%d concepts, want ≥ 200", len(cs))
	}
	generic := []string{"问题", "投诉", "办理", "服务", "小区", "老人", "孩子", "政府", "部门", "工作", "时间", "希望", "反映", "申请", "材料"}
	names := map[string]bool{}
	for _, c := range cs {
		if names[c.Name] {
			t.Errorf("concept %s named twice", c.Name)
		}
		names[c.Name] = true
		if len(c.Terms) < 8 {
			t.Errorf("concept %s has %d terms, want ≥ 8", c.Name, len(c.Terms))
		}
		for _, term := range c.Terms {
			if slices.Contains(generic, term) {
				t.Errorf("concept %s: generic term %s points nowhere", c.Name, term)
			}
		}
	}
	if ix := NewConceptIndex(cs); len(ix.Match("")) != 0 {
		t.Error("the empty text mentions a concept")
	}
}

func TestParseConceptsRejects(t *testing.T) {
	for name, text := range map[string]string{
		"no bar":        "特种设备 电梯 扶梯",
		"empty formal":  " | 电梯 扶梯",
		"empty words":   "特种设备 | ",
		"one character": "特种设备 | 梯 电梯",
	} {
		if _, err := ParseConcepts(text); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	cs, err := ParseConcepts("# comment\n\n特种设备 电梯安全 | 电梯 扶梯 电梯\n")
	if err != nil || len(cs) != 1 || cs[0].Name != "特种设备" || len(cs[0].Terms) != 4 || cs[0].Formal != 2 {
		t.Fatalf("got %+v, %v", cs, err)
	}
}

func TestConceptMatch(t *testing.T) {
	ix := NewConceptIndex([]Concept{
		{Name: "特种设备", Terms: []string{"特种设备", "电梯", "扶梯", "自动扶梯"}},
		{Name: "欠薪", Terms: []string{"欠薪", "工钱", "不发工资"}},
	})
	names := func(text string) []string {
		var out []string
		for _, i := range ix.Match(text) {
			out = append(out, ix.Name(i))
		}
		return out
	}
	if got := names("商场自动扶梯突然倒转，老板还不发工资，工钱也欠着"); !slices.Equal(got, []string{"特种设备", "欠薪"}) {
		t.Errorf("got %v, want each concept once in order of mention", got)
	}
	if got := names("电梯"); !slices.Equal(got, []string{"特种设备"}) {
		t.Errorf("a text that is one term: %v", got)
	}
	if got := names("梯子坏了"); len(got) != 0 {
		t.Errorf("a part of a term matched: %v", got)
	}
}

// A city with no history and no KB: the requests share no word with the
// duty statements, only a category the lexicon knows.
func TestConceptsBridgeEverydayWords(t *testing.T) {
	depts := []DepartmentInfo{
		{Code: "samr", Name: "市场监督管理局", ShortName: "市场监管", Responsibilities: "负责特种设备安全监察；负责计量和价格监督检查。"},
		{Code: "hrss", Name: "人力资源和社会保障局", ShortName: "人社", Responsibilities: "负责劳动保障监察和欠薪治理；负责社会保险参保登记。"},
		{Code: "urban", Name: "城市管理局", ShortName: "城管", Responsibilities: "负责市容环境卫生；负责查处占道经营和违法建设。"},
		{Code: "eco", Name: "生态环境局", ShortName: "环保", Responsibilities: "负责大气污染防治和噪声污染防治监督管理。"},
	}
	cases := map[string]string{
		"商场的自动扶梯突然倒转，好几个人摔倒": "samr",
		"干了三个月活，包工头一直拖着工钱不给": "hrss",
		"菜市场门口天天有人摆地摊，路都堵了":  "urban",
		"旁边工厂烟囱天天冒黑烟，呛得人咳嗽":  "eco",
	}
	tok := WordTokenizer(analysis.Shared())
	p := defaultParams()
	p.NoStarters = true // what the lexicon alone bridges
	right := func() int {
		m := buildModel(tok, depts, nil, nil, nil, p)
		n := 0
		for text, want := range cases {
			p := m.predict(context.Background(), Query{Text: text}, nil)
			if got := m.depts[p.ranked[0]].Code; got == want {
				n++
				if want == "samr" && conceptRepeat > 0 && !strings.Contains(strings.Join(p.evidence, "\n"), "「自动扶梯」属「特种设备」") {
					t.Errorf("evidence does not name the bridge: %q", p.evidence)
				}
			} else if conceptRepeat > 0 {
				t.Errorf("%s: routed to %s, want %s", text, got, want)
			}
		}
		return n
	}
	with := right()
	if f := defaultConcepts.terms("电梯"); len(f) == 0 || !strings.HasPrefix(f[0], "c:") {
		t.Errorf("concept features of 电梯: %q", f)
	}
	defer func(r int) { conceptRepeat = r }(conceptRepeat)
	conceptRepeat = 0
	without := right()
	if with != len(cases) || without >= with {
		t.Errorf("right with the lexicon %d of %d, without %d: the lexicon does not bridge", with, len(cases), without)
	}
}

// TestCallFrameIsNotAMeter: an agent's 来电表扬 / 来电表示 must not read as
// 电表 (the electricity meter) once the frame is set apart, while a real
// meter and a power supply's 来电 (power is back) still do.
func TestCallFrameIsNotAMeter(t *testing.T) {
	ix := defaultConcepts
	names := func(text string) []string {
		var out []string
		for _, c := range ix.Match(requestText(text)) {
			out = append(out, ix.Name(c))
		}
		return out
	}
	meter := names("电表走得太快")
	if len(meter) == 0 {
		t.Fatal("电表走得太快 matched no concept")
	}
	for _, text := range []string{"来电表扬交警大队的民警帮忙推车", "来电表示小学老师义务辅导孩子"} {
		for _, n := range names(text) {
			if slices.Contains(meter, n) {
				t.Errorf("%s: matched the meter's concept %s", text, n)
			}
		}
		var raw []string
		for _, c := range ix.Match(text) {
			raw = append(raw, ix.Name(c))
		}
		if !slices.ContainsFunc(raw, func(n string) bool { return slices.Contains(meter, n) }) {
			t.Errorf("%s: the raw text no longer matches the meter (%v): the case this guards is gone", text, raw)
		}
	}
	if got := requestText("停电三天了还没来电"); got != "停电三天了还没来电 " {
		t.Errorf("requestText kept the power's 来电 as %q", got)
	}
}
