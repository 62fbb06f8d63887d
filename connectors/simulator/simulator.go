package simulator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/hallgate/hallgate/connectors"
)

// Options configure a simulator.
type Options struct {
	Addr       string // for Run, e.g. "127.0.0.1:9301"
	Department string // department code, used in references
	// Token, when set, is the bearer token the REST flavour requires.
	Token string
	// CallbackURL, when set, receives signed events (accepted, then replied)
	// for each new delivery; CallbackSecret signs them.
	CallbackURL    string
	CallbackSecret string
	CallbackDelay  time.Duration // before "accepted", and again before "replied"; default 1 s
	Logger         *slog.Logger
}

// Faults are injected on command. Rates are fractions in [0, 1].
type Faults struct {
	LatencyMS   int     `json:"latency_ms"`   // added to every answer
	ErrorRate   float64 `json:"error_rate"`   // answered with ErrorStatus before storing
	ErrorStatus int     `json:"error_status"` // default 503
	// LostAckRate stores the delivery and then answers 503, as a system that
	// crashes after its commit: the retry must come back as a duplicate.
	LostAckRate       float64 `json:"lost_ack_rate"`
	TimeoutRate       float64 `json:"timeout_rate"`        // hang until the caller gives up
	RetryAfterSeconds int     `json:"retry_after_seconds"` // sent with injected errors
	// Outage closes every connection without an answer, for OutageSeconds
	// from the command (0 with Outage=true: until cleared).
	Outage        bool      `json:"outage"`
	OutageSeconds float64   `json:"outage_seconds"`
	OutageUntil   time.Time `json:"outage_until,omitzero"`
}

// Received is what the inspection endpoint reports.
type Received struct {
	Total      int            `json:"total"`      // deliveries answered (first + duplicates)
	Unique     int            `json:"unique"`     // distinct idempotency keys stored
	Duplicates int            `json:"duplicates"` // repeated keys absorbed
	Rejected   int            `json:"rejected"`   // injected errors, outages and hangs
	Keys       map[string]int `json:"keys"`       // key → times received
	Callbacks  int            `json:"callbacks"`  // callbacks delivered to the gateway
}

type record struct {
	Reference  string
	TicketID   string
	TicketCode string
	Count      int
}

// Simulator is the http.Handler of one department system.
type Simulator struct {
	opts Options
	mux  *http.ServeMux
	log  *slog.Logger

	mu        sync.Mutex
	faults    Faults
	seen      map[string]*record
	seq       int
	total     int
	rejected  int
	callbacks int

	stop chan struct{}
	wg   sync.WaitGroup
	once sync.Once
	cli  *http.Client
}

// New builds a simulator; call Close to stop pending callbacks.
func New(opts Options) *Simulator {
	if opts.CallbackDelay == 0 {
		opts.CallbackDelay = time.Second
	}
	if opts.Department == "" {
		opts.Department = "SIM"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Simulator{opts: opts, mux: http.NewServeMux(), log: opts.Logger, seen: map[string]*record{}, stop: make(chan struct{}), cli: &http.Client{Timeout: 10 * time.Second}}
	s.mux.HandleFunc("POST /rest/deliveries", s.rest)
	s.mux.HandleFunc("POST /soap", s.soap)
	s.mux.HandleFunc("GET /admin/received", s.received)
	s.mux.HandleFunc("GET /admin/faults", s.getFaults)
	s.mux.HandleFunc("POST /admin/faults", s.setFaults)
	s.mux.HandleFunc("POST /admin/reset", s.reset)
	s.mux.HandleFunc("HEAD /rest/deliveries", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	return s
}

var _ http.Handler = (*Simulator)(nil)

func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Close stops scheduling callbacks and waits for the ones in flight.
func (s *Simulator) Close() {
	s.once.Do(func() { close(s.stop) })
	s.wg.Wait()
}

// SetFaults replaces the injected faults (as POST /admin/faults does).
func (s *Simulator) SetFaults(f Faults) {
	if f.ErrorStatus == 0 {
		f.ErrorStatus = http.StatusServiceUnavailable
	}
	if f.OutageSeconds > 0 {
		f.OutageUntil = time.Now().Add(time.Duration(f.OutageSeconds * float64(time.Second)))
	} else if f.Outage {
		f.OutageUntil = time.Now().Add(100 * 365 * 24 * time.Hour)
	}
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
}

// Stats returns what has been received so far.
func (s *Simulator) Stats() Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := Received{Total: s.total, Unique: len(s.seen), Rejected: s.rejected, Keys: make(map[string]int, len(s.seen)), Callbacks: s.callbacks}
	for k, r := range s.seen {
		out.Keys[k] = r.Count
		out.Duplicates += r.Count - 1
	}
	return out
}

// injected decides this request's fate before it is stored: it may hang,
// drop the connection or answer an error. ok=false means it was handled.
func (s *Simulator) injected(w http.ResponseWriter, r *http.Request) (lostAck bool, ok bool) {
	s.mu.Lock()
	f := s.faults
	s.mu.Unlock()
	if f.LatencyMS > 0 {
		select {
		case <-time.After(time.Duration(f.LatencyMS) * time.Millisecond):
		case <-r.Context().Done():
			s.reject()
			return false, false
		}
	}
	switch {
	case !f.OutageUntil.IsZero() && time.Now().Before(f.OutageUntil):
		s.reject()
		if hj, isHJ := w.(http.Hijacker); isHJ {
			if conn, _, err := hj.Hijack(); err == nil {
				if tc, isTCP := conn.(*net.TCPConn); isTCP {
					_ = tc.SetLinger(0) // reset, like a system that is gone
				}
				conn.Close()
				return false, false
			}
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		return false, false
	case f.TimeoutRate > 0 && rand.Float64() < f.TimeoutRate:
		s.reject()
		select {
		case <-r.Context().Done():
		case <-s.stop:
		}
		return false, false
	case f.ErrorRate > 0 && rand.Float64() < f.ErrorRate:
		s.reject()
		if f.RetryAfterSeconds > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfterSeconds))
		}
		http.Error(w, "injected failure", f.ErrorStatus)
		return false, false
	}
	return f.LostAckRate > 0 && rand.Float64() < f.LostAckRate, true
}

