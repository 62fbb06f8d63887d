package httpjson_test

import (
	"testing"

	"github.com/hallgate/hallgate/connectors"
	"github.com/hallgate/hallgate/connectors/connectortest"
	"github.com/hallgate/hallgate/connectors/httpjson"
)

func TestConformance(t *testing.T) {
	connectortest.Run(t, connectortest.Kind{
		Name:    "httpjson",
		Dialect: connectortest.RESTDialect,
		New: func(t *testing.T, url string) connectors.Connector {
			c, err := httpjson.New("test", httpjson.Config{URL: url}, nil)
			if err != nil {
				t.Fatal(err)
			}
			return c
		},
	})
}
