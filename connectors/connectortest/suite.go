package connectortest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hallgate/hallgate/connectors"
	"github.com/hallgate/hallgate/connectors/resilience"
)

// Dialect writes the answers of one kind of legacy system.
type Dialect struct {
	Success   func(w http.ResponseWriter, reference string)
	Retryable func(w http.ResponseWriter) // e.g. 503 or a Server fault
	Permanent func(w http.ResponseWriter) // e.g. 422 or a Client fault
	Malformed func(w http.ResponseWriter) // a 2xx whose body is not what it should be
	// Duplicate answers "already received" for a repeated idempotency key;
	// nil declares that the kind's systems have no such answer (the
	// duplicate subtest is then skipped with that reason, not silently).
	Duplicate func(w http.ResponseWriter, reference string)
}

// Kind describes the connector kind under test.
type Kind struct {
	Name    string
	Dialect Dialect
	// New builds a connector of the kind talking to url (the fake server).
	New func(t *testing.T, url string) connectors.Connector
}

// Mode is what the fake server does next.
type Mode int

// Fake server modes.
const (
	ModeSuccess Mode = iota
	ModeRetryable
	ModePermanent
	ModeMalformed
	ModeSlow      // waits until the client goes away
	ModeDuplicate // answers "already received"
)

// Fake is a scripted legacy server.
type Fake struct {
	*httptest.Server
	dialect Dialect
	mu      sync.Mutex
	mode    Mode
	calls   int
	keys    []string
}

// NewFake starts a fake speaking dialect on loopback.
func NewFake(t testing.TB, d Dialect) *Fake {
	f := &Fake{dialect: d}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

// Set switches the fake's behaviour.
func (f *Fake) Set(m Mode) { f.mu.Lock(); f.mode = m; f.mu.Unlock() }

// Calls is the number of requests received.
func (f *Fake) Calls() int { f.mu.Lock(); defer f.mu.Unlock(); return f.calls }

// Keys are the Idempotency-Key headers received, in order.
func (f *Fake) Keys() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.keys...)
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	// Drain the body so the server notices when the client goes away.
	_, _ = io.Copy(io.Discard, r.Body)
	f.mu.Lock()
	f.calls++
	f.keys = append(f.keys, r.Header.Get("Idempotency-Key"))
	mode := f.mode
	f.mu.Unlock()
	switch mode {
	case ModeSuccess:
		f.dialect.Success(w, "REF-"+r.Header.Get("Idempotency-Key"))
	case ModeRetryable:
		f.dialect.Retryable(w)
	case ModePermanent:
		f.dialect.Permanent(w)
	case ModeMalformed:
		f.dialect.Malformed(w)
	case ModeDuplicate:
		f.dialect.Duplicate(w, "REF-"+r.Header.Get("Idempotency-Key"))
	case ModeSlow:
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}
}

// Delivery returns a valid delivery with the given idempotency key.
func Delivery(key string) connectors.Delivery {
	ticket, _ := json.Marshal(map[string]any{"code": "T-" + key, "title": "噪声扰民", "content": "夜间施工噪声"})
	return connectors.Delivery{
		IdempotencyKey: key, TicketID: "t-" + key, TicketCode: "T-" + key, Department: "D01",
		Role: "lead", Event: "dispatch", Ticket: ticket, CreatedAt: time.Now().UTC(),
	}
}

// chainCfg is a fast chain: no in-call retry, breaker trips after 3.
func chainCfg() resilience.Config {
	c := resilience.Defaults()
	c.Retry.MaxAttempts = 1
	c.Breaker.ConsecutiveFailures = 3
	c.Breaker.OpenTimeout = 150 * time.Millisecond
	c.Breaker.HalfOpenProbes = 1
	c.Timeout = 2 * time.Second
	return c
}

