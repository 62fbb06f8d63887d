package meili

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meilisearch/meilisearch-go"

	"github.com/hallgate/hallgate/knowledgebase"
	"github.com/hallgate/hallgate/knowledgebase/analysis"
	"github.com/hallgate/hallgate/knowledgebase/indextest"
)

type meilisearchHit = meilisearch.Hit

func randomUID(t testing.TB) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "hallgate_test_" + hex.EncodeToString(b)
}

func openFake(t *testing.T, f *fakeMeili, mod ...func(*Options)) *Index {
	t.Helper()
	o := Options{URL: f.URL(), APIKey: f.key, IndexUID: randomUID(t), PollInterval: time.Millisecond, Timeout: 5 * time.Second}
	for _, m := range mod {
		m(&o)
	}
	ix, err := Open(t.Context(), o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = ix.Close() })
	return ix
}

// TestConformanceFake runs the whole shared suite through the adapter
// against the documented-API fake: filters, paging, synonyms, pinyin and
// highlight all travel through real HTTP requests and task polling.
func TestConformanceFake(t *testing.T) {
	indextest.Run(t, func(t *testing.T) knowledgebase.Index {
		return openFake(t, newFakeMeili(t, "fake-key"))
	}, indextest.AllFeatures())
}

// TestConformanceReal runs the suite against a real Meilisearch when
// HALLGATE_TEST_MEILI_URL points at one; each subtest gets its own index,
// dropped afterwards.
func TestConformanceReal(t *testing.T) {
	url := os.Getenv("HALLGATE_TEST_MEILI_URL")
	if url == "" {
		t.Skip("HALLGATE_TEST_MEILI_URL is not set: no real Meilisearch to test against (e.g. HALLGATE_TEST_MEILI_URL=http://127.0.0.1:7700 HALLGATE_TEST_MEILI_KEY=masterKey)")
	}
	f := indextest.AllFeatures()
	f.CatchUp = 30 * time.Second
	indextest.Run(t, func(t *testing.T) knowledgebase.Index {
		ix, err := Open(t.Context(), Options{URL: url, APIKey: os.Getenv("HALLGATE_TEST_MEILI_KEY"), IndexUID: randomUID(t)})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := ix.Drop(ctx); err != nil {
				t.Logf("drop test index: %v", err)
			}
			_ = ix.Close()
		})
		return ix
	}, f)
}

func decodeBody(t *testing.T, r recorded, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("%s %s: body %s: %v", r.Method, r.Path, r.Body, err)
	}
}

