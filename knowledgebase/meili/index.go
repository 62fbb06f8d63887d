package meili

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/meilisearch/meilisearch-go"

	"github.com/hallgate/hallgate/knowledgebase"
	"github.com/hallgate/hallgate/knowledgebase/analysis"
)

var _ knowledgebase.Index = (*Index)(nil)

// Index is a knowledgebase.Index on one Meilisearch index. It is safe for
// concurrent use.
type Index struct {
	opts   Options
	client meilisearch.ServiceManager
	index  meilisearch.IndexManager
	an     *analysis.Analyzer

	// synMu serialises SetSynonyms so the analyzer and the server's
	// synonyms setting change in the same order.
	synMu sync.Mutex

	stampMu sync.Mutex
	stamp   string // see Stamp
}

// Open validates opts, creates the index if needed (primary key id) and
// applies its settings, waiting for both tasks.
func Open(ctx context.Context, opts Options) (*Index, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	an := opts.Analyzer
	if an == nil {
		var err error
		if an, err = analysis.New(analysis.Options{}); err != nil {
			return nil, fmt.Errorf("meili: analyzer: %w", err)
		}
	}
	copts := []meilisearch.Option{
		meilisearch.WithCustomClient(&http.Client{Timeout: opts.Timeout}),
		// Writes are waited for, reads are cheap to repeat at the caller: the
		// client's own retries would only stretch the caller's deadline.
		meilisearch.DisableRetries(),
	}
	if opts.APIKey != "" {
		copts = append(copts, meilisearch.WithAPIKey(opts.APIKey))
	}
	client := meilisearch.New(strings.TrimRight(opts.URL, "/"), copts...)
	ix := &Index{opts: opts, client: client, index: client.Index(opts.IndexUID), an: an}
	if err := ix.create(ctx); err != nil {
		client.Close()
		return nil, err
	}
	if err := ix.applySettings(ctx); err != nil {
		client.Close()
		return nil, err
	}
	if err := ix.loadStamp(ctx); err != nil {
		client.Close()
		return nil, err
	}
	return ix, nil
}

func (ix *Index) create(ctx context.Context) error {
	info, err := ix.client.CreateIndex(ctx, &meilisearch.IndexConfig{Uid: ix.opts.IndexUID, PrimaryKey: attrID})
	if err != nil {
		return mapErr("create index", err)
	}
	err = ix.wait(ctx, "create index", info)
	if isCode(err, meilisearch.APIErrCodeIndexAlreadyExists) {
		return nil // reopening an existing index
	}
	return err
}

// settings is the full index configuration; Open applies it every time so
// an upgraded binary brings an existing index up to date.
func (ix *Index) settings() *meilisearch.Settings {
	searchable := append(append([]string{}, termAttributes...), rawAttributes...)
	return &meilisearch.Settings{
		SearchableAttributes: searchable,
		FilterableAttributes: []string{
			attrID, attrKind, attrDepartment, attrCatPath, attrChannels, attrRegion,
			attrInternal, attrSearchable, attrExpiresAt,
		},
		SortableAttributes: []string{attrUpdatedAt, attrExpiresAt},
		Pagination:         &meilisearch.Pagination{MaxTotalHits: ix.opts.MaxTotalHits},
		// Term queries are single words, so word-pair proximities (costly to
		// index over thousands of encoded terms per answer) buy nothing.
		ProximityPrecision: meilisearch.ByAttribute,
		RankingRules:       []string{"words", "typo", "proximity", "attribute", "sort", "exactness"},
		Synonyms:           ix.synonymMap(nil),
		Dictionary:         ix.dictionary(),
		TypoTolerance: &meilisearch.TypoTolerance{
			Enabled: true,
			// Encoded terms must match exactly: a typo in an encoded word is
			// a different character. Fuzziness comes from the analysis
			// (pinyin variants), the same as in the embedded backend.
			DisableOnAttributes: append([]string{}, termAttributes...),
			MinWordSizeForTypos: meilisearch.MinWordSizeForTypos{OneTypo: 5, TwoTypos: 9},
			DisableOnWords:      []string{},
		},
	}
}

