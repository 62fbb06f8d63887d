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
