package routingapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/department"
	"github.com/hallgate/hallgate/gateway/httpapi"
	"github.com/hallgate/hallgate/gateway/routing"
)

// MaxImportBytes bounds one import request body (the server's BodyLimit must
// allow it too).
const MaxImportBytes = 64 << 20

// Module serves the routing routes.
type Module struct {
	s       *routing.Suggester
	resolve func(ctx context.Context, ref string) (string, error)
}

var _ httpapi.Module = (*Module)(nil)

// New returns the module over a suggester.
func New(s *routing.Suggester) *Module { return &Module{s: s} }

// ResolveDepartments lets the examples import accept a department as the
// systems a city replaces export it — full or short name, old hotline
// number — through resolve (department.Service.Resolve).
func (m *Module) ResolveDepartments(resolve func(ctx context.Context, ref string) (string, error)) *Module {
	m.resolve = resolve
	return m
}

var (
	suggestRoles = []auth.Role{auth.RoleAgent, auth.RoleSupervisor, auth.RoleAdmin}
	readRoles    = []auth.Role{auth.RoleAgent, auth.RoleSupervisor, auth.RoleAdmin}
	editRoles    = []auth.Role{auth.RoleSupervisor, auth.RoleAdmin}
	adminRoles   = []auth.Role{auth.RoleAdmin}
)

// Routes implements httpapi.Module.
func (m *Module) Routes() []httpapi.Route {
	return []httpapi.Route{
		{Method: fiber.MethodPost, Path: "/api/v1/routing/suggest", Roles: suggestRoles, Summary: "分派建议：由诉求内容建议主办与协办部门、诉求类型、是否紧急与可直接答复的知识（附依据）", Handler: m.suggest,
			Unaudited: "a question sent as POST: it changes nothing"},
		{Method: fiber.MethodGet, Path: "/api/v1/routing/rules", Roles: readRoles, Summary: "分派目录的规则列表", Handler: m.listRules},
		{Method: fiber.MethodPost, Path: "/api/v1/routing/rules", Roles: editRoles, Summary: "新增分派规则", Handler: m.createRule},
		{Method: fiber.MethodGet, Path: "/api/v1/routing/rules/:id", Roles: readRoles, Summary: "查看一条分派规则", Handler: m.getRule},
		{Method: fiber.MethodPut, Path: "/api/v1/routing/rules/:id", Roles: editRoles, Summary: "修改分派规则（If-Match：版本号）", Handler: m.updateRule},
		{Method: fiber.MethodDelete, Path: "/api/v1/routing/rules/:id", Roles: editRoles, Summary: "删除分派规则", Handler: m.deleteRule},
		{Method: fiber.MethodPut, Path: "/api/v1/routing/guide", Roles: editRoles, Summary: "导入本市派单指引（Markdown）：每个部门一行成为一条范围规则，并读取紧急情形；在一个事务中替换上一版指引的规则", Handler: m.importGuide},
		{Method: fiber.MethodGet, Path: "/api/v1/routing/concepts", Roles: readRoles, Summary: "概念词表：本市的修改及其影响；?text= 查诉求涉及的概念，?term= 查含某词的概念", Handler: m.getConcepts},
		{Method: fiber.MethodGet, Path: "/api/v1/routing/concepts/lexicon", Roles: readRoles, Summary: "在用的完整概念词表（内置、本市修改与知识库同义词），纯文本，每行一个概念：规范名称 | 日常说法", Handler: m.getLexicon},
		{Method: fiber.MethodPut, Path: "/api/v1/routing/concepts", Roles: editRoles, Summary: "替换本市的概念词表修改（纯文本行：名称 | 说法 …；名称 | -说法 删去说法；-名称 删去概念；If-Match：版本号），模型随之重建", Handler: m.putConcepts},
		{Method: fiber.MethodDelete, Path: "/api/v1/routing/concepts", Roles: editRoles, Summary: "撤销本市的概念词表修改，恢复内置词表", Handler: m.deleteConcepts},
		{Method: fiber.MethodGet, Path: "/api/v1/routing/templates", Roles: readRoles, Summary: "各部门按名称匹配到的通用职责模板：同类部门通常负责的事项，分派建议会补充到本市的职责说明", Handler: m.getTemplates},
		{Method: fiber.MethodPost, Path: "/api/v1/routing/examples/import", Roles: adminRoles, Summary: "导入带标注的历史工单（JSON Lines），供分派建议学习", Handler: m.importExamples},
		{Method: fiber.MethodPost, Path: "/api/v1/routing/retrain", Roles: adminRoles, Summary: "立即重建分派模型", Handler: m.retrain},
	}
}

