package topics

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/store"
	"github.com/hallgate/hallgate/gateway/store/bolt"
	"github.com/hallgate/hallgate/gateway/store/storetest"
)

// backends are the stores these tests run on.
func backends(t *testing.T) map[string]func(t *testing.T) store.Store {
	return storetest.Backends(t, "topics")
}

func signals(start time.Time) (bg, burst []TicketSignal) {
	subjects := []string{"公积金提取需要什么材料", "社保卡丢了怎么补办", "孩子入学报名的时间", "个体户营业执照怎么年报", "医保异地就医备案流程",
		"小区门口占道经营", "出租车拒载", "路灯坏了不亮", "公园厕所太脏", "驾驶证到期换证"}
	for i := 0; i < 300; i++ {
		bg = append(bg, TicketSignal{ID: fmt.Sprintf("bg-%d", i), Code: fmt.Sprintf("C%d", i), Text: "来电咨询：" + subjects[i%len(subjects)],
			District: "甲区", Created: start.Add(time.Duration(i) * 10 * time.Minute)})
	}
	texts := []string{"翠湖家园小区停水了，已经半天", "翠湖家园整个小区没水，也没有停水通知", "我们翠湖家园一直不来水，老人没法做饭",
		"翠湖家园自来水停了，请尽快恢复供水", "翠湖家园小区停水，什么时候来水", "翠湖家园家里水龙头没水了", "翠湖家园停水三个小时了"}
	at := start.Add(300 * 10 * time.Minute)
	for i, txt := range texts {
		burst = append(burst, TicketSignal{ID: fmt.Sprintf("w-%d", i), Code: fmt.Sprintf("W%d", i), Text: txt, District: "乙区",
			Address: "乙区翠湖家园", Department: "water", Created: at.Add(time.Duration(i*4) * time.Minute)})
	}
	return bg, burst
}

func drain(t *testing.T, ds ...*Detector) {
	t.Helper()
	for round := 0; round < 100; round++ {
		total := 0
		for _, d := range ds {
			n, err := d.ProcessOnce(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			total += n
		}
		if total == 0 {
			return
		}
	}
	t.Fatal("queue did not drain")
}

func TestDetectorReplicasFireOnceAcrossRestart(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			start := time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)
			bg, burst := signals(start)
			now := func() time.Time { return burst[len(burst)-1].Created.Add(time.Minute) }
			a, err := Open(ctx, Options{Store: st, Owner: "a", Now: now})
			if err != nil {
				t.Fatal(err)
			}
			b, err := Open(ctx, Options{Store: st, Owner: "b", Now: now})
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range bg {
				d := a
				if i%2 == 1 {
					d = b
				}
				if err := d.Observe(ctx, s); err != nil {
					t.Fatal(err)
				}
				if i%50 == 49 {
					drain(t, a, b)
				}
			}
			drain(t, a, b)
			for _, s := range burst {
				if err := b.Observe(ctx, s); err != nil {
					t.Fatal(err)
				}
				if err := b.Observe(ctx, s); err != nil { // the same ticket twice
					t.Fatal(err)
				}
			}
			drain(t, a, b)

			list, err := b.List(ctx, ListFilter{})
			if err != nil {
				t.Fatal(err)
			}
			var topic Topic
			for _, tp := range list {
				if tp.District == "乙区" {
					topic = tp
				}
			}
			if topic.ID == "" || !topic.Fired || topic.Count < 4 || topic.Status != StatusRising {
				t.Fatalf("burst topic not listed as rising and fired: %+v (all: %d)", topic, len(list))
			}
			if len(topic.Departments) == 0 || topic.Departments[0] != "water" || len(topic.TopAddresses) == 0 || len(topic.Trend) == 0 {
				t.Fatalf("topic view incomplete: %+v", topic)
			}
			pend, err := st.Pending(ctx, TopicAlert)
			if err != nil {
				t.Fatal(err)
			}
			if pend["webhook"].Depth != 1 {
				for _, tp := range list {
					t.Logf("topic %s %s %d %v %v", tp.ID, tp.Title, tp.Count, tp.FirstSeen, tp.LastSeen)
				}
				t.Fatalf("alerts queued = %+v, want exactly 1", pend)
			}

			// The lease holder goes away; a fresh replica loads the stored
			// state, and more tickets of the same matter do not fire again.
			if err := st.ReleaseLease(ctx, LeaseName, "a"); err != nil {
				t.Fatal(err)
			}
			if err := st.ReleaseLease(ctx, LeaseName, "b"); err != nil {
				t.Fatal(err)
			}
			c, err := Open(ctx, Options{Store: st, Owner: "c", Now: now})
			if err != nil {
				t.Fatal(err)
			}
			more := burst[len(burst)-1]
			more.ID, more.Created = "w-late", more.Created.Add(2*time.Minute)
			if err := c.Observe(ctx, more); err != nil {
				t.Fatal(err)
			}
			if err := c.Observe(ctx, burst[0]); err != nil { // replayed after processing
				t.Fatal(err)
			}
			drain(t, c)
			got, err := c.Get(ctx, topic.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Count != topic.Count+1 {
				t.Fatalf("after restart count = %d, want %d (replay must be ignored, the new ticket counted)", got.Count, topic.Count+1)
			}
			pend, _ = st.Pending(ctx, TopicAlert)
			if pend["webhook"].Depth != 1 {
				t.Fatalf("alerts after restart = %+v, want still 1", pend)
			}
			if _, err := c.Get(ctx, "nope"); err == nil {
				t.Fatal("unknown topic found")
			}
		})
	}
}

