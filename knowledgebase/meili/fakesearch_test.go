package meili

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// The fake's read side: search, multi-search and documents fetch, answered
// in Meilisearch's documented response shapes.

// fetchDocuments answers POST /indexes/{uid}/documents/fetch: documents
// passing the filter, with only the requested fields, as
// {results, offset, limit, total}.
func (f *fakeMeili) fetchDocuments(uid string, body []byte) (any, int, *apiErr) {
	var req struct {
		Offset int      `json:"offset"`
		Limit  *int     `json:"limit"`
		Fields []string `json:"fields"`
		Filter any      `json:"filter"`
	}
	if err := strictDecode(body, &req); err != nil {
		return nil, 0, fail(400, "bad_request", "documents fetch: %v", err)
	}
	ix := f.indexes[uid]
	if ix == nil {
		return nil, 0, fail(404, "index_not_found", "Index `%s` not found.", uid)
	}
	match, err := compileFilter(req.Filter, ix.filterable)
	if err != nil {
		return nil, 0, fail(400, "invalid_document_filter", "%v", err)
	}
	limit := 20
	if req.Limit != nil {
		limit = *req.Limit
	}
	var all []map[string]any
	for _, id := range ix.order {
		if d := ix.docs[id]; match(d) {
			out := map[string]any{}
			for k, v := range d {
				if req.Fields == nil || slices.Contains(req.Fields, k) {
					out[k] = v
				}
			}
			all = append(all, out)
		}
	}
	page := all[min(req.Offset, len(all)):min(req.Offset+limit, len(all))]
	if page == nil {
		page = []map[string]any{}
	}
	return map[string]any{"results": page, "offset": req.Offset, "limit": limit, "total": len(all)}, 200, nil
}

// searchParams are the documented body fields of POST /indexes/{uid}/search
// that this fake understands; any other field is rejected, as Meilisearch
// rejects unknown fields.
type searchParams struct {
	IndexUID              string          `json:"indexUid"`
	Q                     *string         `json:"q"`
	Offset                *int            `json:"offset"`
	Limit                 *int            `json:"limit"`
	Filter                any             `json:"filter"`
	AttributesToRetrieve  []string        `json:"attributesToRetrieve"`
	AttributesToSearchOn  []string        `json:"attributesToSearchOn"`
	AttributesToHighlight []string        `json:"attributesToHighlight"`
	AttributesToCrop      []string        `json:"attributesToCrop"`
	CropLength            int             `json:"cropLength"`
	HighlightPreTag       *string         `json:"highlightPreTag"`
	HighlightPostTag      *string         `json:"highlightPostTag"`
	ShowRankingScore      bool            `json:"showRankingScore"`
	MatchingStrategy      string          `json:"matchingStrategy"`
	Hybrid                json.RawMessage `json:"hybrid"`
	Sort                  []string        `json:"sort"`
}

func (f *fakeMeili) search(uid string, raw map[string]json.RawMessage) (any, int, *apiErr) {
	body, _ := json.Marshal(raw)
	var sp searchParams
	if err := strictDecode(body, &sp); err != nil {
		return nil, 0, fail(400, "bad_request", "search: %v", err)
	}
	return f.runSearch(uid, sp)
}

func (f *fakeMeili) multiSearch(body []byte) (any, int, *apiErr) {
	var req struct {
		Queries []searchParams `json:"queries"`
	}
	if err := strictDecode(body, &req); err != nil {
		return nil, 0, fail(400, "bad_request", "multi-search: %v", err)
	}
	results := make([]any, 0, len(req.Queries))
	for i, q := range req.Queries {
		if q.IndexUID == "" {
			return nil, 0, fail(400, "missing_index_uid", "Inside `.queries[%d]`: Missing field `indexUid`", i)
		}
		res, _, e := f.runSearch(q.IndexUID, q)
		if e != nil {
			e.Message = fmt.Sprintf("Inside `.queries[%d]`: %s", i, e.Message)
			return nil, 0, e
		}
		res["indexUid"] = q.IndexUID // multi-search results name their index
		results = append(results, res)
	}
	return map[string]any{"results": results}, 200, nil
}

