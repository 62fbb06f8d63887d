package soap

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"text/template"
	"time"
)

// SOAP versions.
const (
	V11 = "1.1"
	V12 = "1.2"
)

// Config is the typed settings of a soap connector.
type Config struct {
	URL     string `json:"url" yaml:"url"`
	Version string `json:"version" yaml:"version"` // "1.1" (default) or "1.2"
	Action  string `json:"action" yaml:"action"`   // SOAPAction / action parameter
	// Namespace of the default body's operation element.
	Namespace string `json:"namespace,omitempty" yaml:"namespace,omitempty"`
	// BodyTemplate renders the inside of soap:Body from {{.Delivery}} and
	// {{.Ticket}}; funcs "xml" (escape) and "json". Default: a <Deliver>
	// element carrying the delivery's fields and the ticket as JSON.
	BodyTemplate string `json:"body_template,omitempty" yaml:"body_template,omitempty"`
	// ReferenceElement is the local name of the response element holding the
	// department's reference; default "Reference".
	ReferenceElement string        `json:"reference_element,omitempty" yaml:"reference_element,omitempty"`
	Username         string        `json:"username,omitempty" yaml:"username,omitempty"` // HTTP basic auth when set
	Password         string        `json:"password,omitempty" yaml:"password,omitempty"`
	Timeout          time.Duration `json:"timeout,omitempty" yaml:"timeout,omitempty"` // default 30 s
}

// DefaultBody is the body used when BodyTemplate is empty.
const DefaultBody = `<Deliver xmlns="{{.Namespace}}"><IdempotencyKey>{{xml .Delivery.IdempotencyKey}}</IdempotencyKey><TicketId>{{xml .Delivery.TicketID}}</TicketId><TicketCode>{{xml .Delivery.TicketCode}}</TicketCode><Department>{{xml .Delivery.Department}}</Department><Role>{{xml .Delivery.Role}}</Role><Event>{{xml .Delivery.Event}}</Event><Ticket>{{xml (json .Ticket)}}</Ticket></Deliver>`

// ErrInvalidConfig is wrapped by Validate.
var ErrInvalidConfig = errors.New("soap: invalid config")

// WithDefaults fills the documented defaults.
func (c Config) WithDefaults() Config {
	if c.Version == "" {
		c.Version = V11
	}
	if c.Namespace == "" {
		c.Namespace = "urn:hallgate:dispatch"
	}
	if c.BodyTemplate == "" {
		c.BodyTemplate = DefaultBody
	}
	if c.ReferenceElement == "" {
		c.ReferenceElement = "Reference"
	}
	if c.Timeout == 0 {
		c.Timeout = 30 * time.Second
	}
	return c
}

// Validate reports every problem at once. No I/O.
func (c Config) Validate() error {
	var p []string
	if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p = append(p, "url must be an absolute http(s) URL")
	}
	if c.Version != V11 && c.Version != V12 {
		p = append(p, fmt.Sprintf("version %q is not 1.1 or 1.2", c.Version))
	}
	if c.Action == "" {
		p = append(p, "action is required")
	}
	if _, err := parseTemplate(c.BodyTemplate); err != nil {
		p = append(p, "body_template: "+err.Error())
	}
	if c.Timeout < 0 {
		p = append(p, "timeout must be ≥ 0")
	}
	if len(p) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalidConfig, strings.Join(p, "; "))
	}
	return nil
}

func parseTemplate(s string) (*template.Template, error) {
	return template.New("body").Funcs(template.FuncMap{"xml": xmlEscape, "json": toJSON}).Parse(s)
}
