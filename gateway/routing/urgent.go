package routing

import (
	"strings"
	"unicode/utf8"
)

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

// moreHazards are strong too: the same risks as callers also word them —
// leaks spelt 泄露, a pipe hit by a digger, live cables on the ground, people
// shut in, things about to fall, water pouring in, smoke and flames, toxic
// fumes, bodies in distress, bites and wasp nests, threats to life.
var moreHazards = []string{
	"燃气泄露", "煤气泄露", "天然气泄露", "液化气泄露", "闻到燃气", "闻到煤气", "燃气管道被挖", "燃气管被挖", "挖断燃气",
	"高压线", "电线垂", "电线掉", "电线裸露", "电缆裸露", "裸露的电线", "变压器冒", "配电箱冒",
	"困住", "锁在车里", "锁在屋里", "关在车里", "出不来", "卡在电梯",
	"随时倒", "随时会倒", "随时可能倒", "要倒了", "快倒了", "外墙脱落", "瓷砖脱落", "玻璃脱落", "高空坠物", "脚手架倒", "广告牌倒",
	"井盖移位", "井盖翻", "井盖破", "路面塌", "大坑",
	"爆裂", "倒灌", "漫进", "涌进", "漫堤",
	"明火", "火苗", "烧起来", "烟雾很大", "黑烟",
	"氨气", "硫化氢", "氯气", "农药味", "化学品",
	"呼吸困难", "抽搐", "不省人事", "休克", "大出血", "中暑", "冻伤", "失温",
	"毒蛇", "马蜂窝", "胡蜂",
	"不想活", "寻短见", "要跳", "打人", "斗殴", "持械", "扬言",
	// Gapped phrases ("冒…烟" is 冒烟, 冒白烟, 冒着黑烟): smoke, things
	// coming down, water rising, a life threatened, a person about to jump
	// or lying hurt, a child taken.
	"冒…烟", "往下掉", "掉…下来", "随时会掉", "砸下来", "往下滚", "滚石",
	"水涨", "涨水", "漫上", "漫过", "决口", "冲走",
	"弄死", "杀了", "打死", "拿刀", "拿着刀", "砸门", "追打", "追咬", "咬人",
	"往下跳", "跳河", "跳江", "跳湖", "楼顶边", "天台边",
	"躺在地上", "摔下来", "喘不上气", "喘不过气", "没有呼吸", "口吐白沫",
	"叫走", "被陌生", "带走了", "迷路", "找妈妈", "找不到家",
	"井盖不见", "窟窿", "急刹", "冰溜子", "冰凌", "全是冰",
	"拔不出", "停住不动", "悬在半空",
	"刺激性气体", "流眼泪", "电池鼓包",
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

// vagueHazards are weak hazards stated with vaguer words.
var vagueHazards = []string{
	"危险", "险情", "救命", "走丢", "找不到人", "电线", "深坑", "没盖", "结冰", "路滑",
	"倒了", "断了", "裂开", "渗水", "漏水", "冒水", "烧焦", "焦糊", "刺激性气味", "异味", "高温", "蛇", "马蜂",
	"被淹", "水淹", "淹了", "咬伤", "被狗咬", "疯狗", "恶犬",
	// A body in distress (poisoning, a fall), a threat, a person missing,
	// an animal loose, a hazard on the road.
	"呕吐", "吐了", "头晕", "胸闷", "发麻", "重影", "肚子疼", "腹痛", "抽筋", "流血", "骨折", "受伤", "撞伤", "摔伤", "晕过去", "昏倒",
	"威胁", "报复", "酒瓶", "没回家", "联系不上", "孩子不见", "人不见", "找不到孩子",
	"野猪", "被…咬", "卡在", "追尾", "散落", "油污", "抛锚", "掉了一块", "摇摇晃晃", "半挂", "悬着", "不动了", "酸味", "呛",
}

// vulnerablePeople are those for whom the loss of power, water or heat is a
// live risk, not an inconvenience.
var vulnerablePeople = []string{"老人", "独居", "瘫痪", "卧床", "病人", "患者", "婴儿", "新生儿", "孕妇", "残疾", "透析", "心脏病", "制氧", "呼吸机", "孩子", "小孩"}

// essentialLoss is a cut of what keeps such people safe.
var essentialLoss = []string{"停电", "没电", "断电", "停水", "断水", "没水", "停暖", "没有暖气", "暖气不热", "暖气片", "中暑", "高温"}

// resolvedCues say a hazard is over: fixed, or in the past. A strong hazard
// told that way is a complaint or an enquiry about it, not a live risk,
// unless the text also says it is still going on.
var resolvedCues = []string{"已修好", "已经修好", "已修复", "已经修复", "已处理完", "已经处理好", "已经处理完", "已排除", "已经排除", "已恢复", "已经恢复", "恢复正常", "已解决", "已经解决",
	"上个月", "上月", "去年", "前年", "上周", "上星期", "几个月前", "前几个月", "曾经",
	"扑灭", "已移走", "已经移走", "已清理", "已经清理", "前天", "前几天", "前几年", "以前", "之前"}

// ongoingCues say a risk is still there, whatever else the text says.
var ongoingCues = []string{"至今", "仍", "依然", "还是", "到现在", "一直", "还在", "还有", "又", "再次", "现在"}

// immediacyCues say the risk is happening now.
var immediacyCues = []string{"正在", "还在", "仍在", "刚", "现在", "今天", "今晚", "昨晚", "此刻", "随时", "立即", "马上", "赶紧", "尽快",
	"此时", "目前", "眼下", "一直在", "快点", "赶快", "紧急"}

func matchAny(text string, list []string) []string {
	var out []string
	for _, h := range list {
		if m := phraseFind(text, h); m != "" {
			out = append(out, m)
		}
	}
	return out
}

// phraseGap is how many characters "…" in a lexicon phrase may stand for.
const phraseGap = 3

// phraseIn reports whether phrase occurs in text (see phraseFind).
func phraseIn(text, phrase string) bool { return phraseFind(text, phrase) != "" }

// phraseFind returns the span of text that phrase matches, or "". "…"
// inside a phrase matches up to phraseGap characters ("冒…烟": 冒烟, 冒白烟,
// 冒着黑烟), and the span is the caller's own words.
func phraseFind(text, phrase string) string {
	head, tail, gapped := strings.Cut(phrase, "…")
	if !gapped {
		if strings.Contains(text, phrase) {
			return phrase
		}
		return ""
	}
	for off := 0; ; {
		i := strings.Index(text[off:], head)
		if i < 0 {
			return ""
		}
		start := off + i
		after := text[start+len(head):]
		// The window is a byte prefix of after (never re-encoded, so
		// offsets into it are offsets into text, even in broken UTF-8).
		window, n := after, phraseGap+utf8.RuneCountInString(tail)
		for i := range after {
			if n == 0 {
				window = after[:i]
				break
			}
			n--
		}
		if m := phraseFind(window, tail); m != "" {
			j := strings.Index(window, m)
			return text[start : start+len(head)+j+len(m)]
		}
		off = start + len(head)
	}
}

// innocuous are phrases that contain a hazard word but mean none (a stove
// that will not light), removed before the lexicon looks.
var innocuous = []string{"打不着火", "点不着火", "打不着", "点不着"}

// hazardMatches lists the strong and weak lexicon phrases found in text
// (the type model's help cue; the wider lists below are for urgency only).
func hazardMatches(text string) []string {
	return append(matchAny(text, strongHazards), matchAny(text, weakHazards)...)
}

// Experiment switches for the wider urgency lexicon (urgency_heldout_test.go).
var (
	urgMore       = true // moreHazards count as strong
	urgVague      = true // vagueHazards count as weak
	urgVulnerable = true // a vulnerable person without power, water or heat
	urgOver       = true // a strong hazard told as over is not urgent
)

// urgentByLexicon is recall-first: any strong hazard, unless the text
// tells it as over (fixed, or months ago) and neither asks for help nor says
// it goes on; weak hazards when two occur, or when the request is not praise
// or a suggestion and either asks for help or says the risk is live now; a
// vulnerable person who has lost power, water or heat.
func urgentByLexicon(text, typ string) (bool, []string) {
	for _, p := range innocuous {
		text = strings.ReplaceAll(text, p, "，")
	}
	strong := matchAny(text, strongHazards)
	weak := matchAny(text, weakHazards)
	if urgMore {
		strong = append(strong, matchAny(text, moreHazards)...)
	}
	if urgVague {
		weak = append(weak, matchAny(text, vagueHazards)...)
	}
	if len(strong) > 0 {
		over := urgOver && typ != "求助" && len(matchAny(text, resolvedCues)) > 0 &&
			len(matchAny(text, ongoingCues)) == 0 && len(matchAny(text, immediacyCues)) == 0
		if !over {
			return true, append(strong, weak...)
		}
	}
	if typ == "表扬" || typ == "建议" {
		return false, append(strong, weak...)
	}
	if v, l := matchAny(text, vulnerablePeople), matchAny(text, essentialLoss); urgVulnerable && len(v) > 0 && len(l) > 0 &&
		len(matchAny(text, resolvedCues)) == 0 {
		return true, append(append(strong, weak...), append(v, l...)...)
	}
	if len(weak) == 0 {
		return false, append(strong, weak...)
	}
	if len(weak) >= 2 || typ == "求助" || len(matchAny(text, immediacyCues)) > 0 {
		return true, append(strong, weak...)
	}
	return false, append(strong, weak...)
}
