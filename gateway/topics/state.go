package topics

import (
	"encoding/json"
	"fmt"
	"time"
)

// MarshalState encodes everything the engine has learned (vocabulary,
// clusters, recent arrivals) for the store.
func (e *Engine) MarshalState() ([]byte, error) {
	b, err := json.Marshal(&e.st)
	if err != nil {
		return nil, fmt.Errorf("topics: encode state: %w", err)
	}
	return b, nil
}

// LoadState replaces the engine's state with a snapshot from MarshalState.
func (e *Engine) LoadState(data []byte) error {
	var st engineState
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("topics: decode state: %w", err)
	}
	if st.DF == nil {
		st.DF = map[string]float64{}
	}
	if st.Hours == nil {
		st.Hours = map[int64]int{}
	}
	if st.Seen == nil {
		st.Seen = map[string]time.Time{}
	}
	if st.Clusters == nil {
		st.Clusters = map[string]*Cluster{}
	}
	e.st = st
	e.posts = map[string]map[string]struct{}{}
	e.addrs = map[string]map[string]struct{}{}
	for id, c := range st.Clusters {
		for _, m := range []*map[string]int{&c.Districts, &c.Addresses, &c.Departments, &c.Categories} {
			if *m == nil {
				*m = map[string]int{}
			}
		}
		if c.Hours == nil {
			c.Hours = map[int64]int{}
		}
		if c.Centroid == nil {
			c.Centroid = map[string]float64{}
		}
		for t := range c.Centroid {
			e.post(t, id)
		}
	}
	return nil
}
