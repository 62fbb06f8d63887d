package indextest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/hallgate/hallgate/knowledgebase"
)

func q(text string) knowledgebase.Query { return knowledgebase.Query{Text: text} }

func testUpsertSearchDelete(s *suite) {
	s.upsert(
		doc("usd-1", "如何办理居住证", "携带身份证和租赁合同到社区服务中心申请，五个工作日内领取。"),
		doc("usd-2", "新生儿落户需要什么材料", "出生医学证明、父母双方户口簿和结婚证。", kind(knowledgebase.KindEntry)),
		doc("usd-3", "城乡居民医保缴费", "每年九月至十二月通过银行或线上渠道缴纳下一年度费用。", kind(knowledgebase.KindItem)),
	)
	s.eventually(s.expectCount(3))
	s.eventually(s.expectTop(q("居住证"), "usd-1"))
	s.eventually(s.expectTop(q("新生儿落户"), "usd-2"))
	s.eventually(func() error {
		res, err := s.search(q("医保缴费"))
		if err != nil {
			return err
		}
		if len(res.Hits) == 0 || res.Hits[0].ID != "usd-3" {
			return fmt.Errorf("want usd-3 first, got %v", ids(res))
		}
		if res.Hits[0].Kind != knowledgebase.KindItem {
			return fmt.Errorf("hit kind = %q, want %q", res.Hits[0].Kind, knowledgebase.KindItem)
		}
		if res.Total < 1 {
			return fmt.Errorf("Total = %d with %d hits", res.Total, len(res.Hits))
		}
		return nil
	})

	s.delete("usd-1")
	s.eventually(s.expectCount(2))
	s.eventually(s.expectExcludes(q("居住证"), "usd-1"))
	s.eventually(s.expectTop(q("新生儿落户"), "usd-2"))
}

func testReupsertReplaces(s *suite) {
	s.upsert(doc("rr-1", "燃气开通办理", "到燃气公司营业厅提交房产证明。", department("dept-gas")))
	s.eventually(s.expectContains(q("燃气开通"), "rr-1"))

	// Same id, new text and a new owner: the old terms and the old filter
	// values must both be gone. (The new text shares no character with the
	// old query, so even unigram matching cannot find it.)
	s.upsert(doc("rr-1", "自来水过户手续", "买卖双方携带不动产权证书到供水营业厅。", department("dept-water")))
	s.eventually(s.expectCount(1))
	s.eventually(s.expectContains(q("自来水过户"), "rr-1"))
	s.eventually(s.expectExcludes(q("燃气开通"), "rr-1"))
	s.eventually(s.expectExactly(knowledgebase.Query{Text: "自来水过户", Department: "dept-gas"}))
	s.eventually(s.expectExactly(knowledgebase.Query{Text: "自来水过户", Department: "dept-water"}, "rr-1"))
}

func testCountAndReset(s *suite) {
	s.eventually(s.expectCount(0))
	var docs []knowledgebase.Document
	for i := range 5 {
		docs = append(docs, doc(fmt.Sprintf("cr-%d", i), fmt.Sprintf("路灯报修第%d条说明", i), "路灯不亮可以拨打热线报修。"))
	}
	s.upsert(docs...)
	s.eventually(s.expectCount(5))

	if err := s.idx.Reset(s.ctx()); err != nil {
		s.t.Fatalf("Reset: %v", err)
	}
	s.eventually(s.expectCount(0))
	s.eventually(func() error {
		res, err := s.search(q("路灯报修"))
		if err != nil {
			return err
		}
		if len(res.Hits) != 0 || res.Total != 0 {
			return fmt.Errorf("after Reset: hits %v, Total %d", ids(res), res.Total)
		}
		return nil
	})

	// The index stays usable after a reset (reindex rebuilds into it).
	s.upsert(doc("cr-new", "路灯报修流程", "拨打热线或在网站留言。"))
	s.eventually(s.expectCount(1))
	s.eventually(s.expectExactly(q("路灯报修"), "cr-new"))
}

