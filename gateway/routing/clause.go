package routing

import (
	"math"
	"strings"
)

// Clause roles (sixth pass, r6b): a request names its object in the clause
// that carries the problem or the demand ("…漏水了", "请尽快清运"), while a
// clause that only says where ("在人民路小区门口") names places whose words
// pull towards the department that runs such places. clauseTF weights each
// clause's features by its role; with both weights at 1 (the default) it is
// counts(tok(text)). Measured and left neutral (figures in exp6b_test.go).
var (
	clauseDemandWeight float32 = 1 // clauses with a demand or problem cue
	clausePlaceWeight  float32 = 1 // clauses that only give a location
)

// Demand and problem cues: how citizens and agents phrase what they want or
// what is wrong, general Chinese, not taken from any city's data.
var clauseDemandCues = []string{
	"请求", "要求", "希望", "建议", "请尽快", "请问", "请相关", "请有关", "请帮", "麻烦",
	"能否", "能不能", "可否", "可不可以", "是否", "怎么", "如何", "为什么", "什么时候", "哪里", "哪些", "多少",
	"督促", "查处", "处理", "解决", "整改", "协调", "核查", "调查", "介入", "维修", "修复", "清理", "清运", "取缔",
	"投诉", "举报", "反映", "咨询",
	"损坏", "坏了", "破损", "漏水", "漏气", "堵塞", "堵了", "噪音", "扰民", "污染", "异味", "臭", "违规", "违法",
	"不亮", "不通", "没人管", "没有",
	"拖欠", "欠薪", "拒绝", "拒不", "不给", "无法", "不能", "不了", "失败", "乱收费", "多收", "占用", "占道", "私自", "擅自",
}

// Place cues: the words of an address or a landmark.
var clausePlaceCues = []string{
	"地址", "位置", "位于", "路", "街", "巷", "小区", "村", "镇", "乡", "社区", "栋", "单元", "号楼",
	"门口", "附近", "旁边", "对面", "周边", "交叉口", "路口", "广场", "花园", "苑", "大厦",
}

// clauseBreak splits a request into clauses.
func clauseBreak(r rune) bool { return strings.ContainsRune("，,。；;！!？?\n【】[]", r) }

// clauseRole returns the weight of one clause.
func clauseRole(c string) float32 {
	for _, cue := range clauseDemandCues {
		if strings.Contains(c, cue) {
			return clauseDemandWeight
		}
	}
	if n := len([]rune(c)); n <= 24 {
		for _, cue := range clausePlaceCues {
			if strings.Contains(c, cue) {
				return clausePlaceWeight
			}
		}
	}
	return 1
}

// clauseTF returns the term frequencies of text with each clause's features
// weighted by its role. A feature keeps its count n; its weight w (the
// largest of the clauses it occurs in) is folded into the value so that the
// sublinear TF of vector() becomes w·(1+ln n).
func clauseTF(tok Tokenizer, text string) map[uint32]float32 {
	if clauseDemandWeight == 1 && clausePlaceWeight == 1 {
		return counts(tok(text))
	}
	n := map[uint32]float32{}
	w := map[uint32]float32{}
	for _, c := range strings.FieldsFunc(text, clauseBreak) {
		cw := clauseRole(c)
		for _, t := range tok(c) {
			id := hashToken(t)
			n[id]++
			if old, ok := w[id]; !ok || cw > old {
				w[id] = cw
			}
		}
	}
	for id, c := range n {
		if wt := w[id]; wt != 1 {
			n[id] = float32(math.Exp(float64(wt)*(1+math.Log(float64(c))) - 1))
		}
	}
	return n
}

// routeTF is the feature counts of a request or history ticket as the
// department scorers see them (address spans removed, clauses weighted).
func (m *model) routeTF(memo *tfMemo, text string) map[uint32]float32 {
	s := m.routeText(text)
	if clauseDemandWeight == 1 && clausePlaceWeight == 1 {
		return memo.tf(m.tok, s)
	}
	if memo == nil {
		return clauseTF(m.tok, s)
	}
	key := "\x00clause\x00" + s
	if v, ok := memo.m[key]; ok {
		return v
	}
	v := clauseTF(m.tok, s)
	memo.m[key] = v
	return v
}
