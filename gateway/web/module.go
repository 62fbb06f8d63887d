package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/gateway/audit"
	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/department"
	"github.com/hallgate/hallgate/gateway/dispatch"
	"github.com/hallgate/hallgate/gateway/httpapi"
	"github.com/hallgate/hallgate/gateway/message"
	"github.com/hallgate/hallgate/gateway/pii"
	"github.com/hallgate/hallgate/gateway/store"
	"github.com/hallgate/hallgate/gateway/ticket"
	"github.com/hallgate/hallgate/knowledgebase"
)

// Options are the services the pages read from directly (server-rendered
// parts); everything the JavaScript does goes through the JSON API.
type Options struct {
	Store       store.Store
	Tokens      *auth.Tokens
	KB          *knowledgebase.Service
	Tickets     *ticket.Service
	Departments *department.Service
	Messages    *message.Service
	Log         *slog.Logger
	// Health, when set, feeds the agents' "department system offline"
	// banner (dispatch.Relay.Health).
	Health func(ctx context.Context) ([]dispatch.ConnectorHealth, error)
	// SignInLimiter, when set, bounds sign-in attempts per client address
	// (rate_limit.sign_in), whatever the username.
	SignInLimiter auth.Limiter
	// SignIns, when set, lists an account's latest sign-ins, successful or
	// not, for its own password page (the audit trail).
	SignIns func(ctx context.Context, username string, limit int) ([]SignIn, error)
	// IdleTimeout ends a session after this long without a request; 0 = 30 min.
	IdleTimeout time.Duration
	// Demo shows the "模拟来电" button and the demo hints.
	Demo bool
}

// SignIn is one attempt to sign in to an account.
type SignIn struct {
	At   time.Time
	IP   string
	OK   bool
	Note string // why it was refused: 密码错误, 账号已锁定, 账号已停用
}

// Validate reports every missing dependency at once.
func (o Options) Validate() error {
	var missing []string
	for name, ok := range map[string]bool{"Store": o.Store != nil, "Tokens": o.Tokens != nil, "KB": o.KB != nil,
		"Tickets": o.Tickets != nil, "Departments": o.Departments != nil, "Messages": o.Messages != nil} {
		if !ok {
			missing = append(missing, name)
		}
	}
	if missing != nil {
		return fmt.Errorf("web: missing %s", strings.Join(missing, ", "))
	}
	return nil
}

// Module is the pages' httpapi.Module.
type Module struct {
	o         Options
	users     *Users
	sessions  *Sessions
	assets    map[string]asset
	templates map[string]*template.Template
	log       *slog.Logger
}

var _ httpapi.Module = (*Module)(nil)

// New builds the module (templates are parsed here: a broken template is a
// wiring error, not a 500 at the first visit).
func New(o Options) (*Module, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	assets, err := loadAssets()
	if err != nil {
		return nil, fmt.Errorf("web: assets: %w", err)
	}
	tpl, err := parseTemplates(assets)
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Module{o: o, users: NewUsers(o.Store), sessions: NewSessions(o.Store, o.Tokens, o.IdleTimeout), assets: assets, templates: tpl, log: log}, nil
}

// Users is the module's user store.
func (m *Module) Users() *Users { return m.users }

// Sessions is the module's session store (for SessionAuthenticate and the
// sweeper: add Sessions().Run to the App's background workers).
func (m *Module) Sessions() *Sessions { return m.sessions }

var (
	public    = []auth.Role{auth.RoleCitizen}
	adminOnly = []auth.Role{auth.RoleAdmin}
)

