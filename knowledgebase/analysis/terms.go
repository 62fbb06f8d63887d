package analysis

import (
	"strings"
)

// run is a maximal stretch of Han characters or of Latin letters/digits in
// normalized text.
type run struct {
	text []rune
	han  bool
}

// runs splits normalized text at spaces and script changes.
func runs(norm string) []run {
	var out []run
	var cur []rune
	curHan := false
	flush := func() {
		if len(cur) > 0 {
			if !curHan {
				// Trim joiners kept by foldRune from token edges.
				s := strings.Trim(string(cur), ".-+#@_")
				cur = []rune(s)
			}
			if len(cur) > 0 {
				out = append(out, run{text: cur, han: curHan})
			}
		}
		cur = nil
	}
	for _, r := range norm {
		if r == ' ' {
			flush()
			continue
		}
		h := isHan(r)
		if len(cur) > 0 && h != curHan {
			flush()
		}
		curHan = h
		cur = append(cur, r)
	}
	flush()
	return out
}

// Segment normalizes s and splits it into words: forward maximum matching
// over the dictionary (and synonym terms) for Han text, unknown characters
// as single-rune words, Latin/digit runs as one token each. Cheap and safe
// for concurrent use.
func (a *Analyzer) Segment(s string) []string {
	var out []string
	syn := a.syn.Load()
	for _, r := range runs(Normalize(s)) {
		if !r.han {
			out = append(out, string(r.text))
			continue
		}
		t := r.text
		for i := 0; i < len(t); {
			n := a.longestWord(t[i:], syn)
			if n == 0 {
				n = 1
			}
			out = append(out, string(t[i:i+n]))
			i += n
		}
	}
	return out
}

// longestWord returns the rune length of the longest dictionary or synonym
// word at the start of t (≥ 2), or 0.
func (a *Analyzer) longestWord(t []rune, syn *synonymSet) int {
	max := a.maxWord
	if syn.maxRune > max {
		max = syn.maxRune
	}
	if max > len(t) {
		max = len(t)
	}
	for n := max; n >= 2; n-- {
		w := string(t[:n])
		if _, ok := a.dict[w]; ok {
			return n
		}
		if _, ok := syn.byTerm[w]; ok {
			return n
		}
	}
	return 0
}

func (a *Analyzer) isWord(w string, syn *synonymSet) bool {
	if _, ok := a.dict[w]; ok {
		return true
	}
	_, ok := syn.byTerm[w]
	return ok
}

func shortField(field string) bool { return field != FieldBody }

func initialsOf(t []rune) (string, bool) {
	var b strings.Builder
	for _, r := range t {
		p := runePinyin(r)
		if p == "" {
			return "", false
		}
		b.WriteByte(p[0])
	}
	return b.String(), true
}

func pinyinOf(t []rune) (string, bool) {
	var b strings.Builder
	for _, r := range t {
		p := runePinyin(r)
		if p == "" {
			return "", false
		}
		b.WriteString(p)
	}
	return b.String(), true
}

// IndexTerms returns the terms of one field of a document, one per
// occurrence: Han unigrams and bigrams, dictionary words of three or more
// runes found anywhere (not only on the segmentation path, so infixes
// match), Latin/digit tokens, and for short fields pinyin of every bigram,
// pinyin and initials of dictionary words and initials of every trigram.
func (a *Analyzer) IndexTerms(field, text string) []Term {
	syn := a.syn.Load()
	short := shortField(field)
	var out []Term
	for _, r := range runs(Normalize(text)) {
		t := r.text
		if !r.han {
			out = append(out, Term{Text: string(t), Type: TermWord, Weight: 1})
			continue
		}
		for i := range t {
			out = append(out, Term{Text: string(t[i : i+1]), Type: TermNgram, Weight: 1})
			if i+1 < len(t) {
				out = append(out, Term{Text: string(t[i : i+2]), Type: TermNgram, Weight: 1})
				if short {
					if p, ok := pinyinOf(t[i : i+2]); ok {
						out = append(out, Term{Text: PinyinPrefix + p, Type: TermPinyin, Weight: 1})
					}
				}
			}
			if short && i+2 < len(t) {
				if p, ok := initialsOf(t[i : i+3]); ok {
					out = append(out, Term{Text: InitialsPrefix + p, Type: TermInitials, Weight: 1})
				}
			}
			for n := 3; n <= a.maxWord && i+n <= len(t); n++ {
				w := string(t[i : i+n])
				if !a.isWord(w, syn) {
					continue
				}
				out = append(out, Term{Text: w, Type: TermWord, Weight: 1})
				if short {
					if p, ok := pinyinOf(t[i : i+n]); ok {
						out = append(out, Term{Text: PinyinPrefix + p, Type: TermPinyin, Weight: 1})
					}
				}
			}
			if short && i+1 < len(t) {
				for n := 2; n <= 4 && i+n <= len(t); n++ {
					if n == 3 || !a.isWord(string(t[i:i+n]), syn) {
						continue // trigram initials are added above
					}
					if p, ok := initialsOf(t[i : i+n]); ok {
						out = append(out, Term{Text: InitialsPrefix + p, Type: TermInitials, Weight: 1})
					}
				}
			}
		}
	}
	return out
}

