package kbapi

import (
	"bytes"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/gateway/httpapi"
	"github.com/hallgate/hallgate/knowledgebase"
)

func (m *Module) listEntries(c *fiber.Ctx) error {
	limit, err := queryInt(c, "limit", 50, 1, 500)
	if err != nil {
		return err
	}
	f := knowledgebase.EntryFilter{
		Status:     strings.Clone(c.Query("status")),
		Department: strings.Clone(c.Query("department")),
		Visibility: strings.Clone(c.Query("visibility")),
		Flag:       strings.Clone(c.Query("flag")),
		Limit:      limit,
		Cursor:     strings.Clone(c.Query("cursor")),
	}
	page, err := m.kb.ListEntries(c.UserContext(), actorOf(c), f)
	if err != nil {
		return problem(err)
	}
	return c.JSON(page)
}

func (m *Module) getEntry(c *fiber.Ctx) error {
	e, err := m.kb.GetEntry(c.UserContext(), actorOf(c), param(c, "id"))
	if err != nil {
		return problem(err)
	}
	setETag(c, e.Version)
	return c.JSON(e)
}

func (m *Module) createEntry(c *fiber.Ctx) error {
	var e knowledgebase.Entry
	if err := decodeJSON(c, &e); err != nil {
		return err
	}
	out, err := m.kb.CreateEntry(c.UserContext(), actorOf(c), e)
	if err != nil {
		return problem(err)
	}
	setETag(c, out.Version)
	c.Location("/api/v1/kb/entries/" + out.ID)
	return c.Status(http.StatusCreated).JSON(out)
}

func (m *Module) updateEntry(c *fiber.Ctx) error {
	var e knowledgebase.Entry
	if err := decodeJSON(c, &e); err != nil {
		return err
	}
	id := param(c, "id")
	if err := idMatchesPath(e.ID, id); err != nil {
		return err
	}
	ver, err := expectedVersion(c, e.Version)
	if err != nil {
		return err
	}
	out, err := m.kb.UpdateEntry(c.UserContext(), actorOf(c), id, ver, e)
	if err != nil {
		return problem(err)
	}
	setETag(c, out.Version)
	return c.JSON(out)
}

func (m *Module) deleteEntry(c *fiber.Ctx) error {
	ver, err := expectedVersion(c, 0)
	if err != nil {
		return err
	}
	if err := m.kb.DeleteEntry(c.UserContext(), actorOf(c), param(c, "id"), ver); err != nil {
		return problem(err)
	}
	return c.SendStatus(http.StatusNoContent)
}

func (m *Module) entryVersions(c *fiber.Ctx) error {
	id := param(c, "id")
	// Versions hold drafts: only those who may read the entry see them.
	if _, err := m.kb.GetEntry(c.UserContext(), actorOf(c), id); err != nil {
		return problem(err)
	}
	vs, err := m.kb.Versions(c.UserContext(), knowledgebase.KindEntry, id)
	if err != nil {
		return problem(err)
	}
	return c.JSON(fiber.Map{"versions": vs})
}

type transitionRequest struct {
	To      string `json:"to"`
	Version uint64 `json:"version"`
	Note    string `json:"note"`
}

func (m *Module) transitionEntry(c *fiber.Ctx) error {
	var req transitionRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	ver, err := expectedVersion(c, req.Version)
	if err != nil {
		return err
	}
	out, err := m.kb.TransitionEntry(c.UserContext(), actorOf(c), param(c, "id"), req.To, ver, req.Note)
	if err != nil {
		return problem(err)
	}
	setETag(c, out.Version)
	return c.JSON(out)
}

// importEntries reads the body as JSON Lines. The import finishes before
// the handler returns, so reading Fiber's body buffer in place is safe.
func (m *Module) importEntries(c *fiber.Ctx) error {
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		return httpapi.Errorf(http.StatusBadRequest, "empty body: JSON Lines (or CSV) of entries are required")
	}
	imp := m.kb.Import
	if ct := strings.ToLower(string(c.Request().Header.ContentType())); strings.HasPrefix(ct, "text/csv") || strings.HasPrefix(ct, "application/csv") {
		imp = m.kb.ImportCSV // a department's FAQ sheet
	}
	res, err := imp(c.UserContext(), actorOf(c), bytes.NewReader(body))
	if err != nil {
		return problem(err)
	}
	return c.JSON(res)
}

// exportEntries writes JSON Lines, or with ?format=csv the sheet an editor
// corrects in a spreadsheet and imports again.
func (m *Module) exportEntries(c *fiber.Ctx) error {
	var buf bytes.Buffer
	export, ctype, name := m.kb.Export, "application/x-ndjson; charset=utf-8", "kb.jsonl"
	switch c.Query("format") {
	case "", "jsonl":
	case "csv":
		export, ctype, name = m.kb.ExportCSV, "text/csv; charset=utf-8", "kb.csv"
	default:
		return httpapi.Errorf(http.StatusBadRequest, "format: jsonl or csv").With("fields", map[string]string{"format": "jsonl or csv"})
	}
	if _, err := export(c.UserContext(), actorOf(c), &buf); err != nil {
		return problem(err)
	}
	c.Set(fiber.HeaderContentType, ctype)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	return c.Send(buf.Bytes())
}

type feedbackRequest struct {
	Helpful *bool  `json:"helpful"`
	Comment string `json:"comment"`
}

func (m *Module) postFeedback(c *fiber.Ctx) error {
	var req feedbackRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Helpful == nil {
		return httpapi.Errorf(http.StatusUnprocessableEntity, "helpful is required").
			With("fields", []knowledgebase.FieldError{{Field: "helpful", Reason: "required (true or false)"}})
	}
	fb, err := m.kb.RecordFeedback(c.UserContext(), actorOf(c), param(c, "id"), *req.Helpful, req.Comment)
	if err != nil {
		return problem(err)
	}
	// Citizens get the tally, not other people's comments.
	fb.Comments = nil
	return c.Status(http.StatusCreated).JSON(fb)
}

func (m *Module) getFeedback(c *fiber.Ctx) error {
	id := param(c, "id")
	if _, err := m.kb.GetEntry(c.UserContext(), actorOf(c), id); err != nil {
		return problem(err)
	}
	fb, err := m.kb.FeedbackFor(c.UserContext(), id)
	if err != nil {
		return problem(err)
	}
	return c.JSON(fb)
}

// idMatchesPath refuses a body whose id names another record than the path.
func idMatchesPath(bodyID, pathID string) error {
	if bodyID != "" && bodyID != pathID {
		return httpapi.Errorf(http.StatusUnprocessableEntity, "id in the body differs from the path").
			With("fields", []knowledgebase.FieldError{{Field: "id", Reason: "must match the path"}})
	}
	return nil
}
