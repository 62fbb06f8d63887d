package routing

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// expTemplates swaps the shipped duty templates for the files
// ROUTING_EXP_TEMPLATES names (comma-separated globs), when set.
func expTemplates(t *testing.T) {
	text, ok := expFiles(t, "ROUTING_EXP_TEMPLATES")
	if !ok {
		return
	}
	ts, err := ParseDutyTemplates(text)
	if err != nil {
		t.Fatal(err)
	}
	old := shippedTemplates
	shippedTemplates = ts
	t.Cleanup(func() { shippedTemplates = old })
	t.Logf("duty templates: %d", len(ts))
}

// expFiles joins the files the environment variable names (comma-separated
// paths or globs; one that matches nothing fails the test); ok is false
// when it is unset.
func expFiles(t *testing.T, env string) (text string, ok bool) {
	v := os.Getenv(env)
	if v == "" {
		return "", false
	}
	var b strings.Builder
	for _, g := range strings.Split(v, ",") {
		ps, _ := filepath.Glob(g)
		if len(ps) == 0 {
			t.Fatalf("%s: %s matches no file", env, g)
		}
		for _, p := range ps {
			raw, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			b.Write(raw)
			b.WriteByte('\n')
		}
	}
	return b.String(), true
}

// template8 is one configuration of the duty templates' knobs.
type template8 struct {
	name  string
	apply func()
}

var templateConfigs8 = []template8{
	{"off", func() { useTemplates = false }},
	{"scorer", func() {}},
	{"scorer, clause docs 0.5", func() { templateDocWeight = 0.5 }},
	{"scorer, clause docs 1", func() { templateDocWeight = 1 }},
	{"scorer, whole doc 1", func() { templateDocWeight, templateWhole = 1, true }},
	{"docs 1 alone", func() { templateDocWeight, blendStd = 1, 0 }},
	{"scorer, clause docs 1 as duty", func() { templateDocWeight, templateKind = 1, kindDuty }},
	{"scorer power 1", func() { stdPower = 1 }},
	{"scorer, clause docs 0.25", func() { templateDocWeight = 0.25 }},
	{"scorer, clause docs 2", func() { templateDocWeight = 2 }},
	{"docs 0.5 alone", func() { templateDocWeight, blendStd = 0.5, 0 }},
	{"scorer power 1, clause docs 0.5", func() { templateDocWeight, stdPower = 0.5, 1 }},
	{"scorer, clause docs 0.5 as duty", func() { templateDocWeight, templateKind = 0.5, kindDuty }},
	{"kept, type: lead dept feature 0.3", func() { typeDeptWeight = 0.3 }},
	{"kept, type: lead dept feature 1", func() { typeDeptWeight = 1 }},
	{"kept, no absorbing", func() { templateAbsorb = false }},
	{"kept, template docs kept beside a guide", func() { templateGuideScale = 1 }},
	{"kept, clause docs 0.25", func() { templateDocWeight = 0.25 }},
	{"kept, scorer power 3", func() { stdPower = 3 }},
	{"kept, scorer blend 1.2", func() { blendStd = 1.2 }},
}

