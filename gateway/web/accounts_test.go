package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// A staff account's life through the pages and the API: created by an
// admin with a password the user must replace, the password changed (the
// user's other sessions end), guessed at until locked, reset by the admin
// to a temporary one, disabled when the person leaves (sessions end at
// once, sign-in refused) and enabled again; the last admin stays.
func TestStaffAccountLifecycle(t *testing.T) {
	c := startCity(t)
	admin := client(t)
	adminCSRF := login(t, admin, c.base, "admin", "demo-admin-pass")
	name := fmt.Sprintf("zhao%d", time.Now().UnixNano()%1000000)
	body := fmt.Sprintf(`{"username":%q,"display_name":"赵坐席","password":"given-by-admin","roles":["agent"]}`, name)
	if code, resp := do(t, admin, "POST", c.base+"/ui/api/v1/users", adminCSRF, body); code != 201 || !strings.Contains(resp, `"must_change_password":true`) {
		t.Fatalf("create: %d %s", code, resp)
	}

	// 1. The first sign-in leads to the password page; nothing else works.
	zhao := client(t)
	if code, loc := signIn(t, zhao, c.base, name, "given-by-admin"); code != 303 || loc != "/account" {
		t.Fatalf("first sign-in: %d → %q, want 303 → /account", code, loc)
	}
	if code, _, _ := getPage(t, zhao, c.base+"/agent"); code != 303 {
		t.Fatalf("/agent before the change: %d, want a redirect to /account", code)
	}
	code, page, csrf := getPage(t, zhao, c.base+"/account")
	if code != 200 || !strings.Contains(page, "请先设置自己的密码") {
		t.Fatalf("/account: %d", code)
	}
	if code, resp := do(t, zhao, "GET", c.base+"/ui/api/v1/tickets", "", ""); code != 403 || !strings.Contains(resp, "password change required") {
		t.Fatalf("API before the change: %d %s", code, resp)
	}
	second := client(t) // the same user on another computer
	signIn(t, second, c.base, name, "given-by-admin")
	change := func(cl *http.Client, csrf, current, next, again string) (int, string) {
		t.Helper()
		res, err := cl.PostForm(c.base+"/account/password", url.Values{"csrf_token": {csrf}, "current_password": {current}, "new_password": {next}, "confirm_password": {again}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode, res.Header.Get("Location")
	}
	for _, bad := range []struct{ current, next, again, says string }{
		{"given-by-admin", "zhao-own-pass", "zhao-own-typo", "不一致"},
		{"given-by-admin", "short", "short", "至少两类"},
		{"given-by-admin", "abcdefghijkl", "abcdefghijkl", "至少两类"},
		{"given-by-admin", "given-by-admin", "given-by-admin", "不能与当前密码相同"},
		{"wrong-current", "zhao-own-pass", "zhao-own-pass", "当前密码不正确"},
	} {
		code, loc := change(zhao, csrf, bad.current, bad.next, bad.again)
		msg, _ := url.QueryUnescape(loc)
		if code != 303 || !strings.Contains(msg, bad.says) {
			t.Errorf("change %+v: %d → %s", bad, code, msg)
		}
	}
	if code, loc := change(zhao, csrf, "given-by-admin", "zhao-own-pass", "zhao-own-pass"); code != 303 || loc != "/agent?changed=password" {
		t.Fatalf("change: %d → %q", code, loc)
	}
	if code, _, _ := getPage(t, zhao, c.base+"/agent"); code != 200 {
		t.Fatalf("/agent after the change: %d", code)
	}
	if code, _, _ := getPage(t, second, c.base+"/agent"); code != 303 {
		t.Fatalf("the other computer's session after the change: %d, want the sign-in redirect", code)
	}

	// 2. Guessing locks the account; the right password is then refused
	// too, with Retry-After.
	guesser := client(t)
	for i := range 5 {
		code, _ := signIn(t, guesser, c.base, name, "guess-number-"+fmt.Sprint(i))
		if want := map[bool]int{true: 429, false: 401}[i == 4]; code != want {
			t.Fatalf("guess %d: %d, want %d", i+1, code, want)
		}
	}
	if code, _ := signIn(t, client(t), c.base, name, "zhao-own-pass"); code != 429 {
		t.Fatalf("right password while locked: %d, want 429", code)
	}
	var list struct {
		Users []struct {
			Username    string    `json:"username"`
			LockedUntil time.Time `json:"locked_until"`
			Disabled    bool      `json:"disabled"`
		} `json:"users"`
	}
	_, resp := do(t, admin, "GET", c.base+"/ui/api/v1/users", "", "")
	if err := json.Unmarshal([]byte(resp), &list); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, u := range list.Users {
		if u.Username == name {
			found = u.LockedUntil.After(time.Now())
		}
	}
	if !found {
		t.Fatalf("the users list does not show the lock: %s", resp)
	}

	// 3. The admin resets the password: a temporary one, once; the lock
	// is gone and the user must change it again.
	code, resp = do(t, admin, "POST", c.base+"/ui/api/v1/users/"+name+"/password", adminCSRF, "")
	var reset struct {
		Temporary string `json:"temporary_password"`
	}
	if err := json.Unmarshal([]byte(resp), &reset); code != 200 || err != nil || len(reset.Temporary) < 10 {
		t.Fatalf("reset: %d %s", code, resp)
	}
	if code, _, _ := getPage(t, zhao, c.base+"/agent"); code != 303 {
		t.Fatalf("a session from before the reset: %d, want it ended", code)
	}
	if code, loc := signIn(t, zhao, c.base, name, reset.Temporary); code != 303 || loc != "/account" {
		t.Fatalf("sign-in with the temporary password: %d → %q", code, loc)
	}
	_, _, csrf = getPage(t, zhao, c.base+"/account")
	if code, _ := change(zhao, csrf, reset.Temporary, "zhao-second-pass", "zhao-second-pass"); code != 303 {
		t.Fatalf("change after the reset: %d", code)
	}

	// 4. Disabled: the session ends at once and sign-in is refused.
	if code, resp := do(t, admin, "POST", c.base+"/ui/api/v1/users/"+name+"/disable", adminCSRF, ""); code != 200 || !strings.Contains(resp, `"disabled":true`) {
		t.Fatalf("disable: %d %s", code, resp)
	}
	if code, _, _ := getPage(t, zhao, c.base+"/agent"); code != 303 {
		t.Fatalf("the disabled user's session: %d, want it ended", code)
	}
	if code, _ := signIn(t, zhao, c.base, name, "zhao-second-pass"); code != 403 {
		t.Fatalf("sign-in while disabled: %d, want 403", code)
	}
	if code, _ := signIn(t, zhao, c.base, name, "wrong-password-x"); code != 401 {
		t.Fatalf("a wrong password while disabled: %d, want 401 (nothing said about the account)", code)
	}
	if code, _ := do(t, admin, "POST", c.base+"/ui/api/v1/users/"+name+"/enable", adminCSRF, ""); code != 200 {
		t.Fatalf("enable: %d", code)
	}
	if code, loc := signIn(t, zhao, c.base, name, "zhao-second-pass"); code != 303 || loc != "/agent" {
		t.Fatalf("sign-in after enabling: %d → %q", code, loc)
	}
	// The password page lists the account's latest sign-ins, the failed
	// ones with their reason, from the audit trail.
	_, page, _ = getPage(t, zhao, c.base+"/account")
	for _, want := range []string{`id="sign-ins"`, "成功", "未成功：密码错误", "未成功：账号已锁定", "未成功：账号已停用"} {
		if !strings.Contains(page, want) {
			t.Errorf("the password page's sign-ins lack %q", want)
		}
	}

	// 5. Refusals: yourself, an unknown user, a bad role, the last admin.
	for _, bad := range []struct {
		method, path, body string
		want               int
	}{
		{"POST", "users/admin/disable", "", 409},
		{"POST", "users/nobody-here/disable", "", 404},
		{"PUT", "users/" + name + "/roles", `{"roles":["root"]}`, 422},
		{"POST", "users/" + name + "/password", `{"password":"short"}`, 422},
	} {
		if code, resp := do(t, admin, bad.method, c.base+"/ui/api/v1/"+bad.path, adminCSRF, bad.body); code != bad.want {
			t.Errorf("%s %s: %d %s, want %d", bad.method, bad.path, code, resp, bad.want)
		}
	}
	// Every step is in the audit trail under the account.
	_, resp = do(t, admin, "GET", c.base+"/ui/api/v1/audit?target=user:"+name+"&limit=100", "", "")
	for _, want := range []string{"/api/v1/users/:username/disable", "/api/v1/users/:username/enable", "/api/v1/users/:username/password", "POST /account/password", "POST /api/v1/users"} {
		if !strings.Contains(resp, want) {
			t.Errorf("the audit trail of %s lacks %s", name, want)
		}
	}
	if strings.Contains(resp, reset.Temporary) || strings.Contains(resp, "zhao-own-pass") {
		t.Fatal("the audit trail holds a password")
	}
}

// An admin resets a new colleague's password on the admin page and reads
// the temporary password there, and adds a role in place; the colleague
// signs in with it, is taken
// to the password page, sets their own and lands on the agent's desk; the
// admin disables the account and the colleague's next page is the sign-in.
func TestBrowserAdminResetsPasswordAndDisables(t *testing.T) {
	ctx := browser(t)
	c := startCity(t)
	dir := artifacts(t)
	admin := client(t)
	adminCSRF := login(t, admin, c.base, "admin", "demo-admin-pass")
	name := fmt.Sprintf("qian%d", time.Now().UnixNano()%1000000)
	if code, resp := do(t, admin, "POST", c.base+"/ui/api/v1/users", adminCSRF,
		fmt.Sprintf(`{"username":%q,"display_name":"钱坐席","password":"first-given-pass","roles":["agent"]}`, name)); code != 201 {
		t.Fatalf("create: %d %s", code, resp)
	}
	row := fmt.Sprintf(`#users-table tr[data-user=%q]`, name)
	run(t, ctx, dir, "login", loginAs(c.base, "admin", "demo-admin-pass"))
	run(t, ctx, dir, "reset",
		chromedp.Navigate(c.base+"/admin#users"),
		chromedp.WaitVisible(chromedp.CSS(row)),
		chromedp.Click(chromedp.CSS(row+` .user-act[data-act="password"]`)),
		waitJS(`!!document.querySelector("#users-temp code")`),
		shot(t, dir, "01-temporary-password"),
	)
	temp := text(t, ctx, "#users-temp code")
	if len(temp) < 10 || text(t, ctx, row+" .user-status") != "待修改初始密码" {
		t.Fatalf("temporary password %q, status %q", temp, text(t, ctx, row+" .user-status"))
	}
	// The colleague also leads a shift: the supervisor role is added in place.
	run(t, ctx, dir, "roles",
		chromedp.Click(chromedp.CSS(row+` .user-act[data-act="roles"]`)),
		chromedp.Click(chromedp.CSS(fmt.Sprintf("#ur-%s-supervisor", name))),
		chromedp.Click(chromedp.CSS(row+" .roles-form button")),
		waitJS(fmt.Sprintf(`(document.querySelector(%q)||{textContent:""}).textContent === "agent supervisor"`, row+" .user-roles")),
	)
	if code, resp := do(t, admin, "GET", c.base+"/ui/api/v1/users", "", ""); code != 200 || !strings.Contains(resp, fmt.Sprintf(`"username":%q,"display_name":"钱坐席","roles":["agent","supervisor"]`, name)) {
		t.Fatalf("roles after the edit: %d %s", code, resp)
	}
	run(t, ctx, dir, "colleague", loginAs(c.base, name, temp), waitJS(`location.pathname === "/account"`),
		chromedp.SendKeys(chromedp.CSS("#current_password"), temp),
		chromedp.SendKeys(chromedp.CSS("#new_password"), "qian-own-password"),
		chromedp.SendKeys(chromedp.CSS("#confirm_password"), "qian-own-password"),
		chromedp.Click(chromedp.CSS("#password-submit")),
		waitJS(`location.pathname === "/agent" && document.readyState === "complete"`),
		shot(t, dir, "02-own-password"),
	)
	if got := text(t, ctx, ".notice"); got != "密码已修改" {
		t.Errorf("notice %q", got)
	}
	if code, _ := do(t, admin, "POST", c.base+"/ui/api/v1/users/"+name+"/disable", adminCSRF, ""); code != 200 {
		t.Fatalf("disable: %d", code)
	}
	run(t, ctx, dir, "disabled", chromedp.Navigate(c.base+"/agent"), waitJS(`location.pathname === "/login"`))
}