func TestOpenCreatesIndexAndAppliesSettings(t *testing.T) {
	f := newFakeMeili(t, "")
	ix := openFake(t, f)

	creates := f.find("POST", regexp.MustCompile(`^/indexes$`))
	if len(creates) != 1 {
		t.Fatalf("want 1 create-index request, got %d", len(creates))
	}
	var create map[string]string
	decodeBody(t, creates[0], &create)
	if create["uid"] != ix.opts.IndexUID || create["primaryKey"] != "id" {
		t.Fatalf("create index body = %v", create)
	}

	patches := f.find("PATCH", regexp.MustCompile(`^/indexes/`+ix.opts.IndexUID+`/settings$`))
	if len(patches) != 1 {
		t.Fatalf("want 1 settings update, got %d", len(patches))
	}
	var s struct {
		SearchableAttributes []string            `json:"searchableAttributes"`
		FilterableAttributes []string            `json:"filterableAttributes"`
		SortableAttributes   []string            `json:"sortableAttributes"`
		RankingRules         []string            `json:"rankingRules"`
		Synonyms             map[string][]string `json:"synonyms"`
		Dictionary           []string            `json:"dictionary"`
		TypoTolerance        struct {
			Enabled             bool     `json:"enabled"`
			DisableOnAttributes []string `json:"disableOnAttributes"`
		} `json:"typoTolerance"`
		Pagination struct {
			MaxTotalHits int64 `json:"maxTotalHits"`
		} `json:"pagination"`
		ProximityPrecision string `json:"proximityPrecision"`
	}
	decodeBody(t, patches[0], &s)
	if s.SearchableAttributes[0] != attrTermsTitle || !slices.Contains(s.SearchableAttributes, attrTermsBody) {
		t.Errorf("searchable attributes must start with the title terms: %v", s.SearchableAttributes)
	}
	if slices.Index(s.SearchableAttributes, attrTermsTitle) > slices.Index(s.SearchableAttributes, attrTermsBody) {
		t.Errorf("title terms must outweigh body terms: %v", s.SearchableAttributes)
	}
	for _, a := range []string{attrDepartment, attrCatPath, attrChannels, attrKind, attrInternal, attrSearchable, attrExpiresAt, attrID} {
		if !slices.Contains(s.FilterableAttributes, a) {
			t.Errorf("filterable attributes lack %s: %v", a, s.FilterableAttributes)
		}
	}
	if !slices.Contains(s.SortableAttributes, attrUpdatedAt) {
		t.Errorf("sortable attributes lack %s", attrUpdatedAt)
	}
	if len(s.RankingRules) == 0 || s.RankingRules[0] != "words" {
		t.Errorf("ranking rules = %v", s.RankingRules)
	}
	if len(s.Synonyms) == 0 || len(analysis.DefaultSynonyms()) == 0 {
		t.Errorf("default synonym groups must be pushed: %d keys", len(s.Synonyms))
	}
	if len(s.Dictionary) == 0 {
		t.Errorf("the government-services dictionary must be pushed")
	}
	if !s.TypoTolerance.Enabled || !slices.Equal(s.TypoTolerance.DisableOnAttributes, termAttributes) {
		t.Errorf("typo tolerance must be off exactly on the term fields: %+v", s.TypoTolerance)
	}

	if s.ProximityPrecision != "byAttribute" {
		t.Errorf("proximityPrecision = %q, want byAttribute", s.ProximityPrecision)
	}
	if s.Pagination.MaxTotalHits != DefaultMaxTotalHits {
		t.Errorf("pagination.maxTotalHits = %d: hit counts (the idf) would be capped", s.Pagination.MaxTotalHits)
	}

	// Reopening an existing index tolerates index_already_exists.
	ix2, err := Open(t.Context(), ix.opts)
	if err != nil {
		t.Fatalf("reopen existing index: %v", err)
	}
	_ = ix2.Close()
}

