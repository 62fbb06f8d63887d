package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
)

// Department is a synthetic department (the JSON the gateway imports).
type Department struct {
	Code              string   `json:"code"`
	Name              string   `json:"name"`
	LegacyHotlines    []string `json:"legacy_hotlines"`
	ConsolidationMode string   `json:"consolidation_mode"`
	Responsibilities  string   `json:"responsibilities,omitempty"`
}

// topic is a department's vocabulary: what citizens ask and report about.
type topic struct {
	dept     string
	name     string
	subjects []string
	actions  []string
	problems []string
}

// The generator's vocabulary is invented for load, not taken from any city's
// data: the figures depend on sizes and shapes, not on the exact words.
var topics = []topic{
	{"BJ01", "人力资源和社会保障局", []string{"社保卡", "养老保险", "失业金", "职业培训补贴", "劳动合同"}, []string{"办理", "补办", "查询", "申领", "转移"}, []string{"拖欠工资", "未缴社保", "培训补贴未到账"}},
	{"BJ02", "住房和城乡建设局", []string{"住房公积金", "物业服务", "房屋维修基金", "商品房预售", "老旧小区改造"}, []string{"提取", "申请", "查询", "投诉", "备案"}, []string{"电梯故障", "楼道漏水", "物业乱收费"}},
	{"BJ03", "市场监督管理局", []string{"营业执照", "食品经营许可", "消费维权", "商标注册", "价格监督"}, []string{"办理", "变更", "注销", "举报", "申请"}, []string{"商家虚假宣传", "食品过期", "预付卡退款难"}},
	{"BJ04", "交通运输局", []string{"公交线路", "出租车服务", "道路运输证", "网约车", "公交卡"}, []string{"查询", "办理", "投诉", "调整", "年审"}, []string{"公交车不进站", "出租车拒载", "网约车绕路"}},
	{"BJ05", "生态环境局", []string{"环评审批", "排污许可", "噪声污染", "扬尘治理", "垃圾分类"}, []string{"申请", "投诉", "查询", "举报", "办理"}, []string{"夜间施工噪音", "工厂排放异味", "工地扬尘"}},
	{"BJ06", "医疗保障局", []string{"医保报销", "异地就医备案", "门诊慢特病", "医保卡", "生育保险"}, []string{"办理", "报销", "备案", "查询", "申请"}, []string{"报销不到账", "药店拒刷医保", "备案失败"}},
}

var (
	districts = []string{"东城区", "西湖区", "南山区", "北塘区", "高新区", "滨江区"}
	places    = []string{"幸福小区", "人民路", "解放街", "建设大道", "中山公园", "朝阳新村", "火车站广场"}
	surnames  = []string{"王", "李", "张", "刘", "陈", "杨", "赵", "黄"}
	given     = []string{"伟", "芳", "娜", "敏", "静", "强", "磊", "洋"}
)

// Data is a deterministic synthetic city: departments, KB entries and the
// texts and callers the workload draws from.
type Data struct {
	Departments []Department
	KB          []map[string]any // JSON Lines records for /api/v1/kb/import
	queries     []string
}

// kbChannels are the channels generated entries are published on, in turn.
var kbChannels = []string{"hotline", "website", "service_item"}

// Generate builds kbSize KB entries spread over the departments.
func Generate(seed uint64, kbSize int) *Data {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	d := &Data{}
	for _, t := range topics {
		d.Departments = append(d.Departments, Department{Code: t.dept, Name: t.name, LegacyHotlines: []string{}, ConsolidationMode: "merged",
			Responsibilities: strings.Join(t.subjects, "、")})
	}
	for i := range kbSize {
		t := topics[i%len(topics)]
		subj := t.subjects[r.IntN(len(t.subjects))]
		act := t.actions[r.IntN(len(t.actions))]
		place := districts[r.IntN(len(districts))]
		q := fmt.Sprintf("%s%s%s需要什么材料？（第%d条）", place, subj, act, i+1)
		a := fmt.Sprintf("%s%s%s：携带身份证原件及相关证明材料，到%s政务服务中心%s窗口办理，或通过网上办事大厅在线办理。办理时限为%d个工作日。",
			place, subj, act, place, t.name, 1+r.IntN(15))
		d.KB = append(d.KB, map[string]any{
			"id": fmt.Sprintf("bench-kb-%06d", i+1), "question": q, "answer": a, "department": t.dept,
			"category": t.name + "/" + subj, "keywords": []string{subj, act}, "status": "published",
			"channel": kbChannels[i%len(kbChannels)],
		})
		if i < 4096 {
			d.queries = append(d.queries, subj+act, place+subj, subj+"怎么"+act)
		}
	}
	if len(d.queries) == 0 {
		d.queries = []string{"社保卡办理"}
	}
	return d
}

