package routing

import (
	"slices"
	"unicode/utf8"
)

// Separable verbs (离合词) are verb-object words that speakers split with an
// aspect particle, a count or a pronoun: 停了七八次电 is 停电, 扣了我六分 is
// 扣分, 请了三天假 is 请假. Neither the segmenter nor the concept lexicon sees
// the word in its split form, so a request that says "停了七八次电" would
// never meet the concept of power cuts. rejoinSeparable finds such splits and
// gives back the whole words; the concept scan and the model's tokens read
// them beside the text.
//
// The list is general Chinese, chosen for what citizens call a hotline about
// (supplies, fees, registrations, work, health); it is not taken from any
// city's tickets. Each entry is verb + object, both one rune.
var separableVerbs = func() map[rune][]rune {
	words := []string{
		"停电", "停水", "停气", "停暖", "断电", "断水", "断气", "断网", "漏水", "漏电", "漏气",
		"缴费", "交费", "退费", "收费", "扣费", "欠费", "罚款", "扣款", "退款", "贷款", "还款",
		"交税", "缴税", "退税", "补税", "开票", "扣分", "涨价", "降价",
		"报名", "结婚", "离婚", "领证", "办证", "落户", "签字", "盖章", "排队",
		"请假", "加班", "放假", "上班", "停课", "停业", "停工", "欠薪",
		"看病", "住院", "打针", "挂号", "报警", "停车", "堵车",
	}
	out := map[rune][]rune{}
	for _, w := range words {
		r := []rune(w)
		out[r[0]] = append(out[r[0]], r[1])
	}
	return out
}()

// separableFiller are the runes that may stand between the two halves: aspect
// particles, numerals, measure words, time units, pronouns and 的. Anything
// else (another verb, a noun, punctuation) ends the search, so 停了一下车再充电
// is not read as 停电.
var separableFiller = func() map[rune]bool {
	out := map[rune]bool{}
	for _, r := range "了过着个次回趟遍场顿笔张份道天年月周日号小时钟头分秒点多几两零一二三四五六七八九十百千万半整好的我你他她它们家0123456789" {
		out[r] = true
	}
	return out
}()

// separableGap is the longest run of filler between verb and object;
// rejoinSplits turns the rejoining off (for experiments).
var (
	separableGap = 6
	rejoinSplits = true
)

// rejoinSeparable returns the separable verbs text splits, each once, in the
// order they occur. A verb directly followed by its object is the word
// itself and is left to the ordinary scan.
func rejoinSeparable(text string) []string {
	if !rejoinSplits {
		return nil
	}
	var out []string
	for i, v := range text {
		objects, ok := separableVerbs[v]
		if !ok {
			continue
		}
		gap := 0
		for _, r := range text[i+utf8.RuneLen(v):] {
			if gap > 0 && slices.Contains(objects, r) {
				w := string([]rune{v, r})
				if !slices.Contains(out, w) {
					out = append(out, w)
				}
				break
			}
			if !separableFiller[r] || gap == separableGap {
				break
			}
			gap++
		}
	}
	return out
}

// withSeparable adds the whole word of every split separable verb to tok's
// tokens, as the word tokenizer writes words.
func withSeparable(tok Tokenizer) Tokenizer {
	return func(text string) []string {
		out := tok(text)
		for _, w := range rejoinSeparable(text) {
			out = append(out, "w:"+w)
		}
		return out
	}
}
