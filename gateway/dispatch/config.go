package dispatch

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Config tunes the relay. Zero values take the documented defaults.
type Config struct {
	Topic    string        `json:"topic" yaml:"topic"`       // default "delivery"
	Consumer string        `json:"consumer" yaml:"consumer"` // this replica's name; default hostname-pid
	Workers  int           `json:"workers" yaml:"workers"`   // default 16
	Batch    int           `json:"batch" yaml:"batch"`       // items per claim; default 16
	Lease    time.Duration `json:"lease" yaml:"lease"`       // default 2 m; a delivery never outlives its lease
	// PollInterval is the idle wait when a claim came back empty (default 50 ms).
	PollInterval time.Duration `json:"poll_interval" yaml:"poll_interval"`
	// MaxAge: a delivery still failing this long after it was created is
	// dead-lettered (default 72 h), so an outage of hours never dead-letters.
	MaxAge time.Duration `json:"max_age" yaml:"max_age"`
	// RetryBase and RetryMax shape the relay's backoff between counted
	// attempts: min(RetryMax, RetryBase·2^attempts), equal-jittered.
	RetryBase time.Duration `json:"retry_base" yaml:"retry_base"` // default 5 s
	RetryMax  time.Duration `json:"retry_max" yaml:"retry_max"`   // default 10 m
	// BreakerWait is how long an item waits, uncounted, when its
	// department's breaker is open (default 10 s, jittered up to +50 %).
	BreakerWait time.Duration `json:"breaker_wait" yaml:"breaker_wait"`
	// NoConnectorWait is how often an item of a department without a
	// connector is looked at again (default 1 m).
	NoConnectorWait time.Duration `json:"no_connector_wait" yaml:"no_connector_wait"`
	// DrainTimeout is how long deliveries in flight at shutdown may finish
	// before they are cancelled and released (default 5 s).
	DrainTimeout time.Duration `json:"drain_timeout" yaml:"drain_timeout"`
}

// WithDefaults fills zero fields.
func (c Config) WithDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	if c.Topic == "" {
		c.Topic = "delivery"
	}
	if c.Workers == 0 {
		c.Workers = 16
	}
	if c.Batch == 0 {
		c.Batch = 16
	}
	def(&c.Lease, 2*time.Minute)
	def(&c.PollInterval, 50*time.Millisecond)
	def(&c.MaxAge, 72*time.Hour)
	def(&c.RetryBase, 5*time.Second)
	def(&c.RetryMax, 10*time.Minute)
	def(&c.BreakerWait, 10*time.Second)
	def(&c.NoConnectorWait, time.Minute)
	def(&c.DrainTimeout, 5*time.Second)
	return c
}

// ErrInvalidConfig is wrapped by Validate.
var ErrInvalidConfig = errors.New("dispatch: invalid config")

// Validate reports every problem at once.
func (c Config) Validate() error {
	var p []string
	if c.Consumer == "" {
		p = append(p, "consumer is required")
	}
	if c.Workers < 1 || c.Batch < 1 || c.Batch > 1000 {
		p = append(p, "workers must be ≥ 1 and batch in [1, 1000]")
	}
	for name, d := range map[string]time.Duration{"lease": c.Lease, "poll_interval": c.PollInterval, "max_age": c.MaxAge,
		"retry_base": c.RetryBase, "retry_max": c.RetryMax, "breaker_wait": c.BreakerWait, "no_connector_wait": c.NoConnectorWait, "drain_timeout": c.DrainTimeout} {
		if d <= 0 {
			p = append(p, name+" must be > 0")
		}
	}
	if c.RetryMax < c.RetryBase {
		p = append(p, "retry_max must be ≥ retry_base")
	}
	if len(p) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalidConfig, strings.Join(p, "; "))
	}
	return nil
}
