package routing

import "strings"

// The hazard lexicons are general safety knowledge, written once: phrases
// that mean a live risk to people. They are not fitted to any city's tickets.
//
// strongHazards alone make a request urgent: gas, carbon monoxide, collapse,
// falling objects, live wires, people trapped, poisoning, bursts, toppled
// trees, rockfall, chemical leaks, fire, life-support without power.
var strongHazards = []string{
	"燃气泄漏", "燃气味", "煤气味", "天然气味", "液化气味", "漏气", "一氧化碳", "煤气中毒",
	"塌陷", "坍塌", "塌方", "地陷", "井盖缺失", "井盖丢失", "没有井盖", "井盖被偷",
	"坠落", "下坠", "掉落", "掉下", "掉到", "砸伤", "快掉", "要掉", "摇摇欲坠", "将坠",
	"断落", "电线断", "冒火花", "打火花", "触电", "漏电", "带电",
	"被困", "困在", "困车", "困人",
	"中毒", "上吐下泻",
	"爆管", "水管爆", "管道爆裂", "水管破", "管道破", "破裂", "往外喷", "喷涌",
	"倒伏", "刮倒", "压住", "横在",
	"落石", "滑坡", "泥石流",
	"泄漏", "危化品", "废液",
	"冒烟", "起火", "着火",
	"制氧机", "呼吸机", "危房", "昏迷", "生命危险",
	// Lifts, blasts, water and breath: the same kind of live risk in other
	// words.
	"坠梯", "溜梯", "电梯失控", "冲顶", "蹲底", "爆炸", "爆燃", "火情", "浓烟",
	"溺水", "落水", "决堤", "管涌", "山洪", "倒塌", "垮塌", "窒息",
	// A life at risk from a person: self-harm and violence are transferred
	// to 110/120 at once.
	"自杀", "轻生", "跳楼", "割腕", "服毒", "家暴", "持刀", "行凶", "砍人",
	"有毒气体", "毒气", "踩踏",
}

// weakHazards suggest a risk but also appear in ordinary complaints (a loose
// tooth implant, last month's flooding, a worry about fire): they make a
// request urgent only in context (see urgentByLexicon).
var weakHazards = []string{
	"松动", "裂缝", "积水", "淹", "火灾", "刺鼻", "倒在", "塌了", "砸到", "晕倒", "送医",
	"冻", "零下", "寒风", "没有暖气", "暖气不热", "喷水",
	"倾斜", "露宿", "无暖气", "停暖", "结冰", "电梯故障",
	// A missing person or a thrown object is urgent when it is happening.
	"走失", "失踪", "高空抛物",
}

// immediacyCues say the risk is happening now.
var immediacyCues = []string{"正在", "还在", "仍在", "刚", "现在", "今天", "今晚", "昨晚", "此刻", "随时", "立即", "马上", "赶紧", "尽快"}

func matchAny(text string, list []string) []string {
	var out []string
	for _, h := range list {
		if strings.Contains(text, h) {
			out = append(out, h)
		}
	}
	return out
}

// hazardMatches lists the strong and weak lexicon phrases found in text.
func hazardMatches(text string) []string {
	return append(matchAny(text, strongHazards), matchAny(text, weakHazards)...)
}

// urgentByLexicon is recall-first: any strong hazard; weak hazards when two
// occur, or when the request is not praise or a suggestion and either asks
// for help or says the risk is live now.
func urgentByLexicon(text, typ string) (bool, []string) {
	strong := matchAny(text, strongHazards)
	weak := matchAny(text, weakHazards)
	if len(strong) > 0 {
		return true, append(strong, weak...)
	}
	if len(weak) == 0 || typ == "表扬" || typ == "建议" {
		return false, weak
	}
	if len(weak) >= 2 || typ == "求助" || len(matchAny(text, immediacyCues)) > 0 {
		return true, weak
	}
	return false, weak
}
