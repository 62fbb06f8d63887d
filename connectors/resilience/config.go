package resilience

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Config tunes one connector's chain. Zero values are replaced by Defaults.
type Config struct {
	Retry     RetryConfig     `json:"retry" yaml:"retry"`
	Breaker   BreakerConfig   `json:"breaker" yaml:"breaker"`
	RateLimit RateLimitConfig `json:"rate_limit" yaml:"rate_limit"`
	Bulkhead  BulkheadConfig  `json:"bulkhead" yaml:"bulkhead"`
	// Timeout bounds one attempt (the department's answer time).
	Timeout time.Duration `json:"timeout" yaml:"timeout"`
}

// RetryConfig is the in-call retry: a few quick attempts to ride out a blip.
type RetryConfig struct {
	MaxAttempts int           `json:"max_attempts" yaml:"max_attempts"` // including the first; 1 = no retry
	BaseDelay   time.Duration `json:"base_delay" yaml:"base_delay"`
	MaxDelay    time.Duration `json:"max_delay" yaml:"max_delay"` // also the longest Retry-After honoured in-call
}

// BreakerConfig configures the gobreaker breaker of one connector.
type BreakerConfig struct {
	ConsecutiveFailures uint32        `json:"consecutive_failures" yaml:"consecutive_failures"` // trip after this many failures in a row
	FailureRatio        float64       `json:"failure_ratio" yaml:"failure_ratio"`               // or when failures/requests reaches this ...
	MinRequests         uint32        `json:"min_requests" yaml:"min_requests"`                 // ... over at least this many requests
	Interval            time.Duration `json:"interval" yaml:"interval"`                         // closed-state counting window
	OpenTimeout         time.Duration `json:"open_timeout" yaml:"open_timeout"`                 // open → half-open
	HalfOpenProbes      uint32        `json:"half_open_probes" yaml:"half_open_probes"`         // MaxRequests in half-open
}

// RateLimitConfig is a token bucket: what the legacy system can take.
// PerSecond 0 disables it.
type RateLimitConfig struct {
	PerSecond float64 `json:"per_second" yaml:"per_second"`
	Burst     int     `json:"burst" yaml:"burst"`
}

// BulkheadConfig bounds concurrent deliveries to one department.
type BulkheadConfig struct {
	MaxConcurrent int `json:"max_concurrent" yaml:"max_concurrent"`
}

// Defaults returns the documented defaults.
func Defaults() Config {
	return Config{
		Retry:     RetryConfig{MaxAttempts: 3, BaseDelay: 100 * time.Millisecond, MaxDelay: 2 * time.Second},
		Breaker:   BreakerConfig{ConsecutiveFailures: 5, FailureRatio: 0.5, MinRequests: 20, Interval: time.Minute, OpenTimeout: 30 * time.Second, HalfOpenProbes: 3},
		RateLimit: RateLimitConfig{PerSecond: 0, Burst: 0},
		Bulkhead:  BulkheadConfig{MaxConcurrent: 16},
		Timeout:   10 * time.Second,
	}
}

// WithDefaults fills zero fields from Defaults.
func (c Config) WithDefaults() Config {
	d := Defaults()
	if c.Retry.MaxAttempts == 0 {
		c.Retry.MaxAttempts = d.Retry.MaxAttempts
	}
	if c.Retry.BaseDelay == 0 {
		c.Retry.BaseDelay = d.Retry.BaseDelay
	}
	if c.Retry.MaxDelay == 0 {
		c.Retry.MaxDelay = d.Retry.MaxDelay
	}
	if c.Breaker.ConsecutiveFailures == 0 {
		c.Breaker.ConsecutiveFailures = d.Breaker.ConsecutiveFailures
	}
	if c.Breaker.FailureRatio == 0 {
		c.Breaker.FailureRatio = d.Breaker.FailureRatio
	}
	if c.Breaker.MinRequests == 0 {
		c.Breaker.MinRequests = d.Breaker.MinRequests
	}
	if c.Breaker.Interval == 0 {
		c.Breaker.Interval = d.Breaker.Interval
	}
	if c.Breaker.OpenTimeout == 0 {
		c.Breaker.OpenTimeout = d.Breaker.OpenTimeout
	}
	if c.Breaker.HalfOpenProbes == 0 {
		c.Breaker.HalfOpenProbes = d.Breaker.HalfOpenProbes
	}
	if c.RateLimit.PerSecond > 0 && c.RateLimit.Burst == 0 {
		c.RateLimit.Burst = max(1, int(c.RateLimit.PerSecond))
	}
	if c.Bulkhead.MaxConcurrent == 0 {
		c.Bulkhead.MaxConcurrent = d.Bulkhead.MaxConcurrent
	}
	if c.Timeout == 0 {
		c.Timeout = d.Timeout
	}
	return c
}

// ErrInvalidConfig is wrapped by Validate.
var ErrInvalidConfig = errors.New("resilience: invalid config")

// Validate reports every problem at once (after WithDefaults).
func (c Config) Validate() error {
	var p []string
	if c.Retry.MaxAttempts < 1 {
		p = append(p, "retry.max_attempts must be ≥ 1")
	}
	if c.Retry.BaseDelay < 0 || c.Retry.MaxDelay < c.Retry.BaseDelay {
		p = append(p, "retry.base_delay must be ≥ 0 and ≤ retry.max_delay")
	}
	if c.Breaker.FailureRatio <= 0 || c.Breaker.FailureRatio > 1 {
		p = append(p, "breaker.failure_ratio must be in (0, 1]")
	}
	if c.Breaker.OpenTimeout <= 0 {
		p = append(p, "breaker.open_timeout must be > 0")
	}
	if c.Breaker.Interval < 0 {
		p = append(p, "breaker.interval must be ≥ 0")
	}
	if c.RateLimit.PerSecond < 0 || c.RateLimit.Burst < 0 {
		p = append(p, "rate_limit.per_second and rate_limit.burst must be ≥ 0")
	}
	if c.Bulkhead.MaxConcurrent < 1 {
		p = append(p, "bulkhead.max_concurrent must be ≥ 1")
	}
	if c.Timeout <= 0 {
		p = append(p, "timeout must be > 0")
	}
	if len(p) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalidConfig, strings.Join(p, "; "))
	}
	return nil
}