// Routes are the pages, the static files, the session bridge and the users API.
func (m *Module) Routes() []httpapi.Route {
	get, post := fiber.MethodGet, fiber.MethodPost
	rs := []httpapi.Route{
		{Method: get, Path: "/", Roles: public, Summary: "市民门户：问答与办事指南搜索、留言、工单查询", Handler: m.portal},
		{Method: get, Path: "/faq/:id", Roles: public, Summary: "知识库问答页面", Handler: m.faqPage},
		{Method: get, Path: "/items/:id", Roles: public, Summary: "办事指南页面", Handler: m.itemPage},
		{Method: get, Path: "/track", Roles: public, Summary: "按编号和手机号后四位查询工单（页面）", Handler: m.trackPage},
		{Method: get, Path: "/login", Roles: public, Summary: "工作人员登录页", Handler: m.loginPage},
		{Method: post, Path: "/login", Roles: public, Summary: "工作人员登录（表单，CSRF）", Handler: m.login},
		{Method: post, Path: "/logout", Roles: public, Summary: "退出登录（表单，CSRF）", Handler: m.logout},
		{Method: get, Path: "/agent", Roles: public, Summary: "坐席工作台（需登录）", Handler: m.agentPage},
		{Method: get, Path: "/admin", Roles: public, Summary: "班长与管理员页面（需登录）", Handler: m.adminPage},
		{Method: post, Path: "/admin/users", Roles: public, Summary: "管理员新建用户（表单，CSRF）", Handler: m.createUserForm},
		{Method: get, Path: "/ui/offline", Roles: public, Summary: "坐席页面：离线的部门系统（需登录）", Handler: m.offline},
		{Method: get, Path: "/static/*", Roles: public, Summary: "页面静态文件（内容哈希、ETag）", Handler: m.serveStatic},
		{Method: get, Path: "/api/v1/users", Roles: adminOnly, Summary: "工作人员用户列表", Handler: m.listUsers},
		{Method: post, Path: "/api/v1/users", Roles: adminOnly, Summary: "新建工作人员用户（首个管理员可用引导令牌创建）", Handler: m.createUserAPI},
		{Method: post, Path: "/api/v1/users/:username/disable", Roles: adminOnly, Summary: "停用工作人员账号（如离职），结束其全部会话", Handler: m.disableUser},
		{Method: post, Path: "/api/v1/users/:username/enable", Roles: adminOnly, Summary: "启用工作人员账号，并解除登录锁定", Handler: m.enableUser},
		{Method: post, Path: "/api/v1/users/:username/password", Roles: adminOnly, Summary: "管理员重置密码（不给则生成临时密码，只返回一次；下次登录须修改），结束其全部会话", Handler: m.resetPassword},
		{Method: fiber.MethodPut, Path: "/api/v1/users/:username/roles", Roles: adminOnly, Summary: "修改工作人员的角色，结束其全部会话", Handler: m.setRoles},
		{Method: get, Path: "/account", Roles: public, Summary: "本人账号：修改密码（需登录）", Handler: m.accountPage},
		{Method: post, Path: "/account/password", Roles: public, Summary: "本人修改密码（表单，CSRF）；结束本人的其他会话", Handler: m.changePassword},
	}
	for _, meth := range []string{get, post, fiber.MethodPut, fiber.MethodDelete} {
		rs = append(rs, httpapi.Route{Method: meth, Path: BridgePrefix + "*", Roles: public,
			Summary: "页面会话访问 /api/v1（会话 Cookie；修改类请求需 X-CSRF-Token）", Handler: m.bridge})
	}
	return rs
}

// session returns the request's live session.
func (m *Module) session(c *fiber.Ctx) (Session, error) {
	return m.sessions.Lookup(c.UserContext(), c.Cookies(SessionCookie))
}

// anonCSRF returns the visitor's double-submit token, setting the cookie
// the first time.
func (m *Module) anonCSRF(c *fiber.Ctx) string {
	if v := c.Cookies(AnonCSRFCookie); len(v) >= 16 {
		return v
	}
	v := RandomToken(24)
	c.Cookie(&fiber.Cookie{Name: AnonCSRFCookie, Value: v, Path: "/", HTTPOnly: true, Secure: c.Protocol() == "https", SameSite: fiber.CookieSameSiteLaxMode})
	return v
}

// page is what every template gets.
type page struct {
	Title   string
	CSRF    string
	User    *Session
	Demo    bool
	Nav     string
	Data    any
	Error   string
	Notice  string
	IsAdmin bool
}

func (m *Module) render(c *fiber.Ctx, status int, name string, p page) error {
	t, ok := m.templates[name]
	if !ok {
		return fmt.Errorf("web: no template %q", name)
	}
	p.Demo = m.o.Demo
	if p.User != nil {
		p.IsAdmin = p.User.Principal().Has(auth.RoleAdmin)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", p); err != nil {
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'")
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "same-origin")
	return c.Status(status).Send(buf.Bytes())
}