// KBLines is the KB as JSON Lines.
func (d *Data) KBLines() []byte {
	var b strings.Builder
	for _, e := range d.KB {
		line, _ := json.Marshal(e)
		b.Write(line)
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// Gen draws workload values; each goroutine uses its own (rand is not
// safe for concurrent use).
type Gen struct{ r *rand.Rand }

// NewGen returns a generator for stream n of seed.
func NewGen(seed uint64, n uint64) *Gen {
	return &Gen{r: rand.New(rand.NewPCG(seed+n, n*0x9e3779b97f4a7c15+1))}
}

func (g *Gen) Query(d *Data) string { return d.queries[g.r.IntN(len(d.queries))] }

// Complaint is a ticket text and the department it goes to (one of
// d.Departments, also when they were loaded from a file).
func (g *Gen) Complaint(d *Data) (text, dept, district string) {
	k := g.r.IntN(len(topics))
	t := topics[k]
	district = districts[g.r.IntN(len(districts))]
	text = fmt.Sprintf("%s%s附近%s，已经持续%d天，请相关部门尽快处理。", district, places[g.r.IntN(len(places))], t.problems[g.r.IntN(len(t.problems))], 1+g.r.IntN(20))
	return text, d.Departments[k%len(d.Departments)].Code, district
}

// LoadFiles replaces the generated KB and/or departments with files read
// at run time: kb is JSON Lines in the import format (its questions become
// the search queries), departments a JSON array. Without a departments file
// but with a KB, one department per code found in the KB.
func (d *Data) LoadFiles(kbPath, deptPath string) error {
	if kbPath != "" {
		raw, err := os.ReadFile(kbPath)
		if err != nil {
			return err
		}
		var kb []map[string]any
		var qs []string
		codes := map[string]bool{}
		var order []string
		for n, line := range bytes.Split(raw, []byte("\n")) {
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			var e map[string]any
			if err := json.Unmarshal(line, &e); err != nil {
				return fmt.Errorf("%s line %d: %w", kbPath, n+1, err)
			}
			kb = append(kb, e)
			if q, _ := e["question"].(string); q != "" && len(qs) < 4096 {
				qs = append(qs, q)
			}
			if c, _ := e["department"].(string); c != "" && !codes[c] {
				codes[c] = true
				order = append(order, c)
			}
		}
		if len(kb) == 0 || len(qs) == 0 {
			return fmt.Errorf("%s: no entries with a question", kbPath)
		}
		d.KB, d.queries = kb, qs
		if deptPath == "" && len(order) > 0 {
			d.Departments = nil
			for _, c := range order {
				d.Departments = append(d.Departments, Department{Code: c, Name: c, LegacyHotlines: []string{}, ConsolidationMode: "merged"})
			}
		}
	}
	if deptPath != "" {
		raw, err := os.ReadFile(deptPath)
		if err != nil {
			return err
		}
		var ds []Department
		if err := json.Unmarshal(raw, &ds); err != nil {
			return fmt.Errorf("%s: %w", deptPath, err)
		}
		if len(ds) == 0 {
			return fmt.Errorf("%s: no departments", deptPath)
		}
		for i := range ds {
			if ds[i].LegacyHotlines == nil {
				ds[i].LegacyHotlines = []string{}
			}
			if ds[i].ConsolidationMode == "" {
				ds[i].ConsolidationMode = "merged"
			}
		}
		d.Departments = ds
	}
	return nil
}

// Caller is a synthetic name and mobile number (never logged).
func (g *Gen) Caller() (name, phone string) {
	return surnames[g.r.IntN(len(surnames))] + given[g.r.IntN(len(given))], fmt.Sprintf("139%08d", g.r.IntN(100000000))
}

// Float is in [0, 1).
func (g *Gen) Float() float64 { return g.r.Float64() }