func TestAlerterSignsRetriesAndDeliversOnce(t *testing.T) {
	ctx := context.Background()
	st, err := bolt.Open(ctx, bolt.Options{Path: filepath.Join(t.TempDir(), "a.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	secret := []byte("0123456789abcdef0123")
	var calls atomic.Int32
	var mu sync.Mutex
	var bodies []alertBody
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		raw, _ := io.ReadAll(r.Body)
		if err := auth.VerifyHMAC(secret, r.Header.Get(auth.HeaderSignature), r.Header.Get(auth.HeaderTimestamp), raw, time.Now(), time.Minute); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		if n == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		var b alertBody
		if err := json.Unmarshal(raw, &b); err != nil || r.Header.Get(HeaderEventID) != b.Topic.ID {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		mu.Lock()
		bodies = append(bodies, b)
		mu.Unlock()
	}))
	defer srv.Close()
	payload, _ := json.Marshal(alertBody{Event: "topic.flagged", Topic: Topic{ID: "tp-1", Title: "乙区 停水"}})
	if _, err := st.Commit(ctx, store.Tx{Enqueue: []store.OutboxItem{{ID: TopicAlert + "/tp-1", Topic: TopicAlert, Key: "webhook", Payload: payload}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := NewAlerter(AlertOptions{Store: st, URL: "ftp://x", Secret: []byte("short")}); err == nil {
		t.Fatal("bad options accepted")
	}
	al, err := NewAlerter(AlertOptions{Store: st, URL: srv.URL, Secret: secret, Backoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for calls.Load() < 2 && time.Now().Before(deadline) {
		if _, err := al.DeliverOnce(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(15 * time.Millisecond)
	}
	for i := 0; i < 3; i++ {
		if _, err := al.DeliverOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if calls.Load() != 2 || len(bodies) != 1 || bodies[0].Topic.ID != "tp-1" {
		t.Fatalf("calls %d, delivered %+v; want one failure then one delivery", calls.Load(), bodies)
	}
	pend, _ := st.Pending(ctx, TopicAlert)
	if pend["webhook"].Depth != 0 {
		t.Fatalf("alert still queued: %+v", pend)
	}
}
