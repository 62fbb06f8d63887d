package dispatch

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"

	"github.com/hallgate/hallgate/config"
	"github.com/hallgate/hallgate/connectors"
	"github.com/hallgate/hallgate/connectors/email"
	"github.com/hallgate/hallgate/connectors/httpjson"
	"github.com/hallgate/hallgate/connectors/open311"
	"github.com/hallgate/hallgate/connectors/resilience"
	"github.com/hallgate/hallgate/connectors/soap"
)

// WiringOptions are what building connectors from configuration needs
// besides the configuration itself.
type WiringOptions struct {
	// ConsoleURL is the text/template of the department console link put
	// in e-mails, e.g. "https://12345.example.gov.cn/console/tickets/{{.TicketID}}".
	ConsoleURL string
	// Deps are passed to every chain (tracer provider; Redis client for
	// shared breakers; replica id).
	Deps resilience.Deps
	// HTTPClient is shared by the HTTP kinds (nil: one per connector).
	HTTPClient *http.Client
}

// ResilienceFromConfig maps the configuration's resilience block onto the
// chain's config; zero values keep the chain's defaults.
func ResilienceFromConfig(r config.Resilience) resilience.Config {
	var c resilience.Config
	c.Timeout = r.Timeout
	c.Retry.MaxAttempts = r.MaxAttempts
	c.Breaker.ConsecutiveFailures = uint32(max(r.BreakerFailures, 0))
	c.Breaker.OpenTimeout = r.BreakerOpenFor
	c.Bulkhead.MaxConcurrent = r.MaxConcurrent
	return c.WithDefaults()
}

// ConnectorFromConfig builds the bare connector of one configured system.
func ConnectorFromConfig(c config.Connector, o WiringOptions) (connectors.Connector, error) {
	switch c.Kind {
	case config.KindHTTPJSON:
		h := c.HTTPJSON
		if h == nil {
			return nil, fmt.Errorf("connector %s: httpjson block missing", c.Name)
		}
		cfg := httpjson.Config{URL: h.URL, Timeout: h.Timeout}
		switch h.Auth {
		case "", "hmac":
			cfg.Auth.Type, cfg.Secret = httpjson.AuthHMAC, string(h.Secret)
		case "bearer":
			cfg.Auth = httpjson.Auth{Type: httpjson.AuthBearer, Token: string(h.Secret)}
		default:
			cfg.Auth.Type = h.Auth
		}
		return httpjson.New(c.Name, cfg, o.HTTPClient)
	case config.KindSOAP:
		s := c.SOAP
		if s == nil {
			return nil, fmt.Errorf("connector %s: soap block missing", c.Name)
		}
		return soap.New(c.Name, soap.Config{URL: s.URL, Action: s.Action, Version: s.Version, Username: s.Username, Password: string(s.Password), Timeout: s.Timeout}, o.HTTPClient)
	case config.KindEmail:
		e := c.Email
		if e == nil {
			return nil, fmt.Errorf("connector %s: email block missing", c.Name)
		}
		host, portStr, err := net.SplitHostPort(e.SMTPAddr)
		if err != nil {
			return nil, fmt.Errorf("connector %s: email.smtp_addr: %w", c.Name, err)
		}
		port, _ := strconv.Atoi(portStr)
		return email.New(c.Name, email.Config{Host: host, Port: port, Username: e.Username, Password: string(e.Password),
			From: e.From, To: e.To, ConsoleURL: o.ConsoleURL, AllowPlaintext: !e.StartTLS}, nil)
	case config.KindOpen311:
		s := c.Open311
		if s == nil {
			return nil, fmt.Errorf("connector %s: open311 block missing", c.Name)
		}
		return open311.New(c.Name, open311.Config{URL: s.URL, APIKey: string(s.APIKey), JurisdictionID: s.JurisdictionID, ServiceCode: s.ServiceCode, Timeout: s.Timeout}, o.HTTPClient)
	}
	return nil, fmt.Errorf("connector %s: unknown kind %q", c.Name, c.Kind)
}

// RegistryFromConfig builds every configured connector, wrapped in its
// resilience chain, into a registry; it reports every failing connector.
func RegistryFromConfig(cs []config.Connector, o WiringOptions) (*Registry, error) {
	reg := NewRegistry()
	var errs []error
	for _, c := range cs {
		conn, err := ConnectorFromConfig(c, o)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		deps := o.Deps
		deps.Department = c.Department
		chained, err := resilience.Chain(ResilienceFromConfig(c.Resilience), conn, deps)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := reg.Put(Entry{Name: c.Name, Kind: c.Kind, Department: c.Department, CallbackSecret: string(c.CallbackSecret), Connector: chained}); err != nil {
			errs = append(errs, fmt.Errorf("connector %s: %w", c.Name, err))
		}
	}
	return reg, errors.Join(errs...)
}
