package web

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/gateway/audit"
	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/httpapi"
)

// Cookie and header names.
const (
	SessionCookie = "hallgate_session"
	// AnonCSRFCookie carries the double-submit CSRF token of visitors
	// without a session (the citizen portal's forms and the sign-in form).
	AnonCSRFCookie = "hallgate_csrf"
	CSRFHeader     = "X-CSRF-Token"
	CSRFField      = "csrf_token"
	// BridgePrefix is where the pages call the JSON API: /ui/api/v1/x is
	// /api/v1/x with the session's credentials.
	BridgePrefix = "/ui/api/v1/"
)

func safeMethod(m string) bool {
	return m == fiber.MethodGet || m == fiber.MethodHead || m == fiber.MethodOptions
}

// csrfOK checks the CSRF token of a state-changing request: the session's
// token when there is a session, the double-submit cookie otherwise.
func csrfOK(c *fiber.Ctx, sess *Session, presented string) bool {
	if sess != nil {
		return sess.CSRFMatches(presented)
	}
	cookie := c.Cookies(AnonCSRFCookie)
	return cookie != "" && (Session{CSRF: cookie}).CSRFMatches(presented)
}

// bridge re-routes /ui/api/v1/* to /api/v1/* as the session's user. A
// state-changing request without the right X-CSRF-Token is refused with 403
// before anything else runs. Without a session the request goes on as the
// anonymous citizen (the portal's message form), still CSRF-checked.
func (m *Module) bridge(c *fiber.Ctx) error {
	sess, err := m.session(c)
	if err != nil && !errors.Is(err, ErrNoSession) {
		return err
	}
	var sp *Session
	if err == nil {
		sp = &sess
		audit.OnBehalfOf(c, sess.Principal().ID, sess.Name)
		c.Locals(actingUserLocal, sess.Username)
	}
	if !safeMethod(c.Method()) && !csrfOK(c, sp, c.Get(CSRFHeader)) {
		return httpapi.Errorf(fiber.StatusForbidden, "CSRF 令牌缺失或无效 (missing or invalid %s)", CSRFHeader)
	}
	if sp != nil && sp.MustChangePassword {
		return httpapi.Errorf(fiber.StatusForbidden, "请先修改管理员设置的密码 (password change required: /account)")
	}
	rest := strings.TrimPrefix(c.Path(), BridgePrefix)
	if rest == "" || strings.Contains(rest, "..") {
		return httpapi.Errorf(fiber.StatusNotFound, "没有这个地址")
	}
	c.Request().Header.Del(fiber.HeaderAuthorization)
	if sp != nil {
		raw, err := m.sessions.Bearer(c.UserContext(), sess)
		if err != nil {
			return err
		}
		c.Request().Header.Set(fiber.HeaderAuthorization, "Bearer "+raw)
	}
	c.Path("/api/v1/" + rest)
	return c.RestartRouting()
}

// SessionAuthenticate is an authentication middleware for a gateway that
// lets the pages call /api/v1 directly: a request with an Authorization
// header goes to next (the bearer-token middleware, auth.Authenticate); a
// request with a live session cookie acts as the session's user — but a
// state-changing one only with the session's X-CSRF-Token header (403
// otherwise); anything else goes to next as well (anonymous). Insert it in
// place of auth.Authenticate(tokens):
//
//	authenticate := web.SessionAuthenticate(sessions, auth.Authenticate(a.Tokens))
func SessionAuthenticate(s *Sessions, next fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if c.Get(fiber.HeaderAuthorization) != "" {
			return next(c)
		}
		cookie := c.Cookies(SessionCookie)
		if cookie == "" {
			return next(c)
		}
		sess, err := s.Lookup(c.UserContext(), cookie)
		if errors.Is(err, ErrNoSession) {
			return next(c)
		}
		if err != nil {
			return err
		}
		if !safeMethod(c.Method()) && !sess.CSRFMatches(c.Get(CSRFHeader)) {
			return httpapi.Errorf(fiber.StatusForbidden, "CSRF 令牌缺失或无效 (missing or invalid %s)", CSRFHeader)
		}
		if sess.MustChangePassword {
			return httpapi.Errorf(fiber.StatusForbidden, "请先修改管理员设置的密码 (password change required: /account)")
		}
		c.Locals(actingUserLocal, sess.Username)
		p := sess.Principal()
		auth.SetPrincipal(c, p)
		c.SetUserContext(auth.WithPrincipal(c.UserContext(), p))
		return c.Next()
	}
}
