package routing

import (
	"os"
	"strings"
	"testing"
)

// TestExperiment10 is the tenth pass (ROUTING_EXP=10a, 10b; ROUTING_BLIND
// names the blind sets). Five writers, each given only departments.json,
// the dispatch guide and a brief (no tickets, KB or code), wrote 200
// labelled tickets each (sets A–E, kept outside the repository); every dev
// ticket is the history. Top-1 / top-3 (dev: mean of the ten splits):
//
//	                           dev          A            B            C
//	before the pass            0.866/0.951  0.840/0.965  0.855/0.965  0.765/0.960
//	来电 set apart (kept)       0.867/0.953  0.850/0.965  0.865/0.970  0.770/0.965
//	  + type words blanked     0.865/0.954  0.845/0.965  —            0.770/0.955   (not kept)
//	  + lexicon widened (kept) 0.869/0.953  0.850/0.970  0.865/0.975  0.790/0.955
//	  + synonym groups as one  0.883/0.954  0.850/0.965  0.850/0.985  0.795/0.960   (not kept)
//	    feature each
//
// 来电表扬 / 来电表示 read as 电表 (the meter) and sent praise to the power
// company; the frame is now set apart (requestText). The lexicon's new words
// came from the misses of A and C only (general everyday words: 双排停,
// 上吐下泻, 电梯下滑, 美发卡, 轮渡…); B was measured before and after, D and E
// only once, at the end. Synonym groups (every member of a group emitting
// one "g:" feature instead of every synonym its own "w:" feature) helped the
// dev splits (+0.014) but not the blind sets (A 0, B −0.015, C +0.005) and
// cost direct-answer recall (A 0.919 → 0.855, C 0.902 → 0.852); not kept,
// its code removed. Blanking the type words (求助, 投诉…) out of the
// department features changed nothing beyond noise.
func TestExperiment10(t *testing.T) {
	switch os.Getenv("ROUTING_EXP") {
	case "10b":
		expEval(t, "lexicon widened from A and C")
	case "10a":
		expEval(t, "baseline")
		defer func() { dropTypeWords = nil }()
		dropTypeWords = strings.NewReplacer("求助", " ", "投诉", " ", "举报", " ", "咨询", " ", "建议", " ", "表扬", " ", "反映", " ")
		expEval(t, "type words blanked for departments")
	default:
		t.Skip("set ROUTING_EXP=10a")
	}
}