// Query term weights: bigrams carry most of the meaning of Chinese text;
// unigrams only help short or odd queries; pinyin variants rescue homophone
// typos without outranking the exact spelling; synonyms of Han text are
// weaker than the text itself, while a Latin gloss (passport) has nothing
// else to match and gets full weight.
const (
	wUnigram    = 0.25
	wBigram     = 1.0
	wWord       = 0.8
	wVariant    = 0.45
	wLatin      = 1.0
	wPinyin     = 1.0
	wInitials   = 0.9
	wSynonymHan = 0.55
	wSynonymLat = 1.0
)

// QueryTerms analyses a search query: the index terms of the text (with
// query weights), the pinyin of each bigram (typo variants), Latin runs read
// as pinyin or initials, and the terms of every synonym of a word found in
// the query. Each text appears once, with its highest weight.
func (a *Analyzer) QueryTerms(text string) []Term {
	syn := a.syn.Load()
	q := &queryTerms{idx: make(map[string]int)}
	rs := runs(Normalize(text))
	for _, r := range rs {
		t := r.text
		if !r.han {
			tok := string(t)
			q.add(tok, TermWord, wLatin)
			if sy := splitSyllables(tok); len(sy) >= 2 {
				q.add(PinyinPrefix+strings.Join(sy, ""), TermPinyin, wPinyin)
				for i := 0; i+1 < len(sy); i++ {
					q.add(PinyinPrefix+sy[i]+sy[i+1], TermPinyin, wPinyin)
				}
			} else if len(sy) == 0 && len(tok) >= 2 && len(tok) <= 5 && isLetters(tok) {
				q.add(InitialsPrefix+tok, TermInitials, wInitials)
			}
			a.addSynonyms(q, syn, tok, wSynonymLat)
			continue
		}
		for i := range t {
			q.add(string(t[i:i+1]), TermNgram, wUnigram)
			if i+1 < len(t) {
				q.add(string(t[i:i+2]), TermNgram, wBigram)
				if p, ok := pinyinOf(t[i : i+2]); ok {
					q.add(PinyinPrefix+p, TermVariant, wVariant)
				}
			}
			for n := 3; n <= a.maxWord && i+n <= len(t); n++ {
				if w := string(t[i : i+n]); a.isWord(w, syn) {
					q.add(w, TermWord, wWord)
				}
			}
			for n := 1; n <= syn.maxRune && i+n <= len(t); n++ {
				a.addSynonyms(q, syn, string(t[i:i+n]), wSynonymHan)
			}
		}
	}
	return q.terms
}

type queryTerms struct {
	terms []Term
	idx   map[string]int
}

func (q *queryTerms) add(text string, typ TermType, w float32) {
	if i, ok := q.idx[text]; ok {
		if w > q.terms[i].Weight {
			q.terms[i].Weight = w
			q.terms[i].Type = typ
		}
		return
	}
	q.idx[text] = len(q.terms)
	q.terms = append(q.terms, Term{Text: text, Type: typ, Weight: w})
}

// addSynonyms adds the terms of every synonym of w. A multi-rune Han
// synonym contributes its bigrams (and itself if it is a dictionary word),
// a single rune itself, a Latin synonym its token.
func (a *Analyzer) addSynonyms(q *queryTerms, syn *synonymSet, w string, weight float32) {
	gs := syn.byTerm[w]
	if len(gs) == 0 {
		return
	}
	for _, gi := range gs {
		for _, m := range syn.groups[gi] {
			if m == w {
				continue
			}
			for _, r := range runs(m) {
				t := r.text
				if !r.han || len(t) == 1 {
					q.add(string(t), TermSynonym, weight)
					continue
				}
				for i := 0; i+1 < len(t); i++ {
					q.add(string(t[i:i+2]), TermSynonym, weight)
				}
				if len(t) >= 3 {
					q.add(string(t), TermSynonym, weight)
				}
			}
		}
	}
}

func isLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return true
}
