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
func highlight(d *knowledgebase.Document, qt []analysis.Term) string {
	own, syn := markTerms(qt)
	for _, set := range [][]string{own, syn} {
		if len(set) == 0 {
			continue
		}
		if s, ok := mark(d.Title, set, 0); ok {
			return s
		}
		for _, alt := range d.Alternates {
			if s, ok := mark(alt, set, 0); ok {
				return s
			}
		}
		if s, ok := mark(d.Body, set, fragmentRunes); ok {
			return s
		}
	}
	return html.EscapeString(truncate(d.Title, fragmentRunes))
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

// mark finds the terms in text (compared in normalised form, rune by rune,
// so traditional or full-width text still matches) and wraps each maximal
// marked span. window > 0 cuts a fragment around the first mark.
func mark(text string, terms []string, window int) (string, bool) {
	orig := []rune(text)
	folded := make([]rune, len(orig))
	for i, r := range orig {
		folded[i] = analysis.Fold(r)
	}
	marked := make([]bool, len(orig))
	any := false
	fs := string(folded)
	// Map byte offsets of fs back to rune indexes.
	byteToRune := make(map[int]int, len(folded))
	for ri, bi := 0, 0; ri < len(folded); ri++ {
		byteToRune[bi] = ri
		bi += utf8.RuneLen(folded[ri])
	}
	for _, t := range terms {
		tl := utf8.RuneCountInString(t)
		for from := 0; ; {
			i := strings.Index(fs[from:], t)
			if i < 0 {
				break
			}
			start := byteToRune[from+i]
			for k := start; k < start+tl && k < len(marked); k++ {
				marked[k] = true
			}
			any = true
			from += i + len(t)
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
