package topics

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"time"
)

// devTicket is the shape of a line of a tickets file (tickets_dev.jsonl).
type devTicket struct {
	ID         string `json:"id"`
	Channel    string `json:"channel"`
	Text       string `json:"text"`
	District   string `json:"district"`
	Type       string `json:"type"`
	Department string `json:"department"`
}

// streamTicket is one replayed ticket; Burst is the index of its injected
// burst, -1 for background.
type streamTicket struct {
	Signal TicketSignal
	Burst  int
}

// diurnal is the share of a day's calls per hour: quiet at night, peaks in
// the late morning and afternoon, as hotline volume curves look.
var diurnal = [24]float64{0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.0, 2.0, 2.6, 2.6, 2.2, 1.4, 1.6, 2.4, 2.5, 2.3, 2.0, 1.4, 1.2, 1.0, 0.8, 0.5, 0.3}

func diurnalHour(r *rand.Rand, from, to int) int {
	total := 0.0
	for h := from; h < to; h++ {
		total += diurnal[h]
	}
	x := r.Float64() * total
	for h := from; h < to; h++ {
		x -= diurnal[h]
		if x < 0 {
			return h
		}
	}
	return to - 1
}

// Word pools for generated places. They are invented, generic names of a
// Chinese city, not taken from any data file.
var (
	placeHeads   = []string{"滨江", "翠湖", "金桂", "望江", "锦绣", "春晖", "明珠", "阳光", "和平", "新华", "幸福", "紫荆", "丽景", "书香", "银河", "海棠", "梧桐", "凤凰", "碧水", "朝阳", "绿洲", "天逸", "博雅", "康乐"}
	placeTails   = []string{"花园", "小区", "家园", "苑", "公寓", "新村", "嘉园", "华庭"}
	roads        = []string{"人民路", "解放路", "建设路", "中山路", "长江路", "文化路", "学府路", "工业大道", "滨江大道", "湖滨路", "胜利街", "光明街", "朝阳路", "新港路"}
	shopTails    = []string{"饭店", "酒家", "快餐店", "火锅店", "烧烤店", "小吃店", "餐厅"}
	schoolTails  = []string{"教育", "培训中心", "艺术学校", "英语学校", "课外辅导中心"}
	bgOpeners    = []string{"来电咨询：", "来电反映：", "市民来电：", "网友留言：", "市民反映：", "来电求助：", ""}
	bgTails      = []string{"请尽快处理。", "谢谢。", "希望给个答复。", "麻烦尽快回复。"}
	burstOpeners = []string{"来电反映：", "市民来电：", "网友留言：", "来电求助：", "市民反映：", "", ""}
)

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func compound(r *rand.Rand) string { return pick(r, placeHeads) + pick(r, placeTails) }

// burstKind generates the tickets of one kind of hot topic. newBurst picks
// what the burst's tickets share (place, shop, scam script); ticket varies
// the wording around it.
type burstKind struct {
	Name       string
	Department string
	Type       string
	CityWide   bool // tickets come from every district (a scam wave)
	newBurst   func(r *rand.Rand, district string) burstPlace
	ticket     func(r *rand.Rand, p burstPlace) string
}

type burstPlace struct {
	Place, Address, Extra string
}

func fill(s string, p burstPlace, r *rand.Rand) string {
	s = strings.ReplaceAll(s, "{place}", p.Place)
	s = strings.ReplaceAll(s, "{extra}", p.Extra)
	s = strings.ReplaceAll(s, "{h}", fmt.Sprint(2+r.IntN(10)))
	return s
}

func sentence(r *rand.Rand, p burstPlace, cores, details, asks []string) string {
	var b strings.Builder
	b.WriteString(pick(r, burstOpeners))
	b.WriteString(fill(pick(r, cores), p, r))
	b.WriteString("，")
	// One or two details, in varying order.
	d := r.Perm(len(details))
	for i := 0; i < 1+r.IntN(2) && i < len(d); i++ {
		b.WriteString(fill(details[d[i]], p, r))
		b.WriteString("，")
	}
	s := strings.TrimSuffix(b.String(), "，") + "。" + fill(pick(r, asks), p, r)
	return s
}

func atCompound(r *rand.Rand, district string) burstPlace {
	c := compound(r)
	return burstPlace{Place: c, Address: district + pick(r, roads) + c}
}

