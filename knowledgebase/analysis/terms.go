package analysis

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// run is a maximal stretch of Han characters or of Latin letters/digits in
// normalized text. Substrings are taken by byte offset so that n-grams and
// dictionary probes do not allocate.
type run struct {
	s   string
	off []int // byte offset of each rune, plus len(s)
	han bool
}

func (r run) n() int              { return len(r.off) - 1 }
func (r run) sub(i, j int) string { return r.s[r.off[i]:r.off[j]] }
func (r run) at(i int) rune       { c, _ := utf8.DecodeRuneInString(r.s[r.off[i]:]); return c }

// runs splits normalized text at spaces and script changes.
func runs(norm string) []run {
	var out []run
	// One offsets buffer for all runs (a rune takes at least one byte, and
	// each run adds its end): a grown buffer leaves finished runs on the
	// old one.
	offs := make([]int, 0, len(norm)+8)
	start, curHan := -1, false
	flush := func(end int) {
		if start < 0 {
			return
		}
		s := norm[start:end]
		if !curHan {
			// Trim joiners kept by foldRune from token edges.
			s = strings.Trim(s, ".-+#@_")
		}
		if s != "" {
			from := len(offs)
			for i := range s {
				offs = append(offs, i)
			}
			offs = append(offs, len(s))
			out = append(out, run{s: s, han: curHan, off: offs[from:len(offs):len(offs)]})
		}
		start = -1
	}
	for i, c := range norm {
		if c == ' ' {
			flush(i)
			continue
		}
		h := isHan(c)
		if start >= 0 && h != curHan {
			flush(i)
		}
		if start < 0 {
			start, curHan = i, h
		}
	}
	flush(len(norm))
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
			out = append(out, r.s)
			continue
		}
		for i := 0; i < r.n(); {
			n := a.longestWord(r, i, syn)
			if n == 0 {
				n = 1
			}
			out = append(out, r.sub(i, i+n))
			i += n
		}
	}
	return out
}

// maxLen is the longest dictionary or synonym word in runes.
func (a *Analyzer) maxLen(syn *synonymSet) int {
	if syn.maxRune > a.maxWord {
		return syn.maxRune
	}
	return a.maxWord
}

