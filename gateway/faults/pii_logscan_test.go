package faults_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// randomMobile returns a fresh mainland mobile number for this run, so a
// hit in the logs can only come from this test's requests.
func randomMobile() string {
	prefixes := []string{"139", "158", "177", "186", "199"}
	return prefixes[rand.IntN(len(prefixes))] + fmt.Sprintf("%08d", rand.IntN(100000000))
}

// phoneForms are the common written forms of a mainland mobile number.
func phoneForms(p string) []string {
	a, b, c := p[:3], p[3:7], p[7:]
	return []string{p, a + " " + b + " " + c, a + "-" + b + "-" + c, "+86" + p, "+86 " + p, "+86 " + a + " " + b + " " + c,
		"86" + p, "(+86)" + p, "0086" + p, a + "." + b + "." + c}
}

var nonDigits = regexp.MustCompile(`[^0-9]`)

// TestLogsHoldNoPersonalData runs the flows that carry a citizen's phone
// number and name through a real gateway — intake, ticket events with the
// number in the text, a message, an Open311 request, call events (ringing,
// answered, hangup, a missed call), lookups by number, refused requests
// that echo the number, department callbacks — and then searches every
// line the process wrote for the numbers (every written form, and the bare
// digits of each line) and the names.
func TestLogsHoldNoPersonalData(t *testing.T) {
	t.Parallel()
	phones := map[string]string{} // flow → number
	for _, f := range []string{"intake", "text", "message", "open311", "call", "missed", "lookup", "bad"} {
		phones[f] = randomMobile()
	}
	names := []string{"上官雪芮", "欧阳振邦", "司徒明轩", "慕容清婉"}
	g := newGateway(t, gatewayOpts{env: []string{"HALLGATE_LOG_LEVEL=debug"}})
	sim := startSimulator(t, g.base)
	g.cfgPath = writeConfig(t, sim.base)
	g.start()
	seedDepartment(t, g.base)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	post := func(path, token, body string, hdr map[string]string) (int, []byte) {
		t.Helper()
		st, b, err := do(ctx, "POST", g.base+path, token, body, hdr)
		if err != nil {
			t.Fatalf("POST %s: %v", path, err)
		}
		return st, b
	}
	expect := func(what string, st int, b []byte, want ...int) {
		t.Helper()
		for _, w := range want {
			if st == w {
				return
			}
		}
		t.Fatalf("%s: %d %s", what, st, b)
	}
	spaced := func(p string) string { return p[:3] + " " + p[3:7] + " " + p[7:] }

	// 1. intake by an agent with caller name and number, dispatched at once
	// (the department then calls back accepted and replied).
	st, b := post("/api/v1/tickets", adminToken, fmt.Sprintf(`{"channel":"hotline","type":"投诉","text":"楼下餐馆油烟扰民，来电人%s，回电%s","caller":{"name":%q,"phone":%q},"department":%q}`,
		names[0], phones["text"], names[0], spaced(phones["intake"]), dept), map[string]string{"Idempotency-Key": "pii-1"})
	expect("intake", st, b, 201)
	var res struct {
		Ticket struct{ ID, Code string } `json:"ticket"`
	}
	_ = json.Unmarshal(b, &res)
	// 2. a second ticket without department, then events carrying the number
	st, b = post("/api/v1/tickets", adminToken, fmt.Sprintf(`{"channel":"hall","type":"咨询","text":"咨询公积金提取","caller":{"name":%q,"phone":"+86 %s"}}`,
		names[1], phones["intake"]), nil)
	expect("intake 2", st, b, 201)
	var res2 struct {
		Ticket struct{ ID string } `json:"ticket"`
	}
	_ = json.Unmarshal(b, &res2)
	st, b = post("/api/v1/tickets/"+res2.Ticket.ID+"/events", adminToken, fmt.Sprintf(`{"type":"dispatch","department":%q,"reason":"市民%s（%s）要求转办"}`, dept, names[1], phones["text"]), nil)
	expect("dispatch event", st, b, 200, 201)
	st, b = post("/api/v1/tickets/"+res2.Ticket.ID+"/events", adminToken, fmt.Sprintf(`{"type":"supervise","note":"督办：市民%s来电%s催办","text":"督办：市民%s来电%s催办"}`, names[1], spaced(phones["text"]), names[1], phones["text"]), nil)
	expect("supervise event", st, b, 200, 201)
	// 3. a citizen's message
	st, b = post("/api/v1/messages", "", fmt.Sprintf(`{"title":"噪音投诉","content":"夜间施工太吵，请联系我 %s","name":%q,"phone":"%s"}`,
		phones["message"], names[2], phones["message"][:3]+"-"+phones["message"][3:7]+"-"+phones["message"][7:]), nil)
	expect("message", st, b, 201)
	// 4. an Open311 request, form-encoded with an api_key
	var tok struct{ Token string }
	_ = json.Unmarshal(mustDo(t, "POST", g.base+"/api/v1/tokens", adminToken, `{"name":"open311 client","roles":["open311"]}`, 201), &tok)
	var services []struct {
		ServiceCode string `json:"service_code"`
	}
	_ = json.Unmarshal(mustDo(t, "GET", g.base+"/open311/v2/services.json", "", "", 200), &services)
	if len(services) == 0 {
		t.Fatal("no Open311 services")
	}
	form := url.Values{"api_key": {tok.Token}, "service_code": {services[0].ServiceCode}, "description": {"路口井盖缺失，联系电话" + phones["open311"]},
		"address_string": {"人民路12号"}, "first_name": {names[3][2:]}, "last_name": {names[3][:2]}, "phone": {"+86 " + phones["open311"]}}
	st, b, err := doForm(ctx, g.base+"/open311/v2/requests.json", form)
	if err != nil || st != 200 {
		t.Fatalf("open311: %d %v %s", st, err, b)
	}
	// 5. call events: an answered call and a missed one
	at := time.Now().UTC()
	for i, ev := range []string{"ringing", "answered", "hangup"} {
		st, b = post("/api/v1/calls", adminToken, fmt.Sprintf(`{"call_id":"pii-call-1","event":%q,"from":"+86%s","to":"12345","agent":"a01","at":%q}`,
			ev, phones["call"], at.Add(time.Duration(i)*time.Second).Format(time.RFC3339Nano)), nil)
		expect("call "+ev, st, b, 200, 201, 202)
	}
	for i, ev := range []string{"ringing", "hangup"} {
		st, b = post("/api/v1/calls", adminToken, fmt.Sprintf(`{"call_id":"pii-call-2","event":%q,"from":%q,"to":"12345","at":%q}`,
			ev, spaced(phones["missed"]), at.Add(time.Duration(i)*time.Second).Format(time.RFC3339Nano)), nil)
		expect("missed "+ev, st, b, 200, 201, 202)
	}
	// 6. lookups by number
	for _, q := range []string{"/api/v1/tickets?caller_phone=" + url.QueryEscape(phones["lookup"]), "/api/v1/tickets?caller_phone=" + url.QueryEscape(spaced(phones["intake"])),
		"/api/v1/tickets/track?code=" + res.Ticket.Code + "&phone_last4=" + phones["intake"][7:]} {
		if st, b, err := do(ctx, "GET", g.base+q, adminToken, "", nil); err != nil || st >= 500 {
			t.Fatalf("lookup %s: %d %v %s", q, st, err, b)
		}
	}
	// 7. refused requests that carry the number and name
	st, _ = post("/api/v1/calls", adminToken, fmt.Sprintf(`{"call_id":"","event":"bogus","from":"%s%s"}`, phones["bad"], strings.Repeat("9", 60)), nil)
	expect("bad call event", st, nil, 400, 422)
	st, _ = post("/api/v1/tickets", adminToken, fmt.Sprintf(`{"channel":"nowhere","type":"投诉","text":"","caller":{"name":%q,"phone":%q},"department":"NOPE"}`, names[0], phones["bad"]), nil)
	expect("bad intake", st, nil, 400, 422)
	st, _ = post("/api/v1/messages", "", fmt.Sprintf(`{"title":"","content":"","name":%q,"phone":"x%s"}`, names[2], phones["bad"]), nil)
	expect("bad message", st, nil, 400, 422, 429)
	st, _ = post("/api/v1/connectors/"+connectorName+"/callbacks", "", fmt.Sprintf(`{"type":"replied","ticket_id":%q,"text":"已联系%s %s"}`, res.Ticket.ID, names[0], phones["bad"]), map[string]string{"X-Signature": "sha256=00"})
	expect("unsigned callback", st, nil, 400, 401, 403)
	st, _, _ = doForm(ctx, g.base+"/open311/v2/requests.json", url.Values{"api_key": {tok.Token}, "service_code": {services[0].ServiceCode}, "description": {""},
		"phone": {phones["bad"]}, "first_name": {names[3]}, "lat": {"999"}, "long": {"x"}})
	expect("bad open311", st, nil, 400)

	// department callbacks (accepted, replied) for both dispatched tickets
	waitFor(t, 30*time.Second, "department callbacks", func() bool { return sim.stats(t).Callbacks >= 4 })
	time.Sleep(300 * time.Millisecond) // let the last callback's request log line be written
	// The audit trail of the same flows, as an inspection would export it.
	st, auditCSV, err := do(ctx, "GET", g.base+"/api/v1/audit?format=csv", adminToken, "", nil)
	if err != nil || st != 200 {
		t.Fatalf("audit export: %d %v", st, err)
	}
	auditLines := strings.Split(strings.TrimSpace(string(auditCSV)), "\r\n")
	if len(auditLines) < 20 || !strings.Contains(string(auditCSV), ",是,") {
		t.Fatalf("the audit trail holds %d lines and no read of personal data: the scan would prove nothing\n%s", len(auditLines), auditCSV)
	}
	g.p.term(t)

	logs := g.allLogs()
	lines := strings.Split(logs, "\n")
	if len(lines) < 30 {
		t.Fatalf("only %d log lines captured: the scan would prove nothing\n%s", len(lines), logs)
	}
	var needles []string
	for _, p := range phones {
		needles = append(needles, phoneForms(p)...)
	}
	for _, n := range names {
		needles = append(needles, n, strings.Trim(strings.TrimPrefix(fmt.Sprintf("%q", n), `"`), `"`), jsonEscape(n))
	}
	// The scanner must see a planted line, or a clean result proves nothing.
	planted := fmt.Sprintf(`{"msg":"x","caller":"%s","who":%q}`, "+86 "+spaced(phones["call"]), names[0])
	if got := scanLine(planted, needles, phones); len(got) < 2 {
		t.Fatalf("scanner missed a planted line: %v", got)
	}
	hits := 0
	for i, line := range lines {
		for _, h := range scanLine(line, needles, phones) {
			hits++
			t.Errorf("log line %d holds %s: %s", i+1, h, line)
		}
	}
	for i, line := range auditLines {
		for _, h := range scanLine(line, needles, phones) {
			hits++
			t.Errorf("audit entry %d holds %s: %s", i, h, line)
		}
	}
	t.Logf("scanned %d log lines (%d bytes) and %d audit entries for %d numbers × %d forms and %d names: %d hits", len(lines), len(logs), len(auditLines)-1, len(phones), len(phoneForms("13900000000")), len(names), hits)
}

func jsonEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		fmt.Fprintf(&b, `\u%04x`, r)
	}
	return b.String()
}

// scanLine names what of the personal data a log line holds: any needle
// verbatim, or any number among the line's digits once separators go.
func scanLine(line string, needles []string, phones map[string]string) []string {
	var hits []string
	for _, n := range needles {
		if strings.Contains(line, n) {
			hits = append(hits, fmt.Sprintf("%q", n))
		}
	}
	digits := nonDigits.ReplaceAllString(line, "")
	for flow, p := range phones {
		if strings.Contains(digits, p) {
			hits = append(hits, "the "+flow+" number (separators removed)")
		}
	}
	return hits
}
