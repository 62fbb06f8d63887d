package connectorapi

import (
	"encoding/json"
	"regexp"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/gateway/dispatch"
	"github.com/hallgate/hallgate/gateway/httpapi"
)

// connectorRequest is the body of POST /api/v1/connectors: the kind's typed
// settings travel as JSON and are decoded by the kind's factory.
type connectorRequest struct {
	Name           string          `json:"name"`
	Kind           string          `json:"kind"`
	Department     string          `json:"department"`
	CallbackSecret string          `json:"callback_secret"`
	Settings       json.RawMessage `json:"settings"`
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// put creates or replaces a connector at run time. The change lives in this
// replica's registry; persistent connectors belong in the configuration.
func (m *Module) put(c *fiber.Ctx) error {
	if m.o.Kinds == nil || m.o.Chain == nil {
		return httpapi.Errorf(fiber.StatusNotImplemented, "此部署不支持在线新增对接系统")
	}
	var req connectorRequest
	if err := httpapi.DecodeJSON(c, &req); err != nil {
		return err
	}
	var bad []string
	if !nameRE.MatchString(req.Name) {
		bad = append(bad, "name")
	}
	if _, ok := m.o.Kinds[req.Kind]; !ok {
		bad = append(bad, "kind")
	}
	if req.Department == "" {
		bad = append(bad, "department")
	}
	if len(req.CallbackSecret) < 16 {
		bad = append(bad, "callback_secret")
	}
	if len(req.Settings) == 0 {
		bad = append(bad, "settings")
	}
	if len(bad) > 0 {
		return httpapi.Errorf(fiber.StatusUnprocessableEntity, "对接系统配置无效").With("fields", bad)
	}
	conn, err := m.o.Kinds.New(req.Kind, req.Name, func(into any) error { return json.Unmarshal(req.Settings, into) })
	if err != nil {
		return httpapi.Errorf(fiber.StatusUnprocessableEntity, "settings: %v", err).With("fields", []string{"settings"})
	}
	chained, err := m.o.Chain(req.Department, conn)
	if err != nil {
		return httpapi.Errorf(fiber.StatusUnprocessableEntity, "resilience: %v", err)
	}
	if err := m.o.Relay.Registry().Put(dispatch.Entry{Name: req.Name, Kind: req.Kind, Department: req.Department, CallbackSecret: req.CallbackSecret, Connector: chained}); err != nil {
		return httpapi.Errorf(fiber.StatusConflict, "%v", err)
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"name": req.Name, "kind": req.Kind, "department": req.Department})
}

// remove drops a connector from this replica's registry.
func (m *Module) remove(c *fiber.Ctx) error {
	name := strings.Clone(c.Params("name"))
	if !m.o.Relay.Registry().Remove(name) {
		return httpapi.Errorf(fiber.StatusNotFound, "对接系统 %q 不存在", name)
	}
	return c.SendStatus(fiber.StatusNoContent)
}
