package routingapi

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/httpapi"
	"github.com/hallgate/hallgate/gateway/routing"
)

func (m *Module) getConcepts(c *fiber.Ctx) error {
	text, term := strings.Clone(c.Query("text")), strings.Clone(c.Query("term"))
	if n := utf8.RuneCountInString(text); n > 5000 {
		return httpapi.Errorf(fiber.StatusUnprocessableEntity, "text too long").With("fields", map[string]string{"text": "at most 5000 characters, got " + strconv.Itoa(n)})
	}
	v, err := m.s.Lexicon(c.UserContext(), text, term)
	if err != nil {
		return problem(err)
	}
	if v.Edits.Version > 0 {
		c.Set(fiber.HeaderETag, strconv.Quote(strconv.FormatUint(v.Edits.Version, 10)))
	}
	return c.JSON(v)
}

func (m *Module) getLexicon(c *fiber.Ctx) error {
	var b strings.Builder
	if err := m.s.WriteLexicon(c.UserContext(), &b); err != nil {
		return problem(err)
	}
	c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
	return c.SendString(b.String())
}

// ifMatch reads an optional If-Match version (0: none sent).
func ifMatch(c *fiber.Ctx) (uint64, error) {
	im := strings.Trim(c.Get(fiber.HeaderIfMatch), `"W/ `)
	if im == "" || im == "*" {
		return 0, nil
	}
	v, err := strconv.ParseUint(im, 10, 64)
	if err != nil || v == 0 {
		return 0, httpapi.Errorf(fiber.StatusBadRequest, "If-Match must be the version of the concept edits (a positive number)")
	}
	return v, nil
}

func (m *Module) putConcepts(c *fiber.Ctx) error {
	body := c.Body()
	if len(body) > routing.MaxConceptEditBytes {
		return httpapi.Errorf(fiber.StatusRequestEntityTooLarge, "the edits are %d bytes; at most %d", len(body), routing.MaxConceptEditBytes)
	}
	if ct := c.Get(fiber.HeaderContentType); ct != "" && !strings.HasPrefix(ct, "text/plain") {
		return httpapi.Errorf(fiber.StatusUnsupportedMediaType, "send the concept edits as text/plain, not %s", ct)
	}
	if !utf8.Valid(body) {
		return httpapi.Errorf(fiber.StatusBadRequest, "the body is not valid UTF-8")
	}
	return m.setConcepts(c, string(body))
}

func (m *Module) deleteConcepts(c *fiber.Ctx) error { return m.setConcepts(c, "") }

func (m *Module) setConcepts(c *fiber.Ctx, text string) error {
	expect, err := ifMatch(c)
	if err != nil {
		return err
	}
	ce, change, err := m.s.Catalogue().SetConceptEdits(c.UserContext(), text, auth.FromCtx(c).ID, expect)
	if err != nil {
		return problem(err)
	}
	if ce.Version > 0 {
		c.Set(fiber.HeaderETag, strconv.Quote(strconv.FormatUint(ce.Version, 10)))
	}
	// The model rebuilds in the background (GET shows in_model once it has).
	return c.JSON(fiber.Map{"edits": ce, "change": change, "model": "rebuilding"})
}

func (m *Module) getTemplates(c *fiber.Ctx) error {
	ts, err := m.s.DutyTemplates(c.UserContext())
	if err != nil {
		return problem(err)
	}
	return c.JSON(fiber.Map{"departments": ts})
}