// staff returns the session of a staff page, or redirects to /login.
func (m *Module) staff(c *fiber.Ctx, roles ...auth.Role) (*Session, bool, error) {
	sess, err := m.session(c)
	if errors.Is(err, ErrNoSession) {
		return nil, false, c.Redirect("/login?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
	}
	if err != nil {
		return nil, false, err
	}
	if sess.MustChangePassword {
		return nil, false, c.Redirect("/account", fiber.StatusSeeOther)
	}
	if !auth.Admits(roles, sess.Principal()) {
		return nil, false, m.render(c, fiber.StatusForbidden, "denied", page{Title: "无权访问", CSRF: sess.CSRF, User: &sess})
	}
	return &sess, true, nil
}

func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/agent"
	}
	return next
}

func (m *Module) loginPage(c *fiber.Ctx) error {
	return m.render(c, fiber.StatusOK, "login", page{Title: "工作人员登录", CSRF: m.anonCSRF(c), Nav: "login", Data: fiber.Map{"Next": safeNext(c.Query("next"))}})
}

func (m *Module) login(c *fiber.Ctx) error {
	if !csrfOK(c, nil, c.FormValue(CSRFField)) {
		return httpapi.Errorf(fiber.StatusForbidden, "CSRF 令牌缺失或无效 (missing or invalid csrf_token)")
	}
	next := safeNext(c.FormValue("next"))
	tried := attemptedUsername(c.FormValue("username"))
	audit.Note(c, "username", tried)
	audit.SetTarget(c, "user:"+tried) // the account's sign-ins, failed ones included, are found by it
	refuse := func(status int, msg string) error {
		return m.render(c, status, "login", page{Title: "工作人员登录", CSRF: m.anonCSRF(c), Nav: "login",
			Error: msg, Data: fiber.Map{"Next": next, "Username": c.FormValue("username")}})
	}
	if l := m.o.SignInLimiter; l != nil {
		ok, wait, err := l.Allow(c.UserContext(), "signin|ip:"+c.IP())
		if err != nil {
			return err
		}
		if !ok {
			audit.Note(c, "refused", "rate_limited")
			secs := max(1, int(wait.Seconds()+0.999))
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
			return refuse(fiber.StatusTooManyRequests, fmt.Sprintf("登录尝试过于频繁，请 %d 秒后再试", secs))
		}
	}
	u, err := m.users.Verify(c.UserContext(), c.FormValue("username"), c.FormValue("password"))
	var locked *LockedError
	switch {
	case errors.Is(err, ErrBadCredentials):
		audit.Note(c, "refused", "bad_credentials")
		return refuse(fiber.StatusUnauthorized, "用户名或密码错误")
	case errors.As(err, &locked):
		audit.Note(c, "refused", "locked")
		wait := max(time.Until(locked.Until), time.Second)
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(wait.Seconds()+0.999)))
		return refuse(fiber.StatusTooManyRequests, fmt.Sprintf("登录失败次数过多，账号已锁定，请 %d 分钟后再试，或请管理员重置密码", int(wait.Minutes()+0.999)))
	case errors.Is(err, ErrDisabled):
		audit.Note(c, "refused", "disabled")
		return refuse(fiber.StatusForbidden, "账号已停用，请联系管理员")
	case err != nil:
		return err
	}
	audit.OnBehalfOf(c, u.Principal().ID, u.DisplayName)
	cookie, _, err := m.sessions.Start(c.UserContext(), u)
	if err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{Name: SessionCookie, Value: cookie, Path: "/", HTTPOnly: true, Secure: c.Protocol() == "https", SameSite: fiber.CookieSameSiteLaxMode})
	m.log.Info("staff signed in", "user", u.Username)
	if u.MustChangePassword {
		return c.Redirect("/account", fiber.StatusSeeOther)
	}
	if next == "/agent" && !u.Principal().Has(auth.RoleAgent) {
		next = "/admin"
	}
	return c.Redirect(next, fiber.StatusSeeOther)
}

