package meili

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeMeili is an in-memory Meilisearch on loopback that follows the
// documented HTTP API closely enough to check every request the adapter
// makes (method, path, content type, auth, strict body fields and JSON
// shapes) and to answer with the documented response shapes: 202 task
// summaries ({taskUid, indexUid, status, type, enqueuedAt}), task objects
// that go enqueued → processing → succeeded/failed as they are polled, and
// search answers with hits, estimatedTotalHits, _formatted and
// _rankingScore. Writes take effect only when their task completes, so an
// adapter that does not wait for tasks fails the read-after-write checks.
type fakeMeili struct {
	t   testing.TB
	srv *httptest.Server
	key string

	mu       sync.Mutex
	indexes  map[string]*fakeIndex
	tasks    []*fakeTask
	requests []recorded
	// failTask makes the next task of that type fail with this error code.
	failTask map[string]string
	// stuck keeps every task enqueued forever.
	stuck bool
}

type recorded struct {
	Method, Path, Query string
	Body                []byte
}

type fakeIndex struct {
	uid, pk    string
	searchable []string
	filterable map[string]bool
	settings   map[string]json.RawMessage
	docs       map[string]map[string]any
	words      map[string]map[string]map[string]bool // id → term attribute → its words
	inv        map[string]map[string]bool            // term-attribute word → ids holding it
	order      []string                              // insertion order: Meilisearch's tie order
}

type fakeTask struct {
	uid      int
	indexUID string
	typ      string
	status   string
	polls    int
	apply    func() (code string) // runs on completion; a code fails the task
	errCode  string
	enqueued time.Time
}

