package soap_test

import (
	"testing"

	"github.com/hallgate/hallgate/connectors"
	"github.com/hallgate/hallgate/connectors/connectortest"
	"github.com/hallgate/hallgate/connectors/soap"
)

func TestConformance(t *testing.T) {
	connectortest.Run(t, connectortest.Kind{
		Name:    "soap",
		Dialect: connectortest.SOAPDialect,
		New: func(t *testing.T, url string) connectors.Connector {
			c, err := soap.New("test", soap.Config{URL: url, Action: "urn:x#Deliver"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			return c
		},
	})
}
