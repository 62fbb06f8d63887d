package meili

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/meilisearch/meilisearch-go"

	"github.com/hallgate/hallgate/knowledgebase"
	"github.com/hallgate/hallgate/knowledgebase/analysis"
)

// Query bounds of the knowledgebase contract.
const (
	maxQueryRunes = 256
	defaultLimit  = 10
	maxLimit      = 100
	// Meilisearch answers at most pagination.maxTotalHits (default 1000)
	// hits per query.
	maxCandidates = 1000
)

const (
	preTag  = "<em>"
	postTag = "</em>"
)

// Search analyses the query, runs one term query per analysed term in a
// single multi-search, fuses the answers and highlights the page.
func (ix *Index) Search(ctx context.Context, q knowledgebase.Query) (knowledgebase.Result, error) {
	text := strings.TrimSpace(q.Text)
	switch {
	case text == "":
		return knowledgebase.Result{}, fmt.Errorf("meili search: %w: empty query", knowledgebase.ErrBadQuery)
	case utf8.RuneCountInString(q.Text) > maxQueryRunes:
		return knowledgebase.Result{}, fmt.Errorf("meili search: %w: query over %d characters", knowledgebase.ErrBadQuery, maxQueryRunes)
	case q.Limit < 0 || q.Offset < 0:
		return knowledgebase.Result{}, fmt.Errorf("meili search: %w: negative limit or offset", knowledgebase.ErrBadQuery)
	}
	limit := cmp.Or(q.Limit, defaultLimit)
	limit = min(limit, maxLimit)
	empty := knowledgebase.Result{Hits: []knowledgebase.Hit{}}

	terms := pickTerms(ix.an.QueryTerms(text), ix.opts.MaxTerms)
	if len(terms) == 0 {
		return empty, nil // nothing searchable left after analysis (punctuation only)
	}
	if q.Offset >= maxCandidates {
		return empty, nil
	}
	filter := buildFilter(q, now().UnixMilli())
	pool := int64(min(max(ix.opts.Candidates, q.Offset+limit), maxCandidates))

	req := &meilisearch.MultiSearchRequest{Queries: make([]*meilisearch.SearchRequest, 0, len(terms)+1)}
	// Query 0 counts the documents the filters admit: N of the idf.
	req.Queries = append(req.Queries, &meilisearch.SearchRequest{
		IndexUID: ix.opts.IndexUID, Query: "", Filter: filter, Limit: 1,
		AttributesToRetrieve: []string{attrID},
	})
	// Two queries per term: over every term field (its document frequency
	// and the body matches) and over the head fields only (question
	// matches, with their own document frequency).
	for _, t := range terms {
		for _, on := range [][]string{termAttributes, headAttributes} {
			// Only head hits carry the title (for marking matched terms);
			// the all-field answers stay small, since they dominate the
			// response's size.
			retrieve := []string{attrID, attrKind, attrLenHead, attrLenBody}
			if len(on) == len(headAttributes) {
				retrieve = append(retrieve, attrTitle)
			}
			req.Queries = append(req.Queries, &meilisearch.SearchRequest{
				IndexUID:             ix.opts.IndexUID,
				Query:                encodeTerm(t.Text),
				Filter:               filter,
				Limit:                pool,
				AttributesToRetrieve: retrieve,
				AttributesToSearchOn: on,
				ShowRankingScore:     true,
				MatchingStrategy:     meilisearch.All,
			})
		}
	}
	resp, err := ix.client.MultiSearch(ctx, req)
	if err != nil {
		return knowledgebase.Result{}, mapErr("multi-search", err)
	}
	if len(resp.Results) != len(req.Queries) {
		return knowledgebase.Result{}, fmt.Errorf("meili multi-search: %w: %d results for %d queries",
			ErrUnavailable, len(resp.Results), len(req.Queries))
	}

	cands, total, err := fuse(terms, resp.Results)
	if err != nil {
		return knowledgebase.Result{}, err
	}
	if q.Offset >= len(cands) {
		return knowledgebase.Result{Hits: []knowledgebase.Hit{}, Total: total}, nil
	}
	page := cands[q.Offset:min(q.Offset+limit, len(cands))]
	formatted, err := ix.highlights(ctx, text, page)
	if err != nil {
		return knowledgebase.Result{}, err
	}
	if err := ix.fillTitles(ctx, page, formatted); err != nil {
		return knowledgebase.Result{}, err
	}
	hits := make([]knowledgebase.Hit, len(page))
	for i, c := range page {
		hits[i] = knowledgebase.Hit{
			ID:        fromPK(c.pk),
			Kind:      c.kind,
			Score:     c.score,
			Highlight: ix.chooseHighlight(c, formatted[c.pk]),
		}
	}
	return knowledgebase.Result{Hits: hits, Total: total}, nil
}

