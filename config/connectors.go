package config

import "time"

// Connector kinds; each has its own settings block.
const (
	KindHTTPJSON = "httpjson"
	KindSOAP     = "soap"
	KindEmail    = "email"
	KindOpen311  = "open311"
)

// Connector describes one department system the gateway delivers tickets to.
// Exactly the settings block named by Kind must be present.
type Connector struct {
	// Name is unique and appears in URLs (/api/v1/connectors/{name}/callbacks):
	// lower-case letters, digits, '-' and '_'.
	Name string `yaml:"name"`
	// Kind is httpjson, soap, email or open311.
	Kind string `yaml:"kind"`
	// Department is the code of the department this system serves.
	Department string `yaml:"department"`
	// CallbackSecret verifies the HMAC signature of the department's callbacks.
	CallbackSecret Secret `yaml:"callback_secret"`
	// Resilience tunes the delivery chain; zero values take the dispatcher's defaults.
	Resilience Resilience `yaml:"resilience"`

	HTTPJSON *HTTPJSON `yaml:"httpjson,omitempty"`
	SOAP     *SOAP     `yaml:"soap,omitempty"`
	Email    *Email    `yaml:"email,omitempty"`
	Open311  *Open311  `yaml:"open311,omitempty"`
}

// Resilience tunes timeout → retry → breaker → bulkhead for one connector.
type Resilience struct {
	Timeout         time.Duration `yaml:"timeout"`
	MaxAttempts     int           `yaml:"max_attempts"`
	BreakerFailures int           `yaml:"breaker_failures"`
	BreakerOpenFor  time.Duration `yaml:"breaker_open_for"`
	MaxConcurrent   int           `yaml:"max_concurrent"`
}

// HTTPJSON is a REST+JSON department system.
type HTTPJSON struct {
	URL string `yaml:"url"`
	// Auth is "none", "bearer" or "hmac" (default "hmac").
	Auth string `yaml:"auth"`
	// Secret is the bearer token or the HMAC key used when posting.
	Secret  Secret        `yaml:"secret"`
	Timeout time.Duration `yaml:"timeout"`
	// PollInterval, when > 0, polls the system for events instead of
	// waiting for callbacks.
	PollInterval time.Duration `yaml:"poll_interval"`
}

// SOAP is a SOAP 1.1/1.2 web service.
type SOAP struct {
	URL      string        `yaml:"url"`
	Action   string        `yaml:"action"`
	Version  string        `yaml:"version"` // "1.1" (default) or "1.2"
	Username string        `yaml:"username"`
	Password Secret        `yaml:"password"`
	Timeout  time.Duration `yaml:"timeout"`
}

// Email sends tickets by mail to a department mailbox.
type Email struct {
	SMTPAddr string   `yaml:"smtp_addr"` // host:port
	From     string   `yaml:"from"`
	To       []string `yaml:"to"`
	Username string   `yaml:"username"`
	Password Secret   `yaml:"password"`
	// StartTLS requires STARTTLS before authenticating. Default false.
	StartTLS bool `yaml:"starttls"`
}

// Open311 forwards tickets to another GeoReport v2 endpoint.
type Open311 struct {
	URL            string        `yaml:"url"` // base URL ending before /requests.json
	APIKey         Secret        `yaml:"api_key"`
	JurisdictionID string        `yaml:"jurisdiction_id"`
	ServiceCode    string        `yaml:"service_code"`
	Timeout        time.Duration `yaml:"timeout"`
}
