package dispatch

import (
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/hallgate/hallgate/connectors"
	"github.com/hallgate/hallgate/connectors/resilience"
)

// Entry is one configured connector.
type Entry struct {
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	Department string `json:"department"`
	// CallbackSecret verifies the department's signed callbacks.
	CallbackSecret string `json:"-"`
	// Connector is usually a *resilience.Chained; the relay calls it as is.
	Connector connectors.Connector `json:"-"`
}

// Registry maps departments and names to connectors. Safe for concurrent
// use: admins may add or replace connectors while the relay runs.
type Registry struct {
	mu     sync.RWMutex
	byName map[string]Entry
	byDept map[string]string // department → name
}

// Registry errors.
var (
	ErrUnknownConnector = errors.New("dispatch: unknown connector")
	ErrDuplicate        = errors.New("dispatch: department already has a connector")
)

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{byName: map[string]Entry{}, byDept: map[string]string{}}
}

// Put adds or replaces the connector named e.Name. A department has at most
// one connector.
func (r *Registry) Put(e Entry) error {
	if e.Name == "" || e.Department == "" || e.Connector == nil {
		return fmt.Errorf("dispatch: connector entry needs name, department and connector")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if other, ok := r.byDept[e.Department]; ok && other != e.Name {
		return fmt.Errorf("%w: %s has %s", ErrDuplicate, e.Department, other)
	}
	if old, ok := r.byName[e.Name]; ok && old.Department != e.Department {
		delete(r.byDept, old.Department)
	}
	r.byName[e.Name] = e
	r.byDept[e.Department] = e.Name
	return nil
}

// Remove drops the named connector; its department's deliveries then wait
// in the visible "no_connector" state until another connector is added.
func (r *Registry) Remove(name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.byName[name]
	if !ok {
		return false
	}
	delete(r.byName, name)
	delete(r.byDept, e.Department)
	return true
}

// ByDepartment returns the department's connector.
func (r *Registry) ByDepartment(code string) (Entry, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	name, ok := r.byDept[code]
	if !ok {
		return Entry{}, false
	}
	return r.byName[name], true
}

// ByName returns the named connector.
func (r *Registry) ByName(name string) (Entry, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	e, ok := r.byName[name]
	return e, ok
}

// List returns every entry by name.
func (r *Registry) List() []Entry {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]Entry, 0, len(r.byName))
	for _, e := range r.byName {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// BreakerState reports the entry's breaker state ("none" without a chain).
func (e Entry) BreakerState() resilience.State {
	if bs, ok := e.Connector.(resilience.BreakerStater); ok {
		return bs.BreakerState()
	}
	return "none"
}
