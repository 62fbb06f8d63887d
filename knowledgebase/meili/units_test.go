package meili

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/hallgate/hallgate/knowledgebase"
	"github.com/hallgate/hallgate/knowledgebase/analysis"
)

func TestFilterQuotingRoundTrips(t *testing.T) {
	filterable := map[string]bool{attrDepartment: true, attrSearchable: true, attrExpiresAt: true, attrInternal: true,
		attrCatPath: true, attrChannels: true, attrKind: true}
	for _, dept := range []string{`plain`, `with "quotes"`, `back\slash`, `单位 OR x = 1`, `'single'`} {
		fs := buildFilter(knowledgebase.Query{Department: dept}, 1000)
		anyFs := make([]any, len(fs))
		for i, s := range fs {
			anyFs[i] = s
		}
		fn, err := compileFilter(anyFs, filterable)
		if err != nil {
			t.Fatalf("%q: filter %q does not parse: %v", dept, fs, err)
		}
		doc := map[string]any{attrDepartment: dept, attrSearchable: true, attrExpiresAt: float64(0), attrInternal: false}
		if !fn(doc) {
			t.Errorf("%q: own department does not match through filter %q", dept, fs)
		}
		doc[attrDepartment] = dept + "x"
		if fn(doc) {
			t.Errorf("%q: other department matches through filter %q", dept, fs)
		}
	}
}

func TestEncodeTermIsPrefixFreeAndOpaque(t *testing.T) {
	a := analysis.Shared()
	var terms []string
	for _, s := range []string{"社保卡挂失补办", "公积金提取 APP 12345", "shebaoka"} {
		for _, tm := range a.IndexTerms(analysis.FieldTitle, s) {
			terms = append(terms, tm.Text)
		}
	}
	re := regexp.MustCompile(`^x[a-p]*z$`)
	for _, x := range terms {
		ex := encodeTerm(x)
		if !re.MatchString(ex) {
			t.Fatalf("encodeTerm(%q) = %q is not one lower-case word", x, ex)
		}
		for _, y := range terms {
			if x != y && strings.HasPrefix(encodeTerm(y), ex) {
				t.Fatalf("encodeTerm(%q) is a prefix of encodeTerm(%q)", x, y)
			}
		}
	}
}

func FuzzPrimaryKey(f *testing.F) {
	for _, s := range []string{"dev-1", "条目/1", "b64_x", "a b", "_-", strings.Repeat("z", 300)} {
		f.Add(s)
	}
	re := regexp.MustCompile(`^[A-Za-z0-9_-]{1,511}$`)
	f.Fuzz(func(t *testing.T, id string) {
		pk, err := toPK(id)
		if err != nil {
			if !errors.Is(err, ErrBadDocument) {
				t.Fatalf("toPK(%q): %v", id, err)
			}
			return
		}
		if !re.MatchString(pk) {
			t.Fatalf("toPK(%q) = %q is not a valid Meilisearch id", id, pk)
		}
		if back := fromPK(pk); back != id {
			t.Fatalf("fromPK(toPK(%q)) = %q", id, back)
		}
	})
}

func TestDecodeHitToleratesArraysInFormatted(t *testing.T) {
	var h meilisearchHit
	if err := json.Unmarshal([]byte(`{"id":"a","kind":"entry","_rankingScore":0.5,
		"_formatted":{"id":"a","title":"<em>上牌</em>","channels":["hotline"],"internal":false}}`), &h); err != nil {
		t.Fatal(err)
	}
	f, err := decodeHit(h)
	if err != nil {
		t.Fatalf("decodeHit: %v", err)
	}
	if f.ID != "a" || f.RankingScore == nil || *f.RankingScore != 0.5 || f.Formatted["title"] != "<em>上牌</em>" {
		t.Fatalf("decoded %+v", f)
	}
}
