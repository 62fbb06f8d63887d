// Command hallgate is the 12345 hotline and service-hall integration
// gateway. Run `hallgate help` for its subcommands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// version is set at build time: -ldflags "-X main.version=1.2.3".
var version = "dev"

// command is one subcommand. Adding one is one line in commands and one file.
type command struct {
	summary string
	run     func(ctx context.Context, env *cliEnv, args []string) error
}

// commands is the explicit subcommand table, keyed by the words that name a
// subcommand ("serve", "config check").
var commands = map[string]command{
	"serve":         {"run the gateway", runServe},
	"config check":  {"validate the configuration and list every problem", runConfigCheck},
	"token create":  {"mint an API token directly in the store", runTokenCreate},
	"token list":    {"list API tokens (no secrets)", runTokenList},
	"token revoke":  {"revoke an API token by id", runTokenRevoke},
	"eval search":   {"score KB search (recall@k, MRR by kind) through the HTTP API", runEvalSearch},
	"eval routing":  {"score routing suggestions on history/test splits", runEvalRouting},
	"eval topics":   {"replay tickets with injected bursts and score hot-topic detection", runEvalTopics},
	"reindex":       {"rebuild the search index from the store", runReindex},
	"user create":   {"create a staff user for the web pages (password from standard input)", runUserCreate},
	"user password": {"set a staff user's password (standard input), enable the account and lift a lock", runUserPassword},
	"simulate":      {"run a department legacy system simulator", runSimulate},
	"bench":         {"load at a fixed rate beside same-run ceilings; fails on loss", runBench},
}

// cliEnv is what a subcommand may touch of the process, so tests can run
// subcommands in-process.
type cliEnv struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	lookupEnv      func(string) (string, bool)
}

// errUsage makes main exit with status 2.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first signal starts a graceful shutdown, restore the default
	// handling so a second one ends the process at once.
	go func() { <-ctx.Done(); stop() }()
	env := &cliEnv{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, lookupEnv: os.LookupEnv}
	err := dispatch(ctx, env, os.Args[1:])
	switch {
	case err == nil:
	case errors.Is(err, errUsage), errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "hallgate:", err)
		os.Exit(1)
	}
}

func dispatch(ctx context.Context, env *cliEnv, args []string) error {
	if len(args) >= 2 {
		if cmd, ok := commands[args[0]+" "+args[1]]; ok {
			return cmd.run(ctx, env, args[2:])
		}
	}
	if len(args) >= 1 {
		if cmd, ok := commands[args[0]]; ok {
			return cmd.run(ctx, env, args[1:])
		}
		if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
			usage(env.stdout)
			return nil
		}
		if args[0] == "version" {
			fmt.Fprintln(env.stdout, version)
			return nil
		}
	}
	usage(env.stderr)
	return errUsage
}

func usage(w io.Writer) {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "usage: hallgate <command> [flags]\n\ncommands:")
	for _, n := range names {
		fmt.Fprintf(w, "  %-14s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "  help           this text\n  version        print the version\n\nRun `hallgate <command> -h` for a command's flags.")
}

// newFlagSet returns a flag set that writes its help to env.stderr.
func newFlagSet(env *cliEnv, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("hallgate "+name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	return fs
}

// splitList splits "a,b, c" into its non-empty items.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