func (s *Simulator) reject() {
	s.mu.Lock()
	s.rejected++
	s.mu.Unlock()
}

// store records a delivery; dup reports a repeated key.
func (s *Simulator) store(key, ticketID, ticketCode string) (ref string, dup bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total++
	if r, ok := s.seen[key]; ok {
		r.Count++
		return r.Reference, true
	}
	s.seq++
	ref = fmt.Sprintf("%s-%06d", s.opts.Department, s.seq)
	s.seen[key] = &record{Reference: ref, TicketID: ticketID, TicketCode: ticketCode, Count: 1}
	return ref, false
}

func (s *Simulator) rest(w http.ResponseWriter, r *http.Request) {
	if s.opts.Token != "" && r.Header.Get("Authorization") != "Bearer "+s.opts.Token {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "unauthorized"})
		return
	}
	lostAck, ok := s.injected(w, r)
	if !ok {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unreadable body"})
		return
	}
	var d connectors.Delivery
	if err := json.Unmarshal(body, &d); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "malformed JSON"})
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		key = d.IdempotencyKey
	}
	if key == "" || d.TicketID == "" {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": "idempotency key and ticket_id are required"})
		return
	}
	ref, dup := s.store(key, d.TicketID, d.TicketCode)
	if !dup {
		s.scheduleCallbacks(key, d.TicketID, d.TicketCode, ref)
	}
	switch {
	case lostAck:
		http.Error(w, "crashed after commit", http.StatusServiceUnavailable)
	case dup:
		writeJSON(w, http.StatusConflict, map[string]any{"reference": ref, "duplicate": true})
	default:
		writeJSON(w, http.StatusCreated, map[string]any{"reference": ref, "status": "received"})
	}
}

func (s *Simulator) received(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Stats())
}

func (s *Simulator) getFaults(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	f := s.faults
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, f)
}

func (s *Simulator) setFaults(w http.ResponseWriter, r *http.Request) {
	var f Faults
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&f); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "malformed JSON"})
		return
	}
	var bad []string
	for name, v := range map[string]float64{"error_rate": f.ErrorRate, "lost_ack_rate": f.LostAckRate, "timeout_rate": f.TimeoutRate} {
		if v < 0 || v > 1 {
			bad = append(bad, name)
		}
	}
	if f.LatencyMS < 0 || f.OutageSeconds < 0 {
		bad = append(bad, "latency_ms/outage_seconds")
	}
	if len(bad) > 0 {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": "out of range", "fields": bad})
		return
	}
	s.SetFaults(f)
	s.getFaults(w, r)
}

func (s *Simulator) reset(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	s.faults = Faults{}
	s.seen = map[string]*record{}
	s.total, s.rejected, s.callbacks, s.seq = 0, 0, 0, 0
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// scheduleCallbacks sends "accepted" then "replied" to the gateway.
func (s *Simulator) scheduleCallbacks(key, ticketID, ticketCode, ref string) {
	if s.opts.CallbackURL == "" {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for _, ev := range []connectors.Event{
			{ID: key + ":accepted", Type: connectors.EventAccepted, TicketID: ticketID, TicketCode: ticketCode, Reference: ref, Note: "已受理（模拟）"},
			{ID: key + ":replied", Type: connectors.EventReplied, TicketID: ticketID, TicketCode: ticketCode, Reference: ref, Text: "已办结（模拟答复）"},
		} {
			select {
			case <-time.After(s.opts.CallbackDelay):
			case <-s.stop:
				return
			}
			ev.At = time.Now().UTC()
			if err := s.sendCallback(ev); err != nil {
				s.log.Warn("simulator callback failed", "event", ev.ID, "err", err)
				return
			}
		}
	}()
}

func (s *Simulator) sendCallback(ev connectors.Event) error {
	body, _ := json.Marshal(ev)
	var last error
	for try := range 5 {
		ts := time.Now().Unix()
		req, err := http.NewRequest(http.MethodPost, s.opts.CallbackURL, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(connectors.HeaderTimestamp, strconv.FormatInt(ts, 10))
		req.Header.Set(connectors.HeaderSignature, connectors.Sign([]byte(s.opts.CallbackSecret), ts, body))
		resp, err := s.cli.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 300 {
				s.mu.Lock()
				s.callbacks++
				s.mu.Unlock()
				return nil
			}
			last = fmt.Errorf("status %d", resp.StatusCode)
			if resp.StatusCode < 500 {
				return last
			}
		} else {
			last = err
		}
		select {
		case <-time.After(time.Duration(1<<try) * 200 * time.Millisecond):
		case <-s.stop:
			return last
		}
	}
	return last
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Run serves a simulator on opts.Addr until ctx ends.
func Run(ctx context.Context, opts Options) error {
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return fmt.Errorf("simulator listen: %w", err)
	}
	return Serve(ctx, ln, New(opts))
}

// Serve serves sim on ln until ctx ends, then shuts down gracefully.
func Serve(ctx context.Context, ln net.Listener, sim *Simulator) error {
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		sim.Close()
		return err
	case <-ctx.Done():
	}
	sim.Close()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
