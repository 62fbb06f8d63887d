package indextest

import (
	"time"

	"github.com/hallgate/hallgate/knowledgebase"
)

// Every document of a filter subtest carries the same query word, so the
// hits are exactly the documents that pass the filters.

func testFilterDepartment(s *suite) {
	s.upsert(
		doc("fd-1", "潮汐车道通行规定", "早晚高峰方向可变。", department("dept-traffic")),
		doc("fd-2", "潮汐车道标线施划", "由道路管理部门负责。", department("dept-roads")),
		doc("fd-3", "潮汐车道违章申诉", "通过交管平台申诉。", department("dept-traffic")),
	)
	s.eventually(s.expectExactly(q("潮汐车道"), "fd-1", "fd-2", "fd-3"))
	s.eventually(s.expectExactly(knowledgebase.Query{Text: "潮汐车道", Department: "dept-traffic"}, "fd-1", "fd-3"))
	s.eventually(s.expectExactly(knowledgebase.Query{Text: "潮汐车道", Department: "dept-roads"}, "fd-2"))
	s.eventually(s.expectExactly(knowledgebase.Query{Text: "潮汐车道", Department: "dept-none"}))
}

func testFilterCategoryPrefix(s *suite) {
	s.upsert(
		doc("fc-1", "银龄补贴挂失", "到社区窗口办理。", category("人力社保/银龄补贴/挂失补办")),
		doc("fc-2", "银龄补贴发放标准", "按年龄段分档。", category("人力社保/银龄补贴")),
		doc("fc-3", "银龄补贴与养老金", "两者可以同时领取。", category("人力社保/养老保险")),
		doc("fc-4", "银龄补贴住房优惠", "公租房优先配租。", category("住房保障")),
	)
	cases := []struct {
		category string
		want     []string
	}{
		{"人力社保", []string{"fc-1", "fc-2", "fc-3"}},
		{"人力社保/银龄补贴", []string{"fc-1", "fc-2"}},
		{"人力社保/银龄补贴/挂失补办", []string{"fc-1"}},
		{"住房保障", []string{"fc-4"}},
		// A prefix counts only at a path boundary: 人力 is not a category.
		{"人力", nil},
		{"人力社保/银龄", nil},
	}
	for _, c := range cases {
		s.eventually(s.expectExactly(knowledgebase.Query{Text: "银龄补贴", Category: c.category}, c.want...))
	}
}

func testFilterChannel(s *suite) {
	s.upsert(
		doc("fch-1", "犬只登记热线答复", "携带免疫证明办理。", channels("hotline")),
		doc("fch-2", "犬只登记网站问答", "网上预约后到现场。", channels("website")),
		doc("fch-3", "犬只登记办事指南", "即办件。", channels("hotline", "service_item")),
		doc("fch-4", "犬只登记内部口径", "暂无渠道。", channels()),
	)
	s.eventually(s.expectExactly(knowledgebase.Query{Text: "犬只登记", Channel: "hotline"}, "fch-1", "fch-3"))
	s.eventually(s.expectExactly(knowledgebase.Query{Text: "犬只登记", Channel: "website"}, "fch-2"))
	s.eventually(s.expectExactly(knowledgebase.Query{Text: "犬只登记", Channel: "service_item"}, "fch-3"))
	s.eventually(s.expectExactly(knowledgebase.Query{Text: "犬只登记"}, "fch-1", "fch-2", "fch-3", "fch-4"))
}

func testFilterKind(s *suite) {
	s.upsert(
		doc("fk-1", "食品经营许可怎么办", "网上提交申请。", kind(knowledgebase.KindEntry)),
		doc("fk-2", "食品经营许可核发", "承诺时限十个工作日。", kind(knowledgebase.KindItem)),
	)
	s.eventually(s.expectExactly(knowledgebase.Query{Text: "食品经营许可", Kind: knowledgebase.KindItem}, "fk-2"))
	s.eventually(s.expectExactly(knowledgebase.Query{Text: "食品经营许可", Kind: knowledgebase.KindEntry}, "fk-1"))
	s.eventually(s.expectExactly(q("食品经营许可"), "fk-1", "fk-2"))
}

func testInternal(s *suite) {
	s.upsert(
		doc("fi-pub", "拆迁补偿标准公开", "按评估价补偿。"),
		doc("fi-int", "拆迁补偿坐席口径", "仅供坐席参考。", internal()),
	)
	s.eventually(s.expectExactly(q("拆迁补偿"), "fi-pub"))
	s.eventually(s.expectExactly(knowledgebase.Query{Text: "拆迁补偿", IncludeInternal: true}, "fi-pub", "fi-int"))
}

func testNotSearchable(s *suite) {
	s.upsert(
		doc("fn-live", "殡葬补助申领", "由民政部门发放。"),
		doc("fn-draft", "殡葬补助草稿", "待审核。", hidden()),
		doc("fn-draft-int", "殡葬补助内部草稿", "待审核。", hidden(), internal()),
	)
	// Unpublished documents are hidden from everyone, agents included.
	s.eventually(s.expectExactly(q("殡葬补助"), "fn-live"))
	s.eventually(s.expectExactly(knowledgebase.Query{Text: "殡葬补助", IncludeInternal: true}, "fn-live"))
	s.eventually(s.expectCount(3)) // hidden documents still count: they are in the index
}

func testExpiry(s *suite) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	s.upsert(
		doc("fe-past", "防汛物资领取（已过期）", "截至昨日。", expires(now.Add(-24*time.Hour))),
		doc("fe-future", "防汛物资领取（有效）", "截至明日。", expires(now.Add(24*time.Hour))),
		doc("fe-never", "防汛物资领取（长期）", "长期有效。"),
		doc("fe-ancient", "防汛物资领取（旧规）", "早已废止。", expires(time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC))),
	)
	s.eventually(s.expectExactly(knowledgebase.Query{Text: "防汛物资", Now: now}, "fe-future", "fe-never"))
	// Query.Now decides, not the wall clock: two days earlier nothing but the
	// ancient rule has expired.
	s.eventually(s.expectExactly(knowledgebase.Query{Text: "防汛物资", Now: now.Add(-48 * time.Hour)},
		"fe-past", "fe-future", "fe-never"))
	// Zero Now means the wall clock, at which the ancient rule has expired
	// and the far-future ones (relative to 2026) depend on today: only assert
	// the certain parts.
	s.eventually(s.expectExcludes(q("防汛物资"), "fe-ancient"))
	s.eventually(s.expectContains(q("防汛物资"), "fe-never"))
}

func testCombinedFilters(s *suite) {
	s.upsert(
		doc("fx-1", "网约车驾驶员证考试", "预约理论考试。", department("dept-transport"), kind(knowledgebase.KindItem), channels("service_item")),
		doc("fx-2", "网约车驾驶员证咨询", "考试科目说明。", department("dept-transport"), channels("hotline")),
		doc("fx-3", "网约车驾驶员证投诉", "向交通部门投诉。", department("dept-market"), kind(knowledgebase.KindItem), channels("service_item")),
		doc("fx-4", "网约车驾驶员证内部", "坐席口径。", department("dept-transport"), kind(knowledgebase.KindItem), channels("service_item"), internal()),
	)
	base := knowledgebase.Query{Text: "网约车驾驶员证", Department: "dept-transport", Kind: knowledgebase.KindItem, Channel: "service_item"}
	s.eventually(s.expectExactly(base, "fx-1"))
	base.IncludeInternal = true
	s.eventually(s.expectExactly(base, "fx-1", "fx-4"))
}
