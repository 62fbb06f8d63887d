package routing

import (
	"slices"
	"strings"
	"testing"
)

// urgencyDev is the dev tickets as urgency cases.
func urgencyDev(t *testing.T) ([]Example, []urgCase) {
	_, dev, _ := loadDev(t)
	var cs []urgCase
	for _, e := range dev {
		cs = append(cs, urgCase{Text: e.Text, Type: e.Type, Urgent: e.Urgent})
	}
	return dev, cs
}

// shippedUrgencyExamples are all the shipped examples, whatever a test
// has swapped in.
var shippedUrgencyExamples = urgencyExamples

// withUrgencyExamples trains with only the shipped examples of set (0: all)
// until the test ends.
func withUrgencyExamples(t *testing.T, set int) {
	t.Cleanup(func() { urgencyExamples = shippedUrgencyExamples })
	urgencyExamples = slices.DeleteFunc(slices.Clone(shippedUrgencyExamples), func(c urgCaseText) bool { return set != 0 && c.Set != set })
}

// The model must carry to wordings it never saw: trained on one writer's
// examples and a city's history, it is tested on the other writer's set,
// OR-ed with the lexicon as the suggester uses it.
func TestUrgencyModelCarriesToTheOtherWriter(t *testing.T) {
	dev, _ := urgencyDev(t)
	for _, c := range []struct {
		train, test int
		minRecall   float64
	}{{1, 2, 0.80}, {2, 1, 0.90}} {
		withUrgencyExamples(t, c.train)
		m := trainUrgency(dev)
		if m == nil {
			t.Fatal("no model with 250 tickets of history")
		}
		var tp, fn, fp, lexTP int
		for _, u := range loadUrgSet(t, c.test) {
			lex, _ := urgentByLexicon(u.Text, u.Type)
			learned, _ := m.urgent(u.Text)
			got := lex || learned
			switch {
			case got && u.Urgent:
				tp++
				if lex {
					lexTP++
				}
			case u.Urgent:
				fn++
			case got:
				fp++
			}
		}
		recall, precision := ratio(tp, tp+fn), ratio(tp, tp+fp)
		t.Logf("trained on set %d + dev, tested on set %d: recall %.3f (%d/%d; the lexicon alone %d), precision %.3f", c.train, c.test, recall, tp, tp+fn, lexTP, precision)
		if recall < c.minRecall || precision < 0.8 {
			t.Errorf("set %d: recall %.3f (want ≥ %.2f), precision %.3f (want ≥ 0.80)", c.test, recall, c.minRecall, precision)
		}
	}
}

// On a city's own everyday tickets the model must not cry wolf: five folds
// of the dev tickets, trained on every shipped example and the other four.
func TestUrgencyModelQuietOnEverydayTickets(t *testing.T) {
	dev, _ := urgencyDev(t)
	var missed, lexFP, modelFP int
	for f := 0; f < 5; f++ {
		train, test := foldSplit(dev, 5, f)
		m := trainUrgency(train)
		if m == nil {
			t.Fatal("no model")
		}
		for _, e := range test {
			lex, _ := urgentByLexicon(e.Text, e.Type)
			learned, _ := m.urgent(e.Text)
			switch {
			case e.Urgent && !lex && !learned:
				missed++
			case !e.Urgent && lex:
				lexFP++
			case !e.Urgent && learned:
				modelFP++
			}
		}
	}
	t.Logf("dev, five folds: urgent missed %d; false alarms from the lexicon %d, added by the model %d (of 238 not urgent)", missed, lexFP, modelFP)
	if missed > 0 || modelFP > 6 {
		t.Errorf("missed %d urgent tickets, the model added %d false alarms (want 0 and ≤ 6)", missed, modelFP)
	}
}

func TestUrgencyModelNeedsHistory(t *testing.T) {
	dev, _ := urgencyDev(t)
	if m := trainUrgency(dev[:urgencyMinHistory-1]); m != nil {
		t.Error("a model trained on near-misses alone would flag everyday tickets")
	}
}

func TestUrgencyModelExplains(t *testing.T) {
	dev, _ := urgencyDev(t)
	m := trainUrgency(dev)
	text := "车库角落里一台电瓶车电池鼓起来了，正往外冒白烟，还有噼啪声"
	if ok, score := m.urgent(text); !ok {
		t.Fatalf("the model does not flag a smoking battery (score %.2f)", score)
	}
	cues := m.cues(text, 3)
	if len(cues) == 0 || len(cues) > 3 {
		t.Fatalf("cues %q", cues)
	}
	for _, c := range cues {
		if !strings.Contains(text, c) {
			t.Errorf("cue %q is not the caller's words", c)
		}
	}
}