// Run runs the whole suite; every subtest gets a fresh fake and connector.
func Run(t *testing.T, k Kind) {
	setup := func(t *testing.T) (*Fake, connectors.Connector) {
		f := NewFake(t, k.Dialect)
		return f, k.New(t, f.URL)
	}
	t.Run("Success", func(t *testing.T) {
		f, c := setup(t)
		rc, err := c.Deliver(t.Context(), Delivery("k1"))
		if err != nil {
			t.Fatalf("deliver: %v", err)
		}
		if rc.Reference != "REF-k1" || rc.Duplicate {
			t.Fatalf("receipt %+v, want reference REF-k1", rc)
		}
		if keys := f.Keys(); len(keys) != 1 || keys[0] != "k1" {
			t.Fatalf("server saw keys %v, want [k1]", keys)
		}
	})
	t.Run("DuplicateIsSuccess", func(t *testing.T) {
		if k.Dialect.Duplicate == nil {
			t.Skipf("%s declares no duplicate answer (Dialect.Duplicate is nil)", k.Name)
		}
		f, c := setup(t)
		f.Set(ModeDuplicate)
		rc, err := c.Deliver(t.Context(), Delivery("d1"))
		if err != nil || !rc.Duplicate {
			t.Fatalf("duplicate answer: %+v %v, want success with Duplicate", rc, err)
		}
	})
	t.Run("Retryable5xx", func(t *testing.T) {
		f, c := setup(t)
		f.Set(ModeRetryable)
		_, err := c.Deliver(t.Context(), Delivery("k2"))
		if !errors.Is(err, connectors.ErrRetryable) || connectors.IsPermanent(err) {
			t.Fatalf("want retryable, got %v", err)
		}
	})
	t.Run("Permanent4xx", func(t *testing.T) {
		f, c := setup(t)
		f.Set(ModePermanent)
		_, err := c.Deliver(t.Context(), Delivery("k3"))
		if !connectors.IsPermanent(err) {
			t.Fatalf("want permanent, got %v", err)
		}
	})
	t.Run("MalformedAnswerIsAnError", func(t *testing.T) {
		f, c := setup(t)
		f.Set(ModeMalformed)
		_, err := c.Deliver(t.Context(), Delivery("k4"))
		if err == nil {
			t.Fatal("malformed answer accepted as success")
		}
	})
	t.Run("SlowBackendHonoursCallerDeadline", func(t *testing.T) {
		f, c := setup(t)
		f.Set(ModeSlow)
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := c.Deliver(ctx, Delivery("k5"))
		if el := time.Since(start); el > time.Second {
			t.Fatalf("deliver took %v past a 100ms deadline", el)
		}
		if !errors.Is(err, context.DeadlineExceeded) || connectors.IsPermanent(err) {
			t.Fatalf("want caller deadline (not permanent), got %v", err)
		}
	})
	t.Run("BreakerOpensAfterNFailures", func(t *testing.T) {
		f, c := setup(t)
		ch, err := resilience.Chain(chainCfg(), c, resilience.Deps{})
		if err != nil {
			t.Fatal(err)
		}
		f.Set(ModeRetryable)
		for i := range 3 {
			if _, err := ch.Deliver(t.Context(), Delivery("b"+string(rune('0'+i)))); err == nil {
				t.Fatal("want failure")
			}
		}
		if s := ch.BreakerState(); s != "open" {
			t.Fatalf("breaker %s after 3 failures, want open", s)
		}
		before := f.Calls()
		_, err = ch.Deliver(t.Context(), Delivery("b9"))
		if !errors.Is(err, resilience.ErrBreakerOpen) || f.Calls() != before {
			t.Fatalf("open breaker: err=%v, server calls %d→%d", err, before, f.Calls())
		}
	})
	t.Run("BreakerIgnoresCallerCancellationAndPermanent", func(t *testing.T) {
		f, c := setup(t)
		ch, _ := resilience.Chain(chainCfg(), c, resilience.Deps{})
		f.Set(ModeSlow)
		for range 6 {
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
			_, _ = ch.Deliver(ctx, Delivery("c"))
			cancel()
		}
		f.Set(ModePermanent)
		for range 6 {
			if _, err := ch.Deliver(t.Context(), Delivery("p")); !connectors.IsPermanent(err) {
				t.Fatalf("want permanent, got %v", err)
			}
		}
		if s := ch.BreakerState(); s != "closed" {
			t.Fatalf("breaker %s after cancellations and permanent errors, want closed", s)
		}
	})
	t.Run("HalfOpenRecovery", func(t *testing.T) {
		f, c := setup(t)
		ch, _ := resilience.Chain(chainCfg(), c, resilience.Deps{})
		f.Set(ModeRetryable)
		for range 3 {
			_, _ = ch.Deliver(t.Context(), Delivery("h"))
		}
		if s := ch.BreakerState(); s != "open" {
			t.Fatalf("breaker %s, want open", s)
		}
		f.Set(ModeSuccess)
		time.Sleep(200 * time.Millisecond)
		if s := ch.BreakerState(); s != "half-open" {
			t.Fatalf("breaker %s after open timeout, want half-open", s)
		}
		rc, err := ch.Deliver(t.Context(), Delivery("h2"))
		if err != nil || rc.Reference != "REF-h2" {
			t.Fatalf("probe: %+v %v", rc, err)
		}
		if s := ch.BreakerState(); s != "closed" {
			t.Fatalf("breaker %s after a good probe, want closed", s)
		}
	})
}

// RESTDialect is how a REST/JSON legacy system answers.
var RESTDialect = Dialect{
	Success: func(w http.ResponseWriter, ref string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]string{"reference": ref})
	},
	Retryable: func(w http.ResponseWriter) { http.Error(w, `{"error":"维护中"}`, http.StatusServiceUnavailable) },
	Permanent: func(w http.ResponseWriter) {
		http.Error(w, `{"error":"缺少必填字段"}`, http.StatusUnprocessableEntity)
	},
	Duplicate: func(w http.ResponseWriter, ref string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusConflict)
		_ = json.NewEncoder(w).Encode(map[string]string{"reference": ref})
	},
	Malformed: func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"reference": "unterminated`))
	},
}

// SOAPDialect is how a SOAP 1.1 legacy system answers.
var SOAPDialect = Dialect{
	Success: func(w http.ResponseWriter, ref string) {
		soapWrite(w, http.StatusOK, `<DeliverResponse xmlns="urn:x"><Reference>`+ref+`</Reference></DeliverResponse>`)
	},
	Retryable: func(w http.ResponseWriter) {
		soapWrite(w, http.StatusInternalServerError, `<soap:Fault><faultcode>soap:Server</faultcode><faultstring>数据库不可用</faultstring></soap:Fault>`)
	},
	Permanent: func(w http.ResponseWriter) {
		soapWrite(w, http.StatusInternalServerError, `<soap:Fault><faultcode>soap:Client</faultcode><faultstring>参数错误</faultstring></soap:Fault>`)
	},
	Duplicate: func(w http.ResponseWriter, ref string) {
		soapWrite(w, http.StatusOK, `<DeliverResponse xmlns="urn:x"><Reference>`+ref+`</Reference><Duplicate>true</Duplicate></DeliverResponse>`)
	},
	Malformed: func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><Reference>R`))
	},
}

func soapWrite(w http.ResponseWriter, status int, inner string) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(strings.Join([]string{`<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>`, inner, `</soap:Body></soap:Envelope>`}, "")))
}