func (m *Module) logout(c *fiber.Ctx) error {
	sess, err := m.session(c)
	if err == nil {
		audit.OnBehalfOf(c, sess.Principal().ID, sess.Name)
		if !sess.CSRFMatches(c.FormValue(CSRFField)) {
			return httpapi.Errorf(fiber.StatusForbidden, "CSRF 令牌缺失或无效 (missing or invalid csrf_token)")
		}
		if err := m.sessions.End(c.UserContext(), c.Cookies(SessionCookie)); err != nil {
			return err
		}
	} else if !csrfOK(c, nil, c.FormValue(CSRFField)) {
		return httpapi.Errorf(fiber.StatusForbidden, "CSRF 令牌缺失或无效 (missing or invalid csrf_token)")
	}
	c.Cookie(&fiber.Cookie{Name: SessionCookie, Value: "", Path: "/", HTTPOnly: true, Expires: time.Unix(0, 0), SameSite: fiber.CookieSameSiteLaxMode})
	return c.Redirect("/login", fiber.StatusSeeOther)
}

func (m *Module) agentPage(c *fiber.Ctx) error {
	sess, ok, err := m.staff(c, auth.RoleAgent, auth.RoleSupervisor, auth.RoleAdmin)
	if !ok {
		return err
	}
	depts, err := m.o.Departments.List(c.UserContext())
	if err != nil {
		return err
	}
	return m.render(c, fiber.StatusOK, "agent", page{Title: "坐席工作台", CSRF: sess.CSRF, User: sess, Nav: "agent", Notice: changedNotice(c),
		Data: fiber.Map{"Departments": depts, "Types": ticket.RequestTypes, "Ratings": ticket.Ratings}})
}

func (m *Module) adminPage(c *fiber.Ctx) error {
	sess, ok, err := m.staff(c, auth.RoleSupervisor, auth.RoleAdmin, auth.RoleEditor)
	if !ok {
		return err
	}
	var users []User
	if sess.Principal().Has(auth.RoleAdmin) {
		if users, err = m.users.List(c.UserContext()); err != nil {
			return err
		}
	}
	notice := c.Query("notice")
	if n := changedNotice(c); n != "" {
		notice = n
	}
	return m.render(c, fiber.StatusOK, "admin", page{Title: "班长与管理", CSRF: sess.CSRF, User: sess, Nav: "admin",
		Notice: notice, Error: c.Query("error"), Data: fiber.Map{"Users": users}})
}

// parseRoles reads roles from a form's checkboxes or a comma list.
func parseRoles(vals []string) []auth.Role {
	var out []auth.Role
	for _, v := range vals {
		for _, r := range strings.Split(v, ",") {
			if r = strings.TrimSpace(r); r != "" {
				out = append(out, auth.Role(r))
			}
		}
	}
	return out
}

func (m *Module) createUserForm(c *fiber.Ctx) error {
	sess, err := m.session(c)
	if errors.Is(err, ErrNoSession) {
		if !csrfOK(c, nil, c.FormValue(CSRFField)) {
			return httpapi.Errorf(fiber.StatusForbidden, "CSRF 令牌缺失或无效 (missing or invalid csrf_token)")
		}
		return c.Redirect("/login?next=/admin", fiber.StatusSeeOther)
	}
	if err != nil {
		return err
	}
	audit.OnBehalfOf(c, sess.Principal().ID, sess.Name)
	if !sess.CSRFMatches(c.FormValue(CSRFField)) {
		return httpapi.Errorf(fiber.StatusForbidden, "CSRF 令牌缺失或无效 (missing or invalid csrf_token)")
	}
	if !sess.Principal().Has(auth.RoleAdmin) {
		return httpapi.Errorf(fiber.StatusForbidden, "只有管理员可以新建用户")
	}
	args := c.Request().PostArgs()
	var roleVals []string
	for _, v := range args.PeekMulti("roles") {
		roleVals = append(roleVals, string(v))
	}
	n := NewUser{Username: c.FormValue("username"), DisplayName: c.FormValue("display_name"), Password: c.FormValue("password"), Roles: parseRoles(roleVals)}
	audit.SetTarget(c, "user:"+n.Username)
	audit.Note(c, "roles", strings.Join(roleVals, ","))
	if _, err := m.users.Create(c.UserContext(), n, "user:"+sess.Username); err != nil {
		msg := "新建用户失败"
		if errors.Is(err, ErrUserExists) {
			msg = "用户名已存在"
		} else if errors.Is(err, ErrInvalidUser) {
			msg = "信息不完整或不合规：" + strings.TrimPrefix(err.Error(), ErrInvalidUser.Error()+": ")
		}
		audit.SetOutcome(c, audit.OutcomeInvalid)
		audit.Note(c, "error", msg)
		return c.Redirect("/admin?error="+url.QueryEscape(msg)+"#users", fiber.StatusSeeOther)
	}
	return c.Redirect("/admin?notice="+url.QueryEscape("已新建用户 "+n.Username)+"#users", fiber.StatusSeeOther)
}

