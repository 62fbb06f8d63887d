package routing

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hallgate/hallgate/knowledgebase/analysis"
)

// expSplits rebuilds Evaluate's ten splits (5 random 70/30, 5 folds) so a
// tuning run can look at their history parts only.
func expSplits(tickets []Example) [][2][]Example {
	var out [][2][]Example
	n := len(tickets)
	for s := 0; s < 5; s++ {
		rng := rand.New(rand.NewPCG(1+uint64(s), 99))
		perm := rng.Perm(n)
		cut := int(float64(n) * 0.7)
		var sp [2][]Example
		for i, p := range perm {
			sp[min(1, i/cut)] = append(sp[min(1, i/cut)], tickets[p])
		}
		out = append(out, sp)
	}
	rng := rand.New(rand.NewPCG(1, 4242))
	perm := rng.Perm(n)
	for f := 0; f < 5; f++ {
		var sp [2][]Example
		for i, p := range perm {
			if i%5 == f {
				sp[1] = append(sp[1], tickets[p])
			} else {
				sp[0] = append(sp[0], tickets[p])
			}
		}
		out = append(out, sp)
	}
	return out
}

// devGuide parses the development city's dispatch guide, or skips.
func devGuide(t *testing.T, depts []DepartmentInfo) []Rule {
	f, err := os.Open(filepath.Join(devData(t), "dispatch_guide.md"))
	if err != nil {
		t.Skipf("dispatch guide absent: %v", err)
	}
	defer f.Close()
	known := map[string]bool{}
	for _, d := range depts {
		known[d.Code] = true
	}
	rules, err := ParseGuide(f, known)
	if err != nil {
		t.Fatal(err)
	}
	return rules
}