// pickTerms keeps the max highest-weight terms, in analysis order among
// equals, so the term list (and Meilisearch's work) stays bounded for long
// queries: unigrams, the weakest terms, go first.
func pickTerms(terms []analysis.Term, max int) []analysis.Term {
	out := slices.DeleteFunc(slices.Clone(terms), func(t analysis.Term) bool { return len(t.Text) > maxTermBytes })
	slices.SortStableFunc(out, func(a, b analysis.Term) int { return cmp.Compare(b.Weight, a.Weight) })
	if len(out) > max {
		out = out[:max]
	}
	return out
}

// quote renders a Meilisearch filter string literal.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// buildFilter turns the query's filters and the visibility rules into
// Meilisearch filter expressions, all of which must hold (array = AND).
func buildFilter(q knowledgebase.Query, nowMilli int64) []string {
	if !q.Now.IsZero() {
		nowMilli = q.Now.UnixMilli()
	}
	f := []string{
		attrSearchable + " = true",
		// Expired means ExpiresAt before Now; 0 marks "never expires".
		fmt.Sprintf("(%s = 0 OR %s >= %d)", attrExpiresAt, attrExpiresAt, nowMilli),
	}
	if !q.IncludeInternal {
		f = append(f, attrInternal+" = false")
	}
	if q.Department != "" {
		f = append(f, attrDepartment+" = "+quote(q.Department))
	}
	if c := strings.Trim(q.Category, "/"); c != "" {
		f = append(f, attrCatPath+" = "+quote(c))
	}
	if q.Channel != "" {
		f = append(f, attrChannels+" = "+quote(q.Channel))
	}
	if q.Kind != "" {
		f = append(f, attrKind+" = "+quote(q.Kind))
	}
	return f
}

// candidate is one document found by at least one term query.
type candidate struct {
	pk, kind, title  string
	score            float64
	lenHead, lenBody int      // stored term counts of the head and body fields
	matched          []string // texts of the terms found in its head fields
}

// hitFields is what the adapter reads from a Meilisearch hit.
type hitFields struct {
	ID           string         `json:"id"`
	Kind         string         `json:"kind"`
	Title        string         `json:"title"`
	LenHead      int            `json:"len_head"`
	LenBody      int            `json:"len_body"`
	RankingScore *float64       `json:"_rankingScore"`
	Formatted    map[string]any `json:"_formatted"` // strings, but other retrieved attributes may be arrays
}

func decodeHit(h meilisearch.Hit) (hitFields, error) {
	var f hitFields
	err := h.DecodeInto(&f)
	if err != nil || f.ID == "" {
		return f, fmt.Errorf("meili: %w: undecodable hit (%v)", ErrUnavailable, err)
	}
	return f, nil
}

// Scoring parameters, in the spirit of the embedded backend's BM25F: a
// term in the question fields counts headWeight times a term found only
// in the answer, saturated by k1, plus a question-only BM25 term with its
// own idf (where 需要哪些材料 is common and 退休 is rare).
const (
	k1         = 1.2
	headWeight = 3.0
	bodyWeight = 1.0
	bHead      = 0.5
	bBody      = 0.75
)

func idf(n, df float64) float64 {
	n = max(n, df)
	return math.Log(1 + (n-df+0.5)/(df+0.5))
}

