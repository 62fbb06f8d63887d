package topics

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)

// background feeds n varied, unrelated tickets per hour for hours.
func background(t *testing.T, e *Engine, hours, perHour int) {
	t.Helper()
	subjects := []string{"公积金提取需要什么材料", "社保卡丢了怎么补办", "孩子入学报名的时间", "个体户营业执照怎么年报", "医保异地就医备案流程",
		"小区门口占道经营", "出租车拒载", "路灯坏了不亮", "公园厕所太脏", "驾驶证到期换证", "居住证怎么办理", "退休金什么时候发",
		"楼上漏水物业不管", "噪音扰民", "燃气费怎么交", "公交线路调整", "房产证办理进度", "失业金申领条件", "残疾人补贴", "护照加急办理"}
	k := 0
	for h := 0; h < hours; h++ {
		for i := 0; i < perHour; i++ {
			k++
			s := TicketSignal{ID: fmt.Sprintf("bg-%d", k), Text: "市民来电：" + subjects[(k*7)%len(subjects)] + fmt.Sprintf("，第%d次反映", k%5),
				District: []string{"甲区", "乙区", "丙区"}[k%3], Created: t0.Add(time.Duration(h)*time.Hour + time.Duration(i*60/perHour)*time.Minute)}
			if _, err := e.Process(s); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestEngineFlagsBurstOnceAndMerges(t *testing.T) {
	e, err := NewEngine(EngineOptions{})
	if err != nil {
		t.Fatal(err)
	}
	background(t, e, 48, 12)
	start := t0.Add(48 * time.Hour)
	texts := []string{"阳光花园小区停水了，已经半天", "阳光花园整个小区没水，也没有停水通知", "我们阳光花园一直不来水，老人没法做饭",
		"阳光花园自来水停了，请尽快恢复供水", "阳光花园小区停水，什么时候来水", "阳光花园家里水龙头没水了"}
	alarms := 0
	var topic string
	for i, txt := range texts {
		res, err := e.Process(TicketSignal{ID: fmt.Sprintf("w-%d", i), Text: txt, District: "乙区", Address: "乙区阳光花园",
			Department: "water", Created: start.Add(time.Duration(i*5) * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		if res.Alarm != nil {
			alarms++
			topic = res.Alarm.TopicID
			if res.Alarm.P >= res.Alarm.Alpha {
				t.Errorf("alarm with p %g ≥ alpha %g", res.Alarm.P, res.Alarm.Alpha)
			}
		}
	}
	if alarms != 1 {
		t.Fatalf("alarms = %d, want exactly 1", alarms)
	}
	c := e.Cluster(topic)
	if c == nil || c.Count < 5 || top(c.Departments) != "water" {
		t.Fatalf("topic cluster %+v", c)
	}
	// A replayed ticket is ignored.
	res, err := e.Process(TicketSignal{ID: "w-0", Text: texts[0], Created: start.Add(time.Hour)})
	if err != nil || !res.Duplicate {
		t.Fatalf("replay: %+v %v", res, err)
	}
}

func TestEngineNoAlarmOnSteadyBackground(t *testing.T) {
	e, err := NewEngine(EngineOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The same 20 subjects recur all day, every day: they are the baseline.
	alarmsBefore := 0
	k := 0
	subjects := []string{"公积金提取需要什么材料", "社保卡丢了怎么补办", "孩子入学报名的时间", "路灯坏了不亮", "楼上漏水物业不管"}
	for h := 0; h < 24*5; h++ {
		for i := 0; i < 2; i++ {
			k++
			res, err := e.Process(TicketSignal{ID: fmt.Sprintf("s-%d", k), Text: "来电咨询：" + subjects[k%len(subjects)], District: "甲区",
				Created: t0.Add(time.Duration(h)*time.Hour + time.Duration(i*30)*time.Minute)})
			if err != nil {
				t.Fatal(err)
			}
			if res.Alarm != nil && h >= 48 {
				alarmsBefore++
			}
		}
	}
	if alarmsBefore > 0 {
		t.Fatalf("%d alarms on a steady stream after the baseline was learned", alarmsBefore)
	}
}

func TestEngineOptionsValidate(t *testing.T) {
	err := EngineOptions{Window: time.Second, PriorPerDay: -1, MinTickets: 1}.Validate()
	if !errors.Is(err, ErrBadOptions) {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{"Window", "PriorPerDay", "MinTickets"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if _, err := (&Engine{}).Process(TicketSignal{}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("empty signal: %v", err)
	}
}