func (ix *Index) applySettings(ctx context.Context) error {
	info, err := ix.index.UpdateSettings(ctx, ix.settings())
	if err != nil {
		return mapErr("update settings", err)
	}
	return ix.wait(ctx, "update settings", info)
}

// synonymMap turns the shipped and runtime groups into Meilisearch's
// one-way map (each term → the others). It serves the raw-text highlight
// query; the term queries get synonyms from the analyzer.
func (ix *Index) synonymMap(runtime [][]string) map[string][]string {
	m := map[string][]string{}
	add := func(groups [][]string) {
		for _, g := range groups {
			var terms []string
			for _, t := range g {
				if t = analysis.Normalize(t); t != "" {
					terms = append(terms, t)
				}
			}
			for _, t := range terms {
				for _, o := range terms {
					if o != t && !contains(m[t], o) {
						m[t] = append(m[t], o)
					}
				}
			}
		}
	}
	add(analysis.DefaultSynonyms())
	add(runtime)
	return m
}

// dictionary gives Meilisearch's segmenter the multi-character terms of the
// shipped synonym set (government-service words) plus Options.Dictionary.
func (ix *Index) dictionary() []string {
	seen := map[string]bool{}
	var out []string
	add := func(w string) {
		w = analysis.Normalize(w)
		if len([]rune(w)) >= 2 && !strings.ContainsRune(w, ' ') && !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	for _, g := range analysis.DefaultSynonyms() {
		for _, w := range g {
			add(w)
		}
	}
	for _, w := range ix.opts.Dictionary {
		add(w)
	}
	sort.Strings(out)
	return out
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// wait blocks until the task has finished, bounded by ctx and
// Options.Timeout; a failed or canceled task is an ErrTaskFailed error.
func (ix *Index) wait(ctx context.Context, op string, info *meilisearch.TaskInfo) error {
	if info == nil {
		return fmt.Errorf("meili %s: %w: no task in the answer", op, ErrTaskFailed)
	}
	wctx, cancel := context.WithTimeout(ctx, ix.opts.Timeout)
	defer cancel()
	task, err := ix.client.WaitForTask(wctx, info.TaskUID, ix.opts.PollInterval)
	if err != nil {
		if ctx.Err() == nil && errors.Is(wctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("meili %s: task %d: %w after %v", op, info.TaskUID, ErrTaskTimeout, ix.opts.Timeout)
		}
		return mapErr(fmt.Sprintf("%s: task %d", op, info.TaskUID), err)
	}
	switch task.Status {
	case meilisearch.TaskStatusSucceeded:
		return nil
	case meilisearch.TaskStatusFailed, meilisearch.TaskStatusCanceled:
		return &taskError{op: op, uid: info.TaskUID, status: string(task.Status),
			code: string(task.Error.Code), message: task.Error.Message}
	default:
		return fmt.Errorf("meili %s: task %d: %w: unexpected status %q", op, info.TaskUID, ErrTaskFailed, task.Status)
	}
}

// mapErr classifies a client error: the caller's cancellation stays a
// context error, 4xx answers are ErrRejected, everything else (network,
// 5xx, undecodable answers) ErrUnavailable.
func mapErr(op string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("meili %s: %w", op, err)
	}
	var me *meilisearch.Error
	if errors.As(err, &me) && me.StatusCode >= 400 && me.StatusCode < 500 {
		return fmt.Errorf("meili %s: %w: %d %s: %s", op, ErrRejected, me.StatusCode, me.APIError.Code, me.APIError.Message)
	}
	return fmt.Errorf("meili %s: %w: %v", op, ErrUnavailable, err)
}

// Upsert adds or replaces documents in batches and waits for every batch.
func (ix *Index) Upsert(ctx context.Context, docs ...knowledgebase.Document) error {
	if len(docs) == 0 {
		return nil
	}
	stored, err := ix.project(docs)
	if err != nil {
		return fmt.Errorf("meili upsert: %w", err)
	}
	pk := attrID
	var tasks []*meilisearch.TaskInfo
	for start := 0; start < len(stored); start += ix.opts.BatchSize {
		batch := stored[start:min(start+ix.opts.BatchSize, len(stored))]
		// A fresh handle per call: the client's index handle records the
		// primary key on every add, which races under concurrent Upserts.
		info, err := ix.client.Index(ix.opts.IndexUID).AddDocuments(ctx, &batch, &meilisearch.DocumentOptions{PrimaryKey: &pk})
		if err != nil {
			return mapErr("add documents", err)
		}
		tasks = append(tasks, info)
	}
	// Enqueue everything first so Meilisearch can batch the tasks, then wait
	// for each: tasks of one index run in order.
	for _, info := range tasks {
		if err := ix.wait(ctx, "add documents", info); err != nil {
			return err
		}
	}
	return nil
}

// project analyses documents into their stored shape, on every core for
// large batches: analysis costs ~0.3 ms per FAQ entry, which would
// otherwise bound a reindex to a few thousand documents a second.
func (ix *Index) project(docs []knowledgebase.Document) ([]meiliDoc, error) {
	out := make([]meiliDoc, len(docs))
	errs := make([]error, len(docs))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(docs)/32))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(docs); i += workers {
				out[i], errs[i] = toMeili(ix.an, docs[i])
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// Delete removes documents by id; unknown ids are not an error.
func (ix *Index) Delete(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	pks := make([]string, 0, len(ids))
	for _, id := range ids {
		pk, err := toPK(id)
		if err != nil {
			return fmt.Errorf("meili delete: %w", err)
		}
		pks = append(pks, pk)
	}
	info, err := ix.index.DeleteDocuments(ctx, pks, nil)
	if err != nil {
		return mapErr("delete documents", err)
	}
	return ix.wait(ctx, "delete documents", info)
}

// Count returns the number of stored documents, hidden ones included.
func (ix *Index) Count(ctx context.Context) (int, error) {
	st, err := ix.index.GetStats(ctx, nil)
	if err != nil {
		return 0, mapErr("stats", err)
	}
	return int(st.NumberOfDocuments), nil
}

// Reset deletes every document and keeps the index and its settings.
func (ix *Index) Reset(ctx context.Context) error {
	if err := ix.forgetBuild(ctx); err != nil {
		return err
	}
	info, err := ix.index.DeleteAllDocuments(ctx, nil)
	if err != nil {
		return mapErr("delete all documents", err)
	}
	return ix.wait(ctx, "delete all documents", info)
}

// SetSynonyms replaces the runtime synonym groups: first on the server
// (the raw-text synonyms), then in the analyzer that expands term queries.
// If the server refuses, nothing changes.
func (ix *Index) SetSynonyms(ctx context.Context, groups [][]string) error {
	ix.synMu.Lock()
	defer ix.synMu.Unlock()
	m := ix.synonymMap(groups)
	info, err := ix.index.UpdateSynonyms(ctx, &m)
	if err != nil {
		return mapErr("update synonyms", err)
	}
	if err := ix.wait(ctx, "update synonyms", info); err != nil {
		return err
	}
	ix.an.SetSynonyms(groups)
	return nil
}

// Ping checks that the server answers and reports itself available (for
// readiness probes; the same method name as store.Store's).
func (ix *Index) Ping(ctx context.Context) error {
	h, err := ix.client.Health(ctx)
	if err != nil {
		return mapErr("health", err)
	}
	if h.Status != "available" {
		return fmt.Errorf("meili health: %w: status %q", ErrUnavailable, h.Status)
	}
	return nil
}

// Close releases the client's idle connections. The server-side index
// stays: it is the deployment's search index.
func (ix *Index) Close() error {
	ix.client.Close()
	return nil
}

// Drop deletes the whole index on the server (tests, and operators moving
// to a new index uid); the Index must not be used afterwards.
func (ix *Index) Drop(ctx context.Context) error {
	for _, uid := range []string{ix.opts.IndexUID, ix.metaUID()} {
		info, err := ix.client.DeleteIndex(ctx, uid)
		if err != nil {
			return mapErr("delete index", err)
		}
		if err := ix.wait(ctx, "delete index", info); err != nil && !isCode(err, meilisearch.APIErrCodeIndexNotFound) {
			return err
		}
	}
	ix.setStamp("")
	return nil
}

// now is replaced in tests.
var now = time.Now
