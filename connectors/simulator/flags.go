package simulator

import (
	"errors"
	"flag"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// BindFlags registers the simulator's options on fs, for `hallgate
// simulate`; call Validate on the result after fs.Parse.
func BindFlags(fs *flag.FlagSet) *Options {
	o := &Options{}
	fs.StringVar(&o.Addr, "addr", "127.0.0.1:9301", "listen address")
	fs.StringVar(&o.Department, "department", "SIM", "department code used in references")
	fs.StringVar(&o.Token, "token", "", "bearer token the REST flavour requires (empty: none)")
	fs.StringVar(&o.CallbackURL, "callback-url", "", "gateway callback URL, e.g. http://127.0.0.1:8080/api/v1/connectors/<name>/callbacks (empty: no callbacks)")
	fs.StringVar(&o.CallbackSecret, "callback-secret", "", "HMAC secret for callbacks (the connector's callback_secret)")
	fs.DurationVar(&o.CallbackDelay, "callback-delay", time.Second, "delay before the accepted and the replied callback")
	return o
}

// Validate reports every problem at once.
func (o Options) Validate() error {
	var p []string
	if o.Addr == "" {
		p = append(p, "addr is required")
	}
	if o.CallbackURL != "" {
		if u, err := url.Parse(o.CallbackURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p = append(p, "callback-url must be an absolute http(s) URL")
		}
		if o.CallbackSecret == "" {
			p = append(p, "callback-secret is required with callback-url")
		}
	}
	if o.CallbackDelay < 0 {
		p = append(p, "callback-delay must be ≥ 0")
	}
	if len(p) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalidOptions, strings.Join(p, "; "))
	}
	return nil
}

// ErrInvalidOptions is wrapped by Validate.
var ErrInvalidOptions = errors.New("simulator: invalid options")
