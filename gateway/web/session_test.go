package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestSessionsCSRFAndBridge(t *testing.T) {
	c := startCity(t)
	anon := client(t)

	// Staff pages redirect to /login without a session.
	for _, p := range []string{"/agent", "/admin"} {
		res, err := anon.Get(c.base + p)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
			t.Fatalf("%s without session: %d %q", p, res.StatusCode, res.Header.Get("Location"))
		}
	}
	// A wrong password is refused and starts no session.
	_, _, tok := getPage(t, anon, c.base+"/login")
	res, err := anon.PostForm(c.base+"/login", url.Values{"csrf_token": {tok}, "username": {"agent"}, "password": {"wrong-password-x"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", res.StatusCode)
	}
	// Login without the CSRF token is 403.
	res, err = anon.PostForm(c.base+"/login", url.Values{"username": {"agent"}, "password": {"demo-agent-pass"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("login without csrf: %d", res.StatusCode)
	}

	agent := client(t)
	csrf := login(t, agent, c.base, "agent", "demo-agent-pass")
	for _, ck := range agent.Jar.Cookies(mustURL(t, c.base)) {
		if ck.Name == "hallgate_session" && len(ck.Value) < 32 {
			t.Fatalf("short session cookie")
		}
	}
	// The session reads the API through the bridge.
	code, body := do(t, agent, "GET", c.base+"/ui/api/v1/tickets?limit=5", "", "")
	if code != 200 || !strings.Contains(body, `"tickets"`) {
		t.Fatalf("bridge GET: %d %s", code, body)
	}
	// A state-changing call without or with a wrong CSRF header is 403 and writes nothing.
	intake := `{"channel":"hotline","type":"咨询","text":"测试：路灯不亮","caller":{"phone":"13700137003"}}`
	for _, bad := range []string{"", "not-the-token"} {
		if code, body := do(t, agent, "POST", c.base+"/ui/api/v1/tickets", bad, intake); code != http.StatusForbidden {
			t.Fatalf("bridge POST csrf=%q: %d %s", bad, code, body)
		}
	}
	if n := countTickets(t, agent, c.base, "测试：路灯不亮"); n != 0 {
		t.Fatalf("refused intake wrote %d tickets", n)
	}
	code, body = do(t, agent, "POST", c.base+"/ui/api/v1/tickets", csrf, intake)
	if code != http.StatusCreated {
		t.Fatalf("bridge POST with csrf: %d %s", code, body)
	}
	// The session's roles apply: an agent cannot create users.
	if code, _ := do(t, agent, "POST", c.base+"/ui/api/v1/users", csrf, `{"username":"x1","display_name":"x","password":"0123456789a","roles":["admin"]}`); code != http.StatusForbidden {
		t.Fatalf("agent creating a user: %d", code)
	}
	// Sign-out ends the session: the bridge is anonymous again.
	res, err = agent.PostForm(c.base+"/logout", url.Values{"csrf_token": {csrf}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if code, _ := do(t, agent, "GET", c.base+"/ui/api/v1/tickets", "", ""); code != http.StatusUnauthorized {
		t.Fatalf("bridge after logout: %d", code)
	}
}

func TestUsersBootstrapAndAdmin(t *testing.T) {
	c := startCity(t)
	hc := &http.Client{}
	post := func(tok, body string) int {
		req, _ := http.NewRequest("POST", c.base+"/api/v1/users", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		res, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	// The demo already has users: the bootstrap token may not add more.
	if code := post(bootstrapToken, `{"username":"root2","display_name":"根","password":"0123456789ab","roles":["admin"]}`); code != http.StatusForbidden {
		t.Fatalf("bootstrap with users present: %d", code)
	}
	admin := client(t)
	csrf := login(t, admin, c.base, "admin", "demo-admin-pass")
	code, body := do(t, admin, "POST", c.base+"/ui/api/v1/users", csrf, `{"username":"x","display_name":"","password":"short","roles":["king"]}`)
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("invalid user: %d %s", code, body)
	}
	var p struct{ Fields []string }
	_ = json.Unmarshal([]byte(body), &p)
	if len(p.Fields) != 4 {
		t.Fatalf("want 4 invalid fields, got %v", p.Fields)
	}
	if code, body := do(t, admin, "POST", c.base+"/ui/api/v1/users", csrf, `{"username":"zhao","display_name":"赵坐席","password":"zhao-password-1","roles":["agent"]}`); code != http.StatusCreated || strings.Contains(body, "hash") {
		t.Fatalf("create user: %d %s", code, body)
	}
	if code, _ := do(t, admin, "POST", c.base+"/ui/api/v1/users", csrf, `{"username":"zhao","display_name":"赵","password":"zhao-password-1","roles":["agent"]}`); code != http.StatusConflict {
		t.Fatalf("duplicate user: %d", code)
	}
	// The password the admin chose is replaced at the first sign-in.
	if code, loc := signIn(t, client(t), c.base, "zhao", "zhao-password-1"); code != http.StatusSeeOther || loc != "/account" {
		t.Fatalf("first sign-in: %d → %q, want the password page", code, loc)
	}
}

func countTickets(t *testing.T, c *http.Client, base, text string) int {
	_, body := do(t, c, "GET", base+"/ui/api/v1/tickets?limit=100", "", "")
	return strings.Count(body, text)
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