func (m *Module) listUsers(c *fiber.Ctx) error {
	users, err := m.users.List(c.UserContext())
	if err != nil {
		return err
	}
	if users == nil {
		users = []User{}
	}
	return c.JSON(fiber.Map{"users": users})
}

// createUserAPI creates a user. The bootstrap admin token may create users
// only while there are none (the first admin); afterwards admins do.
func (m *Module) createUserAPI(c *fiber.Ctx) error {
	p := auth.FromCtx(c)
	if p.ID == auth.BootstrapPrincipal.ID {
		n, err := m.users.Count(c.UserContext())
		if err != nil {
			return err
		}
		if n > 0 {
			return httpapi.Errorf(fiber.StatusForbidden, "引导令牌只能创建第一个用户 (bootstrap token: users already exist)")
		}
	}
	var n NewUser
	if err := httpapi.DecodeJSON(c, &n); err != nil {
		return err
	}
	audit.SetTarget(c, "user:"+n.Username)
	audit.Note(c, "roles", auth.JoinRoles(n.Roles))
	u, err := m.users.Create(c.UserContext(), n, p.ID)
	switch {
	case errors.Is(err, ErrInvalidUser):
		return httpapi.Errorf(fiber.StatusUnprocessableEntity, "%s", err.Error()).With("fields", invalidFields(n))
	case errors.Is(err, ErrUserExists):
		return httpapi.Errorf(fiber.StatusConflict, "用户名已存在 (username taken)")
	case err != nil:
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(u)
}

func invalidFields(n NewUser) []string {
	var out []string
	for _, part := range strings.Split(strings.TrimPrefix(n.Validate().Error(), ErrInvalidUser.Error()+": "), "; ") {
		f, _, _ := strings.Cut(part, " ")
		out = append(out, f)
	}
	return out
}

// changedNotice confirms a change the user was redirected from; a fixed
// text, so a link cannot put words on the page.
func changedNotice(c *fiber.Ctx) string {
	if c.Query("changed") == "password" {
		return "密码已修改"
	}
	return ""
}

// actingUser is the signed-in user a request through the pages acts for
// ("" for an API token).
func actingUser(c *fiber.Ctx) string {
	u, _ := c.Locals(actingUserLocal).(string)
	return u
}

const actingUserLocal = "hallgate.web.user"

// changeAccount runs an admin's change to the account of the path's
// username and returns the account as it is now.
func (m *Module) changeAccount(c *fiber.Ctx, change func(ctx context.Context, username string) (User, error)) (User, error) {
	username := strings.Clone(c.Params("username"))
	audit.SetTarget(c, "user:"+username)
	u, err := change(c.UserContext(), username)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return User{}, httpapi.Errorf(fiber.StatusNotFound, "没有这个用户 (no such user)")
	case errors.Is(err, ErrLastAdmin):
		return User{}, httpapi.Errorf(fiber.StatusConflict, "至少保留一名可用的管理员 (the last enabled admin)")
	case errors.Is(err, ErrInvalidUser):
		field, _, _ := strings.Cut(strings.TrimPrefix(err.Error(), ErrInvalidUser.Error()+": "), " ")
		return User{}, httpapi.Errorf(fiber.StatusUnprocessableEntity, "%s", err.Error()).With("fields", []string{field})
	case err != nil:
		return User{}, err
	}
	// Whatever changed, nothing signed in before acts on with the old
	// password, roles or standing.
	n, err := m.sessions.EndUser(c.UserContext(), username, "")
	if err != nil {
		return User{}, err
	}
	audit.Note(c, "sessions_ended", strconv.Itoa(n))
	return u, nil
}

