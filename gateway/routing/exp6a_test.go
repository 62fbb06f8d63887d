package routing

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/hallgate/hallgate/knowledgebase/analysis"
)

// Sixth pass (r6a), request type, learned only. ROUTING_EXP=type6 scores
// the type knobs on 3 inner folds of each split's HISTORY part (1,875 inner
// cases over the ten splits; the test parts are not looked at), with the
// stacker off (it does not touch the type model); ROUTING_EXP_ONLY picks
// configurations by index. ROUTING_EXP=outer6 prints the ten outer splits
// without and with the guide for the configuration ROUTING_EXP_ONLY names
// (default: the kept defaults).

type type6Config struct {
	name string
	set  func()
}

func type6Configs() []type6Config {
	return []type6Config{
		{"kept defaults", func() {}},
		{"logistic alone (fifth-pass type model)", func() { typeCNB = 0 }},
		{"offsets, accuracy, x1", func() { typeCalib, typeCalibMode = 1, 1 }},
		{"offsets, accuracy, x0.5", func() { typeCalib, typeCalibMode = 0.5, 1 }},
		{"offsets, likelihood, x1", func() { typeCalib, typeCalibMode = 1, 2 }},
		{"offsets, likelihood, x0.5", func() { typeCalib, typeCalibMode = 0.5, 2 }},
		{"CNB 0.3", func() { typeCNB = 0.3 }},
		{"CNB 0.5", func() { typeCNB = 0.5 }},
		{"CNB 0.3 temp 10", func() { typeCNB, typeCNBTemp = 0.3, 10 }},
		{"CNB 0.3 temp 100", func() { typeCNB, typeCNBTemp = 0.3, 100 }},
		{"CNB 0.2 temp 10", func() { typeCNB, typeCNBTemp = 0.2, 10 }},
		{"CNB 0.4 temp 10", func() { typeCNB, typeCNBTemp = 0.4, 10 }},
		{"CNB 0.3 temp 3", func() { typeCNB, typeCNBTemp = 0.3, 3 }},
		{"CNB 0.5 temp 3", func() { typeCNB, typeCNBTemp = 0.5, 3 }},
		{"CNB 0.3 temp 10 + offsets acc x1", func() { typeCNB, typeCNBTemp, typeCalib, typeCalibMode = 0.3, 10, 1, 1 }},
		{"cues2 0.3", func() { cue2Weight = 0.3 }},
		{"cues2 0.6", func() { cue2Weight = 0.6 }},
		{"cues2 1.0", func() { cue2Weight = 1 }},
		{"cues2 0.15", func() { cue2Weight = 0.15 }},
		{"CNB 0.3 temp 20", func() { typeCNB, typeCNBTemp = 0.3, 20 }},
		{"CNB 0.3 temp 10 + cues2 0.15", func() { typeCNB, typeCNBTemp, cue2Weight = 0.3, 10, 0.15 }},
		{"offsets, accuracy, x1, 10 folds", func() { typeCalib, typeCalibMode, typeCalibFolds = 1, 1, 10 }},
		{"CNB alpha 0.5", func() { typeCNBAlpha = 0.5 }},
		{"CNB alpha 1", func() { typeCNBAlpha = 1 }},
		{"CNB alpha 0.02", func() { typeCNBAlpha = 0.02 }},
		{"CNB unweighted", func() { typeCNBUnweighted = true }},
		{"CNB unweighted 0.4", func() { typeCNBUnweighted, typeCNB = true, 0.4 }},
		{"CNB unweighted 0.5", func() { typeCNBUnweighted, typeCNB = true, 0.5 }},
		{"CNB unweighted 0.2", func() { typeCNBUnweighted, typeCNB = true, 0.2 }},
		{"CNB unweighted temp 20", func() { typeCNBUnweighted, typeCNBTemp = true, 20 }},
		{"CNB unweighted temp 5", func() { typeCNBUnweighted, typeCNBTemp = true, 5 }},
		{"CNB unweighted + offsets acc x1", func() { typeCNBUnweighted, typeCalib, typeCalibMode = true, 1, 1 }},
		{"CNB unweighted 0.6", func() { typeCNBUnweighted, typeCNB = true, 0.6 }},
		{"CNB unweighted 0.7", func() { typeCNBUnweighted, typeCNB = true, 0.7 }},
		{"CNB unweighted alone (1.0)", func() { typeCNBUnweighted, typeCNB = true, 1 }},
		{"CNB unweighted 0.5 temp 20", func() { typeCNBUnweighted, typeCNB, typeCNBTemp = true, 0.5, 20 }},
		{"CNB weighted 0.3 (first kept)", func() { typeCNBUnweighted, typeCNB = false, 0.3 }},
		{"(unweighted 0.5) + cues2 0.15", func() { cue2Weight = 0.15 }},
		{"(unweighted 0.5) + cues2 0.3", func() { cue2Weight = 0.3 }},
		{"(unweighted 0.5) + cues2 0.6", func() { cue2Weight = 0.6 }},
	}
}