// problem maps routing errors to problem+json.
func problem(err error) error {
	var (
		ve *routing.ValidationError
		ge *routing.GuideError
		ce *routing.ConceptEditError
	)
	switch {
	case errors.As(err, &ve):
		return httpapi.Errorf(fiber.StatusUnprocessableEntity, "invalid fields").With("fields", ve.Fields)
	case errors.As(err, &ce):
		return httpapi.Errorf(fiber.StatusUnprocessableEntity, "the concept edits have %d problem(s); nothing was changed", len(ce.Problems)).With("problems", ce.Problems)
	case errors.As(err, &ge):
		return httpapi.Errorf(fiber.StatusUnprocessableEntity, "the dispatch guide has %d problem(s); nothing was changed", len(ge.Problems)).With("problems", ge.Problems)
	case errors.Is(err, routing.ErrNotFound):
		return httpapi.Errorf(fiber.StatusNotFound, "%s", err.Error())
	case errors.Is(err, routing.ErrConflict):
		return httpapi.Errorf(fiber.StatusConflict, "%s", err.Error())
	case errors.Is(err, routing.ErrInvalid):
		return httpapi.Errorf(fiber.StatusUnprocessableEntity, "%s", err.Error())
	}
	return err
}

func decode(c *fiber.Ctx, v any) error { return httpapi.DecodeJSON(c, v) }

type suggestRequest struct {
	Text     string `json:"text"`
	District string `json:"district"`
	Channel  string `json:"channel"`
}

func (m *Module) suggest(c *fiber.Ctx) error {
	var req suggestRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.Text) == "" {
		return httpapi.Errorf(fiber.StatusUnprocessableEntity, "text is required").With("fields", map[string]string{"text": "required"})
	}
	if n := len([]rune(req.Text)); n > 5000 {
		return httpapi.Errorf(fiber.StatusUnprocessableEntity, "text too long").With("fields", map[string]string{"text": "at most 5000 characters, got " + strconv.Itoa(n)})
	}
	out, err := m.s.Suggest(c.UserContext(), routing.Query{Text: req.Text, District: req.District, Channel: req.Channel})
	if err != nil {
		return problem(err)
	}
	return c.JSON(out)
}

func (m *Module) listRules(c *fiber.Ctx) error {
	rules, err := m.s.Catalogue().List(c.UserContext())
	if err != nil {
		return problem(err)
	}
	if rules == nil {
		rules = []routing.Rule{}
	}
	return c.JSON(fiber.Map{"rules": rules})
}

func (m *Module) getRule(c *fiber.Ctx) error {
	r, err := m.s.Catalogue().Get(c.UserContext(), strings.Clone(c.Params("id")))
	if err != nil {
		return problem(err)
	}
	return c.JSON(r)
}

func (m *Module) createRule(c *fiber.Ctx) error {
	var r routing.Rule
	if err := decode(c, &r); err != nil {
		return err
	}
	r.Version = 0
	out, err := m.s.Catalogue().Create(c.UserContext(), r)
	if err != nil {
		return problem(err)
	}
	c.Location("/api/v1/routing/rules/" + out.ID)
	return c.Status(fiber.StatusCreated).JSON(out)
}

func (m *Module) updateRule(c *fiber.Ctx) error {
	var r routing.Rule
	if err := decode(c, &r); err != nil {
		return err
	}
	id := strings.Clone(c.Params("id"))
	if r.ID != "" && r.ID != id {
		return httpapi.Errorf(fiber.StatusUnprocessableEntity, "id in body differs from the path").With("fields", map[string]string{"id": "must equal " + id})
	}
	r.ID = id
	if im := strings.Trim(c.Get(fiber.HeaderIfMatch), `"W/ `); im != "" {
		v, err := strconv.ParseUint(im, 10, 64)
		if err != nil {
			return httpapi.Errorf(fiber.StatusBadRequest, "If-Match must be a rule version number")
		}
		r.Version = v
	}
	out, err := m.s.Catalogue().Update(c.UserContext(), r)
	if err != nil {
		return problem(err)
	}
	return c.JSON(out)
}