// longestWord returns the rune length of the longest dictionary or synonym
// word starting at rune i of r (≥ 2), or 0.
func (a *Analyzer) longestWord(r run, i int, syn *synonymSet) int {
	max := a.maxLen(syn)
	if i+max > r.n() {
		max = r.n() - i
	}
	for n := max; n >= 2; n-- {
		if a.isWord(r.sub(i, i+n), syn) {
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

// hasPrefix reports whether some dictionary word of ≥ 3 runes starts with
// the two runes at i: most positions of a body start none, which saves the
// longer probes.
func (a *Analyzer) hasPrefix(r run, i int) bool {
	if i+2 > r.n() {
		return false
	}
	_, ok := a.prefix2[r.sub(i, i+2)]
	return ok
}

// inDict reports whether w is in the fixed dictionary (shipped words, extra
// words and default synonym terms). Index terms depend only on it, never on
// runtime synonyms, so SetSynonyms needs no reindex.
func (a *Analyzer) inDict(w string) bool {
	_, ok := a.dict[w]
	return ok
}

func shortField(field string) bool { return field != FieldBody }

// maxVariants caps the reading combinations of one n-gram.
const maxVariants = 4

// scratchCombos are the reusable spelling buffers of one IndexTerms or
// QueryTerms call. The spellings themselves are written into one growing
// arena (a strings.Builder never modifies bytes it has handed out, and a
// grown buffer leaves earlier strings in the old one), so a call allocates
// a few buffers instead of one string per n-gram: at 100k imported entries
// those strings were most of the analysis garbage.
type scratchCombos struct {
	buf   []string
	arena strings.Builder
	// cur/next hold the combinations of the polyphonic path as one byte
	// buffer each with end offsets.
	cur, next       []byte
	curEnd, nextEnd []int
}

// intern returns b as a string that lives in the arena.
func (s *scratchCombos) intern(b []byte) string {
	start := s.arena.Len()
	s.arena.Write(b)
	return s.arena.String()[start:]
}

func (s *scratchCombos) pinyin(r run, i, j int) ([]string, bool) {
	var ok bool
	s.buf, ok = s.appendCombos(s.buf[:0], r, i, j, false)
	return s.buf, ok
}

func (s *scratchCombos) initials(r run, i, j int) ([]string, bool) {
	var ok bool
	s.buf, ok = s.appendCombos(s.buf[:0], r, i, j, true)
	return s.buf, ok
}

// appendCombos appends to dst the pinyin spellings of runes i..j of r, one
// per combination of the characters' readings (most common first, at most
// maxVariants), each either whole syllables or their first letters
// (initials), with prefix. ok is false if a rune has no pinyin.
func (s *scratchCombos) appendCombos(dst []string, r run, i, j int, initials bool) ([]string, bool) {
	prefix := PinyinPrefix
	if initials {
		prefix = InitialsPrefix
	}
	// Fast path, most n-grams: no polyphonic character, one spelling built
	// in one buffer.
	t := pinyinTab()
	buf := append(s.cur[:0], prefix...)
	poly := false
	for k := i; k < j; k++ {
		c := r.at(k)
		if c < 0x4E00 || c > 0x9FFF || t.byRune[c-0x4E00] == "" {
			s.cur = buf
			return dst, false
		}
		if t.alts[c-0x4E00] != nil {
			poly = true
			break
		}
		p := t.byRune[c-0x4E00]
		if initials {
			buf = append(buf, p[0])
		} else {
			buf = append(buf, p...)
		}
	}
	if !poly {
		s.cur = buf
		return append(dst, s.intern(buf)), true
	}
	// Every combination of readings, breadth first, at most maxVariants
	// candidates per step (counted before dropping a candidate equal to
	// the one before it, as slices.Compact after the cap would).
	cur, curEnd := append(buf[:0], prefix...), append(s.curEnd[:0], len(prefix))
	next, nextEnd := s.next[:0], s.nextEnd[:0]
	for k := i; k < j; k++ {
		rs := runeReadings(r.at(k))
		if len(rs) == 0 {
			s.cur, s.curEnd, s.next, s.nextEnd = cur, curEnd, next, nextEnd
			return dst, false
		}
		next, nextEnd = next[:0], nextEnd[:0]
		cands := 0
		for c, start := range comboStarts(curEnd) {
			o := cur[start:curEnd[c]]
			for _, p := range rs {
				if cands == maxVariants {
					break
				}
				cands++
				from := len(next)
				next = append(next, o...)
				if initials {
					next = append(next, p[0])
				} else {
					next = append(next, p...)
				}
				if n := len(nextEnd); n > 0 {
					prevStart := 0
					if n > 1 {
						prevStart = nextEnd[n-2]
					}
					if string(next[prevStart:from]) == string(next[from:]) {
						next = next[:from]
						continue
					}
				}
				nextEnd = append(nextEnd, len(next))
			}
		}
		cur, next = next, cur
		curEnd, nextEnd = nextEnd, curEnd
	}
	for c, start := range comboStarts(curEnd) {
		dst = append(dst, s.intern(cur[start:curEnd[c]]))
	}
	s.cur, s.curEnd, s.next, s.nextEnd = cur, curEnd, next, nextEnd
	return dst, true
}

// comboStarts yields, for each combination c of a flat buffer with end
// offsets ends, c and its start offset.
func comboStarts(ends []int) func(yield func(int, int) bool) {
	return func(yield func(int, int) bool) {
		start := 0
		for c, e := range ends {
			if !yield(c, start) {
				return
			}
			start = e
		}
	}
}

// IndexTerms returns the terms of one field of a document, one per
// occurrence: Han unigrams and bigrams, dictionary words of three or more
// runes found anywhere (not only on the segmentation path, so infixes
// match), Latin/digit tokens, and for short fields pinyin of every bigram,
// pinyin and initials of dictionary words and initials of every trigram.
// Term texts may share memory with an internal copy of text: clone them
// before keeping them for long.
func (a *Analyzer) IndexTerms(field, text string) []Term {
	return a.AppendIndexTerms(nil, field, text)
}

// AppendIndexTerms is IndexTerms appending to dst, so that a caller
// analysing many fields or documents can reuse one buffer.
func (a *Analyzer) AppendIndexTerms(dst []Term, field, text string) []Term {
	short := shortField(field)
	maxW := a.maxWord
	norm := Normalize(text)
	per := 2 // unigram + bigram per rune; short fields add pinyin and initials
	if short {
		per = 4
	}
	nr := utf8.RuneCountInString(norm)
	out := slices.Grow(dst, nr*per+4)
	var sc scratchCombos
	if short {
		sc.arena.Grow(nr * 16)
	}
	for _, r := range runs(norm) {
		if !r.han {
			out = append(out, Term{Text: r.s, Type: TermWord, Weight: 1})
			continue
		}
		n := r.n()
		for i := 0; i < n; i++ {
			out = append(out, Term{Text: r.sub(i, i+1), Type: TermNgram, Weight: 1})
			if i+1 < n {
				out = append(out, Term{Text: r.sub(i, i+2), Type: TermNgram, Weight: 1})
				if short {
					if ps, ok := sc.pinyin(r, i, i+2); ok {
						for _, p := range ps {
							out = append(out, Term{Text: p, Type: TermPinyin, Weight: 1})
						}
					}
					if a.inDict(r.sub(i, i+2)) {
						if ps, ok := sc.initials(r, i, i+2); ok {
							for _, p := range ps {
								out = append(out, Term{Text: p, Type: TermInitials, Weight: 1})
							}
						}
					}
				}
			}
			if short && i+2 < n {
				if ps, ok := sc.initials(r, i, i+3); ok {
					for _, p := range ps {
						out = append(out, Term{Text: p, Type: TermInitials, Weight: 1})
					}
				}
			}
			for l := 3; l <= maxW && i+l <= n && a.hasPrefix(r, i); l++ {
				w := r.sub(i, i+l)
				if !a.inDict(w) {
					continue
				}
				out = append(out, Term{Text: w, Type: TermWord, Weight: 1})
				if short {
					if ps, ok := sc.pinyin(r, i, i+l); ok {
						for _, p := range ps {
							out = append(out, Term{Text: p, Type: TermPinyin, Weight: 1})
						}
					}
					if l == 4 {
						if ps, ok := sc.initials(r, i, i+l); ok {
							for _, p := range ps {
								out = append(out, Term{Text: p, Type: TermInitials, Weight: 1})
							}
						}
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
	wUnigram    = 1.0
	wBigram     = 1.0
	wWord       = 0.8
	wVariant    = 0.45
	wLatin      = 1.0
	wPinyin     = 1.0
	wInitials   = 0.9
	wSynonymHan = 0.55
	wSynonymLat = 1.0
	// fFunction multiplies the weight of terms made only of function words.
	fFunction = 0.15
)

// functionMask marks the runes of r covered by function words (longest
// match first).
func (a *Analyzer) functionMask(r run) []bool {
	n := r.n()
	mask := make([]bool, n)
	for i := 0; i < n; {
		l := min(a.maxFunc, n-i)
		for ; l >= 1; l-- {
			if _, ok := a.funcs[r.sub(i, i+l)]; ok {
				break
			}
		}
		if l < 1 {
			i++
			continue
		}
		for k := i; k < i+l; k++ {
			mask[k] = true
		}
		i += l
	}
	return mask
}

func allTrue(m []bool) bool {
	for _, b := range m {
		if !b {
			return false
		}
	}
	return true
}

// QueryTerms analyses a search query: the index terms of the text (with
// query weights), the pinyin of each bigram (typo variants), Latin runs read
// as pinyin or initials, and the terms of every synonym of a word found in
// the query. Each text appears once, with its highest weight.
func (a *Analyzer) QueryTerms(text string) []Term {
	syn := a.syn.Load()
	maxW := a.maxLen(syn)
	q := &queryTerms{idx: make(map[string]int)}
	var sc scratchCombos
	for _, r := range runs(Normalize(text)) {
		if !r.han {
			tok := r.s
			q.add(tok, TermWord, wLatin)
			if sy := splitSyllables(tok); len(sy) >= 2 {
				q.add(PinyinPrefix+strings.Join(sy, ""), TermPinyin, wPinyin)
				for i := 0; i+1 < len(sy); i++ {
					q.add(PinyinPrefix+sy[i]+sy[i+1], TermPinyin, wPinyin)
				}
			} else if len(sy) == 0 && len(tok) >= 2 && len(tok) <= 4 && isLetters(tok) {
				q.add(InitialsPrefix+tok, TermInitials, wInitials)
			}
			a.addSynonyms(q, syn, tok, wSynonymLat)
			continue
		}
		n := r.n()
		fm := a.functionMask(r)
		fw := func(i, j int, w float32) float32 {
			if allTrue(fm[i:j]) {
				return w * fFunction
			}
			return w
		}
		for i := 0; i < n; i++ {
			q.add(r.sub(i, i+1), TermNgram, fw(i, i+1, wUnigram))
			if i+1 < n {
				q.add(r.sub(i, i+2), TermNgram, fw(i, i+2, wBigram))
				if ps, ok := sc.pinyin(r, i, i+2); ok {
					for _, p := range ps {
						q.addOf(p, TermVariant, fw(i, i+2, wVariant), r.sub(i, i+2))
					}
				}
			}
			for l := 1; l <= maxW && i+l <= n; l++ {
				w := r.sub(i, i+l)
				if l >= 3 && a.inDict(w) {
					q.add(w, TermWord, fw(i, i+l, wWord))
				}
				if !allTrue(fm[i : i+l]) {
					a.addSynonyms(q, syn, w, wSynonymHan)
				}
			}
		}
	}
	return q.terms
}

type queryTerms struct {
	terms []Term
	idx   map[string]int
}

func (q *queryTerms) add(text string, typ TermType, w float32) { q.addOf(text, typ, w, "") }

func (q *queryTerms) addOf(text string, typ TermType, w float32, of string) {
	if i, ok := q.idx[text]; ok {
		if w > q.terms[i].Weight {
			q.terms[i] = Term{Text: text, Type: typ, Weight: w, Of: of}
		}
		return
	}
	q.idx[text] = len(q.terms)
	q.terms = append(q.terms, Term{Text: text, Type: typ, Weight: w, Of: of})
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
				if !r.han || r.n() == 1 {
					q.addOf(r.s, TermSynonym, weight, w)
					continue
				}
				for i := 0; i+1 < r.n(); i++ {
					q.addOf(r.sub(i, i+2), TermSynonym, weight, w)
				}
				if r.n() >= 3 {
					q.addOf(r.s, TermSynonym, weight, w)
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

// Content returns the normalized text with function words (怎么, 需要, 我,
// 吗 ...) replaced by spaces: what the text is about. Rerankers use it to
// measure how much of a query a candidate covers.
func (a *Analyzer) Content(text string) string {
	var b strings.Builder
	for _, r := range runs(Normalize(text)) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		if !r.han {
			b.WriteString(r.s)
			continue
		}
		fm := a.functionMask(r)
		for i := 0; i < r.n(); i++ {
			if fm[i] {
				b.WriteByte(' ')
			} else {
				b.WriteString(r.sub(i, i+1))
			}
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}
