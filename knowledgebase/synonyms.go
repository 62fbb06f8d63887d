package knowledgebase

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/hallgate/hallgate/gateway/store"
)

// Limits of the runtime synonym set.
const (
	MaxSynonymGroups    = 5000
	MaxSynonymGroupSize = 50
	MaxSynonymRunes     = 32
)

// SynonymSet is the runtime synonym groups stored in the store and applied
// to the index on top of the shipped default set.
type SynonymSet struct {
	Groups    [][]string `json:"groups"`
	Version   uint64     `json:"version"`
	UpdatedAt time.Time  `json:"updated_at,omitzero"`
	UpdatedBy string     `json:"updated_by,omitempty"`
}

// Synonyms returns the stored runtime synonym set (empty, version 0, when
// none was ever saved).
func (s *Service) Synonyms(ctx context.Context) (SynonymSet, error) {
	rec, err := s.st.Get(ctx, CollSettings, settingSynSet)
	if errors.Is(err, store.ErrNotFound) {
		return SynonymSet{Groups: [][]string{}}, nil
	}
	if err != nil {
		return SynonymSet{}, mapStoreErr("synonyms", err)
	}
	set, err := decode[SynonymSet](rec)
	if err != nil {
		return SynonymSet{}, err
	}
	set.Version = rec.Version
	if set.Groups == nil {
		set.Groups = [][]string{}
	}
	return set, nil
}

// SetSynonyms validates and stores the runtime synonym groups (editors) and
// applies them to the index. expectVersion guards against overwriting
// another editor's change (0 = create the first set, or skip the check
// when force).
func (s *Service) SetSynonyms(ctx context.Context, actor Actor, groups [][]string, expectVersion uint64, force bool) (SynonymSet, error) {
	if !actor.Editor {
		return SynonymSet{}, fmt.Errorf("set synonyms: %w", ErrForbidden)
	}
	clean, fe := validateSynonyms(groups)
	if err := fe.err(); err != nil {
		return SynonymSet{}, err
	}
	set := SynonymSet{Groups: clean, UpdatedAt: s.now().UTC(), UpdatedBy: actor.ID}
	data, err := json.Marshal(set)
	if err != nil {
		return SynonymSet{}, err
	}
	recs, err := s.st.Commit(ctx, store.Tx{Puts: []store.Put{{
		Record:        store.Record{Collection: CollSettings, ID: settingSynSet, Data: data},
		ExpectVersion: expectVersion, Force: force,
	}}})
	if err != nil {
		return SynonymSet{}, mapStoreErr("set synonyms", err)
	}
	set.Version = recs[0].Version
	if err := s.idx.SetSynonyms(ctx, clean); err != nil {
		return SynonymSet{}, fmt.Errorf("apply synonyms: %w", err)
	}
	s.mu.Lock()
	s.synVer = set.Version
	s.mu.Unlock()
	return set, nil
}

func validateSynonyms(groups [][]string) ([][]string, fieldErrors) {
	var fe fieldErrors
	if len(groups) > MaxSynonymGroups {
		fe.add("groups", fmt.Sprintf("at most %d groups", MaxSynonymGroups))
		return nil, fe
	}
	clean := make([][]string, 0, len(groups))
	for i, g := range groups {
		g = cleanList(g)
		switch {
		case len(g) < 2:
			fe.add(fmt.Sprintf("groups[%d]", i), "at least two different terms")
		case len(g) > MaxSynonymGroupSize:
			fe.add(fmt.Sprintf("groups[%d]", i), fmt.Sprintf("at most %d terms", MaxSynonymGroupSize))
		}
		for j, t := range g {
			if utf8.RuneCountInString(t) > MaxSynonymRunes {
				fe.add(fmt.Sprintf("groups[%d][%d]", i, j), fmt.Sprintf("at most %d characters", MaxSynonymRunes))
			}
		}
		clean = append(clean, g)
	}
	return clean, fe
}

// loadSynonyms applies the stored set to the index when it changed since
// the last load (always when force).
func (s *Service) loadSynonyms(ctx context.Context, force bool) error {
	set, err := s.Synonyms(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	same := set.Version == s.synVer
	s.mu.Unlock()
	if same && !force {
		return nil
	}
	if err := s.idx.SetSynonyms(ctx, set.Groups); err != nil {
		return fmt.Errorf("apply synonyms: %w", err)
	}
	s.mu.Lock()
	s.synVer = set.Version
	s.mu.Unlock()
	return nil
}
