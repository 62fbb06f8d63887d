package routing

import (
	"context"
	"fmt"
	"github.com/hallgate/hallgate/knowledgebase/analysis"
	"os"
	"path/filepath"
	"testing"
)

var tuneTok Tokenizer = CharNGrams

func runEval(t *testing.T, name string) Report {
	data := devData(t)
	var out testWriter
	rep, err := Evaluate(context.Background(), &out, EvalOptions{
		DepartmentsFile: filepath.Join(data, "departments.json"),
		KBFile:          filepath.Join(data, "kb_dev.jsonl"),
		TicketsFile:     filepath.Join(data, "tickets_dev.jsonl"),
		Folds:           -1,
		Tokenizer:       tuneTok,
	})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("%-40s top1 %.3f/%.3f top3 %.3f/%.3f type %.3f/%.3f urgP %.2f daFit %.2f\n", name, rep.Mean.Top1, rep.Worst.Top1, rep.Mean.Top3, rep.Worst.Top3, rep.Mean.Type, rep.Worst.Type, rep.Mean.UrgentPrecision, rep.Mean.DAFit)
	return rep
}

// TestTune is the harness used to choose the few global knobs (blend
// weights, learning rate, smoothing) on the development data; it is skipped
// unless ROUTING_TUNE is set. Knobs were chosen on flat plateaus (differences
// under two points), so the defaults are not tuned to single tickets.
func TestTune(t *testing.T) {
	if os.Getenv("ROUTING_TUNE") == "" {
		t.Skip("set ROUTING_TUNE=1")
	}
	tuneTok = WordTokenizer(analysis.Shared())
	saved := [4]float64{blendLinear, blendKNN, blendKB, blendCentroid}
	defer func() { blendLinear, blendKNN, blendKB, blendCentroid = saved[0], saved[1], saved[2], saved[3] }()
	for _, uc := range []bool{false, true} {
		for _, cw := range []float32{0.3, 0.8} {
			useChannel, channelWeight = uc, cw
			evalParams = defaultParams()
			runEval(t, fmt.Sprintf("channel=%v w=%.1f", uc, cw))
		}
	}
	useChannel, channelWeight = true, 0.3
}
