package routing

import (
	"context"
	"slices"
	"strings"
	"testing"
)

func TestParseDutyTemplates(t *testing.T) {
	long := strings.Repeat("负责示例事项的监督管理（示例甲、示例乙）。", 10)
	ts, err := ParseDutyTemplates("# c\n[公安局]\nmatch: 公安局\n" + long + "\n[公安局交通警察支队]\nmatch: 交通警察 交警\n" + long + "\n" + long)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 2 || ts[1].Name != "公安局交通警察支队" || len(ts[1].Match) != 2 || len([]rune(ts[1].Text)) != 2*len([]rune(long)) {
		t.Fatalf("parsed %+v", ts)
	}
	// A second block of the same name widens the first.
	more, err := ParseDutyTemplates("[公安局]\nmatch: 公安局\n" + long + "\n[公安局]\nmatch: 公安局 派出所\n负责户外治安。")
	if err != nil || len(more) != 1 || len(more[0].Match) != 2 || !strings.HasSuffix(more[0].Text, "负责户外治安。") {
		t.Fatalf("widened: %+v %v", more, err)
	}
	// The longest matching substring wins: a traffic police unit of the
	// public security bureau is the traffic police, not the bureau.
	if got := templateFor("某市公安局交通警察支队", ts); got != 1 {
		t.Errorf("traffic police matched template %d", got)
	}
	if got := templateFor("某市公安局", ts); got != 0 {
		t.Errorf("the bureau matched template %d", got)
	}
	if got := templateFor("某市税务局", ts); got != -1 {
		t.Errorf("an unknown kind matched template %d", got)
	}
	for _, bad := range []string{"负责什么\n[x]\nmatch: x\n" + long, "[x]\n" + long, "[x]\nmatch: x\n负责很少的事。"} {
		if _, err := ParseDutyTemplates(bad); err == nil {
			t.Errorf("accepted %q", bad[:20])
		}
	}
	if _, err := ParseDutyTemplates(templateText); err != nil {
		t.Errorf("the shipped templates: %v", err)
	}
	// Names of the shipped kinds, and law-enforcement units that are not
	// urban management though they say 综合行政执法.
	for name, want := range map[string]string{
		"某市交通运输综合行政执法支队": "交通运输局", "某市综合行政执法局": "城市管理局", "某市城市管理局": "城市管理局",
		"某市公安局出入境管理支队": "公安局出入境管理", "某市公安局": "公安局", "国网某供电公司": "供电公司",
	} {
		got := ""
		if i := templateFor(name, shippedTemplates); i >= 0 {
			got = shippedTemplates[i].Name
		}
		if got != want {
			t.Errorf("%s matched %q, want %q", name, got, want)
		}
	}
}

// A city whose one-line duties never name a matter: the template of the
// department's kind does, and routes the request there.
func TestTemplatesBridgeShortDuties(t *testing.T) {
	defer func(ts []DutyTemplate) { shippedTemplates = ts }(shippedTemplates)
	shippedTemplates = []DutyTemplate{{Name: "交通运输局", Match: []string{"交通运输"},
		Text: "负责道路运输和城市客运管理（出租车、网约车、嘀嘀宝停放、公交线路、长途客车）。负责公路养护管理（路面坑洼、护栏损坏）。"}}
	depts := []DepartmentInfo{
		{Code: "transport", Name: "某市交通运输局", Responsibilities: "负责交通运输行业管理。"},
		{Code: "eco", Name: "某市生态环境局", Responsibilities: "负责大气污染防治监督管理。"},
		{Code: "hrss", Name: "某市人力资源和社会保障局", Responsibilities: "负责劳动保障监察。"},
	}
	const text = "嘀嘀宝横七竖八堆在小区门口"
	var evidence []string
	lead := func() string {
		m := buildModel(CharNGrams, depts, nil, nil, nil, defaultParams())
		p := m.predict(context.Background(), Query{Text: text}, nil)
		evidence = p.evidence
		return m.depts[p.ranked[0]].Code
	}
	if got := lead(); got != "transport" {
		t.Errorf("with the template: %s", got)
	}
	if !slices.Contains(evidence, "同类部门（交通运输局）通常负责「嘀嘀宝停放」") {
		t.Errorf("evidence does not quote the template: %q", evidence)
	}
	defer func(u bool) { useTemplates = u }(useTemplates)
	useTemplates = false
	if got := lead(); got == "transport" {
		t.Error("routed to transport without the template: the test proves nothing")
	}
}

// A kind the city has no department of joins the kind that absorbs it; a
// city that has both keeps them apart.
func TestTemplateAbsorbs(t *testing.T) {
	defer func(ts []DutyTemplate) { shippedTemplates = ts }(shippedTemplates)
	shippedTemplates = []DutyTemplate{
		{Name: "应急管理局", Match: []string{"应急管理"}, Text: "负责安全生产监督管理（危化品）。", Absorbs: []string{"消防救援支队"}},
		{Name: "消防救援支队", Match: []string{"消防救援"}, Text: "负责消防安全检查（飞线充电、消防通道）。"},
	}
	has := func(depts []DepartmentInfo, i int, clause string) bool {
		return slices.Contains(templateClauses(depts)[i], clause)
	}
	alone := []DepartmentInfo{{Code: "em", Name: "某市应急管理局"}}
	if !has(alone, 0, "飞线充电") {
		t.Errorf("without a fire brigade the emergency bureau lacks its duties: %q", templateClauses(alone)[0])
	}
	both := []DepartmentInfo{{Code: "em", Name: "某市应急管理局"}, {Code: "fire", Name: "某市消防救援支队"}}
	if has(both, 0, "飞线充电") || !has(both, 1, "飞线充电") {
		t.Errorf("with a fire brigade: %q", templateClauses(both))
	}
}
