package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/hallgate/hallgate/connectors/email"
	"github.com/hallgate/hallgate/connectors/httpjson"
	"github.com/hallgate/hallgate/connectors/open311"
	"github.com/hallgate/hallgate/connectors/resilience"
	"github.com/hallgate/hallgate/connectors/soap"
)

// Connector kinds; each has its own settings block.
const (
	KindHTTPJSON = "httpjson"
	KindSOAP     = "soap"
	KindEmail    = "email"
	KindOpen311  = "open311"
)

// Connector describes one department system the gateway delivers tickets to.
// Exactly the settings block named by Kind must be present. The blocks are
// the kind packages' own typed settings, so the file is decoded strictly
// into the very structs the connectors use, and validated by their rules.
type Connector struct {
	// Name is unique and appears in URLs (/api/v1/connectors/{name}/callbacks):
	// lower-case letters, digits, '-' and '_'.
	Name string `yaml:"name"`
	// Kind is httpjson, soap, email or open311.
	Kind string `yaml:"kind"`
	// Department is the code of the department this system serves.
	Department string `yaml:"department"`
	// CallbackSecret verifies the HMAC signature of the department's
	// callbacks (auth.VerifyHMAC); at least 16 characters when set.
	CallbackSecret Secret `yaml:"callback_secret"`
	// Resilience tunes timeout → retry → breaker → bulkhead; zero fields
	// take resilience.Defaults().
	Resilience resilience.Config `yaml:"resilience"`

	HTTPJSON *httpjson.Config `yaml:"httpjson,omitempty"`
	SOAP     *soap.Config     `yaml:"soap,omitempty"`
	Email    *email.Config    `yaml:"email,omitempty"`
	Open311  *open311.Config  `yaml:"open311,omitempty"`
}

// Settings returns the settings block of the connector's kind (nil when absent).
func (c Connector) Settings() any {
	switch c.Kind {
	case KindHTTPJSON:
		if c.HTTPJSON != nil {
			return c.HTTPJSON
		}
	case KindSOAP:
		if c.SOAP != nil {
			return c.SOAP
		}
	case KindEmail:
		if c.Email != nil {
			return c.Email
		}
	case KindOpen311:
		if c.Open311 != nil {
			return c.Open311
		}
	}
	return nil
}

// ErrNoSettings is returned by Decode when the kind's block is missing.
var ErrNoSettings = errors.New("config: connector has no settings for its kind")

// Decode copies the kind's settings into into (a pointer to the kind's
// Config), matching connectors.Decode, so wiring is
// kinds.New(c.Kind, c.Name, c.Decode).
func (c Connector) Decode(into any) error {
	s := c.Settings()
	if s == nil {
		return fmt.Errorf("%w: %s (%s)", ErrNoSettings, c.Name, c.Kind)
	}
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("connector %s: %w", c.Name, err)
	}
	return json.Unmarshal(b, into)
}

// kindBlocks lists, in a fixed order, whether each kind's block is present
// and how to validate it (after the kind's defaults, as its factory does).
func (c Connector) kindBlocks() []struct {
	kind     string
	present  bool
	validate func() error
} {
	return []struct {
		kind     string
		present  bool
		validate func() error
	}{
		{KindHTTPJSON, c.HTTPJSON != nil, func() error { return c.HTTPJSON.WithDefaults().Validate() }},
		{KindSOAP, c.SOAP != nil, func() error { return c.SOAP.WithDefaults().Validate() }},
		{KindEmail, c.Email != nil, func() error { return c.Email.WithDefaults().Validate() }},
		{KindOpen311, c.Open311 != nil, func() error { return c.Open311.Validate() }},
	}
}

func validateConnectors(p *problems, cs []Connector) {
	seen := map[string]int{}
	for i, c := range cs {
		path := fmt.Sprintf("connectors[%d]", i)
		if !connectorName.MatchString(c.Name) {
			p.add(path+".name", "must be 1-63 of a-z 0-9 - _, starting with a letter or digit, got %q", c.Name)
		} else if j, dup := seen[c.Name]; dup {
			p.add(path+".name", "duplicate of connectors[%d]", j)
		} else {
			seen[c.Name] = i
		}
		if c.Department == "" {
			p.add(path+".department", "must not be empty")
		}
		if s := c.CallbackSecret; s != "" && len(s) < 16 {
			p.add(path+".callback_secret", "must be at least 16 characters")
		}
		known := false
		for _, b := range c.kindBlocks() {
			switch {
			case b.kind == c.Kind:
				known = true
				if !b.present {
					p.add(path+"."+b.kind, "settings block required for kind %s", b.kind)
				} else {
					addKindProblems(p, path+"."+b.kind, b.validate())
				}
			case b.present:
				p.add(path+"."+b.kind, "settings for kind %s given but kind is %q", b.kind, c.Kind)
			}
		}
		if !known {
			p.add(path+".kind", "must be httpjson, soap, email or open311, got %q", c.Kind)
		}
		addKindProblems(p, path+".resilience", c.Resilience.WithDefaults().Validate())
	}
}

// addKindProblems splits a kind package's "pkg: invalid config: a; b" error
// into one problem per item, under the block's path.
func addKindProblems(p *problems, path string, err error) {
	if err == nil {
		return
	}
	msg := err.Error()
	if _, rest, ok := strings.Cut(msg, "invalid config: "); ok {
		msg = rest
	}
	for _, item := range strings.Split(msg, "; ") {
		// Items start with the offending key ("url must be …",
		// "retry.max_attempts must be …"): put it in the path.
		at := path
		if key := kindKey.FindString(item); key != "" {
			at += "." + strings.TrimSuffix(key, ":")
		}
		p.add(at, "%s", item)
	}
}

var kindKey = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*:?`)
