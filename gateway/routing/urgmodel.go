package routing

import (
	"bytes"
	"cmp"
	_ "embed"
	"encoding/json"
	"math"
	"slices"
	"strings"
)

// The urgency model backs the hazard lexicon: a naive Bayes over the
// character n-grams a text contains, which learns what a live risk reads
// like from two kinds of text. The positives and hard negatives are
// urgencyExamples: requests written from general safety knowledge by two
// writers who never saw a city's tickets nor the lexicon (a live risk, or
// the same words with none: fixed, past, asked about). The ordinary
// negatives are the city's own history, which says what its everyday
// tickets look like, and its urgent tickets count as positives too.
// Without enough history the model would know only near-misses and flag
// everyday tickets, so it stays off until the history has
// urgencyMinHistory tickets.
//
//go:embed urgency_examples.jsonl
var urgencyExampleText []byte

// Knobs, chosen across the two example sets and the dev tickets
// (exp7u_test.go): trained on one writer's set and the dev tickets, tested
// on the other's; on the dev tickets, five folds.
var (
	urgencyModelOn    = true
	urgencyMinHistory = 100
	urgencyAlpha      = 0.5   // additive smoothing of the n-gram counts
	urgencyThreshold  = 3.0   // least score (log-odds per √n-gram) for urgent
	urgencyMaxHistory = 20000 // the most recent ordinary tickets it learns from
)

// urgCaseText is one labelled text the urgency model learns from.
type urgCaseText struct {
	Set    int    `json:"set"` // which writer: 1 or 2
	Text   string `json:"text"`
	Urgent bool   `json:"urgent"`
}

// urgencyExamples parses the shipped examples once.
var urgencyExamples = func() []urgCaseText {
	var out []urgCaseText
	for _, line := range bytes.Split(urgencyExampleText, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var c urgCaseText
		if json.Unmarshal(line, &c) == nil && c.Text != "" {
			out = append(out, c)
		}
	}
	return out
}()

// urgencyModel holds, per hashed n-gram, the log-ratio of its smoothed
// share among urgent texts to its share among the others.
type urgencyModel struct {
	ratio  []float32
	unseen float32 // the ratio of an n-gram neither class has
}

// urgencyGrams are the distinct hashed n-grams of text without its address.
func urgencyGrams(text string) []uint32 {
	grams := CharNGrams(requestText(text))
	out := make([]uint32, len(grams))
	for i, g := range grams {
		out[i] = hashToken(g)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// trainUrgency fits the model on the shipped examples, the city's urgent
// tickets and its most recent ordinary ones. It returns nil when the
// history is too small to say what ordinary is.
func trainUrgency(history []Example) *urgencyModel {
	if !urgencyModelOn || len(history) < urgencyMinHistory {
		return nil
	}
	var cnt [2][]float32
	cnt[0], cnt[1] = make([]float32, dims), make([]float32, dims)
	var tot [2]float64
	add := func(text string, urgent bool) {
		c := 0
		if urgent {
			c = 1
		}
		for _, h := range urgencyGrams(text) {
			cnt[c][h]++
			tot[c]++
		}
	}
	for _, c := range urgencyExamples {
		add(c.Text, c.Urgent)
	}
	ordinary := 0
	for i := len(history) - 1; i >= 0; i-- {
		if !history[i].Urgent {
			if ordinary >= urgencyMaxHistory {
				continue
			}
			ordinary++
		}
		add(history[i].Text, history[i].Urgent)
	}
	if tot[0] == 0 || tot[1] == 0 {
		return nil
	}
	var vocab float64
	for h := range cnt[0] {
		if cnt[0][h] > 0 || cnt[1][h] > 0 {
			vocab++
		}
	}
	a := urgencyAlpha
	den := [2]float64{tot[0] + a*vocab, tot[1] + a*vocab}
	m := &urgencyModel{ratio: make([]float32, dims), unseen: float32(math.Log(den[0] / den[1]))}
	for h := range m.ratio {
		if cnt[0][h] > 0 || cnt[1][h] > 0 {
			m.ratio[h] = float32(math.Log((float64(cnt[1][h])+a)/den[1]) - math.Log((float64(cnt[0][h])+a)/den[0]))
		} else {
			m.ratio[h] = m.unseen
		}
	}
	return m
}

// score is the summed log-ratio of text's n-grams over the square root of
// their number: ≥ urgencyThreshold reads as a live risk.
func (m *urgencyModel) score(text string) float64 {
	grams := urgencyGrams(text)
	if len(grams) == 0 {
		return 0
	}
	var s float64
	for _, h := range grams {
		s += float64(m.ratio[h])
	}
	return s / math.Sqrt(float64(len(grams)))
}

// urgent reports whether the model reads text as a live risk, and its score.
func (m *urgencyModel) urgent(text string) (bool, float64) {
	s := m.score(text)
	return s >= urgencyThreshold, s
}

// cues are the request's words that read most like a live risk: the
// longest n-grams among those with the highest log-ratios, at most k, for
// the evidence an agent reads.
func (m *urgencyModel) cues(text string, k int) []string {
	type cue struct {
		gram  string
		ratio float32
	}
	var cs []cue
	for _, g := range CharNGrams(requestText(text)) {
		if r := m.ratio[hashToken(g)]; r > 0 && !slices.ContainsFunc(cs, func(c cue) bool { return c.gram == g }) {
			cs = append(cs, cue{g, r})
		}
	}
	slices.SortStableFunc(cs, func(a, b cue) int { return cmp.Compare(b.ratio, a.ratio) })
	var out []string
	for _, c := range cs {
		if len(out) == k {
			break
		}
		// A bigram inside a trigram already quoted adds nothing.
		if slices.ContainsFunc(out, func(o string) bool { return strings.Contains(o, c.gram) || strings.Contains(c.gram, o) }) {
			continue
		}
		out = append(out, c.gram)
	}
	return out
}
