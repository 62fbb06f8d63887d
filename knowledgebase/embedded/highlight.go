package embedded

import (
	"html"
	"strings"
	"unicode/utf8"

	"github.com/hallgate/hallgate/knowledgebase"
	"github.com/hallgate/hallgate/knowledgebase/analysis"
)

// fragmentRunes is the body window shown when the title has no match.
const fragmentRunes = 80

// highlight marks the query's words in the title, or else in a fragment of
// the body, with <em>…</em>; the text is HTML-escaped. Words from the query
// itself are preferred; synonym terms are used only when nothing of the
// query's own text occurs (so a mark never shows words the caller did not
// type when the caller's words are there).
func highlight(d *knowledgebase.Document, sets [2]*marker) string {
	for _, m := range sets {
		if m == nil {
			continue
		}
		if s, ok := m.mark(d.Title, 0); ok {
			return s
		}
		for _, alt := range d.Alternates {
			if s, ok := m.mark(alt, 0); ok {
				return s
			}
		}
		if s, ok := m.mark(d.Body, fragmentRunes); ok {
			return s
		}
	}
	return html.EscapeString(truncate(d.Title, fragmentRunes))
}

// markers builds the query's own and synonym markers once per search.
func markers(qt []analysis.Term) [2]*marker {
	own, syn := markTerms(qt)
	return [2]*marker{newMarker(own), newMarker(syn)}
}

// marker finds a fixed set of terms in text, indexed by their first two
// runes so a text is scanned once with one map probe per position.
type marker struct {
	byHead map[[2]rune][][]rune
}

func newMarker(terms []string) *marker {
	if len(terms) == 0 {
		return nil
	}
	m := &marker{byHead: make(map[[2]rune][][]rune, len(terms))}
	for _, t := range terms {
		rs := []rune(t)
		switch {
		case len(rs) == 1:
			k := [2]rune{rs[0], 0}
			m.byHead[k] = append(m.byHead[k], rs)
		case len(rs) >= 2:
			k := [2]rune{rs[0], rs[1]}
			m.byHead[k] = append(m.byHead[k], rs)
		}
	}
	return m
}

// markTerms returns the Han and Latin texts worth marking: multi-rune terms,
// or single runes when the query has nothing longer.
func markTerms(qt []analysis.Term) (own, syn []string) {
	var singles []string
	for _, t := range qt {
		if strings.HasPrefix(t.Text, analysis.PinyinPrefix) || strings.HasPrefix(t.Text, analysis.InitialsPrefix) {
			continue
		}
		switch {
		case t.Type == analysis.TermSynonym:
			syn = append(syn, t.Text)
		case utf8.RuneCountInString(t.Text) == 1:
			singles = append(singles, t.Text)
		default:
			own = append(own, t.Text)
		}
	}
	if len(own) == 0 {
		own = singles
	}
	return own, syn
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// mark finds the marker's terms in text (compared in normalised form, rune by rune,
// so traditional or full-width text still matches) and wraps each maximal
// marked span. window > 0 cuts a fragment around the first mark.
func (m *marker) mark(text string, window int) (string, bool) {
	orig := []rune(text)
	folded := make([]rune, len(orig))
	for i, r := range orig {
		folded[i] = analysis.Fold(r)
	}
	marked := make([]bool, len(orig))
	any := false
	byHead := m.byHead
	for i := range folded {
		var cands [][]rune
		if i+1 < len(folded) {
			cands = byHead[[2]rune{folded[i], folded[i+1]}]
		}
		cands = append(cands, byHead[[2]rune{folded[i], 0}]...)
		for _, t := range cands {
			if i+len(t) > len(folded) || !equalRunes(folded[i:i+len(t)], t) {
				continue
			}
			for k := i; k < i+len(t); k++ {
				marked[k] = true
			}
			any = true
		}
	}
	if !any {
		return "", false
	}
	lo, hi := 0, len(orig)
	if window > 0 && len(orig) > window {
		first := 0
		for first < len(marked) && !marked[first] {
			first++
		}
		lo = first - window/4
		if lo < 0 {
			lo = 0
		}
		hi = lo + window
		if hi > len(orig) {
			hi = len(orig)
			lo = max(0, hi-window)
		}
	}
	var b strings.Builder
	if lo > 0 {
		b.WriteString("…")
	}
	in := false
	for i := lo; i < hi; i++ {
		if marked[i] != in {
			if marked[i] {
				b.WriteString("<em>")
			} else {
				b.WriteString("</em>")
			}
			in = marked[i]
		}
		b.WriteString(html.EscapeString(string(orig[i])))
	}
	if in {
		b.WriteString("</em>")
	}
	if hi < len(orig) {
		b.WriteString("…")
	}
	return b.String(), true
}

func equalRunes(a, b []rune) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
