package tabular_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hallgate/hallgate/gateway/ticket"
	"github.com/hallgate/hallgate/knowledgebase"
)

// docs/IMPORT.md lists every heading the CSV imports read, on its field's
// row of the import's section.
func TestImportDocListsEveryHeading(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "docs", "IMPORT.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	for _, imp := range []struct {
		section string
		columns map[string][]string
	}{{"## Tickets", ticket.CSVColumns()}, {"## Knowledge base", knowledgebase.CSVColumns()}} {
		i := strings.Index(doc, imp.section)
		if i < 0 {
			t.Fatalf("docs/IMPORT.md: no section %q", imp.section)
		}
		section := doc[i:]
		if j := strings.Index(section[3:], "\n## "); j >= 0 {
			section = section[:j+3]
		}
		for field, headings := range imp.columns {
			k := strings.Index(section, "| `"+field+"` |")
			if k < 0 {
				t.Errorf("%s: no row for %s", imp.section, field)
				continue
			}
			row := section[k : k+strings.Index(section[k:], "\n")]
			for _, h := range headings {
				if !strings.Contains(row, h) {
					t.Errorf("%s: %s's row lacks the heading %s", imp.section, field, h)
				}
			}
		}
	}
}