func (m *Module) deleteRule(c *fiber.Ctx) error {
	if err := m.s.Catalogue().Delete(c.UserContext(), strings.Clone(c.Params("id"))); err != nil {
		return problem(err)
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// MaxGuideBytes bounds a dispatch guide; a city's guide is a few pages.
const MaxGuideBytes = 1 << 20

func (m *Module) importGuide(c *fiber.Ctx) error {
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		return httpapi.Errorf(fiber.StatusBadRequest, "empty body: send the dispatch guide as text/markdown")
	}
	if len(body) > MaxGuideBytes {
		return httpapi.Errorf(fiber.StatusRequestEntityTooLarge, "the guide is %d bytes; at most %d", len(body), MaxGuideBytes)
	}
	if ct := c.Get(fiber.HeaderContentType); ct != "" && !strings.HasPrefix(ct, "text/") {
		return httpapi.Errorf(fiber.StatusUnsupportedMediaType, "send the dispatch guide as text/markdown or text/plain, not %s", ct)
	}
	out, err := m.s.Catalogue().ImportGuide(c.UserContext(), bytes.NewReader(body))
	if err != nil {
		return problem(err)
	}
	return c.JSON(out)
}

func (m *Module) importExamples(c *fiber.Ctx) error {
	body := c.Body()
	if len(body) > MaxImportBytes {
		return httpapi.Errorf(fiber.StatusRequestEntityTooLarge, "import larger than %d bytes", MaxImportBytes)
	}
	exs, err := routing.ReadJSONL[routing.Example](bytes.NewReader(body))
	if err != nil {
		return httpapi.Errorf(fiber.StatusBadRequest, "%s", err.Error())
	}
	if len(exs) == 0 {
		return httpapi.Errorf(fiber.StatusUnprocessableEntity, "no examples in body").With("fields", map[string]string{"body": "at least one JSON line"})
	}
	// Strict at the edge: every line must be fully valid, or nothing is
	// stored and the 422 lists the offending fields per line.
	known := map[string]bool{}
	for _, d := range m.s.DepartmentCodes(c.UserContext()) {
		known[d] = true
	}
	bad := map[string]string{}
	if m.resolve != nil {
		if err := m.resolveNames(c.UserContext(), exs, known, bad); err != nil {
			return problem(err)
		}
	}
	for i, ex := range exs {
		for k, v := range routing.ValidateExample(ex, known) {
			if _, ok := bad[fmt.Sprintf("line %d: %s", i+1, k)]; ok {
				continue // the name's own reason says more
			}
			bad[fmt.Sprintf("line %d: %s", i+1, k)] = v
		}
	}
	if len(bad) > 0 {
		return httpapi.Errorf(fiber.StatusUnprocessableEntity, "invalid examples").With("fields", bad)
	}
	n, err := m.s.ObserveBatch(c.UserContext(), exs)
	if err != nil {
		return problem(err)
	}
	// Answer once the model has learned them (bounded), so a suggestion
	// asked right after this answer uses them.
	learned := m.s.AwaitModel(c.UserContext(), routing.ImportWait)
	return c.JSON(fiber.Map{"imported": n, "examples": m.s.Examples(), "model_learned": learned})
}

// resolveNames rewrites departments named other than by code to their
// codes, each name resolved once; a name that fits several departments
// gets its reason in bad, and one that fits none is left for the
// validation to report as unknown.
func (m *Module) resolveNames(ctx context.Context, exs []routing.Example, known map[string]bool, bad map[string]string) error {
	type res struct {
		code string
		amb  error
	}
	seen := map[string]res{}
	fix := func(line int, field, ref string) (string, error) {
		if ref == "" || known[ref] {
			return ref, nil
		}
		r, ok := seen[ref]
		if !ok {
			code, err := m.resolve(ctx, ref)
			var amb *department.AmbiguousError
			switch {
			case errors.As(err, &amb):
				r = res{ref, err}
			case errors.Is(err, department.ErrUnknownDepartment):
				r = res{code: ref}
			case err != nil:
				return "", err
			default:
				r = res{code: code}
			}
			seen[ref] = r
		}
		if r.amb != nil {
			bad[fmt.Sprintf("line %d: %s", line, field)] = r.amb.Error()
		}
		return r.code, nil
	}
	var err error
	for i := range exs {
		if exs[i].Department, err = fix(i+1, "department", exs[i].Department); err != nil {
			return err
		}
		for j, c := range exs[i].CoDepartments {
			if exs[i].CoDepartments[j], err = fix(i+1, fmt.Sprintf("co_departments[%d]", j), c); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *Module) retrain(c *fiber.Ctx) error {
	if err := m.s.Retrain(c.UserContext()); err != nil {
		return problem(err)
	}
	return c.JSON(fiber.Map{"examples": m.s.Examples()})
}
