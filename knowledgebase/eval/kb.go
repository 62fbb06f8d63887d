package eval

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hallgate/hallgate/knowledgebase"
)

// kbLine is one entry of a kb JSON Lines file (the shape of kb_dev.jsonl).
type kbLine struct {
	ID         string          `json:"id"`
	Question   string          `json:"question"`
	Answer     string          `json:"answer"`
	Department string          `json:"department"`
	Category   string          `json:"category"`
	Channel    json.RawMessage `json:"channel"` // a string or a list
	Keywords   []string        `json:"keywords"`
	Alternates []string        `json:"alternates"`
	Internal   bool            `json:"internal"`
}

// LoadKB reads a kb JSON Lines file into searchable, public entry
// Documents. Lines without id or question are errors (with the line number).
func LoadKB(path string) ([]knowledgebase.Document, error) {
	var out []knowledgebase.Document
	err := eachLine(path, func(n int, line []byte) error {
		var l kbLine
		if err := json.Unmarshal(line, &l); err != nil {
			return fmt.Errorf("%w: %s line %d: %v", ErrBadFile, path, n, err)
		}
		if l.ID == "" || strings.TrimSpace(l.Question) == "" {
			return fmt.Errorf("%w: %s line %d: id and question are required", ErrBadFile, path, n)
		}
		var channels []string
		if len(l.Channel) > 0 {
			var one string
			if json.Unmarshal(l.Channel, &one) == nil {
				if one != "" {
					channels = []string{one}
				}
			} else if err := json.Unmarshal(l.Channel, &channels); err != nil {
				return fmt.Errorf("%w: %s line %d: channel: %v", ErrBadFile, path, n, err)
			}
		}
		out = append(out, knowledgebase.Document{
			ID: l.ID, Kind: knowledgebase.KindEntry, Title: l.Question, Alternates: l.Alternates,
			Body: l.Answer, Department: l.Department, Category: l.Category, Channels: channels,
			Keywords: l.Keywords, Internal: l.Internal, Searchable: true,
		})
		return nil
	})
	return out, err
}
