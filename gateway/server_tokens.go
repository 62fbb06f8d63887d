package gateway

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/gateway/audit"
	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/httpapi"
)

// tokenModule serves /api/v1/tokens: admins mint, list and revoke API tokens.
type tokenModule struct{ tokens *auth.Tokens }

var _ httpapi.Module = (*tokenModule)(nil)

var adminOnly = []auth.Role{auth.RoleAdmin}

func (m *tokenModule) Routes() []httpapi.Route {
	return []httpapi.Route{
		{Method: fiber.MethodPost, Path: "/api/v1/tokens", Roles: adminOnly, Summary: "创建 API 令牌（令牌只返回一次）", Handler: m.create},
		{Method: fiber.MethodGet, Path: "/api/v1/tokens", Roles: adminOnly, Summary: "列出 API 令牌（不含密钥）", Handler: m.list},
		{Method: fiber.MethodDelete, Path: "/api/v1/tokens/:id", Roles: adminOnly, Summary: "吊销 API 令牌", Handler: m.revoke},
	}
}

type createTokenRequest struct {
	Name  string      `json:"name"`
	Roles []auth.Role `json:"roles"`
}

type createTokenResponse struct {
	ID    string      `json:"id"`
	Token string      `json:"token"`
	Name  string      `json:"name"`
	Roles []auth.Role `json:"roles"`
}

func (m *tokenModule) create(c *fiber.Ctx) error {
	var req createTokenRequest
	if err := httpapi.DecodeJSON(c, &req); err != nil {
		return err
	}
	var fields []string
	var reasons []string
	if n := strings.TrimSpace(req.Name); n == "" || len([]rune(n)) > 100 {
		fields = append(fields, "name")
		reasons = append(reasons, "name: 1-100 characters required")
	}
	if err := auth.ValidateRoles(req.Roles); err != nil {
		fields = append(fields, "roles")
		reasons = append(reasons, "roles: "+strings.TrimPrefix(err.Error(), auth.ErrInvalidRole.Error()+": "))
	}
	if len(fields) > 0 {
		return httpapi.Errorf(fiber.StatusUnprocessableEntity, "%s", strings.Join(reasons, "; ")).With("fields", fields)
	}
	tok, secret, err := m.tokens.Create(c.UserContext(), req.Name, req.Roles, auth.FromCtx(c).ID)
	if err != nil {
		return err
	}
	audit.SetTarget(c, tok.ID)
	audit.Note(c, "roles", auth.JoinRoles(tok.Roles))
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(createTokenResponse{ID: tok.ID, Token: secret, Name: tok.Name, Roles: tok.Roles})
}

func (m *tokenModule) list(c *fiber.Ctx) error {
	toks, err := m.tokens.List(c.UserContext())
	if err != nil {
		return err
	}
	if toks == nil {
		toks = []auth.Token{}
	}
	return c.JSON(fiber.Map{"tokens": toks})
}

func (m *tokenModule) revoke(c *fiber.Ctx) error {
	id := c.Params("id")
	if err := m.tokens.Revoke(c.UserContext(), id); err != nil {
		if errors.Is(err, auth.ErrTokenNotFound) {
			return httpapi.Errorf(fiber.StatusNotFound, "令牌不存在 (no token %q)", id)
		}
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
