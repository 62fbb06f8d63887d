package eval

import (
	"context"
	"fmt"
	"io"

	"github.com/hallgate/hallgate/knowledgebase/embedded"
)

// RunEmbedded loads a kb JSON Lines file into an in-memory embedded index
// and evaluates the queries file against it, printing the per-kind table to
// w. It is what `hallgate eval search --kb FILE --queries FILE` runs when
// no gateway URL is given.
func RunEmbedded(ctx context.Context, w io.Writer, kbFile, queriesFile string) (Report, error) {
	docs, err := LoadKB(kbFile)
	if err != nil {
		return Report{}, err
	}
	idx, err := embedded.Open(ctx, embedded.Options{})
	if err != nil {
		return Report{}, fmt.Errorf("eval: open index: %w", err)
	}
	defer idx.Close()
	if err := idx.Upsert(ctx, docs...); err != nil {
		return Report{}, fmt.Errorf("eval: index %s: %w", kbFile, err)
	}
	if w != nil {
		fmt.Fprintf(w, "%d entries from %s\n", len(docs), kbFile)
	}
	return Search(ctx, w, IndexSearcher(idx), queriesFile)
}
