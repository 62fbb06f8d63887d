package kbapi

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/gateway/department"
	"github.com/hallgate/hallgate/gateway/httpapi"
)

func (m *Module) listDepartments(c *fiber.Ctx) error {
	ds, err := m.depts.List(c.UserContext())
	if err != nil {
		return err
	}
	if ds == nil {
		ds = []department.Department{}
	}
	return c.JSON(fiber.Map{"departments": ds})
}

func (m *Module) getDepartment(c *fiber.Ctx) error {
	d, err := m.depts.Get(c.UserContext(), param(c, "code"))
	if errors.Is(err, department.ErrUnknownDepartment) {
		return httpapi.Errorf(http.StatusNotFound, "部门不存在: %s", param(c, "code"))
	}
	if err != nil {
		return err
	}
	return c.JSON(d)
}

// importDepartments takes a JSON array shaped like departments.json; every
// department is validated before anything is written.
func (m *Module) importDepartments(c *fiber.Ctx) error {
	var ds []department.Department
	if len(c.Body()) == 0 {
		return httpapi.Errorf(http.StatusBadRequest, "empty body: a JSON array of departments is required")
	}
	if err := json.Unmarshal(c.Body(), &ds); err != nil {
		return httpapi.Errorf(http.StatusBadRequest, "malformed JSON: %v", err)
	}
	n, err := m.depts.Import(c.UserContext(), ds)
	if err != nil {
		return problem(err)
	}
	return c.JSON(fiber.Map{"imported": n})
}
