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

func TestTune(t *testing.T) {
	if os.Getenv("ROUTING_TUNE") == "" {
		t.Skip("set ROUTING_TUNE=1")
	}
	tuneTok = WordTokenizer(analysis.Shared())
	for _, hw := range []float32{1, 2} {
		for _, lr := range []float32{1, 2, 4} {
			for _, bl := range []float64{0.3, 0.5, 0.7} {
				blendLinear, blendKNN = bl, 1-bl
				evalParams = defaultParams()
				evalParams.HistoryWeight = hw
				evalParams.LearnRate = lr
				runEval(t, fmt.Sprintf("hw=%.0f lr=%.0f lin=%.1f", hw, lr, bl))
			}
		}
	}
}
