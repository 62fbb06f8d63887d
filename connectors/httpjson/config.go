package httpjson

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"text/template"
	"time"

	"github.com/hallgate/hallgate/connectors"
)

// Auth types.
const (
	AuthNone   = "none"
	AuthBearer = "bearer"
	AuthBasic  = "basic"
	AuthHMAC   = "hmac" // X-Hallgate-Timestamp + X-Hallgate-Signature over timestamp "." body
)

// Auth is how hallgate proves itself to the department's system.
type Auth struct {
	Type     string `json:"type" yaml:"type"`
	Token    string `json:"token,omitempty" yaml:"token,omitempty"`
	Username string `json:"username,omitempty" yaml:"username,omitempty"`
	Password string `json:"password,omitempty" yaml:"password,omitempty"`
}

// Config is the typed settings of an httpjson connector.
type Config struct {
	URL    string `json:"url" yaml:"url"`
	Method string `json:"method,omitempty" yaml:"method,omitempty"` // default POST
	Auth   Auth   `json:"auth" yaml:"auth"`
	// Secret signs requests when Auth.Type is hmac.
	Secret string `json:"secret,omitempty" yaml:"secret,omitempty"`
	// Timeout is the HTTP client's last-resort bound; the resilience chain's
	// per-attempt timeout normally fires first. Default 30 s.
	Timeout time.Duration `json:"timeout,omitempty" yaml:"timeout,omitempty"`
	// Template, when set, is a text/template producing the request body from
	// {{.Delivery}} and {{.Ticket}} (the canonical ticket as a map); the func
	// "json" renders a value as JSON. Default: the Delivery as JSON.
	Template    string `json:"template,omitempty" yaml:"template,omitempty"`
	ContentType string `json:"content_type,omitempty" yaml:"content_type,omitempty"` // default application/json; charset=utf-8
	// ReferenceField is the dotted path of the department's reference in the
	// response; default "reference", then "id".
	ReferenceField string            `json:"reference_field,omitempty" yaml:"reference_field,omitempty"`
	Headers        map[string]string `json:"headers,omitempty" yaml:"headers,omitempty"`
	// StatusURL, when set, makes the connector a StatusPoller: GET
	// StatusURL?since=<RFC 3339> answering a JSON list of legacy statuses.
	StatusURL string               `json:"status_url,omitempty" yaml:"status_url,omitempty"`
	StatusMap connectors.StatusMap `json:"status_map,omitempty" yaml:"status_map,omitempty"` // default connectors.DefaultStatusMap
}

// ErrInvalidConfig is wrapped by Validate.
var ErrInvalidConfig = errors.New("httpjson: invalid config")

// WithDefaults fills the documented defaults.
func (c Config) WithDefaults() Config {
	if c.Method == "" {
		c.Method = "POST"
	}
	if c.Auth.Type == "" {
		c.Auth.Type = AuthNone
	}
	if c.Timeout == 0 {
		c.Timeout = 30 * time.Second
	}
	if c.ContentType == "" {
		c.ContentType = "application/json; charset=utf-8"
	}
	if c.StatusMap == nil {
		c.StatusMap = connectors.DefaultStatusMap()
	}
	return c
}

// Validate reports every problem at once, naming the offending keys. No I/O.
func (c Config) Validate() error {
	var p []string
	checkURL := func(key, raw string) {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p = append(p, key+" must be an absolute http(s) URL")
		}
	}
	checkURL("url", c.URL)
	if c.StatusURL != "" {
		checkURL("status_url", c.StatusURL)
	}
	switch c.Auth.Type {
	case AuthNone:
	case AuthBearer:
		if c.Auth.Token == "" {
			p = append(p, "auth.token is required for bearer auth")
		}
	case AuthBasic:
		if c.Auth.Username == "" {
			p = append(p, "auth.username is required for basic auth")
		}
	case AuthHMAC:
		if len(c.Secret) < 16 {
			p = append(p, "secret must have at least 16 characters for hmac auth")
		}
	default:
		p = append(p, fmt.Sprintf("auth.type %q is not one of none, bearer, basic, hmac", c.Auth.Type))
	}
	if c.Timeout < 0 {
		p = append(p, "timeout must be ≥ 0")
	}
	if c.Template != "" {
		if _, err := parseTemplate(c.Template); err != nil {
			p = append(p, "template: "+err.Error())
		}
	}
	if err := c.StatusMap.Validate(); err != nil {
		p = append(p, err.Error())
	}
	if len(p) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalidConfig, strings.Join(p, "; "))
	}
	return nil
}

func parseTemplate(s string) (*template.Template, error) {
	return template.New("body").Funcs(template.FuncMap{"json": toJSON}).Option("missingkey=zero").Parse(s)
}
