package routing

import (
	"github.com/hallgate/hallgate/knowledgebase/analysis"
	"strings"
	"unicode"
)

// Tokenizer turns text into features. The default produces character n-grams
// over normalised text; a word segmenter (knowledgebase/analysis) can be
// swapped in or added through Options.Tokenizer.
type Tokenizer func(text string) []string

// normalize folds full-width forms, lower-cases, and replaces everything that
// is neither a letter nor a digit with a space, so n-grams never straddle
// punctuation (a sentence boundary carries no topical signal).
func normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == 0x3000:
			r = ' '
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		}
		r = unicode.ToLower(r)
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		} else {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// ngram4 adds Han character 4-grams to CharNGrams.
var ngram4 = false

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

// CharNGrams is the default tokenizer: Han character bigrams and trigrams
// (unigrams are too ambiguous in Chinese to help routing), plus whole latin
// or digit words. Digit runs collapse to one token so house numbers and
// amounts do not fragment the vocabulary.
func CharNGrams(text string) []string {
	out := make([]string, 0, len(text)/2)
	for _, seg := range strings.Fields(normalize(text)) {
		var han []rune
		flush := func() {
			for i := 0; i+1 < len(han); i++ {
				out = append(out, string(han[i:i+2]))
				if i+2 < len(han) {
					out = append(out, string(han[i:i+3]))
				}
				if ngram4 && i+3 < len(han) {
					out = append(out, string(han[i:i+4]))
				}
			}
			if len(han) == 1 {
				out = append(out, string(han))
			}
			han = han[:0]
		}
		var word []rune
		flushWord := func() {
			if len(word) == 0 {
				return
			}
			allDigit := true
			for _, r := range word {
				if !unicode.IsDigit(r) {
					allDigit = false
					break
				}
			}
			if allDigit {
				out = append(out, "#num")
			} else {
				out = append(out, string(word))
			}
			word = word[:0]
		}
		for _, r := range seg {
			if isHan(r) {
				flushWord()
				han = append(han, r)
			} else {
				flush()
				word = append(word, r)
			}
		}
		flush()
		flushWord()
	}
	return out
}

// WordTokenizer combines the default character n-grams with the shared
// analyzer's words and their synonyms (prefixed so they never collide with
// n-grams). Synonyms let a citizen's colloquial word meet the KB's formal one.
// The model adds the concept lexicon's features on top (withConcepts).
func WordTokenizer(a *analysis.Analyzer) Tokenizer {
	return func(text string) []string {
		out := CharNGrams(text)
		for _, w := range a.Segment(text) {
			if len([]rune(w)) < 2 {
				continue
			}
			out = append(out, "w:"+w)
			for _, s := range a.Synonyms(w) {
				out = append(out, "w:"+s)
			}
		}
		return out
	}
}

// requestText is what the scorers read of a request: without its address
// parts (stripLocation) and with the call-centre frame 来电 set apart from
// what follows, so that 来电表扬 and 来电表示 are not read as 电表, the
// electricity meter, nor 来电话 as a telephone matter.
func requestText(s string) string { return setApartFrame(stripLocation(s)) }

// setApartFrame puts a space after every 来电 (an agent's "the caller…";
// also a power supply's "power is back", which stays whole).
func setApartFrame(s string) string {
	if !strings.Contains(s, "来电") {
		return s
	}
	return strings.ReplaceAll(s, "来电", "来电 ")
}

// stripLocation removes the address parts of a request ("【位置】…", "地址…",
// "位于…"): place names say where, not what, and their words ("客运站",
// "小学", "医院") would otherwise pull the request towards the department
// that runs such places. The district is a separate field anyway.
func stripLocation(s string) string {
	for _, mark := range []string{"【位置】", "[位置]"} {
		for {
			i := strings.Index(s, mark)
			if i < 0 {
				break
			}
			rest := s[i+len(mark):]
			j := strings.IndexAny(rest, "【[")
			if j < 0 {
				j = len(rest)
			}
			s = s[:i] + " " + rest[j:]
		}
	}
	for _, mark := range []string{"地址在", "地址是", "地址：", "地址:", "地址"} {
		for {
			i := strings.Index(s, mark)
			if i < 0 {
				break
			}
			rest := s[i+len(mark):]
			j := strings.IndexFunc(rest, func(r rune) bool { return strings.ContainsRune("，,。；;！!？? ", r) })
			if j < 0 {
				j = len(rest)
			}
			s = s[:i] + " " + rest[j:]
		}
	}
	return s
}