// expGuideTune scores guide knobs on inner folds of each split's HISTORY
// part only (3 inner folds × 10 splits): the test parts are never looked at,
// so the choice is not fitted to them. It prints inner top-1/top-3 per
// configuration, and the co-department recall/precision of the guide's
// clause co-departments alone at several score floors.
func expGuideTune(t *testing.T) {
	depts, tickets, kb := loadDev(t)
	rules := devGuide(t, depts)
	tok := WordTokenizer(analysis.Shared())
	splits := expSplits(tickets)
	type knobs struct {
		inDuty   bool
		docW     float32
		items    bool
		blend    float64
		priority int
		keepW    bool // scopeKeepsWeights
		noUrgent bool // drop the guide's urgent rules
	}
	saved := knobs{guideInDuty, scopeDocWeight, scopeItemDocs, blendGuide, guidePriority, scopeKeepsWeights, false}
	defer func() {
		guideInDuty, scopeDocWeight, scopeItemDocs, blendGuide, scopeKeepsWeights = saved.inDuty, saved.docW, saved.items, saved.blend, saved.keepW
	}()
	configs := []struct {
		name string
		k    knobs
	}{
		{"kept defaults", saved},
		{"no guide (reference)", knobs{priority: -1}},
		{"scope docs 0 (scorer only)", knobs{false, 0, false, 0.8, 5, false, false}},
		{"scope docs 0.5", knobs{false, 0.5, false, 0.8, 5, false, false}},
		{"scope docs 2", knobs{false, 2, false, 0.8, 5, false, false}},
		{"one doc per clause", knobs{false, 1, true, 0.8, 5, false, false}},
		{"clauses also in duty index", knobs{true, 1, false, 0.8, 5, false, false}},
		{"no guide scorer (docs only)", knobs{false, 1, false, 0, 5, false, false}},
		{"guide scorer start 1.6", knobs{false, 1, false, 1.6, 5, false, false}},
		{"priority 8 (scale 1.5)", knobs{false, 1, false, 0.8, 8, false, false}},
		{"priority 2 (scale 0.5)", knobs{false, 1, false, 0.8, 2, false, false}},
		{"clause docs 0.5", knobs{false, 0.5, true, 0.8, 5, false, false}},
		{"clause docs 2", knobs{false, 2, true, 0.8, 5, false, false}},
		{"clause docs 1 + in duty index", knobs{true, 1, true, 0.8, 5, false, false}},
		{"scope docs 3", knobs{false, 3, false, 0.8, 5, false, false}},
		{"clause docs 3", knobs{false, 3, true, 0.8, 5, false, false}},
		{"clause docs 2, weights of all documents", knobs{false, 2, true, 0.8, 5, false, false}},
		{"clause docs 2, no urgent phrases", knobs{false, 2, true, 0.8, 5, false, true}},
		{"kept + clauses in duty index", knobs{true, 2, true, 0.8, 5, true, false}},
		{"kept, clause docs 4", knobs{false, 4, true, 0.8, 5, true, false}},
	}
	floors := []float64{0.05, 0.1, 0.15, 0.2, 0.3, 0.4}
	rels := []float64{0, 0.7, 0.85}
	savedCo := [2]float64{guideCoMin, guideCoRel}
	if gp := os.Getenv("ROUTING_EXP_GUIDEPOWER"); gp != "" {
		defer func(v float64) { guidePower = v }(guidePower)
		fmt.Sscan(gp, &guidePower)
		fmt.Printf("guide scorer power %.1f\n", guidePower)
	}
	for ci, c := range configs {
		if !expPicked(ci) {
			continue
		}
		guideInDuty, scopeDocWeight, scopeItemDocs, blendGuide, scopeKeepsWeights = c.k.inDuty, c.k.docW, c.k.items, c.k.blend, c.k.keepW
		rs := rules
		if c.k.priority < 0 {
			rs = nil
		} else {
			rs = slices.Clone(rules)
			for i := range rs {
				rs[i].Priority = c.k.priority
			}
			if c.k.noUrgent {
				rs = slices.DeleteFunc(rs, func(r Rule) bool { return r.Urgent })
			}
		}
		var n, top1, top3, typ, uTP, uFN, uFP int
		coTP, coSug := make([]int, len(floors)*len(rels)), make([]int, len(floors)*len(rels))
		var coLab int
		for _, sp := range splits {
			hist := sp[0]
			for f := 0; f < 3; f++ {
				train, test := foldSplit(hist, 3, f)
				m := buildModel(tok, depts, train, kb, rs, defaultParams())
				for _, ex := range test {
					p := m.predict(context.Background(), Query{Text: ex.Text, Channel: ex.Channel, District: ex.District}, rs)
					n++
					if p.typ == ex.Type {
						typ++
					}
					switch {
					case ex.Urgent && p.urgent:
						uTP++
					case ex.Urgent:
						uFN++
					case p.urgent:
						uFP++
					}
					for r := 0; r < 3 && r < len(p.ranked); r++ {
						if m.depts[p.ranked[r]].Code == ex.Department {
							top3++
							if r == 0 {
								top1++
							}
						}
					}
					coLab += len(ex.CoDepartments)
					if m.guide == nil {
						continue
					}
					tf := counts(m.tok(m.routeText(ex.Text)))
					lead := p.ranked[0]
					for fi, fl := range floors {
						for ri, rel := range rels {
							guideCoMin, guideCoRel = fl, rel
							set := map[string]bool{}
							var pp prediction
							m.guideCo(&pp, tf, lead, set)
							for co := range set {
								coSug[fi*len(rels)+ri]++
								if slices.Contains(ex.CoDepartments, co) {
									coTP[fi*len(rels)+ri]++
								}
							}
						}
					}
					guideCoMin, guideCoRel = savedCo[0], savedCo[1]
				}
			}
		}
		fmt.Printf("%-36s inner top1 %.3f top3 %.3f type %.3f urgent R %.3f P %.3f (n %d)\n", c.name, float64(top1)/float64(n), float64(top3)/float64(n), float64(typ)/float64(n), ratio(uTP, uTP+uFN), ratio(uTP, uTP+uFP), n)
		if m := c.k.priority; m >= 0 && os.Getenv("ROUTING_EXP_CO") != "" {
			for fi, fl := range floors {
				for ri, rel := range rels {
					k := fi*len(rels) + ri
					fmt.Printf("    guide co share %.2f rel %.2f: recall %.3f precision %.3f (%d/%d, %d suggested)\n", fl, rel, ratio(coTP[k], coLab), ratio(coTP[k], coSug[k]), coTP[k], coLab, coSug[k])
				}
			}
		}
	}
}

func TestExperimentGuide(t *testing.T) {
	switch os.Getenv("ROUTING_EXP") {
	case "guidetune":
		expGuideTune(t)
	default:
		t.Skip("set ROUTING_EXP=guidetune")
	}
}