func testEmptyWrites(s *suite) {
	if err := s.idx.Upsert(s.ctx()); err != nil {
		s.t.Fatalf("Upsert() with no documents: %v", err)
	}
	if err := s.idx.Delete(s.ctx()); err != nil {
		s.t.Fatalf("Delete() with no ids: %v", err)
	}
	if err := s.idx.Delete(s.ctx(), "no-such-id"); err != nil {
		s.t.Fatalf("Delete of an unknown id must succeed (idempotent): %v", err)
	}
	s.eventually(s.expectCount(0))
}

func testAlternatesAndKeywords(s *suite) {
	s.upsert(
		doc("ak-1", "不动产登记资料查询", "凭身份证到不动产登记中心窗口查询。",
			alternates("怎么查房子在谁名下"), keywords("产权档案")),
		doc("ak-2", "机动车驾驶证换领", "有效期满前九十日内申请换证。"),
	)
	s.eventually(s.expectTop(q("房子在谁名下"), "ak-1"))
	s.eventually(s.expectTop(q("产权档案"), "ak-1"))
}

func testTitleOutranksBody(s *suite) {
	s.upsert(
		doc("tb-body", "窗口服务时间说明", "工作日上午九点至下午五点受理各类业务，含残疾人两项补贴的咨询。"),
		doc("tb-title", "残疾人两项补贴申请", "向户籍所在地街道提交申请表和残疾人证。"),
	)
	s.eventually(s.expectTop(q("残疾人两项补贴"), "tb-title"))
}

func testScoresDescend(s *suite) {
	s.upsert(
		doc("sd-1", "失业保险金申领条件", "非因本人意愿中断就业且已办理失业登记。"),
		doc("sd-2", "失业登记办理", "到街道公共就业服务机构办理。"),
		doc("sd-3", "保险公司理赔投诉", "向金融监管部门反映。"),
		doc("sd-4", "灵活就业人员参保", "以个人身份缴纳养老保险。"),
	)
	s.eventually(func() error {
		res, err := s.search(q("失业保险金申领"))
		if err != nil {
			return err
		}
		if len(res.Hits) < 2 {
			return fmt.Errorf("want at least 2 hits, got %v", ids(res))
		}
		if res.Hits[0].ID != "sd-1" {
			return fmt.Errorf("want sd-1 first, got %v", ids(res))
		}
		for i, h := range res.Hits {
			if h.Score <= 0 {
				return fmt.Errorf("hit %d (%s) has score %v, want > 0", i, h.ID, h.Score)
			}
			if i > 0 && h.Score > res.Hits[i-1].Score {
				return fmt.Errorf("scores not descending at %d: %v", i, scores(res))
			}
		}
		return nil
	})
}

func scores(res knowledgebase.Result) []float64 {
	out := make([]float64, len(res.Hits))
	for i, h := range res.Hits {
		out[i] = h.Score
	}
	return out
}

func testPaging(s *suite) {
	const n = 25
	var docs []knowledgebase.Document
	var all []string
	for i := range n {
		id := fmt.Sprintf("pg-%02d", i)
		all = append(all, id)
		docs = append(docs, doc(id, fmt.Sprintf("蜂巢驿站取件指引（%02d）", i), "凭取件码在柜机取件。"))
	}
	s.upsert(docs...)
	s.eventually(s.expectCount(n))

	s.eventually(func() error {
		seen := map[string]int{}
		for page, want := range []int{10, 10, 5, 0} {
			res, err := s.search(knowledgebase.Query{Text: "蜂巢驿站", Limit: 10, Offset: page * 10})
			if err != nil {
				return err
			}
			if len(res.Hits) != want {
				return fmt.Errorf("page %d: %d hits, want %d", page, len(res.Hits), want)
			}
			if s.f.ExactTotal && res.Total != n {
				return fmt.Errorf("page %d: Total %d, want %d", page, res.Total, n)
			}
			if res.Total < len(res.Hits)+page*10 && want > 0 {
				return fmt.Errorf("page %d: Total %d is below what the pages show", page, res.Total)
			}
			for _, h := range res.Hits {
				seen[h.ID]++
			}
		}
		for _, id := range all {
			if seen[id] != 1 {
				return fmt.Errorf("%s seen %d times across pages (ties must break deterministically)", id, seen[id])
			}
		}
		return nil
	})
}