var burstKinds = []burstKind{
	{Name: "停水", Department: "water", Type: "求助", newBurst: atCompound, ticket: func(r *rand.Rand, p burstPlace) string {
		return sentence(r, p,
			[]string{"{place}从早上开始停水了", "{place}突然没水了", "{place}家里水龙头一点水都没有", "{place}自来水停了", "{place}一直不来水", "我们{place}整个小区都没水"},
			[]string{"已经{h}个小时了", "也没有看到停水通知", "家里老人小孩没法做饭", "楼上楼下都一样", "物业说是管道爆了", "问了物业也说不清楚"},
			[]string{"请尽快恢复供水。", "什么时候能来水？", "希望相关部门尽快处理。", "请派人来看看。"})
	}},
	{Name: "食物中毒", Department: "samr", Type: "投诉", newBurst: func(r *rand.Rand, district string) burstPlace {
		road := pick(r, roads)
		shop := pick(r, placeHeads) + pick(r, shopTails)
		return burstPlace{Place: shop, Address: district + road + shop, Extra: road}
	}, ticket: func(r *rand.Rand, p burstPlace) string {
		return sentence(r, p,
			[]string{"昨天在{extra}的{place}吃饭后全家上吐下泻", "在{place}点了外卖，半夜开始肚子疼拉肚子", "和同事在{place}聚餐，好几个人吃坏肚子去医院挂水了", "孩子在{place}吃完饭后发烧呕吐，怀疑食物中毒", "{extra}{place}的饭菜有问题，吃完就腹泻"},
			[]string{"医院说是急性肠胃炎", "同桌的人都有症状", "听说其他客人也出现一样的情况", "店里卫生很差", "已经花了好几百医药费"},
			[]string{"要求市场监管部门查处。", "请尽快去查一下这家店。", "希望对这家店进行检查。", "怀疑食品安全有问题，请处理。"})
	}},
	{Name: "诈骗", Department: "police", Type: "举报", CityWide: true, newBurst: func(r *rand.Rand, _ string) burstPlace {
		orgs := []string{"医保局", "快递公司", "电商平台", "社保中心", "银行信用卡中心"}
		pretexts := []string{"说我的医保卡被冻结了要解冻", "说快递丢了要给我双倍理赔", "说要帮我注销校园贷账户", "说我的社保卡异常要重新认证", "说我的信用卡额度可以提升"}
		i := r.IntN(len(orgs))
		return burstPlace{Place: orgs[i], Extra: pretexts[i]}
	}, ticket: func(r *rand.Rand, p burstPlace) string {
		return sentence(r, p,
			[]string{"接到自称{place}工作人员的电话，{extra}", "今天接到一个陌生电话冒充{place}，{extra}", "家里老人接到诈骗电话，对方自称是{place}的，{extra}", "收到短信说是{place}，{extra}", "有人冒充{place}打电话，{extra}"},
			[]string{"还让我下载一个APP共享屏幕", "要我把钱转到安全账户", "让我点链接填银行卡号和验证码", "对方能说出我的身份证号"},
			[]string{"怀疑是诈骗，请警方提醒大家。", "已经有邻居被骗了，请尽快处理。", "想问问这是不是骗子。", "请公安部门查一下。"})
	}},
	{Name: "停电", Department: "power", Type: "求助", newBurst: atCompound, ticket: func(r *rand.Rand, p burstPlace) string {
		return sentence(r, p,
			[]string{"{place}停电了", "{place}突然断电", "{place}整栋楼都没电", "{place}一片都黑了，没有电", "我家在{place}，电闸一直跳，整个小区停电"},
			[]string{"冰箱里的东西都要坏了", "电梯停了老人下不了楼", "已经停了{h}个小时", "没有收到停电通知"},
			[]string{"请供电部门尽快抢修。", "什么时候恢复供电？", "请派人来修。"})
	}},
	{Name: "燃气泄漏", Department: "gas", Type: "求助", newBurst: atCompound, ticket: func(r *rand.Rand, p burstPlace) string {
		return sentence(r, p,
			[]string{"{place}楼道里有很大的燃气味", "{place}闻到一股煤气味", "{place}好像天然气泄漏了，味道很重", "{place}单元里燃气味道很浓"},
			[]string{"邻居们都不敢开火", "已经开窗通风了", "担心会爆炸", "好几户都闻到了"},
			[]string{"请燃气公司马上派人来检查。", "请尽快处理，太危险了。", "请相关部门排查。"})
	}},
	{Name: "道路积水", Department: "urban", Type: "投诉", newBurst: func(r *rand.Rand, district string) burstPlace {
		road := pick(r, roads)
		return burstPlace{Place: road, Address: district + road}
	}, ticket: func(r *rand.Rand, p burstPlace) string {
		return sentence(r, p,
			[]string{"{place}积水很深，车都熄火了", "{place}路面被淹了", "{place}下水道堵了，水漫到路上", "{place}大雨后一直积水排不出去", "{place}和路口交叉的地方积水到膝盖"},
			[]string{"行人没法过", "有电动车倒在水里", "附近商铺都进水了", "已经好几个小时了"},
			[]string{"请城管部门尽快排水。", "请派人疏通下水道。", "希望尽快处理。"})
	}},
	{Name: "夜间施工", Department: "eco", Type: "投诉", newBurst: atCompound, ticket: func(r *rand.Rand, p burstPlace) string {
		return sentence(r, p,
			[]string{"{place}旁边的工地半夜还在施工", "{place}附近工地晚上打桩，吵得睡不着", "{place}边上的建筑工地夜里机器轰鸣", "{place}对面工地深夜还在浇混凝土，噪音太大"},
			[]string{"已经连续好几天了", "孩子马上要考试", "凌晨两点还在干", "老人心脏不好受不了"},
			[]string{"请查处夜间施工扰民。", "希望管一管。", "请环保部门处理。"})
	}},
	{Name: "培训机构停业", Department: "edu", Type: "投诉", newBurst: func(r *rand.Rand, district string) burstPlace {
		name := pick(r, placeHeads) + pick(r, schoolTails)
		return burstPlace{Place: name, Address: district + pick(r, roads) + name}
	}, ticket: func(r *rand.Rand, p burstPlace) string {
		return sentence(r, p,
			[]string{"{place}突然关门了，预交的学费退不了", "{place}老板跑路了，交了几万块课时费", "{place}停课了，联系不上负责人", "孩子在{place}报的课程没上完就停业了，要求退费"},
			[]string{"还有很多家长也一样", "门上贴了停业通知", "电话打不通", "交了一年的费用"},
			[]string{"请教育部门帮忙追回学费。", "希望有关部门介入。", "请尽快处理。"})
	}},
}

