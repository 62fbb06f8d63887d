package dispatch

import (
	"errors"
	"fmt"

	"github.com/hallgate/hallgate/connectors"
	"github.com/hallgate/hallgate/connectors/resilience"
)

// Spec is one configured connector as the wiring sees it. The lead maps
// config.Connector onto it: Spec{Name: c.Name, Kind: c.Kind, Department:
// c.Department, CallbackSecret: string(c.CallbackSecret), Resilience:
// c.Resilience, Decode: c.Decode}.
type Spec struct {
	Name           string
	Kind           string
	Department     string
	CallbackSecret string
	Resilience     resilience.Config
	Decode         connectors.Decode // fills the kind's typed Config
}

// BuildRegistry builds every spec's connector through the kind registry,
// wraps it in its resilience chain (deps.Department is set per spec) and
// reports every failing connector at once.
func BuildRegistry(specs []Spec, kinds connectors.Kinds, deps resilience.Deps) (*Registry, error) {
	reg := NewRegistry()
	var errs []error
	for _, s := range specs {
		conn, err := kinds.New(s.Kind, s.Name, s.Decode)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		d := deps
		d.Department = s.Department
		chained, err := resilience.Chain(s.Resilience, conn, d)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := reg.Put(Entry{Name: s.Name, Kind: s.Kind, Department: s.Department, CallbackSecret: s.CallbackSecret, Connector: chained}); err != nil {
			errs = append(errs, fmt.Errorf("connector %s: %w", s.Name, err))
		}
	}
	return reg, errors.Join(errs...)
}