func (f *fakeMeili) runSearch(uid string, sp searchParams) (map[string]any, int, *apiErr) {
	ix := f.indexes[uid]
	if ix == nil {
		return nil, 0, fail(404, "index_not_found", "Index `%s` not found.", uid)
	}
	if sp.Q == nil {
		return nil, 0, fail(400, "bad_request", "the adapter always sends q")
	}
	if len(sp.Hybrid) > 0 && string(sp.Hybrid) != "null" {
		return nil, 0, fail(400, "invalid_search_hybrid_query", "no embedder configured")
	}
	switch sp.MatchingStrategy {
	case "", "last", "all", "frequency":
	default:
		return nil, 0, fail(400, "invalid_search_matching_strategy", "unknown matching strategy %q", sp.MatchingStrategy)
	}
	searchOn := ix.searchable
	if sp.AttributesToSearchOn != nil {
		for _, a := range sp.AttributesToSearchOn {
			if !slices.Contains(ix.searchable, a) {
				return nil, 0, fail(400, "invalid_search_attributes_to_search_on", "Attribute `%s` is not searchable.", a)
			}
		}
		searchOn = sp.AttributesToSearchOn
	}
	match, err := compileFilter(sp.Filter, ix.filterable)
	if err != nil {
		return nil, 0, fail(400, "invalid_search_filter", "%v", err)
	}
	words := strings.Fields(*sp.Q)
	type scored struct {
		id    string
		score float64
		pos   int
	}
	// Term-field-only searches look candidates up in the inverted map.
	var only map[string]bool
	if len(words) > 0 && !slices.ContainsFunc(searchOn, func(a string) bool { return !strings.HasPrefix(a, "t_") }) {
		only = map[string]bool{}
		for _, w := range words {
			for id := range ix.inv[w] {
				only[id] = true
			}
		}
	}
	var found []scored
	for pos, id := range ix.order {
		if only != nil && !only[id] {
			continue
		}
		d := ix.docs[id]
		if !match(d) {
			continue
		}
		if len(words) == 0 {
			found = append(found, scored{id, 1, pos})
			continue
		}
		matched, best := 0, len(searchOn)
		firstOK := false
		for wi, w := range words {
			for ai, a := range searchOn {
				if strings.HasPrefix(a, "t_") && ix.words[id][a][w] || !strings.HasPrefix(a, "t_") && fieldHas(d[a], w) {
					matched++
					best = min(best, ai)
					if wi == 0 {
						firstOK = true
					}
					break
				}
			}
		}
		if matched == 0 || (sp.MatchingStrategy == "all" && matched < len(words)) || (sp.MatchingStrategy != "all" && !firstOK) {
			continue
		}
		score := float64(matched) / float64(len(words)) * (1 - 0.05*float64(best))
		found = append(found, scored{id, score, pos})
	}
	sort.SliceStable(found, func(i, j int) bool { return found[i].score > found[j].score })
	offset, limit := 0, 20
	if sp.Offset != nil {
		offset = *sp.Offset
	}
	if sp.Limit != nil {
		limit = *sp.Limit
	}
	pre, post := "<em>", "</em>"
	if sp.HighlightPreTag != nil {
		pre = *sp.HighlightPreTag
	}
	if sp.HighlightPostTag != nil {
		post = *sp.HighlightPostTag
	}
	hits := []map[string]any{}
	window := found[:min(len(found), ix.maxTotalHits())]
	for _, s := range window[min(offset, len(window)):min(offset+limit, len(window))] {
		d := ix.docs[s.id]
		h := map[string]any{}
		for k, v := range d {
			if sp.AttributesToRetrieve == nil || slices.Contains(sp.AttributesToRetrieve, k) {
				h[k] = v
			}
		}
		if sp.ShowRankingScore {
			h["_rankingScore"] = s.score
		}
		if len(sp.AttributesToHighlight) > 0 {
			fm := map[string]any{}
			// Like Meilisearch, _formatted also carries the other retrieved
			// attributes, arrays included, unmarked.
			for _, a := range sp.AttributesToRetrieve {
				if v, ok := d[a]; ok {
					fm[a] = v
				}
			}
			for _, a := range sp.AttributesToHighlight {
				if v, ok := d[a].(string); ok {
					for _, w := range words {
						v = strings.ReplaceAll(v, w, pre+w+post)
					}
					fm[a] = v
				}
			}
			h["_formatted"] = fm
		}
		hits = append(hits, h)
	}
	return map[string]any{
		"hits": hits, "query": *sp.Q, "processingTimeMs": 0, "limit": limit, "offset": offset,
		// Meilisearch caps every count at pagination.maxTotalHits.
		"estimatedTotalHits": min(len(found), ix.maxTotalHits()),
	}, 200, nil
}

// fieldHas matches a query word in a raw text attribute by substring,
// standing in for Meilisearch's own CJK segmentation. (Term attributes are
// matched as whole space-separated words, from the words cache.)
func fieldHas(v any, w string) bool {
	switch x := v.(type) {
	case string:
		return strings.Contains(x, w)
	case []any:
		for _, el := range x {
			if fieldHas(el, w) {
				return true
			}
		}
	}
	return false
}
