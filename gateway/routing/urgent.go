package routing

import "strings"

// hazardLexicon is a general safety-hazard lexicon: phrases that mean a live
// risk to people (gas, carbon monoxide, collapse, falling objects, live wires,
// people trapped, poisoning, exposure to cold, flooding with people or cars
// inside). It is written once from general safety knowledge. Recall comes
// first: a missed emergency costs more than an agent's second look.
var hazardLexicon = []string{
	"燃气泄漏", "燃气味", "煤气味", "天然气味", "液化气味", "漏气", "一氧化碳", "煤气中毒",
	"塌陷", "坍塌", "塌方", "塌了", "地陷", "井盖缺失", "井盖丢失", "没有井盖", "井盖被偷",
	"坠落", "下坠", "掉落", "砸伤", "砸到", "快掉", "要掉", "摇摇欲坠", "松动",
	"断落", "电线断", "冒火花", "打火花", "触电", "漏电", "带电",
	"被困", "困在", "困车", "困人",
	"中毒", "上吐下泻", "送医",
	"爆管", "水管爆", "管道爆裂", "喷水",
	"倒伏", "刮倒", "倒在", "压住", "横在",
	"落石", "滑坡", "泥石流",
	"泄漏", "危化品", "废液", "刺鼻",
	"冒烟", "起火", "着火", "火灾",
	"制氧机", "呼吸机", "没有暖气", "暖气不热", "冻", "零下",
	"危房", "裂缝",
	"积水", "淹",
	"昏迷", "晕倒", "生命危险",
}

// hazardMatches lists the lexicon phrases found in text.
func hazardMatches(text string) []string {
	var out []string
	for _, h := range hazardLexicon {
		if strings.Contains(text, h) {
			out = append(out, h)
		}
	}
	return out
}
