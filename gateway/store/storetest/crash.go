package storetest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hallgate/hallgate/gateway/store"
)

const (
	envCrashTarget  = "HALLGATE_STORETEST_CRASH_TARGET"
	envCrashWriters = "HALLGATE_STORETEST_CRASH_WRITERS"
	crashColl       = "crash"
	crashTopic      = "crash"
	crashPad        = "市民来电反映小区路灯不亮，请相关部门尽快处理。"
)

// OpenFunc opens the store a crash test writes to; target is backend-defined
// (a file path for bolt, "url|prefix" for Redis).
type OpenFunc func(ctx context.Context, target string) (store.Store, error)

// CrashChild must be called first in the backend's TestMain. In a crash
// child (the test binary re-executed by RunCrash) it opens target and writes
// until killed, never returning; in a normal run it returns at once.
func CrashChild(open OpenFunc) {
	target := os.Getenv(envCrashTarget)
	if target == "" {
		return
	}
	writers, _ := strconv.Atoi(os.Getenv(envCrashWriters))
	writers = max(writers, 1)
	ctx := context.Background()
	s, err := open(ctx, target)
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash child: open:", err)
		os.Exit(2)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := 0; ; seq++ {
				id := fmt.Sprintf("w%d-%07d", w, seq)
				data := crashData(w, seq, id)
				head := fmt.Sprintf(`{"writer":%d,"seq":%d}`, w, seq)
				_, err := s.Commit(ctx, store.Tx{
					Puts: []store.Put{
						{Record: store.Record{Collection: crashColl, ID: id, Data: data, Index: map[string]string{"writer": fmt.Sprint(w)}}},
						{Record: store.Record{Collection: crashColl, ID: fmt.Sprintf("head-%d", w), Data: []byte(head), Index: map[string]string{"kind": "head"}}, Force: true},
					},
					Enqueue: []store.OutboxItem{{ID: id, Topic: crashTopic, Key: fmt.Sprint(w), Payload: data}},
				})
				if err != nil {
					fmt.Fprintln(os.Stderr, "crash child: commit:", err)
					return
				}
				mu.Lock()
				_, _ = os.Stdout.WriteString("ack " + id + "\n") // one write(2) per line
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	os.Exit(3)
}

func crashData(w, seq int, id string) []byte {
	return []byte(fmt.Sprintf(`{"writer":%d,"seq":%d,"id":%q,"text":%q}`, w, seq, id, strings.Repeat(crashPad, 1+seq%4)))
}

// CrashOptions configure RunCrash.
type CrashOptions struct {
	// Target names a fresh, empty store for the child and for the reopen.
	Target string
	// Open reopens the store in the parent after the crash.
	Open OpenFunc
	// Acked is how many acknowledged writes to wait for before the kill (default 300).
	Acked int
	// Writers is the number of concurrent writers in the child (default 4).
	Writers int
	// Kill crashes the system under test; the default SIGKILLs the child.
	// A server-crash variant kills the server (and then the child).
	Kill func(t *testing.T, child *os.Process)
	// Restart runs after the child is gone and before the reopen (e.g. to
	// restart a killed server on its old data).
	Restart func(t *testing.T)
}

// RunCrash runs the crash test. The backend's TestMain must call CrashChild.
func RunCrash(t *testing.T, o CrashOptions) {
	t.Helper()
	if o.Acked <= 0 {
		o.Acked = 300
	}
	if o.Writers <= 0 {
		o.Writers = 4
	}
	if o.Kill == nil {
		o.Kill = func(t *testing.T, p *os.Process) {
			if err := p.Kill(); err != nil {
				t.Errorf("kill child: %v", err)
			}
		}
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envCrashTarget+"="+o.Target, envCrashWriters+"="+strconv.Itoa(o.Writers))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked, killed := readAcks(t, out, o, cmd.Process)
	_ = cmd.Wait()
	if !killed {
		t.Fatalf("child stopped after %d acknowledged writes, before the kill; stderr:\n%s", len(acked), stderr.String())
	}
	t.Logf("crash: %d writes acknowledged before the kill", len(acked))
	if o.Restart != nil {
		o.Restart(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := o.Open(ctx, o.Target)
	if err != nil {
		t.Fatalf("reopen after crash: %v", err)
	}
	defer s.Close()
	verifyCrash(t, ctx, s, acked)
}

// readAcks collects acknowledged ids until Acked of them, kills, then drains
// what the child printed before it died. A line without its newline was cut
// by the kill and is not an acknowledgement.
func readAcks(t *testing.T, out io.Reader, o CrashOptions, p *os.Process) ([]string, bool) {
	var acked []string
	killed := false
	timer := time.AfterFunc(90*time.Second, func() { _ = p.Kill() })
	defer timer.Stop()
	r := bufio.NewReader(out)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return acked, killed
		}
		id, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "ack ")
		if !ok {
			continue
		}
		acked = append(acked, id)
		if !killed && len(acked) >= o.Acked {
			killed = true
			o.Kill(t, p)
		}
	}
}