// answer writes the account or the error.
func answer(c *fiber.Ctx) func(User, error) error {
	return func(u User, err error) error {
		if err != nil {
			return err
		}
		return c.JSON(u)
	}
}

func (m *Module) disableUser(c *fiber.Ctx) error {
	if c.Params("username") == actingUser(c) {
		return httpapi.Errorf(fiber.StatusConflict, "不能停用自己的账号 (you cannot disable yourself)")
	}
	by := auth.FromCtx(c).ID
	if u := actingUser(c); u != "" {
		by = "user:" + u
	}
	return answer(c)(m.changeAccount(c, func(ctx context.Context, username string) (User, error) {
		return m.users.SetDisabled(ctx, username, true, by)
	}))
}

func (m *Module) enableUser(c *fiber.Ctx) error {
	return answer(c)(m.changeAccount(c, func(ctx context.Context, username string) (User, error) {
		return m.users.SetDisabled(ctx, username, false, "")
	}))
}

// resetPassword sets the password the admin gives, or a generated
// temporary one answered once; the user must change it at sign-in.
func (m *Module) resetPassword(c *fiber.Ctx) error {
	var req struct {
		Password string `json:"password"`
	}
	if len(strings.TrimSpace(string(c.Body()))) > 0 {
		if err := httpapi.DecodeJSON(c, &req); err != nil {
			return err
		}
	}
	generated := req.Password == ""
	if generated {
		req.Password = RandomToken(9) + "-" + strconv.Itoa(10+int(time.Now().UnixNano()%90)) // 15 characters of at least two kinds
	}
	u, err := m.changeAccount(c, func(ctx context.Context, username string) (User, error) {
		return m.users.SetPassword(ctx, username, req.Password, false)
	})
	if err != nil {
		return err
	}
	out := fiber.Map{"user": u}
	if generated {
		c.Set(fiber.HeaderCacheControl, "no-store")
		out["temporary_password"] = req.Password
	}
	return c.JSON(out)
}

func (m *Module) setRoles(c *fiber.Ctx) error {
	var req struct {
		Roles []auth.Role `json:"roles"`
	}
	if err := httpapi.DecodeJSON(c, &req); err != nil {
		return err
	}
	audit.Note(c, "roles", auth.JoinRoles(req.Roles))
	return answer(c)(m.changeAccount(c, func(ctx context.Context, username string) (User, error) {
		return m.users.SetRoles(ctx, username, req.Roles)
	}))
}

// accountPage is the signed-in user's own account: the password form, and
// the reason when the password must be changed first.
func (m *Module) accountPage(c *fiber.Ctx) error {
	sess, err := m.session(c)
	if errors.Is(err, ErrNoSession) {
		return c.Redirect("/login?next=/account", fiber.StatusSeeOther)
	}
	if err != nil {
		return err
	}
	p := page{Title: "修改密码", CSRF: sess.CSRF, User: &sess, Nav: "account", Error: c.Query("error"), Notice: c.Query("notice")}
	if sess.MustChangePassword && p.Error == "" {
		p.Notice = "您的密码由管理员设置，请先设置自己的密码，再开始工作。"
	}
	if m.o.SignIns != nil {
		ins, err := m.o.SignIns(c.UserContext(), sess.Username, 10)
		if err != nil {
			m.log.Warn("the account's sign-ins could not be read", "error", err.Error())
		}
		p.Data = fiber.Map{"SignIns": ins}
	}
	return m.render(c, fiber.StatusOK, "account", p)
}

