package kbapi_test

import (
	"context"
	"encoding/json"
	"hash/fnv"
	"net"
	"os"
	"sync"
	"testing"

	"github.com/hallgate/hallgate/knowledgebase"
)

// BenchmarkHTTPSearchGatewayShare measures what the gateway spends on a
// search besides the index: the scale benchmark's route, service and raw
// clients, but over cannedIndex, which answers every query with ten of
// HALLGATE_BENCH_DOCS (default 100,000) generated documents at once. The
// server's CPU per search is then the gateway's own share (HTTP, handler,
// validation, hydration, analytics, JSON; the kernel's loopback included),
// small enough next to the index's that a shared machine's noise hides it
// in BenchmarkScaleHTTPSearchDistinctRaw. No import: setup takes seconds.
//
//	go test -run '^$' -bench HTTPSearchGatewayShare -benchtime 20000x -count 5 ./gateway/httpapi/kbapi
func BenchmarkHTTPSearchGatewayShare(b *testing.B) {
	shareOnce.Do(func() {
		dir, err := os.MkdirTemp("", "hallgate-kbapi-share-")
		if err != nil {
			b.Fatal(err)
		}
		x := &cannedIndex{}
		app, _, _ := testApp(keepTB{b, dir}, x) // outlives the b.N=1 round
		x.load(sbCorpus(scaleHTTPDocs()))
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		go func() { _ = app.Listener(ln) }()
		shareBase = "http://" + ln.Addr().String()
	})
	if shareBase == "" {
		b.Fatal("setup failed")
	}
	rawLoadOnly(b, shareBase, sbQueries(40000))
}

var (
	shareOnce sync.Once
	shareBase string
)

// cannedIndex answers a query with ten documents chosen by the query's hash
// (spread over the whole set, as real hits are) and hands out its copies of
// the documents as the embedded index does (knowledgebase.DocumentSource);
// it costs a few microseconds per search. It is empty until load, so the service's
// Open finds it in step with the empty store.
type cannedIndex struct {
	mu   sync.RWMutex
	docs []knowledgebase.Document
	byID map[string]int
}

func (x *cannedIndex) load(lines []string) {
	docs := make([]knowledgebase.Document, 0, len(lines))
	byID := make(map[string]int, len(lines))
	for _, l := range lines {
		var e struct {
			ID, Question, Answer, Department, Category, Channel string
			Keywords                                            []string
		}
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			panic(err)
		}
		byID[e.ID] = len(docs)
		docs = append(docs, knowledgebase.Document{ID: e.ID, Kind: knowledgebase.KindEntry, Title: e.Question,
			Body: e.Answer, Department: e.Department, Category: e.Category, Channels: []string{e.Channel},
			Keywords: e.Keywords, Searchable: true})
	}
	x.mu.Lock()
	x.docs, x.byID = docs, byID
	x.mu.Unlock()
}

func (x *cannedIndex) Search(_ context.Context, q knowledgebase.Query) (knowledgebase.Result, error) {
	h := fnv.New64a()
	h.Write([]byte(q.Text))
	seed := h.Sum64()
	x.mu.RLock()
	defer x.mu.RUnlock()
	res := knowledgebase.Result{Hits: []knowledgebase.Hit{}}
	if len(x.docs) == 0 {
		return res, nil
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 10
	}
	res.Total = 1000 + int(seed%5000)
	for i := range limit {
		d := &x.docs[(seed+uint64(i)*2654435761)%uint64(len(x.docs))]
		res.Hits = append(res.Hits, knowledgebase.Hit{ID: d.ID, Kind: d.Kind, Score: float64(float32(20 - i)),
			Highlight: d.Title})
	}
	return res, nil
}

func (x *cannedIndex) Document(id string) (knowledgebase.Document, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	i, ok := x.byID[id]
	if !ok {
		return knowledgebase.Document{}, false
	}
	return x.docs[i], true
}

func (x *cannedIndex) Count(context.Context) (int, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.docs), nil
}

func (x *cannedIndex) Upsert(context.Context, ...knowledgebase.Document) error { return nil }
func (x *cannedIndex) Delete(context.Context, ...string) error                 { return nil }
func (x *cannedIndex) Reset(context.Context) error                             { return nil }
func (x *cannedIndex) SetSynonyms(context.Context, [][]string) error           { return nil }
func (x *cannedIndex) Close() error                                            { return nil }
