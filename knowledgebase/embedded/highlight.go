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

// marker finds a fixed set of terms in text. A query has a few dozen
// terms at most, so they are a plain list tried at the positions whose
// rune starts one of them (a 1,024-bit filter on the first rune: most
// positions of a text start none, and no map is built per search).
type marker struct {
	terms [][]rune // non-empty
	first [16]uint64
}

func (m *marker) mayStart(r rune) bool { return m.first[r>>6&15]&(1<<(r&63)) != 0 }

func newMarker(terms []string) *marker {
	if len(terms) == 0 {
		return nil
	}
	m := &marker{terms: make([][]rune, 0, len(terms))}
	for _, t := range terms {
		rs := []rune(t)
		if len(rs) == 0 {
			continue
		}
		m.first[rs[0]>>6&15] |= 1 << (rs[0] & 63)
		m.terms = append(m.terms, rs)
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
	for i, r := range folded {
		if !m.mayStart(r) {
			continue
		}
		for _, t := range m.terms {
			if t[0] != r || i+len(t) > len(folded) || !equalRunes(folded[i:i+len(t)], t) {
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
	b.Grow(len(text) + 32)
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
		writeEscaped(&b, orig[i])
	}
	if in {
		b.WriteString("</em>")
	}
	if hi < len(orig) {
		b.WriteString("…")
	}
	return b.String(), true
}

// writeEscaped writes r as html.EscapeString would (the same five
// characters, the same entities), without a string per rune.
func writeEscaped(b *strings.Builder, r rune) {
	switch r {
	case '&':
		b.WriteString("&amp;")
	case '\'':
		b.WriteString("&#39;")
	case '<':
		b.WriteString("&lt;")
	case '>':
		b.WriteString("&gt;")
	case '"':
		b.WriteString("&#34;")
	default:
		b.WriteRune(r)
	}
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
