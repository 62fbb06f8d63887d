// Package kinds builds the registry of connector kinds at wiring time: the
// one place that knows every kind package, so connectors itself imports none.
package kinds

import (
	"github.com/hallgate/hallgate/connectors"
	"github.com/hallgate/hallgate/connectors/email"
	"github.com/hallgate/hallgate/connectors/httpjson"
	"github.com/hallgate/hallgate/connectors/open311"
	"github.com/hallgate/hallgate/connectors/soap"
)

// Default returns kind name → factory for every built-in kind.
func Default() connectors.Kinds {
	return connectors.Kinds{
		"httpjson": httpjson.Factory,
		"soap":     soap.Factory,
		"email":    email.Factory,
		"open311":  open311.Factory,
	}
}
