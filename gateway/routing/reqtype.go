package routing

import "strings"

// typeCues are general phrasings of each request type in Chinese hotline
// records (written once from how citizens and agents speak, not from any
// city's tickets). They become features of the learned type classifier, so
// history decides how much each cue counts.
var typeCues = map[string][]string{
	"咨询": {"咨询", "请问", "想问", "问一下", "询问", "怎么办理", "如何", "怎么", "多少", "哪里", "能不能", "是否", "需要什么", "哪些材料", "什么条件", "?"},
	"求助": {"求助", "请求", "帮忙", "帮助", "尽快", "抢修", "怎么办", "请安排", "派人", "处理一下", "解决", "立即", "马上", "追讨", "救助", "困难"},
	"投诉": {"投诉", "不满", "乱收费", "态度", "推诿", "不作为", "没人管", "管一管", "管一下", "退款", "欺骗", "拒绝", "不给"},
	"举报": {"举报", "查处", "偷排", "非法", "违法", "无证", "私自", "违规", "取缔"},
	"建议": {"建议", "希望增设", "增设", "能否增加", "延长", "希望能", "提议", "优化"},
	"表扬": {"表扬", "感谢", "点赞", "锦旗", "感动", "致谢", "赞扬"},
}

var cueWeight, leadWeight float32 = 0.4, 0.6

// tailWeight > 0 adds the cues of the last clause as their own features: a
// request usually ends with what the caller wants (请问…？ 请求查处 请尽快修复).
var (
	tailWeight float32 = 0
	tailRunes          = 16
)

// cueTerms returns extra features for the type model: which cue phrases
// occur, and which occur at the start, where agents write "来电咨询", "来电举报".
func cueTerms(text string) sparse {
	var out sparse
	head := []rune(text)
	if len(head) > 8 {
		head = head[:8]
	}
	h := string(head)
	// A live hazard is a call for help, whatever words surround it.
	if len(hazardMatches(text)) > 0 {
		out = append(out, term{hashToken("cue:hazard"), cueWeight})
	}
	if tailWeight > 0 {
		out = append(out, tailTerms(text)...)
	}
	if shapeWeight > 0 {
		out = append(out, shapeTerms(text)...)
	}
	if cue2Weight > 0 {
		out = append(out, cue2Terms(text)...)
	}
	for _, t := range RequestTypes {
		for _, cue := range typeCues[t] {
			if strings.Contains(text, cue) {
				out = append(out, term{hashToken("cue:" + t), cueWeight})
				if strings.Contains(h, cue) {
					out = append(out, term{hashToken("lead:" + t), leadWeight})
				}
				break
			}
		}
	}
	return out
}

// tailTerms marks the type cues of the request's last clause, and whether
// it ends in a question.
func tailTerms(text string) sparse {
	r := []rune(strings.TrimRight(strings.TrimSpace(text), "。.！! "))
	var out sparse
	if len(r) == 0 {
		return out
	}
	if last := r[len(r)-1]; last == '？' || last == '?' {
		out = append(out, term{hashToken("tail:?"), tailWeight})
	}
	if len(r) > tailRunes {
		r = r[len(r)-tailRunes:]
	}
	tail := string(r)
	if i := strings.LastIndexAny(tail, "，,。；;！!"); i >= 0 && len([]rune(tail[i:])) > 4 {
		tail = tail[i:]
	}
	for _, t := range RequestTypes {
		for _, cue := range typeCues[t] {
			if strings.Contains(tail, cue) {
				out = append(out, term{hashToken("tail:" + t), tailWeight})
				break
			}
		}
	}
	return out
}

// shapeWeight > 0 adds the request's shape: its length band and how many
// questions it asks (enquiries are short and ask; complaints narrate).
var shapeWeight float32 = 0

func shapeTerms(text string) sparse {
	n := len([]rune(text))
	band := "len:short"
	switch {
	case n > 90:
		band = "len:long"
	case n > 50:
		band = "len:mid"
	}
	q := strings.Count(text, "？") + strings.Count(text, "?")
	qs := "q:0"
	switch {
	case q >= 2:
		qs = "q:2"
	case q == 1:
		qs = "q:1"
	}
	return sparse{{hashToken(band), shapeWeight}, {hashToken(qs), shapeWeight}}
}