// TestExperiment8Templates (ROUTING_EXP=tune8) scores the duty templates'
// configurations on 3 inner folds of each split's history
// (ROUTING_EXP_ONLY: indexes); ROUTING_EXP=outer8 runs them on the ten
// outer splits, learned only and with the guide.
//
// Eighth pass (2026-11-27): standard duty templates (duties.txt, 34 kinds of
// department, 750–1,070 Han characters each) written by three writers from
// general knowledge, who read departments.json but never the tickets, the
// KB, the queries or the guide; every dev department's name matched one.
// Inner top-1/top-3/type (1,875 cases): off 0.794/0.922/0.792; the
// template-clause scorer alone 0.815/0.926; with every clause also a
// training document at 0.25/0.5/1/2 of the duty weight 0.854/0.955,
// 0.855/0.952, 0.855/0.951, 0.851/0.953 (type 0.792–0.795); the documents
// without the scorer at 0.5/1 0.851/0.953, 0.855/0.953; one document per
// department instead of per clause 0.834/0.947; the documents weighed like
// duties (they change the term weights) at 0.5/1 0.850/0.951, 0.847/0.953;
// the scorer unsharpened (power 1) with documents at 0.5 0.855/0.949. KEPT:
// scorer and clause documents at 0.5, the middle of a flat plateau. Outer,
// ten splits, same run: top-1 0.771/0.707 → 0.841/0.773, top-3 0.915/0.860
// → 0.947/0.920, type 0.851/0.740 unchanged, urgent recall 1.000; with the
// guide top-1 0.859 → 0.864, top-3 0.977 → 0.975. Then three more writers
// widened every block (8–16 more sentences each, ~50,000 Han characters in
// all): inner 0.859/0.950 (docs 0.25/1: 0.857/0.953, 0.856/0.951), outer
// top-1 0.857/0.800, top-3 0.942/0.907 (with the guide 0.858/0.971) — KEPT:
// top-1 up on both measures, top-3 down within the noise, and the wider
// coverage is what carries to callers the dev tickets never heard. The
// concept repeat re-checked with the templates (ROUTING_EXP=tune7): ×3
// 0.858/0.948, ×6 0.859/0.950, ×10 0.855/0.951 — ×6 stays. With the lead
// department now right more often, the type model given it as a feature
// (typeDeptWeight) was re-tried: 0.3 / 1 inner type 0.776 / 0.683 against
// 0.792 — not kept (it stays 0). A kind may absorb another of its line of
// administration when the city has no department of it (duties.txt:
// 应急管理局 absorbs 消防救援支队 — fire rescue is part of emergency
// management since 2018; no other absorption is national practice): inner
// 0.859/0.950 → 0.863/0.956, outer 0.857/0.942 → 0.863/0.946 — KEPT. The
// demo city (no history, a guide that gives 餐饮油烟 to 城管) then showed
// the template documents outvoting the city's own guide (市场监管's 饭店
// items): beside a guide the documents are now left out and the template
// scorer stays (templateGuideScale 0). Outer with the guide: 0.860/0.787,
// top-3 0.975/0.920, against 0.871/0.813, 0.970/0.920 with the documents
// kept — within the noise, and a city's guide must win where it speaks.
// Around the kept configuration (inner 0.863/0.956): documents at 0.25
// 0.860/0.960, scorer power 3 0.862/0.957, scorer blend 1.2 0.865/0.955 —
// flat; the defaults stay.
func TestExperiment8Templates(t *testing.T) {
	mode := os.Getenv("ROUTING_EXP")
	if mode != "tune8" && mode != "outer8" {
		t.Skip("set ROUTING_EXP=tune8 or outer8")
	}
	expTemplates(t)
	depts, _, _ := loadDev(t)
	for _, d := range depts {
		if i := templateFor(d.Name, shippedTemplates); i >= 0 {
			t.Logf("%s → %s", d.Name, shippedTemplates[i].Name)
		} else {
			t.Logf("%s → no template", d.Name)
		}
	}
	names := make([]string, len(templateConfigs8))
	for i, c := range templateConfigs8 {
		names[i] = c.name
	}
	runExpConfigs(t, mode == "outer8", names, func(i int) func() {
		saved := [...]any{useTemplates, blendStd, stdPower, templateDocWeight, templateWhole, templateKind, typeDeptWeight, templateAbsorb, templateGuideScale}
		templateConfigs8[i].apply()
		return func() {
			useTemplates, blendStd, stdPower = saved[0].(bool), saved[1].(float64), saved[2].(float64)
			templateDocWeight, templateWhole, templateKind = saved[3].(float32), saved[4].(bool), saved[5].(docKind)
			typeDeptWeight, templateAbsorb, templateGuideScale = saved[6].(float32), saved[7].(bool), saved[8].(float32)
		}
	})
}
