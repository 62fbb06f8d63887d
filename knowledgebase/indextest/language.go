package indextest

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/hallgate/hallgate/knowledgebase"
)

// Chinese query behaviour: what both backends must agree on because they
// share the analysis package.

func testHighlight(s *suite) {
	s.require("Highlight", s.f.Highlight)
	title := "电动自行车如何上牌"
	body := "携带购车发票和合格证到登记点办理号牌。"
	s.upsert(doc("hl-1", title, body),
		doc("hl-2", "非机动车登记须知", "新车购买后十五日内完成上牌。"))
	emRe := regexp.MustCompile(`<em>(.*?)</em>`)
	s.eventually(func() error {
		res, err := s.search(q("上牌"))
		if err != nil {
			return err
		}
		if len(res.Hits) == 0 || res.Hits[0].ID != "hl-1" {
			return fmt.Errorf("want hl-1 first, got %v", ids(res))
		}
		h := res.Hits[0].Highlight
		marks := emRe.FindAllStringSubmatch(h, -1)
		if len(marks) == 0 || strings.Count(h, "<em>") != strings.Count(h, "</em>") {
			return fmt.Errorf("highlight %q: want balanced <em>…</em> marks", h)
		}
		// Every marked piece is made of the query's characters, and the text
		// without the marks is a fragment of the document.
		for _, m := range marks {
			for _, r := range m[1] {
				if !strings.ContainsRune("上牌", r) {
					return fmt.Errorf("highlight %q marks %q, which the query does not contain", h, m[1])
				}
			}
		}
		plain := strings.NewReplacer("<em>", "", "</em>", "", "…", "").Replace(h)
		if !strings.Contains(title, plain) && !strings.Contains(body, plain) && !strings.Contains(title+body, plain) {
			return fmt.Errorf("highlight %q is not a fragment of the title or body", h)
		}
		// A document matched only in its answer still shows something.
		for _, hit := range res.Hits[1:] {
			if hit.ID == "hl-2" && strings.TrimSpace(hit.Highlight) == "" {
				return fmt.Errorf("answer-only hit hl-2 has an empty highlight")
			}
		}
		return nil
	})
}

func testChineseWord(s *suite) {
	s.upsert(
		doc("cw-1", "企业开办一网通办流程", "登录政务服务网填报设立登记、刻章、申领发票。"),
		doc("cw-2", "个体工商户注销", "在登记机关办理简易注销。"),
		doc("cw-3", "居民身份证异地换领", "在户籍地以外的办证点申请。"),
	)
	s.eventually(s.expectTop(q("一网通办"), "cw-1"))
	// A caller's sentence around the key word still finds it.
	s.eventually(s.expectTop(q("我想问一下身份证异地换领怎么弄"), "cw-3"))
}

func testInfix(s *suite) {
	s.require("Infix", s.f.Infix)
	s.upsert(
		doc("ix-1", "自助终端操作简单便捷", "在大厅自助区办理社保查询。"),
		doc("ix-2", "窗口排队叫号规则", "按取号顺序办理。"),
	)
	// 简单 sits inside 操作简单便捷; prefix-only engines miss it.
	s.eventually(s.expectTop(q("简单"), "ix-1"))
	s.eventually(s.expectTop(q("叫号"), "ix-2"))
}

func testSynonyms(s *suite) {
	s.require("Synonyms", s.f.Synonyms)
	// Invented terms, so the shipped default groups cannot interfere.
	s.upsert(
		doc("sy-1", "星光证办理流程", "到街道窗口提交申请表。"),
		doc("sy-2", "萤火卡年审须知", "每年三月前完成年审。"),
	)
	s.eventually(s.expectTop(q("萤火卡"), "sy-2"))
	s.eventually(s.expectExcludes(q("萤火卡"), "sy-1"))

	if err := s.idx.SetSynonyms(s.ctx(), [][]string{{"萤火卡", "星光证"}}); err != nil {
		s.t.Fatalf("SetSynonyms: %v", err)
	}
	s.eventually(s.expectContains(q("萤火卡"), "sy-1", "sy-2"))
	s.eventually(s.expectContains(q("星光证"), "sy-1", "sy-2"))

	// SetSynonyms replaces the runtime groups: an empty set removes them.
	if err := s.idx.SetSynonyms(s.ctx(), nil); err != nil {
		s.t.Fatalf("SetSynonyms(nil): %v", err)
	}
	s.eventually(s.expectExcludes(q("萤火卡"), "sy-1"))
	s.eventually(s.expectExcludes(q("星光证"), "sy-2"))
}

// pinyinDocs are two documents whose key words have no syllable in common.
func pinyinDocs() []knowledgebase.Document {
	return []knowledgebase.Document{
		doc("py-1", "社保卡挂失补办", "到合作银行网点或线上挂失，补卡需十个工作日。"),
		doc("py-2", "公积金提取条件", "购房、租房或退休可以提取。"),
	}
}

func testPinyin(s *suite) {
	s.require("Pinyin", s.f.Pinyin)
	s.upsert(pinyinDocs()...)
	s.eventually(s.expectTop(q("shebaoka"), "py-1"))
	s.eventually(s.expectTop(q("gongjijin"), "py-2"))
	s.eventually(s.expectTop(q("SheBaoKa"), "py-1")) // case does not matter
}

func testInitials(s *suite) {
	s.require("Initials", s.f.Initials)
	s.upsert(pinyinDocs()...)
	s.eventually(s.expectTop(q("sbk"), "py-1"))
	s.eventually(s.expectTop(q("gjj"), "py-2"))
}

func testHomophone(s *suite) {
	s.require("Homophone", s.f.Homophone)
	s.upsert(pinyinDocs()...)
	// Same sound, wrong character, as pinyin input methods produce.
	s.eventually(s.expectTop(q("社宝卡"), "py-1"))
	s.eventually(s.expectTop(q("公积斤"), "py-2"))
}

func testTraditional(s *suite) {
	s.require("Traditional", s.f.Traditional)
	s.upsert(pinyinDocs()...)
	s.eventually(s.expectTop(q("社保卡掛失補辦"), "py-1"))
	s.eventually(s.expectTop(q("公積金提取"), "py-2"))
}