// changePassword replaces the signed-in user's password after checking the
// current one (a wrong one counts towards the lock, as at sign-in); the
// user's other sessions end, this one goes on.
func (m *Module) changePassword(c *fiber.Ctx) error {
	sess, err := m.session(c)
	if errors.Is(err, ErrNoSession) {
		if !csrfOK(c, nil, c.FormValue(CSRFField)) {
			return httpapi.Errorf(fiber.StatusForbidden, "CSRF 令牌缺失或无效 (missing or invalid csrf_token)")
		}
		return c.Redirect("/login?next=/account", fiber.StatusSeeOther)
	}
	if err != nil {
		return err
	}
	audit.OnBehalfOf(c, sess.Principal().ID, sess.Name)
	audit.SetTarget(c, "user:"+sess.Username)
	if !sess.CSRFMatches(c.FormValue(CSRFField)) {
		return httpapi.Errorf(fiber.StatusForbidden, "CSRF 令牌缺失或无效 (missing or invalid csrf_token)")
	}
	back := func(msg string) error {
		audit.SetOutcome(c, audit.OutcomeInvalid)
		audit.Note(c, "error", msg)
		return c.Redirect("/account?error="+url.QueryEscape(msg), fiber.StatusSeeOther)
	}
	current, next, again := c.FormValue("current_password"), c.FormValue("new_password"), c.FormValue("confirm_password")
	if next != again {
		return back("两次输入的新密码不一致")
	}
	var locked *LockedError
	switch _, err := m.users.Verify(c.UserContext(), sess.Username, current); {
	case errors.Is(err, ErrBadCredentials):
		return back("当前密码不正确")
	case errors.As(err, &locked):
		_, _ = m.sessions.EndUser(c.UserContext(), sess.Username, "")
		return back("当前密码错误次数过多，账号已锁定")
	case err != nil:
		return err
	}
	if _, err := m.users.SetPassword(c.UserContext(), sess.Username, next, true); err != nil {
		if errors.Is(err, ErrInvalidUser) {
			if strings.Contains(err.Error(), "must differ") {
				return back("新密码不能与当前密码相同")
			}
			return back("新密码须为 10 至 72 位，且含字母、数字、符号中的至少两类")
		}
		return err
	}
	n, err := m.sessions.EndUser(c.UserContext(), sess.Username, c.Cookies(SessionCookie))
	if err != nil {
		return err
	}
	audit.Note(c, "sessions_ended", strconv.Itoa(n))
	if err := m.sessions.ClearMustChange(c.UserContext(), c.Cookies(SessionCookie)); err != nil {
		return err
	}
	home := "/agent"
	if !sess.Principal().Has(auth.RoleAgent) {
		home = "/admin"
	}
	return c.Redirect(home+"?changed=password", fiber.StatusSeeOther)
}

// offline lists the department systems whose breaker is not closed, for the
// agents' banner (agents may not read the full connector health).
func (m *Module) offline(c *fiber.Ctx) error {
	sess, err := m.session(c)
	if err != nil || !sess.Principal().IsStaff() {
		return httpapi.Errorf(fiber.StatusUnauthorized, "需要登录")
	}
	type row struct {
		Department     string `json:"department"`
		DepartmentName string `json:"department_name"`
		Status         string `json:"status"`
	}
	out := []row{}
	if m.o.Health != nil {
		hs, err := m.o.Health(c.UserContext())
		if err != nil {
			return err
		}
		for _, h := range hs {
			if h.Breaker == "open" || h.Breaker == "half-open" {
				name := h.Department
				if d, err := m.o.Departments.Get(c.UserContext(), h.Department); err == nil {
					name = d.Name
				}
				out = append(out, row{Department: h.Department, DepartmentName: name, Status: h.Status})
			}
		}
	}
	return c.JSON(fiber.Map{"offline": out})
}

// SetDemo switches the demo hints on (the lead's `serve --demo`, demo.Load).
func (m *Module) SetDemo(on bool) { m.o.Demo = on }

// attemptedUsername is the username a sign-in named, for the audit trail:
// a run of digits is masked like a phone number, in case someone typed
// one, and what is longer than a username can be is cut.
func attemptedUsername(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 7 && strings.Trim(s, "+0123456789- ") == "" {
		return pii.MaskPhone(s)
	}
	if r := []rune(s); len(r) > 64 {
		return string(r[:64]) + "…"
	}
	return s
}
