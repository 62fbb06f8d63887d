package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sort"

	"github.com/hallgate/hallgate/gateway/httpapi/kbapi"
	"github.com/hallgate/hallgate/gateway/routing"
	"github.com/hallgate/hallgate/knowledgebase/eval"
)

// runEvalSearch imports a knowledge base into a fresh gateway and scores the
// queries through the HTTP API (or, with -mode index, against the bare
// embedded index), printing recall@k and MRR by query kind.
func runEvalSearch(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "eval search")
	kb := fs.String("kb", "", "knowledge base, JSON Lines (id, question, answer, department, category, channel, keywords)")
	queries := fs.String("queries", "", "queries, JSON Lines (q, relevant, kind)")
	depts := fs.String("departments", "", "departments JSON array (default: one per department code in the KB)")
	mode := fs.String("mode", "http", "http: through an in-process gateway's API; index: the bare embedded index")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *kb == "" || *queries == "" {
		fmt.Fprintln(env.stderr, "eval search needs --kb and --queries")
		return errUsage
	}
	switch *mode {
	case "index":
		_, err := eval.RunEmbedded(ctx, env.stdout, *kb, *queries)
		return err
	case "http":
	default:
		return fmt.Errorf("--mode %q: want http or index", *mode)
	}
	cases, err := eval.LoadQueries(*queries)
	if err != nil {
		return err
	}
	g, err := startEphemeral(ctx, "", nil)
	if err != nil {
		return err
	}
	defer g.Stop()
	if err := importDepartments(ctx, g, *depts, *kb); err != nil {
		return err
	}
	f, err := os.Open(*kb)
	if err != nil {
		return err
	}
	defer f.Close()
	rep, imported, err := kbapi.EvalHTTP(ctx, http.DefaultClient, g.BaseURL, g.Header(), f, cases)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "%d entries imported through %s/api/v1/kb/import; %d queries through /api/v1/kb/search\n", imported, g.BaseURL, len(cases))
	return rep.WriteTable(env.stdout)
}

// importDepartments posts the departments file, or one department per code
// found in the KB file when none is given.
func importDepartments(ctx context.Context, g *ephemeral, deptsFile, kbFile string) error {
	var body []byte
	if deptsFile != "" {
		b, err := os.ReadFile(deptsFile)
		if err != nil {
			return err
		}
		body = b
	} else {
		codes, err := departmentCodes(kbFile)
		if err != nil {
			return err
		}
		type dept struct {
			Code string `json:"code"`
			Name string `json:"name"`
			Mode string `json:"consolidation_mode"`
		}
		list := make([]dept, len(codes))
		for i, c := range codes {
			list[i] = dept{Code: c, Name: c, Mode: "merged"}
		}
		if body, err = json.Marshal(list); err != nil {
			return err
		}
	}
	_, err := g.post(ctx, "/api/v1/departments/import", "application/json", bytes.NewReader(body))
	return err
}

func departmentCodes(jsonl string) ([]string, error) {
	f, err := os.Open(jsonl)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var line struct {
			Department string `json:"department"`
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Department != "" {
			seen[line.Department] = true
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(seen) == 0 {
		return nil, errors.New("no department codes found in " + jsonl)
	}
	out := make([]string, 0, len(seen))
	for c := range seen {
		out = append(out, c)
	}
	sort.Strings(out)
	return out, nil
}

// runEvalRouting trains the suggester on history splits of a labelled
// ticket file and prints top-1/top-3 department, type, urgent and direct
// answer figures.
func runEvalRouting(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "eval routing")
	var o routing.EvalOptions
	fs.StringVar(&o.DepartmentsFile, "departments", "", "departments JSON array (required)")
	fs.StringVar(&o.TicketsFile, "tickets", "", "labelled tickets, JSON Lines (required)")
	fs.StringVar(&o.KBFile, "kb", "", "knowledge base JSON Lines (training material and direct answers)")
	fs.StringVar(&o.TestFile, "test", "", "a separate labelled test set, JSON Lines (optional): all of --tickets is then the history")
	fs.BoolVar(&o.NoStarters, "no-starters", false, "leave the shipped starter examples out: learn from the history alone")
	fs.StringVar(&o.RulesFile, "rules", "", "catalogue rules, JSON array (optional)")
	fs.StringVar(&o.GuideFile, "guide", "", "dispatch guide, markdown (optional): its lines join the catalogue before training")
	fs.IntVar(&o.Splits, "splits", 5, "random history/test splits")
	fs.Float64Var(&o.TestFraction, "test-fraction", 0.3, "share of tickets held out per split")
	fs.IntVar(&o.Folds, "folds", 5, "k-fold cross-validation folds (negative: none)")
	seed := fs.Uint64("seed", 1, "random seed")
	mode := fs.String("mode", "model", "model: train and ask the model in-process; http: per split, a fresh in-process gateway, everything imported and asked through its API")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.DepartmentsFile == "" || o.TicketsFile == "" {
		fmt.Fprintln(env.stderr, "eval routing needs --departments and --tickets")
		return errUsage
	}
	o.Seed = *seed
	switch *mode {
	case "model":
		_, err := routing.Evaluate(ctx, env.stdout, o)
		return err
	case "http":
		if o.RulesFile != "" {
			return errors.New("--rules is not supported with --mode http (import rules through /api/v1/routing/rules)")
		}
		_, err := evalRoutingHTTP(ctx, env.stdout, o)
		return err
	default:
		return fmt.Errorf("--mode %q: want model or http", *mode)
	}
}