func TestWriteRequests(t *testing.T) {
	f := newFakeMeili(t, "k")
	ix := openFake(t, f)
	ctx := t.Context()
	odd := "条目/甲 1" // not a valid Meilisearch id: stored encoded
	docs := []knowledgebase.Document{
		{ID: "e-1", Kind: knowledgebase.KindEntry, Title: "社保卡挂失", Body: "到银行办理。", Department: "hrss",
			Category: "人力社保/社保卡", Channels: []string{"hotline"}, Searchable: true,
			ExpiresAt: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
		{ID: odd, Kind: knowledgebase.KindItem, Title: "公积金提取", Searchable: true},
	}
	if err := ix.Upsert(ctx, docs...); err != nil {
		t.Fatalf("Upsert: %v", err)
	}
	adds := f.find("POST", regexp.MustCompile(`/documents$`))
	if len(adds) != 1 || adds[0].Query != "primaryKey=id" {
		t.Fatalf("want one add-documents request with ?primaryKey=id, got %+v", adds)
	}
	var stored []map[string]any
	decodeBody(t, adds[0], &stored)
	if len(stored) != 2 {
		t.Fatalf("stored %d documents", len(stored))
	}
	d0 := stored[0]
	if d0["id"] != "e-1" || d0["department"] != "hrss" || d0["internal"] != false || d0["searchable"] != true {
		t.Errorf("stored document fields: %v", d0)
	}
	if got := d0["category_path"]; !slices.Equal(toStrings(got), []string{"人力社保", "人力社保/社保卡"}) {
		t.Errorf("category_path = %v", got)
	}
	if d0["expires_at"] != float64(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()) || stored[1]["expires_at"] != float64(0) {
		t.Errorf("expires_at = %v / %v", d0["expires_at"], stored[1]["expires_at"])
	}
	terms, _ := d0["t_title"].(string)
	if !strings.Contains(" "+terms+" ", " "+encodeTerm("社保")+" ") || !strings.Contains(terms, encodeTerm("~shebao")) {
		t.Errorf("t_title lacks the analysed bigram or pinyin terms: %q", terms)
	}
	if id, _ := stored[1]["id"].(string); !strings.HasPrefix(id, encodedIDPrefix) || fromPK(id) != odd {
		t.Errorf("odd id stored as %q", id)
	}

	if err := ix.Delete(ctx, "e-1", odd); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	dels := f.find("POST", regexp.MustCompile(`/documents/delete-batch$`))
	var ids []string
	decodeBody(t, dels[0], &ids)
	if len(ids) != 2 || ids[0] != "e-1" || fromPK(ids[1]) != odd {
		t.Errorf("delete-batch body = %v", ids)
	}
	if err := ix.Reset(ctx); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	if n := len(f.find("DELETE", regexp.MustCompile(`^/indexes/[^/]+/documents$`))); n != 1 {
		t.Errorf("want one delete-all request, got %d", n)
	}
	// Every write waited for its task: each task was polled to completion.
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, task := range f.tasks {
		if task.indexUID == ix.metaUID() && task.errCode == "index_not_found" {
			continue // Reset forgets a build record that was never written
		}
		if task.status != "succeeded" {
			t.Errorf("task %d (%s) left %s: the adapter did not wait", task.uid, task.typ, task.status)
		}
	}
}

func toStrings(v any) []string {
	var out []string
	if a, ok := v.([]any); ok {
		for _, el := range a {
			s, _ := el.(string)
			out = append(out, s)
		}
	}
	return out
}

func TestSearchRequests(t *testing.T) {
	f := newFakeMeili(t, "")
	ix := openFake(t, f)
	ctx := t.Context()
	if err := ix.Upsert(ctx, knowledgebase.Document{ID: "a", Kind: knowledgebase.KindEntry, Title: "电动自行车上牌",
		Body: "携带发票办理上牌。", Department: "police", Category: "交通/非机动车", Searchable: true}); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	res, err := ix.Search(ctx, knowledgebase.Query{Text: "上牌", Limit: 5, Department: `po"l\ice`, Category: "交通/", Channel: "hotline",
		Kind: knowledgebase.KindEntry, Now: at})
	if err != nil {
		t.Fatalf("Search: %v", err)
	}
	if len(res.Hits) != 0 {
		t.Fatalf("filters must exclude the document, got %v", res.Hits)
	}
	ms := f.find("POST", regexp.MustCompile(`^/multi-search$`))
	if len(ms) != 1 {
		t.Fatalf("want one multi-search, got %d", len(ms))
	}
	var body struct {
		Queries []struct {
			IndexUID             string   `json:"indexUid"`
			Q                    string   `json:"q"`
			Filter               []string `json:"filter"`
			Limit                int      `json:"limit"`
			ShowRankingScore     bool     `json:"showRankingScore"`
			AttributesToSearchOn []string `json:"attributesToSearchOn"`
			MatchingStrategy     string   `json:"matchingStrategy"`
		} `json:"queries"`
	}
	decodeBody(t, ms[0], &body)
	if len(body.Queries) < 3 {
		t.Fatalf("want a count query plus term queries, got %d", len(body.Queries))
	}
	wantFilter := []string{
		"searchable = true",
		"(expires_at = 0 OR expires_at >= " + formatMilli(at) + ")",
		"internal = false",
		`department = "po\"l\\ice"`,
		`category_path = "交通"`,
		`channels = "hotline"`,
		`kind = "entry"`,
	}
	for i, q := range body.Queries {
		if q.IndexUID != ix.opts.IndexUID || !slices.Equal(q.Filter, wantFilter) {
			t.Errorf("query %d: indexUid %q filter %q", i, q.IndexUID, q.Filter)
		}
		if i == 0 {
			if q.Q != "" {
				t.Errorf("count query must be a placeholder search, q=%q", q.Q)
			}
			continue
		}
		on := termAttributes // odd queries: all term fields; even: the head fields
		if i%2 == 0 {
			on = headAttributes
		}
		if !regexp.MustCompile(`^x[a-p]+z$`).MatchString(q.Q) || !q.ShowRankingScore || q.MatchingStrategy != "all" ||
			!slices.Equal(q.AttributesToSearchOn, on) || q.Limit < 5 {
			t.Errorf("term query %d malformed: %+v", i, q)
		}
	}
	if !slices.ContainsFunc(body.Queries, func(q struct {
		IndexUID             string   `json:"indexUid"`
		Q                    string   `json:"q"`
		Filter               []string `json:"filter"`
		Limit                int      `json:"limit"`
		ShowRankingScore     bool     `json:"showRankingScore"`
		AttributesToSearchOn []string `json:"attributesToSearchOn"`
		MatchingStrategy     string   `json:"matchingStrategy"`
	}) bool {
		return q.Q == encodeTerm("上牌")
	}) {
		t.Errorf("the bigram 上牌 must be one of the term queries")
	}

	// A matching search also asks for highlights over the page's ids.
	res, err = ix.Search(ctx, knowledgebase.Query{Text: "上牌", IncludeInternal: true})
	if err != nil || len(res.Hits) != 1 {
		t.Fatalf("Search: %v %v", res, err)
	}
	hl := f.find("POST", regexp.MustCompile(`^/indexes/[^/]+/search$`))
	if len(hl) != 1 {
		t.Fatalf("want one highlight search, got %d", len(hl))
	}
	var h struct {
		Q                     string   `json:"q"`
		Filter                string   `json:"filter"`
		AttributesToHighlight []string `json:"attributesToHighlight"`
		HighlightPreTag       string   `json:"highlightPreTag"`
		HighlightPostTag      string   `json:"highlightPostTag"`
		ShowRankingScore      bool     `json:"showRankingScore"`
		Limit                 int      `json:"limit"`
	}
	decodeBody(t, hl[0], &h)
	if h.Q != "上牌" || h.Filter != `id IN ["a"]` || !slices.Equal(h.AttributesToHighlight, []string{"title", "body"}) ||
		h.HighlightPreTag != "<em>" || h.HighlightPostTag != "</em>" || !h.ShowRankingScore || h.Limit != 1 {
		t.Errorf("highlight request = %+v", h)
	}
	if got := res.Hits[0].Highlight; got != "电动自行车<em>上牌</em>" {
		t.Errorf("highlight = %q, want the _formatted title", got)
	}
	if res.Hits[0].Score <= 0 || res.Total != 1 || res.Hits[0].Kind != knowledgebase.KindEntry {
		t.Errorf("hit = %+v total %d", res.Hits[0], res.Total)
	}
}

func formatMilli(t time.Time) string { return strings.TrimSpace(jsonNumber(t.UnixMilli())) }

func jsonNumber(v int64) string { b, _ := json.Marshal(v); return string(b) }

// TestBodyOnlyHitStillHasItsTitle: a document found only through its
// answer, by a query the highlight search does not match (the fake matches
// the raw text as one word), gets its title from a documents fetch rather
// than an empty highlight.
func TestBodyOnlyHitStillHasItsTitle(t *testing.T) {
	f := newFakeMeili(t, "")
	ix := openFake(t, f)
	if err := ix.Upsert(t.Context(), knowledgebase.Document{ID: "b1", Kind: knowledgebase.KindEntry,
		Title: "窗口服务时间", Body: "可以办理公积金提取。", Searchable: true}); err != nil {
		t.Fatal(err)
	}
	res, err := ix.Search(t.Context(), knowledgebase.Query{Text: "公积金提取怎么弄"})
	if err != nil || len(res.Hits) != 1 {
		t.Fatalf("Search: %+v %v", res, err)
	}
	if res.Hits[0].Highlight != "窗口服务时间" {
		t.Fatalf("highlight = %q, want the plain title", res.Hits[0].Highlight)
	}
	fetches := f.find("POST", regexp.MustCompile(`/documents/fetch$`))
	if len(fetches) != 1 {
		t.Fatalf("want one documents fetch, got %d", len(fetches))
	}
	var body struct {
		Filter string   `json:"filter"`
		Fields []string `json:"fields"`
		Limit  int      `json:"limit"`
	}
	decodeBody(t, fetches[0], &body)
	if body.Filter != `id IN ["b1"]` || !slices.Equal(body.Fields, []string{"id", "title"}) || body.Limit != 1 {
		t.Errorf("fetch body = %+v", body)
	}
}
