package routing

import (
	"context"
	"strings"
	"testing"
)

func TestEmergencyFor(t *testing.T) {
	cases := []struct {
		text, typ string
		urgent    bool
		want      string // numbers, comma-separated
	}{
		{"三楼厨房起火了，浓烟很大", "求助", true, "119"},
		{"楼下有人晕倒了，现在没有意识，一直昏迷", "求助", true, "120"},
		{"燃气泄漏，有人已经晕倒了", "求助", true, "119,120"},
		{"邻居说要跳楼，人在天台上", "求助", true, "110"},
		{"路口两辆车追尾了，有人受伤", "求助", true, "122"},
		// Context phrases need help asked for or the risk said to be live.
		{"上周在这家饭店吃饭后中毒，投诉他们卫生差", "投诉", true, ""},
		{"小区燃气味很重，现在还能闻到", "投诉", true, "119"},
		// Never for praise, suggestions or a request that is not urgent.
		{"表扬消防员及时扑灭起火", "表扬", true, ""},
		{"建议电梯加装防困人报警", "建议", true, ""},
		{"三楼厨房起火了", "求助", false, ""},
	}
	for _, c := range cases {
		var got []string
		for _, e := range emergencyFor(c.text, c.typ, c.urgent) {
			if e.Service == "" || len(e.Because) == 0 {
				t.Errorf("%s: %+v lacks its service or reason", c.text, e)
			}
			for _, b := range e.Because {
				if !strings.Contains(c.text, b) {
					t.Errorf("%s: reason %q is not in the text", c.text, b)
				}
			}
			got = append(got, e.Number)
		}
		if g := strings.Join(got, ","); g != c.want {
			t.Errorf("%s (%s, urgent %v): numbers %q, want %q", c.text, c.typ, c.urgent, g, c.want)
		}
	}
}

func TestSuggestProposesEmergencyTransfer(t *testing.T) {
	s := openSuggester(t, openBolt(t))
	sg, err := s.Suggest(context.Background(), Query{Text: "我家楼下餐馆厨房起火了，冒出很多浓烟，请赶紧派人"})
	if err != nil {
		t.Fatal(err)
	}
	if !sg.Urgent || len(sg.Emergency) != 1 || sg.Emergency[0].Number != "119" {
		t.Fatalf("a fire is not proposed for 119: urgent %v, emergency %+v", sg.Urgent, sg.Emergency)
	}
	if len(sg.Evidence) == 0 || !strings.Contains(sg.Evidence[0], "119") {
		t.Errorf("the transfer is not the first evidence line: %q", sg.Evidence)
	}
	sg, err = s.Suggest(context.Background(), Query{Text: "公积金贷款额度怎么计算"})
	if err != nil {
		t.Fatal(err)
	}
	if sg.Emergency == nil || len(sg.Emergency) != 0 {
		t.Errorf("an enquiry got an emergency transfer (or null): %#v", sg.Emergency)
	}
}
