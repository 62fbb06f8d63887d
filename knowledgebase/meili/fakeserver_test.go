package meili

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
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
