package routing

import (
	"fmt"
	"os"
	"testing"
)

// loadUrgSet is one writer's set of urgency_examples.jsonl.
func loadUrgSet(t *testing.T, set int) []urgCase {
	data, err := os.ReadFile(heldOutPath)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := loadHeldOut(data)
	if err != nil {
		t.Fatal(err)
	}
	var out []urgCase
	for _, c := range cs {
		if c.Set == set {
			out = append(out, urgCase{Text: c.Text, Type: c.Type, Urgent: *c.Urgent})
		}
	}
	return out
}

// TestExperiment7Urgency (ROUTING_EXP=urglearn) sweeps the urgency model's
// smoothing and threshold: trained on one writer's examples and all dev
// tickets, tested on the other writer's set (lexicon OR model, as the
// suggester decides); and on five folds of the dev tickets, trained on both
// sets and the other folds, the false alarms the model adds to the
// lexicon's and the urgent tickets both miss.
//
// Seventh pass (2026-11-27). First a logistic regression over the same
// n-grams (SGD, class-balanced, 10 epochs): set 1 → 2 recall 0.86–0.96 at
// p ≥ 0.5, but it moved by ±5 cases with the shuffling seed, and with 30
// epochs or L2 1e-3 it added nothing to the lexicon at all; trained on the
// sets alone it flagged ~60 of 238 everyday dev tickets. Not kept. Then
// this naive Bayes, deterministic (lexicon alone: set 1 → 2 70/109 fp 12,
// 2 → 1 115/129 fp 15, dev fp 18 of 238 with none missed):
//
//	alpha 0.5 τ 2.0: 109/109 fp 30 | 129/129 fp 47 | dev +4
//	alpha 0.5 τ 2.5: 107/109 fp 22 | 128/129 fp 36 | dev +4
//	alpha 0.5 τ 3.0: 105/109 fp 17 | 128/129 fp 28 | dev +2   KEPT
//	alpha 0.5 τ 4.0:  98/109 fp 13 | 126/129 fp 19 | dev +1
//	alpha 1.0 τ 2.5: 100/109 fp 13 | 126/129 fp 19 | dev +2
//	alpha 1.0 τ 3.5:  88/109 fp 12 | 119/129 fp 15 | dev +0
//	alpha 2.0 τ 2.0:  91/109 fp 12 | 122/129 fp 15 | dev +1
//
// Kept for recall: no urgent ticket may be missed, and a false alarm costs
// an agent a look.
func TestExperiment7Urgency(t *testing.T) {
	if os.Getenv("ROUTING_EXP") != "urglearn" {
		t.Skip("set ROUTING_EXP=urglearn")
	}
	dev, _ := urgencyDev(t)
	defer func(a, th float64) { urgencyAlpha, urgencyThreshold = a, th }(urgencyAlpha, urgencyThreshold)
	for _, alpha := range []float64{0.5, 1, 2} {
		for _, th := range []float64{2, 2.5, 3, 3.5, 4, 5} {
			urgencyAlpha, urgencyThreshold = alpha, th
			line := fmt.Sprintf("alpha %.1f τ %.1f:", alpha, th)
			for _, dir := range [][2]int{{1, 2}, {2, 1}} {
				withUrgencyExamples(t, dir[0])
				m := trainUrgency(dev)
				var tp, fp, pos int
				for _, u := range loadUrgSet(t, dir[1]) {
					lex, _ := urgentByLexicon(u.Text, u.Type)
					learned, _ := m.urgent(u.Text)
					switch {
					case u.Urgent:
						pos++
						if lex || learned {
							tp++
						}
					case lex || learned:
						fp++
					}
				}
				line += fmt.Sprintf(" set %d→%d %3d/%3d fp %2d |", dir[0], dir[1], tp, pos, fp)
			}
			withUrgencyExamples(t, 0)
			var added, missed int
			for f := 0; f < 5; f++ {
				train, test := foldSplit(dev, 5, f)
				m := trainUrgency(train)
				for _, e := range test {
					lex, _ := urgentByLexicon(e.Text, e.Type)
					learned, _ := m.urgent(e.Text)
					if e.Urgent && !lex && !learned {
						missed++
					}
					if !e.Urgent && !lex && learned {
						added++
					}
				}
			}
			fmt.Printf("%s dev +%d missed %d\n", line, added, missed)
		}
	}
}