func verifyCrash(t *testing.T, ctx context.Context, s store.Store, acked []string) {
	t.Helper()
	maxSeq := map[int]int{}
	for _, id := range acked {
		r, err := s.Get(ctx, crashColl, id)
		if err != nil {
			t.Fatalf("acknowledged record %s lost: %v", id, err)
		}
		var d struct {
			Writer int    `json:"writer"`
			Seq    int    `json:"seq"`
			ID     string `json:"id"`
		}
		if err := json.Unmarshal(r.Data, &d); err != nil {
			t.Fatalf("record %s torn: %v (%q)", id, err, r.Data)
		}
		if !bytes.Equal(r.Data, crashData(d.Writer, d.Seq, id)) || d.ID != id || r.Version != 1 || r.Index["writer"] != fmt.Sprint(d.Writer) {
			t.Fatalf("record %s corrupt: version %d index %v data %q", id, r.Version, r.Index, r.Data)
		}
		maxSeq[d.Writer] = max(maxSeq[d.Writer], d.Seq)
	}
	// The head record moves with every commit: its version and content must agree.
	for w, seq := range maxSeq {
		h, err := s.Get(ctx, crashColl, fmt.Sprintf("head-%d", w))
		if err != nil {
			t.Fatalf("head of writer %d lost: %v", w, err)
		}
		var d struct{ Seq int }
		if err := json.Unmarshal(h.Data, &d); err != nil || d.Seq < seq || h.Version != uint64(d.Seq)+1 {
			t.Fatalf("head of writer %d: version %d data %q, acknowledged seq %d", w, h.Version, h.Data, seq)
		}
		listed, n := 0, 0
		for cursor := ""; ; {
			p, err := s.List(ctx, crashColl, store.ListOptions{Filter: map[string]string{"writer": fmt.Sprint(w)}, Limit: 1000, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			listed += len(p.Records)
			if cursor = p.NextCursor; cursor == "" {
				break
			}
		}
		if n, err = s.Count(ctx, crashColl, map[string]string{"writer": fmt.Sprint(w)}); err != nil || n != listed || n < seq+1 {
			t.Fatalf("writer %d: count %d (%v), listed %d, acknowledged up to seq %d", w, n, err, listed, seq)
		}
	}
	// Every acknowledged enqueue is claimable (with a lease long enough to see them all).
	claimed := map[string]bool{}
	for {
		items, err := s.Claim(ctx, crashTopic, "verifier", store.MaxClaim, 5*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if len(items) == 0 {
			break
		}
		for _, it := range items {
			if !json.Valid(it.Payload) {
				t.Fatalf("outbox item %s torn: %q", it.ID, it.Payload)
			}
			claimed[it.ID] = true
		}
	}
	for _, id := range acked {
		if !claimed[id] {
			t.Fatalf("acknowledged outbox item %s not claimable (claimed %d)", id, len(claimed))
		}
	}
	// The store still takes writes.
	if _, err := s.Commit(ctx, store.Tx{Puts: []store.Put{{Record: store.Record{Collection: crashColl, ID: "after", Data: []byte(`{}`)}}}}); err != nil {
		t.Fatalf("write after crash: %v", err)
	}
}
