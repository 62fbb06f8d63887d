package routing

import "strings"

// 12345 takes no emergencies: a fire, a casualty, a crime in progress or a
// traffic accident is transferred at once to 119, 120, 110 or 122 (the
// ticket event transfer_emergency). The suggester names the number, so the
// agent does not have to think of it while the caller is still talking.

// Emergency proposes transferring the call to an emergency service.
type Emergency struct {
	Number  string   `json:"number"`  // 110, 119, 120 or 122
	Service string   `json:"service"` // who answers that number
	Because []string `json:"because"` // the caller's words that call for it
}

// emergencyServices lists, per number, phrases of general safety knowledge
// (as the hazard lexicons, not fitted to any city's tickets). Live phrases
// describe something that is happening whenever a caller reports it;
// context phrases need the request to ask for help or say it is happening
// now (a complaint about last week's food poisoning is not a 120 call).
var emergencyServices = []struct {
	number, service string
	live, context   []string
}{
	{"119", "消防救援",
		[]string{"起火", "着火", "火情", "冒烟", "浓烟", "爆炸", "爆燃", "被困", "困在", "困人", "坠梯", "溜梯", "电梯失控", "落水", "溺水", "决堤", "管涌", "山洪", "泥石流",
			"冒…烟", "明火", "火苗", "烧起来", "困住", "关在电梯", "卡在电梯", "锁在车里", "出不来"},
		[]string{"燃气泄漏", "漏气", "燃气味", "煤气味", "天然气味", "液化气味", "倒塌", "垮塌", "坍塌", "塌方", "危化品", "有毒气体", "毒气", "滑坡"}},
	{"120", "医疗急救",
		[]string{"昏迷", "窒息", "割腕", "服毒", "溺水", "大出血", "呼吸困难", "抽搐", "不省人事", "休克", "口吐白沫", "没有呼吸", "喘不上气", "喘不过气"},
		[]string{"晕倒", "中毒", "一氧化碳", "触电", "砸伤", "上吐下泻"}},
	{"110", "公安",
		[]string{"跳楼", "持刀", "行凶", "砍人", "斗殴", "抢劫", "往下跳", "拿刀", "弄死", "杀了"},
		[]string{"自杀", "轻生", "家暴", "走失", "失踪", "踩踏", "不想活", "砸门", "威胁", "被陌生", "叫走", "带走了"}},
	{"122", "交通事故",
		[]string{"车祸", "撞车", "追尾", "撞人", "被车撞"},
		[]string{"交通事故"}},
}

// emergencyFor lists the emergency services an urgent request calls for, in
// the order of emergencyServices. Praise and suggestions never call for one.
func emergencyFor(text, typ string, urgent bool) []Emergency {
	if !urgent || typ == "表扬" || typ == "建议" {
		return nil
	}
	now := typ == "求助" || len(matchAny(text, immediacyCues)) > 0
	var out []Emergency
	for _, s := range emergencyServices {
		because := matchAny(text, s.live)
		if now {
			because = append(because, matchAny(text, s.context)...)
		}
		if len(because) > 0 {
			out = append(out, Emergency{Number: s.number, Service: s.service, Because: because})
		}
	}
	return out
}

// emergencyEvidence is the evidence line for the proposed transfers.
func emergencyEvidence(es []Emergency) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Number + "（" + e.Service + "，「" + strings.Join(e.Because, "、") + "」）"
	}
	return "建议立即转 " + strings.Join(parts, "、") + "：紧急警情不由 12345 办理"
}