// typeCues2 are finer general cues that separate the three types most often
// confused: 求助 (a facility or service that failed, a person in difficulty),
// 投诉 (the conduct of an accused party: a merchant, the property manager,
// staff) and 举报 (someone breaking rules, often covertly). Written from how
// citizens speak, not from any city's tickets; each family is one feature,
// and a party named together with a conduct is one more.
var typeCues2 = map[string][]string{
	"h:broken":  {"坏了", "损坏", "不亮", "不通", "失灵", "故障", "停水", "停电", "断水", "断电", "没水", "没电", "漏水", "渗水", "爆管", "堵塞", "堵了", "冒水", "没有暖气", "暖气不热", "不供暖", "水压低", "塌陷", "倒伏", "脱落"},
	"h:fix":     {"请修", "维修", "修理", "修一下", "修复", "疏通", "清理一下", "派人来", "来处理", "帮忙联系", "协调", "帮我", "请帮"},
	"h:plight":  {"生活困难", "无力", "无法生活", "没有收入", "无人照顾", "行动不便", "孤寡", "独居", "走失", "被困", "找不到", "急需", "没钱", "看不起病", "无家可归"},
	"c:party":   {"商家", "物业", "工作人员", "老板", "公司", "店家", "店铺", "客服", "司机", "中介", "开发商", "银行", "快递", "平台", "窗口", "经办人", "保安", "房东", "机构", "健身房", "商场", "超市", "餐馆", "饭店", "医院", "学校"},
	"c:conduct": {"不退", "不给", "拒绝", "态度差", "态度恶劣", "态度很差", "不理", "不予理睬", "拖延", "推脱", "推诿", "敷衍", "刁难", "乱收费", "多收", "收费不合理", "扣押", "克扣", "拖欠", "虚假宣传", "欺诈", "欺骗", "霸王条款", "不履行", "违约", "不兑现", "不解决", "至今未", "多次反映", "没有处理", "不作为", "服务差", "以次充好", "短斤少两", "强制", "捆绑", "辱骂", "骂人", "跑路", "卷款"},
	"r:covert":  {"偷偷", "私自", "擅自", "无证", "无照", "非法", "违法", "夜里", "深夜", "半夜", "凌晨", "偷排", "偷倒", "乱倒", "倾倒", "私搭乱建", "违建", "违章搭建", "传销", "赌博", "黑车", "黑诊所", "假冒", "冒充", "售假", "假货", "超载", "窝点", "涉嫌", "违规经营", "套取", "骗保", "走私", "盗采", "冒用"},
}

var typeCue2Families = []string{"h:broken", "h:fix", "h:plight", "c:party", "c:conduct", "r:covert"}

// cue2Weight > 0 adds the typeCues2 families as features; cue2Only, when
// set, limits them to one family.
var (
	cue2Weight float32 = 0
	cue2Only   string
)

func cue2Terms(text string) sparse {
	var out sparse
	hit := map[string]bool{}
	for _, f := range typeCue2Families {
		if cue2Only != "" && f != cue2Only {
			continue
		}
		for _, cue := range typeCues2[f] {
			if strings.Contains(text, cue) {
				hit[f] = true
				out = append(out, term{hashToken("cue2:" + f), cue2Weight})
				break
			}
		}
	}
	if hit["c:party"] && hit["c:conduct"] || cue2Only == "c:party+conduct" && partyConduct(text) {
		out = append(out, term{hashToken("cue2:c:party+conduct"), cue2Weight})
	}
	return out
}

// partyConduct says whether a party and a conduct of typeCues2 both occur.
func partyConduct(text string) bool {
	has := func(f string) bool {
		for _, cue := range typeCues2[f] {
			if strings.Contains(text, cue) {
				return true
			}
		}
		return false
	}
	return has("c:party") && has("c:conduct")
}

// cueType guesses the request type from the cue phrases alone, for a model
// that has no typed history yet: a phrase at the start (where agents write
// "来电投诉") counts double, a live hazard is a call for help, and a request
// without any cue is an enquiry. prob is the winner's share of the cue
// evidence (1 when nothing competes), so the direct-answer gate can use it.
func cueType(text string) (typ string, prob float64) {
	head := []rune(text)
	if len(head) > 8 {
		head = head[:8]
	}
	h := string(head)
	score := make([]float64, len(RequestTypes))
	for i, t := range RequestTypes {
		for _, cue := range typeCues[t] {
			if strings.Contains(text, cue) {
				score[i]++
				if strings.Contains(h, cue) {
					score[i]++
				}
			}
		}
	}
	if live, _ := urgentByLexicon(text, ""); live {
		score[typeIndex("求助")] += 2
	}
	best, total := 0, 0.0
	for i, s := range score {
		total += s
		if s > score[best] {
			best = i
		}
	}
	if total == 0 {
		return "咨询", 1
	}
	return RequestTypes[best], score[best] / total
}
