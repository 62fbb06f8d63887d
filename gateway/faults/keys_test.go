package faults_test

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// sharedKeyEnv returns HALLGATE_PII_KEY and HALLGATE_HASH_KEY for a set of
// replicas: generated keys live per data dir, so replicas must be given
// the same ones (docs/SCALE.md).
func sharedKeyEnv(t *testing.T) []string {
	t.Helper()
	k := func() string {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		return base64.StdEncoding.EncodeToString(b)
	}
	return []string{"HALLGATE_PII_KEY=" + k(), "HALLGATE_HASH_KEY=" + k()}
}

// TestReplicasWithSharedKeysReadEachOthersCallers: a ticket filed with a
// caller through replica A is readable, caller included, through replica
// B, and B finds it by the caller's number. (With keys generated per data
// dir instead, B answers 500 "pii: cannot open sealed value" and the lookup
// finds nothing — see docs/SCALE.md.)
func TestReplicasWithSharedKeysReadEachOthersCallers(t *testing.T) {
	t.Parallel()
	rs := startRedis(t)
	keys := sharedKeyEnv(t)
	a := newGateway(t, gatewayOpts{name: "replica-a", redisURL: rs.url(), prefix: "keys:", env: keys})
	b := newGateway(t, gatewayOpts{name: "replica-b", redisURL: rs.url(), prefix: "keys:", env: keys})
	a.start()
	b.start()
	phone, name := randomMobile(), "诸葛云澜"
	body := `{"channel":"hotline","type":"咨询","text":"咨询社保转移","caller":{"name":"` + name + `","phone":"` + phone + `"}}`
	var res struct {
		Ticket struct{ ID string } `json:"ticket"`
	}
	if err := json.Unmarshal(mustDo(t, "POST", a.base+"/api/v1/tickets", adminToken, body, 201), &res); err != nil {
		t.Fatal(err)
	}
	got := string(mustDo(t, "GET", b.base+"/api/v1/tickets/"+res.Ticket.ID, adminToken, "", 200))
	if !strings.Contains(got, phone) || !strings.Contains(got, name) {
		t.Fatalf("replica B does not show the caller: %s", got)
	}
	found := string(mustDo(t, "GET", b.base+"/api/v1/tickets?caller_phone="+url.QueryEscape(phone), adminToken, "", 200))
	if !strings.Contains(found, res.Ticket.ID) {
		t.Fatalf("replica B does not find the ticket by the caller's number: %s", found)
	}
}
