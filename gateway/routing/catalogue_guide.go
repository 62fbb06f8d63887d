package routing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/hallgate/hallgate/gateway/store"
)

// guideRulePrefix marks the rules a dispatch guide owns; ImportGuide replaces
// exactly these and never touches rules an administrator wrote by hand.
const guideRulePrefix = "guide-"

// GuideImport says what importing a dispatch guide changed.
type GuideImport struct {
	Rules   []Rule `json:"rules"`
	Created int    `json:"created"`
	Updated int    `json:"updated"`
	Removed int    `json:"removed"`
}

// ImportGuide parses a dispatch guide (ParseGuide) against the known
// departments and makes the catalogue's guide rules (IDs "guide-…") exactly
// its lines, in one store transaction: new lines are created, changed lines
// replaced, and guide rules whose lines are gone removed. A line keeps the
// Priority and Disabled an administrator set on it before, so re-importing a
// revised guide does not undo local decisions. A guide with any problem
// changes nothing and returns a *GuideError listing every problem by line.
func (c *Catalogue) ImportGuide(ctx context.Context, r io.Reader) (GuideImport, error) {
	known, err := c.known(ctx)
	if err != nil {
		return GuideImport{}, err
	}
	parsed, err := ParseGuide(r, known)
	if err != nil {
		return GuideImport{}, err
	}
	if len(parsed) == 0 {
		return GuideImport{}, &GuideError{Problems: []string{"no department line (- `code`（name）：scope) found"}}
	}
	var problems []string
	for _, p := range parsed {
		for field, why := range p.Validate(known) {
			problems = append(problems, fmt.Sprintf("rule %s: %s: %s", p.ID, field, why))
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return GuideImport{}, &GuideError{Problems: problems}
	}
	current, err := c.List(ctx)
	if err != nil {
		return GuideImport{}, err
	}
	old := map[string]Rule{}
	for _, r := range current {
		if strings.HasPrefix(r.ID, guideRulePrefix) {
			old[r.ID] = r
		}
	}
	var (
		tx  store.Tx
		out GuideImport
	)
	for i := range parsed {
		p := &parsed[i]
		put := store.Put{Record: store.Record{Collection: CollectionRules, ID: p.ID,
			Index: map[string]string{"department": p.Department}}}
		if prev, ok := old[p.ID]; ok {
			p.Priority, p.Disabled = prev.Priority, prev.Disabled
			put.ExpectVersion = prev.Version
			delete(old, p.ID)
			out.Updated++
		} else {
			out.Created++
		}
		p.Version = 0
		data, err := json.Marshal(p)
		if err != nil {
			return GuideImport{}, fmt.Errorf("routing: encode rule %s: %w", p.ID, err)
		}
		put.Record.Data = data
		tx.Puts = append(tx.Puts, put)
	}
	for id, prev := range old {
		tx.Deletes = append(tx.Deletes, store.Delete{Collection: CollectionRules, ID: id, ExpectVersion: prev.Version})
		out.Removed++
	}
	recs, err := c.st.Commit(ctx, tx)
	if errors.Is(err, store.ErrConflict) {
		return GuideImport{}, fmt.Errorf("guide rules changed meanwhile, import again: %w", ErrConflict)
	}
	if err != nil {
		return GuideImport{}, fmt.Errorf("routing: save guide rules: %w", err)
	}
	for i := range parsed {
		parsed[i].Version = recs[i].Version
	}
	out.Rules = parsed
	if c.onChange != nil {
		c.onChange(ctx)
	}
	return out, nil
}
