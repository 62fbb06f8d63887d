package kbapi

import (
	"bytes"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/gateway/httpapi"
	"github.com/hallgate/hallgate/knowledgebase"
)

func (m *Module) listItems(c *fiber.Ctx) error {
	limit, err := queryInt(c, "limit", 50, 1, 500)
	if err != nil {
		return err
	}
	page, err := m.kb.ListItems(c.UserContext(), actorOf(c), knowledgebase.ItemFilter{
		Status:     strings.Clone(c.Query("status")),
		Department: strings.Clone(c.Query("department")),
		Limit:      limit,
		Cursor:     strings.Clone(c.Query("cursor")),
	})
	if err != nil {
		return problem(err)
	}
	return c.JSON(page)
}

func (m *Module) getItem(c *fiber.Ctx) error {
	it, err := m.kb.GetItem(c.UserContext(), actorOf(c), param(c, "id"))
	if err != nil {
		return problem(err)
	}
	setETag(c, it.Version)
	return c.JSON(it)
}

func (m *Module) createItem(c *fiber.Ctx) error {
	var it knowledgebase.ServiceItem
	if err := decodeJSON(c, &it); err != nil {
		return err
	}
	out, err := m.kb.CreateItem(c.UserContext(), actorOf(c), it)
	if err != nil {
		return problem(err)
	}
	setETag(c, out.Version)
	c.Location("/api/v1/items/" + out.ID)
	return c.Status(http.StatusCreated).JSON(out)
}

func (m *Module) updateItem(c *fiber.Ctx) error {
	var it knowledgebase.ServiceItem
	if err := decodeJSON(c, &it); err != nil {
		return err
	}
	id := param(c, "id")
	if err := idMatchesPath(it.ID, id); err != nil {
		return err
	}
	ver, err := expectedVersion(c, it.Version)
	if err != nil {
		return err
	}
	out, err := m.kb.UpdateItem(c.UserContext(), actorOf(c), id, ver, it)
	if err != nil {
		return problem(err)
	}
	setETag(c, out.Version)
	return c.JSON(out)
}

func (m *Module) deleteItem(c *fiber.Ctx) error {
	ver, err := expectedVersion(c, 0)
	if err != nil {
		return err
	}
	if err := m.kb.DeleteItem(c.UserContext(), actorOf(c), param(c, "id"), ver); err != nil {
		return problem(err)
	}
	return c.SendStatus(http.StatusNoContent)
}

func (m *Module) itemGuide(c *fiber.Ctx) error {
	it, err := m.kb.GetItem(c.UserContext(), actorOf(c), param(c, "id"))
	if err != nil {
		return problem(err)
	}
	name := ""
	if d, err := m.depts.Get(c.UserContext(), it.Department); err == nil {
		name = d.Name
	}
	setETag(c, it.Version)
	return c.JSON(it.BuildGuide(name))
}

func (m *Module) itemVersions(c *fiber.Ctx) error {
	id := param(c, "id")
	if _, err := m.kb.GetItem(c.UserContext(), actorOf(c), id); err != nil {
		return problem(err)
	}
	vs, err := m.kb.Versions(c.UserContext(), knowledgebase.KindItem, id)
	if err != nil {
		return problem(err)
	}
	return c.JSON(fiber.Map{"versions": vs})
}

func (m *Module) transitionItem(c *fiber.Ctx) error {
	var req transitionRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	ver, err := expectedVersion(c, req.Version)
	if err != nil {
		return err
	}
	out, err := m.kb.TransitionItem(c.UserContext(), actorOf(c), param(c, "id"), req.To, ver, req.Note)
	if err != nil {
		return problem(err)
	}
	setETag(c, out.Version)
	return c.JSON(out)
}

// importItems reads the body as JSON Lines of service items; the import
// finishes before the handler returns, so Fiber's buffer is read in place.
func (m *Module) importItems(c *fiber.Ctx) error {
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		return httpapi.Errorf(http.StatusBadRequest, "empty body: JSON Lines of service items are required")
	}
	res, err := m.kb.ImportItems(c.UserContext(), actorOf(c), bytes.NewReader(body))
	if err != nil {
		return problem(err)
	}
	return c.JSON(res)
}