// fuse scores candidates from the term queries' answers (results[0] is the
// count query; then for term i, results[1+2i] over all term fields and
// results[2+2i] over the head fields). Field lengths (stored term counts)
// normalise each match against the candidates' average, as BM25's b does.
// Ties break by id so pages are stable. Total is the number of distinct
// candidates, or the largest single-term count when a term found more than
// the pool holds.
func fuse(terms []analysis.Term, results []meilisearch.SearchResponse) ([]*candidate, int, error) {
	n := float64(results[0].EstimatedTotalHits)
	byPK := map[string]*candidate{}
	var cands []*candidate
	type match struct {
		c    *candidate
		head bool
		rs   float64
	}
	matches := make([][]match, len(terms))
	maxTerm := 0
	for i := range terms {
		all, head := results[1+2*i], results[2+2*i]
		maxTerm = max(maxTerm, int(all.EstimatedTotalHits))
		seen := map[string]bool{}
		for pass, res := range []meilisearch.SearchResponse{head, all} {
			for _, h := range res.Hits {
				f, err := decodeHit(h)
				if err != nil {
					return nil, 0, err
				}
				if seen[f.ID] {
					continue // a head match already counted; the all-field hit adds nothing
				}
				seen[f.ID] = true
				c := byPK[f.ID]
				if c == nil {
					c = &candidate{pk: f.ID, kind: f.Kind, lenHead: f.LenHead, lenBody: f.LenBody}
					byPK[f.ID] = c
					cands = append(cands, c)
				}
				if c.title == "" {
					c.title = f.Title
				}
				rs := 1.0
				if f.RankingScore != nil {
					rs = min(max(*f.RankingScore, 0), 1)
				}
				matches[i] = append(matches[i], match{c: c, head: pass == 0, rs: rs})
			}
		}
	}
	var avgHead, avgBody float64
	for _, c := range cands {
		avgHead += float64(c.lenHead)
		avgBody += float64(c.lenBody)
	}
	if len(cands) > 0 {
		avgHead = max(avgHead/float64(len(cands)), 1)
		avgBody = max(avgBody/float64(len(cands)), 1)
	}
	for i, t := range terms {
		all, head := results[1+2*i], results[2+2*i]
		dfAll := float64(max(all.EstimatedTotalHits, int64(len(all.Hits))))
		dfHead := float64(max(head.EstimatedTotalHits, int64(len(head.Hits))))
		w := float64(t.Weight) * (k1 + 1)
		for _, m := range matches[i] {
			c := m.c
			if m.head {
				// Meilisearch's attribute ranking tells a title match (1)
				// from one in alternates, keywords or category: a mild factor.
				tf := headWeight * (0.75 + 0.25*m.rs) / (1 - bHead + bHead*float64(c.lenHead)/avgHead)
				sat := tf / (k1 + tf)
				c.score += w*idf(n, dfAll)*sat + w*idf(n, dfHead)*sat
				c.matched = append(c.matched, t.Text)
			} else {
				tf := bodyWeight / (1 - bBody + bBody*float64(c.lenBody)/avgBody)
				c.score += w * idf(n, dfAll) * tf / (k1 + tf)
			}
		}
	}
	slices.SortFunc(cands, func(a, b *candidate) int {
		return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(a.pk, b.pk))
	})
	return cands, max(len(cands), maxTerm), nil
}

