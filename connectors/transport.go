package connectors

import (
	"net/http"
	"time"
)

// NewHTTPClient returns the client the HTTP kinds use when none is given: a
// clone of the default transport that keeps enough idle connections per
// host for the bulkhead's concurrency (the default of 2 makes a busy
// connector dial a new connection for almost every delivery).
func NewHTTPClient(timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 64
	t.IdleConnTimeout = 90 * time.Second
	return &http.Client{Timeout: timeout, Transport: t}
}