func type6Reset() func() {
	a, b, c, d, e, f := typeCalib, typeCalibMode, typeCalibFolds, typeCNB, typeCNBTemp, cue2Weight
	g, h := typeCNBAlpha, typeCNBUnweighted
	return func() {
		typeCalib, typeCalibMode, typeCalibFolds, typeCNB, typeCNBTemp, cue2Weight = a, b, c, d, e, f
		typeCNBAlpha, typeCNBUnweighted = g, h
	}
}

func expType6(t *testing.T) {
	depts, tickets, kb := loadDev(t)
	tok := WordTokenizer(analysis.Shared())
	splits := expSplits(tickets)
	reset := type6Reset()
	defer reset()
	params := defaultParams()
	params.Stack = false
	only := os.Getenv("ROUTING_EXP_ONLY")
	for ci, c := range type6Configs() {
		if only != "" && !slices.Contains(strings.Split(only, ","), fmt.Sprint(ci)) {
			continue
		}
		reset()
		c.set()
		ta := newTally()
		for _, sp := range splits {
			for f := 0; f < 3; f++ {
				train, test := foldSplit(sp[0], 3, f)
				m := buildModel(tok, depts, train, kb, nil, params)
				for _, ex := range test {
					ta.add(m, m.predict(context.Background(), Query{Text: ex.Text, Channel: ex.Channel, District: ex.District}, nil), ex)
				}
			}
		}
		var per []string
		for _, ty := range RequestTypes {
			per = append(per, fmt.Sprintf("%s %d/%d", ty, ta.perType[ty][0], ta.perType[ty][1]))
		}
		keys := slices.SortedFunc(maps.Keys(ta.typeConf), func(a, b string) int { return ta.typeConf[b] - ta.typeConf[a] })
		var conf []string
		for _, k := range keys[:min(4, len(keys))] {
			conf = append(conf, fmt.Sprintf("%s %d", k, ta.typeConf[k]))
		}
		fmt.Printf("%2d %-34s inner type %.4f urgR %.3f | %s | %s\n", ci, c.name, ratio(ta.typ, ta.n), ratio(ta.uTP, ta.uTP+ta.uFN), strings.Join(per, " "), strings.Join(conf, ", "))
	}
}

func TestExperiment6a(t *testing.T) {
	switch os.Getenv("ROUTING_EXP") {
	case "type6":
		expType6(t)
	case "outer6":
		reset := type6Reset()
		defer reset()
		only := os.Getenv("ROUTING_EXP_ONLY")
		if only == "" {
			only = "0"
		}
		for _, f := range strings.Split(only, ",") {
			var ci int
			fmt.Sscan(f, &ci)
			reset()
			c := type6Configs()[ci]
			c.set()
			expEvalGuide(t, c.name+", without guide", false)
			expEvalGuide(t, c.name+", with guide", true)
		}
	default:
		t.Skip("set ROUTING_EXP=type6 or outer6")
	}
}
