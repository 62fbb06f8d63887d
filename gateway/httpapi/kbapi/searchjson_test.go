package kbapi

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/hallgate/hallgate/knowledgebase"
)

// tricky holds pieces that encoding/json escapes or replaces.
var tricky = []string{
	"社保卡", "补办", "？", "（第1条）", "a", "Z", " ", "\"", "\\", "/", "<", ">", "&", "\u007f",
	"\x00", "\x01", "\x1f", "\b", "\f", "\n", "\r", "\t", "\u2028", "\u2029", "\u2027", "\u202a",
	"\xe2\x80", "\xe2", "\xff", "\x80", "\xc0\xaf", "\xed\xa0\x80", "😀", "\U0010ffff", "é", "\ufffd",
	"\xe4\xb8", "\xe4", "\xe4\xb8\xe4", "\ud7ff", "\uffff", "\u1000", "\u0800", "\xe0\x9f\xbf", "\xef\xbf", "\xf4\x90\x80\x80",
}

func randText(r *rand.Rand) string {
	var b strings.Builder
	for range r.IntN(12) {
		b.WriteString(tricky[r.IntN(len(tricky))])
	}
	return b.String()
}

func randFloat(r *rand.Rand) float64 {
	switch r.IntN(8) {
	case 0:
		return 0
	case 1:
		return math.Copysign(0, -1)
	case 2:
		return float64(float32(r.Float64() * 40)) // scores come from float32
	case 3:
		return r.Float64() * 1e-6
	case 4:
		return (r.Float64() + 1) * 1e21
	case 5:
		return -r.Float64() * math.Pow(10, float64(r.IntN(60)-30))
	case 6:
		return math.SmallestNonzeroFloat64 * float64(r.IntN(100))
	}
	return float64(r.IntN(5000)) / 1000
}

func checkSame(t *testing.T, res knowledgebase.SearchResult) {
	t.Helper()
	want, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := appendSearchResult([]byte("prefix"), res)
	if !ok {
		t.Fatalf("appendSearchResult refused %+v", res)
	}
	if !bytes.Equal(got[len("prefix"):], want) {
		t.Fatalf("differs from json.Marshal:\n got %q\nwant %q", got[len("prefix"):], want)
	}
}

func TestAppendSearchResultMatchesMarshal(t *testing.T) {
	checkSame(t, knowledgebase.SearchResult{})
	checkSame(t, knowledgebase.SearchResult{Hits: []knowledgebase.SearchHit{}})
	r := rand.New(rand.NewPCG(7, 11))
	for range 3000 {
		res := knowledgebase.SearchResult{Total: r.IntN(200000) - 10, TookMS: randFloat(r), SearchID: randText(r)}
		if r.IntN(10) > 0 {
			res.Hits = []knowledgebase.SearchHit{}
		}
		for range r.IntN(4) {
			if res.Hits == nil {
				break
			}
			res.Hits = append(res.Hits, knowledgebase.SearchHit{ID: randText(r), Kind: randText(r),
				Question: randText(r), Answer: randText(r), Department: randText(r), Score: randFloat(r),
				Highlight: randText(r)})
		}
		checkSame(t, res)
	}
}

func TestAppendSearchResultRefusesWhatMarshalRefuses(t *testing.T) {
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		res := knowledgebase.SearchResult{Hits: []knowledgebase.SearchHit{{Score: f}}}
		if _, err := json.Marshal(res); err == nil {
			t.Fatalf("json.Marshal accepted score %v", f)
		}
		if _, ok := appendSearchResult(nil, res); ok {
			t.Errorf("score %v: appendSearchResult accepted what json.Marshal refuses", f)
		}
		if _, ok := appendSearchResult(nil, knowledgebase.SearchResult{TookMS: f}); ok {
			t.Errorf("took_ms %v: appendSearchResult accepted what json.Marshal refuses", f)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range tricky {
		f.Add(s + "社保" + s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("%q: got %q, json.Marshal %q", s, got, want)
		}
	})
}

func BenchmarkSearchResultJSON(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	res := knowledgebase.SearchResult{Total: 4321, TookMS: 1.234, SearchID: "0123456789abcdef01234567"}
	for i := range 10 {
		res.Hits = append(res.Hits, knowledgebase.SearchHit{ID: "sb-00012" + string(rune('0'+i)), Kind: "entry",
			Question: "南湖区社保卡补办需要哪些材料？（第12条）", Department: "sb-a", Score: float64(float32(r.Float64() * 30)),
			Answer:    strings.Repeat("申请人可携带身份证原件和相关材料到南湖区政务服务中心窗口办理。材料齐全的当场受理，不收取费用。", 3),
			Highlight: "南湖区<em>社保卡</em><em>补办</em>需要哪些材料？"})
	}
	b.Run("encoding-json", func(b *testing.B) {
		for b.Loop() {
			if _, err := json.Marshal(res); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("append", func(b *testing.B) {
		buf := make([]byte, 0, 16<<10)
		for b.Loop() {
			buf, _ = appendSearchResult(buf[:0], res)
		}
	})
}