// Burst describes one injected burst.
type Burst struct {
	Kind     string    `json:"kind"`
	District string    `json:"district"`
	Place    string    `json:"place"`
	Size     int       `json:"size"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
}

// perturb varies a background ticket lightly so that resampled days differ:
// another opener, sometimes a closing phrase.
func perturb(r *rand.Rand, text string) string {
	rs := []rune(text)
	for i := 0; i < len(rs) && i < 8; i++ {
		if rs[i] == '：' || rs[i] == ':' {
			if r.Float64() < 0.5 {
				text = pick(r, bgOpeners) + string(rs[i+1:])
			}
			break
		}
	}
	if r.Float64() < 0.3 {
		text += pick(r, bgTails)
	}
	return text
}

// buildStream resamples background days and injects bursts. Bursts start
// only after the warm-up days.
func buildStream(r *rand.Rand, pool []devTicket, districts []string, start time.Time, warmup, days, perDay, burstsPerDay int, minSize, maxSize int) ([]streamTicket, []Burst) {
	var out []streamTicket
	seq := 0
	for d := 0; d < warmup+days; d++ {
		day := start.Add(time.Duration(d) * 24 * time.Hour)
		n := poisson(r, float64(perDay))
		for i := 0; i < n; i++ {
			t := pool[r.IntN(len(pool))]
			at := day.Add(time.Duration(diurnalHour(r, 0, 24))*time.Hour + time.Duration(r.IntN(3600))*time.Second)
			dist := t.District
			if r.Float64() < 0.25 && len(districts) > 0 {
				dist = pick(r, districts)
			}
			addr := ""
			if r.Float64() < 0.5 && dist != "" {
				addr = dist + pick(r, roads) + compound(r)
			}
			seq++
			out = append(out, streamTicket{Burst: -1, Signal: TicketSignal{ID: fmt.Sprintf("bg-%06d", seq), Code: fmt.Sprintf("BG%06d", seq),
				Text: perturb(r, t.Text), District: dist, Address: addr, Department: t.Department, Type: t.Type, Created: at}})
		}
	}
	var bursts []Burst
	order := r.Perm(len(burstKinds))
	k := 0
	for d := warmup; d < warmup+days; d++ {
		day := start.Add(time.Duration(d) * 24 * time.Hour)
		for b := 0; b < burstsPerDay; b++ {
			kind := burstKinds[order[k%len(order)]]
			k++
			if k%len(order) == 0 {
				order = r.Perm(len(burstKinds))
			}
			district := pick(r, districts)
			place := kind.newBurst(r, district)
			size := minSize + r.IntN(maxSize-minSize+1)
			span := time.Duration(40+r.IntN(81)) * time.Minute
			begin := day.Add(time.Duration(diurnalHour(r, 7, 21))*time.Hour + time.Duration(r.IntN(3600))*time.Second)
			times := make([]time.Time, size)
			times[0] = begin
			for i := 1; i < size; i++ {
				times[i] = begin.Add(time.Duration(r.Int64N(int64(span))))
			}
			sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
			idx := len(bursts)
			bursts = append(bursts, Burst{Kind: kind.Name, District: district, Place: place.Place, Size: size, Start: times[0], End: times[size-1]})
			if kind.CityWide {
				bursts[idx].District = "全市"
			}
			for i, at := range times {
				dist, addr := district, place.Address
				if kind.CityWide {
					dist, addr = pick(r, districts), ""
				} else if r.Float64() < 0.3 {
					addr = "" // not every agent records the address
				}
				seq++
				out = append(out, streamTicket{Burst: idx, Signal: TicketSignal{ID: fmt.Sprintf("burst-%03d-%02d", idx, i), Code: fmt.Sprintf("BU%06d", seq),
					Text: kind.ticket(r, place), District: dist, Address: addr, Department: kind.Department, Type: kind.Type, Created: at}})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Signal.Created.Before(out[j].Signal.Created) })
	return out, bursts
}

func poisson(r *rand.Rand, mean float64) int {
	if mean > 50 {
		return max(0, int(math.Round(mean+math.Sqrt(mean)*r.NormFloat64())))
	}
	l, k, p := math.Exp(-mean), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}
