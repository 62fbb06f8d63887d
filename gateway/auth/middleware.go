package auth

import (
	"context"
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// Authenticator resolves a bearer credential to a principal.
type Authenticator interface {
	Authenticate(ctx context.Context, bearer string) (Principal, error)
}

var _ Authenticator = (*Tokens)(nil)

// Authenticate is the authentication middleware: no Authorization header
// means the anonymous citizen; a bearer token that resolves sets its
// principal; anything else — a wrong, revoked or malformed token, or another
// scheme — is 401 even on public routes, so a client never silently runs
// with fewer rights than it believes it has.
func Authenticate(a Authenticator) fiber.Handler {
	return func(c *fiber.Ctx) error {
		h := c.Get(fiber.HeaderAuthorization)
		if h == "" {
			SetPrincipal(c, Anonymous)
			c.SetUserContext(WithPrincipal(c.UserContext(), Anonymous))
			return c.Next()
		}
		scheme, token, ok := strings.Cut(h, " ")
		token = strings.TrimSpace(token)
		if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
			return fiber.NewError(fiber.StatusUnauthorized, "Authorization 头必须是 \"Bearer <token>\" (expected a bearer token)")
		}
		p, err := a.Authenticate(c.UserContext(), token)
		if errors.Is(err, ErrUnauthenticated) {
			return fiber.NewError(fiber.StatusUnauthorized, "令牌无效或已吊销 (invalid or revoked token)")
		}
		if err != nil {
			return err
		}
		SetPrincipal(c, p)
		c.SetUserContext(WithPrincipal(c.UserContext(), p))
		return c.Next()
	}
}

// Admits reports whether a route admitting roles lets p in. A route that
// admits RoleCitizen is public; otherwise p needs one of the roles (there is
// no implicit super-user: an admin reaches a route only if it lists admin).
func Admits(roles []Role, p Principal) bool {
	for _, r := range roles {
		if r == RoleCitizen || p.Has(r) {
			return true
		}
	}
	return false
}

// Require is the authorization middleware for one route: anonymous callers
// of a route they may not use get 401 (log in), authenticated ones 403.
func Require(roles []Role) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := FromCtx(c)
		if Admits(roles, p) {
			return c.Next()
		}
		if !isAuthenticated(p) {
			return fiber.NewError(fiber.StatusUnauthorized, "需要登录 (authentication required)")
		}
		return fiber.NewError(fiber.StatusForbidden, "无权访问 (your roles do not admit this route)")
	}
}

func isAuthenticated(p Principal) bool { return p.ID != Anonymous.ID }

type ctxKey struct{}

// WithPrincipal returns ctx carrying p, for use cases below the HTTP layer.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// PrincipalFrom returns the principal carried by ctx, Anonymous when none.
func PrincipalFrom(ctx context.Context) Principal {
	if p, ok := ctx.Value(ctxKey{}).(Principal); ok {
		return p
	}
	return Anonymous
}
