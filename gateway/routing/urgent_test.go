package routing

import (
	"slices"
	"testing"
)

func TestPhraseFind(t *testing.T) {
	for _, c := range []struct{ text, phrase, want string }{
		{"车库里一辆电动车冒着白烟", "冒…烟", "冒着白烟"},
		{"冒烟了", "冒…烟", "冒烟"},
		{"井里冒出很多水，后来冒了点黑烟", "冒…烟", "冒了点黑烟"},
		{"冒出来的水很多很多，没有烟", "冒…烟", ""},
		{"被邻居家的狗咬了", "被…咬", ""},
		{"被狗咬了", "被…咬", "被狗咬"},
		{"燃气味很浓", "燃气味", "燃气味"},
		{"", "冒…烟", ""},
		{"冒\xff\xfe烟", "冒…烟", "冒\xff\xfe烟"},
		{"冒\xff\xfe\xfd\xfc烟", "冒…烟", ""},
	} {
		if got := phraseFind(c.text, c.phrase); got != c.want {
			t.Errorf("phraseFind(%q, %q) = %q, want %q", c.text, c.phrase, got, c.want)
		}
	}
}

func TestUrgencyLexiconRules(t *testing.T) {
	for _, c := range []struct {
		text, typ string
		want      bool
	}{
		// A strong hazard told as over is not urgent, unless it goes on
		// or the caller asks for help.
		{"上个月小区燃气泄露，抢修太慢，投诉一下", "投诉", false},
		{"上个月小区燃气泄露，到现在还有味道", "投诉", true},
		{"上周楼道漏气已修好，想问费用谁出", "求助", true},
		// A vulnerable person who lost power, water or heat.
		{"家里停电了，我父亲瘫痪在床要用电动护理床", "投诉", true},
		{"小区计划下周停电检修，想问几点恢复", "咨询", false},
		// A stove that will not light is no fire.
		{"燃气充值以后还是打不着火，请派人看看", "求助", false},
		// Praise and suggestions never are.
		{"表扬消防员及时扑灭了大火", "表扬", false},
	} {
		if got, hits := urgentByLexicon(c.text, c.typ); got != c.want {
			t.Errorf("%s (%s): urgent %v (%v), want %v", c.text, c.typ, got, hits, c.want)
		}
	}
	if _, hits := urgentByLexicon("车库里电动车冒着白烟", "求助"); !slices.Contains(hits, "冒着白烟") {
		t.Errorf("evidence %v does not quote the caller's words", hits)
	}
}