// highlights asks Meilisearch to mark the raw query text in the page's
// titles and bodies. Its own segmentation decides what matches; where it
// marks nothing, chooseHighlight falls back to the analysed terms.
func (ix *Index) highlights(ctx context.Context, text string, page []*candidate) (map[string]map[string]string, error) {
	ids := make([]string, len(page))
	for i, c := range page {
		ids[i] = quote(c.pk)
	}
	res, err := ix.index.Search(ctx, analysis.Normalize(text), &meilisearch.SearchRequest{
		Filter:                attrID + " IN [" + strings.Join(ids, ", ") + "]",
		Limit:                 int64(len(page)),
		AttributesToRetrieve:  []string{attrID},
		AttributesToSearchOn:  rawAttributes,
		AttributesToHighlight: []string{attrTitle, attrBody},
		AttributesToCrop:      []string{attrBody},
		CropLength:            24,
		HighlightPreTag:       preTag,
		HighlightPostTag:      postTag,
		ShowRankingScore:      true,
		MatchingStrategy:      meilisearch.Last,
	})
	if err != nil {
		return nil, mapErr("highlight search", err)
	}
	out := make(map[string]map[string]string, len(res.Hits))
	for _, h := range res.Hits {
		f, err := decodeHit(h)
		if err != nil {
			return nil, err
		}
		strs := make(map[string]string, len(f.Formatted))
		for k, v := range f.Formatted {
			if str, ok := v.(string); ok {
				strs[k] = str
			}
		}
		out[f.ID] = strs
	}
	return out, nil
}

// fillTitles fetches the titles of page documents that only the answer
// fields matched and that the highlight search did not return either, so
// that every hit has at least its title as highlight.
func (ix *Index) fillTitles(ctx context.Context, page []*candidate, formatted map[string]map[string]string) error {
	var missing []string
	for _, c := range page {
		if c.title == "" {
			if t := formatted[c.pk][attrTitle]; t != "" {
				c.title = strings.NewReplacer(preTag, "", postTag, "").Replace(t)
				continue
			}
			missing = append(missing, quote(c.pk))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	var res meilisearch.DocumentsResult
	err := ix.index.GetDocuments(ctx, &meilisearch.DocumentsQuery{
		Filter: attrID + " IN [" + strings.Join(missing, ", ") + "]",
		Fields: []string{attrID, attrTitle},
		Limit:  int64(len(missing)),
	}, &res)
	if err != nil {
		return mapErr("fetch titles", err)
	}
	titles := make(map[string]string, len(res.Results))
	for _, h := range res.Results {
		f, err := decodeHit(h)
		if err != nil {
			return err
		}
		titles[f.ID] = f.Title
	}
	for _, c := range page {
		if c.title == "" {
			c.title = titles[c.pk]
		}
	}
	return nil
}

func (ix *Index) chooseHighlight(c *candidate, formatted map[string]string) string {
	if t := formatted[attrTitle]; strings.Contains(t, preTag) {
		return t
	}
	if t, ok := ix.markTerms(c.title, c.matched); ok {
		return t
	}
	if b := formatted[attrBody]; strings.Contains(b, preTag) {
		return b
	}
	return c.title
}

// markTerms wraps the spans of title whose analysis produces one of the
// matched terms (a bigram, a word, its pinyin or initials) in <em>. Single
// characters count only when nothing longer matched.
func (ix *Index) markTerms(title string, matched []string) (string, bool) {
	if title == "" || len(matched) == 0 {
		return title, false
	}
	want := make(map[string]bool, len(matched))
	for _, m := range matched {
		want[m] = true
	}
	rs := []rune(title)
	mark := func(minRunes int) []bool {
		marks := make([]bool, len(rs))
		found := false
		for i := range rs {
			for n := max(minRunes, 1); n <= 6 && i+n <= len(rs); n++ {
				for _, t := range ix.an.IndexTerms(analysis.FieldTitle, string(rs[i:i+n])) {
					if want[t.Text] && (minRunes < 2 || t.Type != analysis.TermNgram || utf8.RuneCountInString(t.Text) >= 2) {
						for j := i; j < i+n; j++ {
							marks[j] = true
						}
						found = true
						break
					}
				}
			}
		}
		if !found {
			return nil
		}
		return marks
	}
	marks := mark(2)
	if marks == nil {
		if marks = mark(1); marks == nil {
			return title, false
		}
	}
	var b strings.Builder
	for i, r := range rs {
		if marks[i] && (i == 0 || !marks[i-1]) {
			b.WriteString(preTag)
		}
		b.WriteRune(r)
		if marks[i] && (i == len(rs)-1 || !marks[i+1]) {
			b.WriteString(postTag)
		}
	}
	return b.String(), true
}