func testLimitDefaults(s *suite) {
	const n = 15
	var docs []knowledgebase.Document
	for i := range n {
		docs = append(docs, doc(fmt.Sprintf("ld-%02d", i), fmt.Sprintf("充电桩报装咨询（%02d）", i), "向供电营业厅提交申请。"))
	}
	s.upsert(docs...)
	s.eventually(s.expectCount(n))
	s.eventually(func() error {
		res, err := s.search(q("充电桩报装"))
		if err != nil {
			return err
		}
		if len(res.Hits) != 10 {
			return fmt.Errorf("Limit 0 must default to 10 hits, got %d", len(res.Hits))
		}
		return nil
	})
	// Over the maximum of 100: either refused as a bad query or capped.
	res, err := s.idx.Search(s.ctx(), knowledgebase.Query{Text: "充电桩报装", Limit: 1000})
	switch {
	case err != nil && !isBadQuery(err):
		s.t.Fatalf("Limit 1000: want ErrBadQuery or a capped page, got %v", err)
	case err == nil && len(res.Hits) != n:
		s.t.Fatalf("Limit 1000 (capped at 100): want all %d hits, got %d", n, len(res.Hits))
	}
}

func testBadQuery(s *suite) {
	s.upsert(doc("bq-1", "办理流程", "办理流程说明。"))
	for name, text := range map[string]string{
		"empty":     "",
		"blank":     "  \t ",
		"257 runes": strings.Repeat("办", 257),
		"257 latin": strings.Repeat("a", 257),
	} {
		_, err := s.idx.Search(s.ctx(), q(text))
		if !errors.Is(err, knowledgebase.ErrBadQuery) {
			s.t.Errorf("%s query: want ErrBadQuery, got %v", name, err)
		}
	}
	// The limit is 256 characters, not bytes: 256 Chinese characters are
	// 768 bytes of UTF-8 and still a valid query.
	if _, err := s.idx.Search(s.ctx(), q(strings.Repeat("办", 256))); err != nil {
		s.t.Errorf("256-character query must be accepted, got %v", err)
	}
}

func testConcurrent(s *suite) {
	const writers, perWriter = 4, 8
	var wg sync.WaitGroup
	errs := make(chan error, writers*perWriter+64)
	stop := make(chan struct{})
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				d := doc(fmt.Sprintf("cc-%d-%d", w, i), fmt.Sprintf("共享单车停放投诉（%d-%d）", w, i), "乱停乱放可拨打热线反映。")
				if err := s.idx.Upsert(s.ctx(), d); err != nil {
					errs <- fmt.Errorf("writer %d: %w", w, err)
				}
			}
		})
	}
	var readers sync.WaitGroup
	for range 2 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := s.idx.Search(s.ctx(), q("共享单车")); err != nil {
					errs <- fmt.Errorf("reader: %w", err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	close(errs)
	for err := range errs {
		s.t.Error(err)
	}
	s.eventually(s.expectCount(writers * perWriter))
	s.eventually(func() error {
		res, err := s.search(knowledgebase.Query{Text: "共享单车", Limit: 100})
		if err != nil {
			return err
		}
		got := ids(res)
		for w := range writers {
			for i := range perWriter {
				if id := fmt.Sprintf("cc-%d-%d", w, i); !slices.Contains(got, id) {
					return fmt.Errorf("%s missing after concurrent upserts (%d hits)", id, len(got))
				}
			}
		}
		return nil
	})
}
