package routing

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hallgate/hallgate/gateway/store/bolt"
)

// A small synthetic city, written for these tests: departments with duty
// texts and topic phrases that are recombined into tickets.
var synthDepts = []DepartmentInfo{
	{Code: "water", Name: "水务集团", ShortName: "水务", Responsibilities: "负责城市供水、水压水质、水费收缴、排水管网疏通。"},
	{Code: "power", Name: "供电公司", ShortName: "供电", Responsibilities: "负责停电抢修、电费电价、用电报装和电表校验。"},
	{Code: "edu", Name: "教育局", ShortName: "教育", Responsibilities: "负责中小学入学、学位分配、校外培训机构监管和学校收费。"},
	{Code: "traffic", Name: "交警支队", ShortName: "交警", Responsibilities: "负责违法停车、信号灯配时、驾驶证和机动车登记。"},
	{Code: "market", Name: "市场监管局", ShortName: "市监", Responsibilities: "负责食品安全、价格欺诈、计量和消费纠纷。"},
}

var synthTopics = map[string][]string{
	"water":   {"家里停水了", "自来水水压太低", "水费账单比上月高很多", "自来水发黄有异味", "小区污水井堵塞外溢"},
	"power":   {"整栋楼突然停电", "电费突然翻倍", "想报装充电桩", "电压不稳灯一直闪", "电表走字太快"},
	"edu":     {"孩子小学入学报名", "学位分配不合理", "培训机构收费后跑路", "学校强制订购教辅", "幼儿园收费太高"},
	"traffic": {"路口信号灯时间太短", "门口天天违法停车", "驾驶证到期换证", "机动车年检预约", "斑马线没有减速带"},
	"market":  {"餐馆饭菜里有异物", "超市价签与结账不符", "菜市场短斤少两", "网购商品是假货", "健身房办卡后不退费"},
}

var (
	synthPrefix = []string{"来电反映", "市民来电称", "来电人表示", "网友留言", "来电咨询"}
	synthPlace  = []string{"在东城区", "在西城区幸福小区", "在南湖路附近", "在北山镇", "在新区创业大道"}
	synthEnd    = []string{"请尽快处理", "希望有关部门管一管", "请问应该怎么办", "已经好几天了", "请相关部门核实"}
)

func synthExamples(n int, seed uint64) []Example {
	rng := rand.New(rand.NewPCG(seed, 3))
	out := make([]Example, n)
	for i := range out {
		d := synthDepts[rng.IntN(len(synthDepts))]
		topics := synthTopics[d.Code]
		text := synthPrefix[rng.IntN(len(synthPrefix))] + "：" + synthPlace[rng.IntN(len(synthPlace))] +
			topics[rng.IntN(len(topics))] + "，" + synthEnd[rng.IntN(len(synthEnd))] + "。"
		typ := "投诉"
		if strings.HasSuffix(text, "怎么办。") || strings.HasPrefix(text, "来电咨询") {
			typ = "咨询"
		}
		out[i] = Example{ID: fmt.Sprintf("syn-%d", i), Text: text, Type: typ, Department: d.Code, District: "东城区", Channel: "hotline"}
	}
	return out
}

func synthDepartments(context.Context) ([]DepartmentInfo, error) { return synthDepts, nil }

func openBolt(t testing.TB) *bolt.Store {
	t.Helper()
	st, err := bolt.Open(context.Background(), bolt.Options{Path: filepath.Join(t.TempDir(), "routing.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

var quietLogger = slog.New(slog.NewTextHandler(io.Discard, nil))