func newFakeMeili(t testing.TB, key string) *fakeMeili {
	f := &fakeMeili{t: t, key: key, indexes: map[string]*fakeIndex{}, failTask: map[string]string{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeMeili) URL() string { return f.srv.URL }

// recorded returns the requests seen so far whose path matches re.
func (f *fakeMeili) find(method string, re *regexp.Regexp) []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []recorded
	for _, r := range f.requests {
		if r.Method == method && re.MatchString(r.Path) {
			out = append(out, r)
		}
	}
	return out
}

type apiErr struct {
	status              int
	Message, Code, Type string
}

func fail(status int, code, format string, args ...any) *apiErr {
	typ := "invalid_request"
	if status == 401 || status == 403 {
		typ = "auth"
	}
	return &apiErr{status: status, Message: fmt.Sprintf(format, args...), Code: code, Type: typ}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeMeili) serve(w http.ResponseWriter, r *http.Request) {
	body := new(bytes.Buffer)
	_, _ = body.ReadFrom(r.Body)
	f.mu.Lock()
	f.requests = append(f.requests, recorded{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: body.Bytes()})
	res, status, e := f.route(r, body.Bytes())
	f.mu.Unlock()
	if e != nil {
		writeJSON(w, e.status, map[string]string{
			"message": e.Message, "code": e.Code, "type": e.Type,
			"link": "https://docs.meilisearch.com/errors#" + e.Code,
		})
		return
	}
	writeJSON(w, status, res)
}

var (
	reIndex        = regexp.MustCompile(`^/indexes/([^/]+)$`)
	reSettings     = regexp.MustCompile(`^/indexes/([^/]+)/settings$`)
	reSynonyms     = regexp.MustCompile(`^/indexes/([^/]+)/settings/synonyms$`)
	reDocuments    = regexp.MustCompile(`^/indexes/([^/]+)/documents$`)
	reDeleteBatch  = regexp.MustCompile(`^/indexes/([^/]+)/documents/delete-batch$`)
	reDocument     = regexp.MustCompile(`^/indexes/([^/]+)/documents/([^/]+)$`)
	reFetch        = regexp.MustCompile(`^/indexes/([^/]+)/documents/fetch$`)
	reStats        = regexp.MustCompile(`^/indexes/([^/]+)/stats$`)
	reSearch       = regexp.MustCompile(`^/indexes/([^/]+)/search$`)
	reTask         = regexp.MustCompile(`^/tasks/(\d+)$`)
	reDocumentID   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,511}$`)
	validRankRules = []string{"words", "typo", "proximity", "attribute", "sort", "exactness", "attributeRank", "wordPosition"}
)

func (f *fakeMeili) route(r *http.Request, body []byte) (any, int, *apiErr) {
	if f.key != "" {
		switch h := r.Header.Get("Authorization"); {
		case h == "":
			return nil, 0, fail(401, "missing_authorization_header", "The Authorization header is missing.")
		case h != "Bearer "+f.key:
			return nil, 0, fail(403, "invalid_api_key", "The provided API key is invalid.")
		}
	}
	if len(body) > 0 && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		return nil, 0, fail(415, "invalid_content_type", "content type %q is not application/json", r.Header.Get("Content-Type"))
	}
	p := r.URL.Path
	switch {
	case r.Method == http.MethodPost && p == "/indexes":
		return f.createIndex(body)
	case r.Method == http.MethodDelete && reIndex.MatchString(p):
		uid := reIndex.FindStringSubmatch(p)[1]
		return f.enqueue(uid, "indexDeletion", func() string {
			if f.indexes[uid] == nil {
				return "index_not_found"
			}
			delete(f.indexes, uid)
			return ""
		}), 202, nil
	case r.Method == http.MethodPatch && reSettings.MatchString(p):
		return f.updateSettings(reSettings.FindStringSubmatch(p)[1], body)
	case r.Method == http.MethodPut && reSynonyms.MatchString(p):
		uid := reSynonyms.FindStringSubmatch(p)[1]
		var syn map[string][]string
		if err := strictDecode(body, &syn); err != nil {
			return nil, 0, fail(400, "invalid_settings_synonyms", "synonyms: %v", err)
		}
		return f.enqueue(uid, "settingsUpdate", func() string {
			f.index(uid).settings["synonyms"] = body
			return ""
		}), 202, nil
	case r.Method == http.MethodPost && reDocuments.MatchString(p):
		return f.addDocuments(reDocuments.FindStringSubmatch(p)[1], r.URL.Query().Get("primaryKey"), body)
	case r.Method == http.MethodDelete && reDocuments.MatchString(p):
		uid := reDocuments.FindStringSubmatch(p)[1]
		return f.enqueue(uid, "documentDeletion", func() string {
			ix := f.indexes[uid]
			if ix == nil {
				return "index_not_found"
			}
			ix.docs, ix.words, ix.order = map[string]map[string]any{}, map[string]map[string]map[string]bool{}, nil
			ix.inv = map[string]map[string]bool{}
			return ""
		}), 202, nil
	case r.Method == http.MethodPost && reDeleteBatch.MatchString(p):
		uid := reDeleteBatch.FindStringSubmatch(p)[1]
		var ids []string
		if err := strictDecode(body, &ids); err != nil {
			return nil, 0, fail(400, "bad_request", "delete-batch body must be an array of ids: %v", err)
		}
		return f.enqueue(uid, "documentDeletion", func() string {
			ix := f.indexes[uid]
			if ix == nil {
				return "index_not_found"
			}
			for _, id := range ids {
				if _, ok := ix.docs[id]; ok {
					ix.unindex(id)
					delete(ix.docs, id)
					ix.order = slices.DeleteFunc(ix.order, func(o string) bool { return o == id })
				}
			}
			return ""
		}), 202, nil
	case r.Method == http.MethodPost && reFetch.MatchString(p):
		return f.fetchDocuments(reFetch.FindStringSubmatch(p)[1], body)
	case r.Method == http.MethodGet && reDocument.MatchString(p):
		m := reDocument.FindStringSubmatch(p)
		ix := f.indexes[m[1]]
		if ix == nil {
			return nil, 0, fail(404, "index_not_found", "Index `%s` not found.", m[1])
		}
		d, ok := ix.docs[m[2]]
		if !ok {
			return nil, 0, fail(404, "document_not_found", "Document `%s` not found.", m[2])
		}
		return d, 200, nil
	case r.Method == http.MethodDelete && reDocument.MatchString(p):
		m := reDocument.FindStringSubmatch(p)
		return f.enqueue(m[1], "documentDeletion", func() string {
			ix := f.indexes[m[1]]
			if ix == nil {
				return "index_not_found"
			}
			if _, ok := ix.docs[m[2]]; ok {
				ix.unindex(m[2])
				delete(ix.docs, m[2])
				ix.order = slices.DeleteFunc(ix.order, func(o string) bool { return o == m[2] })
			}
			return ""
		}), 202, nil
	case r.Method == http.MethodGet && reStats.MatchString(p):
		ix := f.indexes[reStats.FindStringSubmatch(p)[1]]
		if ix == nil {
			return nil, 0, fail(404, "index_not_found", "Index not found.")
		}
		return map[string]any{"numberOfDocuments": len(ix.docs), "isIndexing": false, "fieldDistribution": map[string]int{}}, 200, nil
	case r.Method == http.MethodPost && reSearch.MatchString(p):
		uid := reSearch.FindStringSubmatch(p)[1]
		var sr map[string]json.RawMessage
		if err := json.Unmarshal(body, &sr); err != nil {
			return nil, 0, fail(400, "bad_request", "search body: %v", err)
		}
		if _, ok := sr["indexUid"]; ok {
			return nil, 0, fail(400, "bad_request", "Unknown field `indexUid`: expected one of the search parameters")
		}
		return f.search(uid, sr)
	case r.Method == http.MethodPost && p == "/multi-search":
		return f.multiSearch(body)
	case r.Method == http.MethodGet && p == "/health":
		return map[string]string{"status": "available"}, 200, nil
	case r.Method == http.MethodGet && reTask.MatchString(p):
		n, _ := strconv.Atoi(reTask.FindStringSubmatch(p)[1])
		return f.getTask(n)
	}
	return nil, 0, fail(404, "not_found", "%s %s is not an endpoint of this fake", r.Method, p)
}

// strictDecode rejects unknown fields, as Meilisearch does.
func strictDecode(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func (f *fakeMeili) index(uid string) *fakeIndex {
	ix := f.indexes[uid]
	if ix == nil { // settings and documents create a missing index, as in Meilisearch
		ix = &fakeIndex{uid: uid, pk: "id", filterable: map[string]bool{}, settings: map[string]json.RawMessage{},
			docs: map[string]map[string]any{}, words: map[string]map[string]map[string]bool{}, inv: map[string]map[string]bool{}}
		f.indexes[uid] = ix
	}
	return ix
}

func (f *fakeMeili) enqueue(uid, typ string, apply func() string) map[string]any {
	t := &fakeTask{uid: len(f.tasks), indexUID: uid, typ: typ, status: "enqueued", apply: apply, enqueued: time.Now().UTC()}
	if code, ok := f.failTask[typ]; ok {
		delete(f.failTask, typ)
		t.apply = func() string { return code }
	}
	f.tasks = append(f.tasks, t)
	return map[string]any{"taskUid": t.uid, "indexUid": uid, "status": t.status, "type": typ,
		"enqueuedAt": t.enqueued.Format(time.RFC3339Nano)}
}

// getTask answers enqueued, then processing, then the outcome; completing
// a task first completes every earlier one, since an index's tasks run in
// order.
func (f *fakeMeili) getTask(n int) (any, int, *apiErr) {
	if n < 0 || n >= len(f.tasks) {
		return nil, 0, fail(404, "task_not_found", "Task `%d` not found.", n)
	}
	t := f.tasks[n]
	if !f.stuck && t.status != "succeeded" && t.status != "failed" {
		t.polls++
		switch {
		case t.polls == 1:
			t.status = "processing"
		case t.polls >= 2:
			for _, e := range f.tasks[:n+1] {
				if e.status == "succeeded" || e.status == "failed" {
					continue
				}
				if code := e.apply(); code != "" {
					e.status, e.errCode = "failed", code
				} else {
					e.status = "succeeded"
				}
			}
		}
	}
	out := map[string]any{
		"uid": t.uid, "indexUid": t.indexUID, "status": t.status, "type": t.typ,
		"details": map[string]any{}, "error": nil, "canceledBy": nil, "duration": nil,
		"enqueuedAt": t.enqueued.Format(time.RFC3339Nano), "startedAt": nil, "finishedAt": nil,
	}
	if t.status == "failed" {
		out["error"] = map[string]string{"message": "task failed: " + t.errCode, "code": t.errCode,
			"type": "invalid_request", "link": "https://docs.meilisearch.com/errors#" + t.errCode}
	}
	return out, 200, nil
}

func (f *fakeMeili) createIndex(body []byte) (any, int, *apiErr) {
	var req struct {
		UID        string `json:"uid"`
		PrimaryKey string `json:"primaryKey"`
	}
	if err := strictDecode(body, &req); err != nil || req.UID == "" {
		return nil, 0, fail(400, "bad_request", "create index needs {uid, primaryKey}: %v", err)
	}
	return f.enqueue(req.UID, "indexCreation", func() string {
		if f.indexes[req.UID] != nil {
			return "index_already_exists"
		}
		f.index(req.UID).pk = req.PrimaryKey
		return ""
	}), 202, nil
}

var settingsKeys = map[string]bool{
	"rankingRules": true, "distinctAttribute": true, "searchableAttributes": true, "displayedAttributes": true,
	"filterableAttributes": true, "sortableAttributes": true, "stopWords": true, "synonyms": true,
	"typoTolerance": true, "pagination": true, "faceting": true, "dictionary": true, "separatorTokens": true,
	"nonSeparatorTokens": true, "proximityPrecision": true, "searchCutoffMs": true, "localizedAttributes": true,
	"embedders": true, "facetSearch": true, "prefixSearch": true,
}

func (f *fakeMeili) updateSettings(uid string, body []byte) (any, int, *apiErr) {
	var s map[string]json.RawMessage
	if err := json.Unmarshal(body, &s); err != nil {
		return nil, 0, fail(400, "bad_request", "settings: %v", err)
	}
	for k := range s {
		if !settingsKeys[k] {
			return nil, 0, fail(400, "bad_request", "Unknown field `%s` in settings", k)
		}
	}
	var searchable, filterable, sortable, rules, dict []string
	for key, dst := range map[string]*[]string{"searchableAttributes": &searchable, "filterableAttributes": &filterable,
		"sortableAttributes": &sortable, "rankingRules": &rules, "dictionary": &dict} {
		if raw, ok := s[key]; ok {
			if err := json.Unmarshal(raw, dst); err != nil {
				return nil, 0, fail(400, "invalid_settings_"+key, "%s must be an array of strings: %v", key, err)
			}
		}
	}
	for _, r := range rules {
		if !slices.Contains(validRankRules, r) && !strings.HasSuffix(r, ":asc") && !strings.HasSuffix(r, ":desc") {
			return nil, 0, fail(400, "invalid_settings_ranking_rules", "unknown ranking rule %q", r)
		}
	}
	if raw, ok := s["synonyms"]; ok {
		var syn map[string][]string
		if err := json.Unmarshal(raw, &syn); err != nil {
			return nil, 0, fail(400, "invalid_settings_synonyms", "synonyms: %v", err)
		}
	}
	if raw, ok := s["proximityPrecision"]; ok && string(raw) != `"byWord"` && string(raw) != `"byAttribute"` {
		return nil, 0, fail(400, "invalid_settings_proximity_precision", "proximityPrecision must be byWord or byAttribute, got %s", raw)
	}
	if raw, ok := s["pagination"]; ok {
		var pg struct {
			MaxTotalHits *int64 `json:"maxTotalHits"`
		}
		if err := strictDecode(raw, &pg); err != nil || pg.MaxTotalHits == nil || *pg.MaxTotalHits < 0 {
			return nil, 0, fail(400, "invalid_settings_pagination", "pagination needs {maxTotalHits: positive integer}: %v", err)
		}
	}
	if raw, ok := s["typoTolerance"]; ok {
		var tt struct {
			Enabled             *bool `json:"enabled"`
			MinWordSizeForTypos *struct {
				OneTypo  int `json:"oneTypo"`
				TwoTypos int `json:"twoTypos"`
			} `json:"minWordSizeForTypos"`
			DisableOnWords      []string `json:"disableOnWords"`
			DisableOnAttributes []string `json:"disableOnAttributes"`
			DisableOnNumbers    bool     `json:"disableOnNumbers"`
		}
		if err := strictDecode(raw, &tt); err != nil {
			return nil, 0, fail(400, "invalid_settings_typo_tolerance", "typoTolerance: %v", err)
		}
		if m := tt.MinWordSizeForTypos; m != nil && m.OneTypo > m.TwoTypos {
			return nil, 0, fail(400, "invalid_settings_typo_tolerance", "oneTypo must be ≤ twoTypos")
		}
	}
	return f.enqueue(uid, "settingsUpdate", func() string {
		ix := f.index(uid)
		for k, v := range s {
			ix.settings[k] = v
		}
		if searchable != nil {
			ix.searchable = searchable
		}
		if filterable != nil {
			ix.filterable = map[string]bool{}
			for _, a := range filterable {
				ix.filterable[a] = true
			}
		}
		return ""
	}), 202, nil
}

func (f *fakeMeili) addDocuments(uid, pk string, body []byte) (any, int, *apiErr) {
	var docs []map[string]any
	if err := json.Unmarshal(body, &docs); err != nil {
		return nil, 0, fail(400, "malformed_payload", "documents must be a JSON array of objects: %v", err)
	}
	return f.enqueue(uid, "documentAdditionOrUpdate", func() string {
		ix := f.index(uid)
		if pk != "" && ix.pk != pk {
			return "index_primary_key_already_exists"
		}
		for _, d := range docs {
			id, ok := d[ix.pk].(string)
			if !ok || !reDocumentID.MatchString(id) {
				return "invalid_document_id"
			}
		}
		for _, d := range docs {
			id := d[ix.pk].(string)
			if _, ok := ix.docs[id]; !ok {
				ix.order = append(ix.order, id)
			}
			ix.unindex(id)
			ix.docs[id] = d
			ix.words[id] = map[string]map[string]bool{}
			for k, v := range d {
				if str, ok := v.(string); ok && strings.HasPrefix(k, "t_") {
					set := map[string]bool{}
					for _, w := range strings.Fields(str) {
						set[w] = true
						if ix.inv[w] == nil {
							ix.inv[w] = map[string]bool{}
						}
						ix.inv[w][id] = true
					}
					ix.words[id][k] = set
				}
			}
		}
		return ""
	}), 202, nil
}

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

// maxTotalHits is the pagination setting, 1000 unless configured.
func (ix *fakeIndex) maxTotalHits() int {
	var pg struct {
		MaxTotalHits int `json:"maxTotalHits"`
	}
	if raw, ok := ix.settings["pagination"]; ok && json.Unmarshal(raw, &pg) == nil && pg.MaxTotalHits > 0 {
		return pg.MaxTotalHits
	}
	return 1000
}

// unindex drops a document's words from the inverted map.
func (ix *fakeIndex) unindex(id string) {
	for _, set := range ix.words[id] {
		for w := range set {
			delete(ix.inv[w], id)
		}
	}
	delete(ix.words, id)
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
