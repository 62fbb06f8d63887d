package kbapi

import (
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/gateway/httpapi"
	"github.com/hallgate/hallgate/knowledgebase"
)

// search answers {"hits": [...], "total", "took_ms", "search_id"}. Query
// values are cloned: analytics keep the query text after the handler.
func (m *Module) search(c *fiber.Ctx) error {
	limit, err := queryInt(c, "limit", 10, 1, 100)
	if err != nil {
		return err
	}
	offset, err := queryInt(c, "offset", 0, 0, 10000)
	if err != nil {
		return err
	}
	q := knowledgebase.Query{
		Text:       strings.Clone(c.Query("q")),
		Limit:      limit,
		Offset:     offset,
		Department: strings.Clone(c.Query("department")),
		Category:   strings.Clone(c.Query("category")),
		Channel:    strings.Clone(c.Query("channel")),
		Kind:       strings.Clone(c.Query("kind")),
	}
	if err := knowledgebase.CheckQuery(q); err != nil {
		return httpapi.Errorf(http.StatusBadRequest, "%s", err.Error())
	}
	if q.Department != "" {
		ok, err := m.depts.Exists(c.UserContext(), q.Department)
		if err != nil {
			return err
		}
		if !ok {
			return httpapi.Errorf(http.StatusUnprocessableEntity, "unknown department %q", q.Department).
				With("fields", []knowledgebase.FieldError{{Field: "department", Reason: "unknown department"}})
		}
	}
	res, err := m.kb.Search(c.UserContext(), actorOf(c), q)
	if err != nil {
		return problem(err)
	}
	return sendSearchResult(c, res)
}

// sendSearchResult answers res as c.JSON would, through appendSearchResult
// and a pooled buffer (the body is copied into the response).
func sendSearchResult(c *fiber.Ctx, res knowledgebase.SearchResult) error {
	bp := searchBufs.Get().(*[]byte)
	body, ok := appendSearchResult((*bp)[:0], res)
	if !ok {
		searchBufs.Put(bp)
		return c.JSON(res) // json.Marshal's error, as before
	}
	c.Response().SetBody(body)
	c.Response().Header.SetContentType(fiber.MIMEApplicationJSON)
	if cap(body) <= maxPooledBuf {
		*bp = body
		searchBufs.Put(bp)
	}
	return nil
}

type clickRequest struct {
	SearchID string `json:"search_id"`
	ID       string `json:"id"`
}

func (m *Module) click(c *fiber.Ctx) error {
	var req clickRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := m.kb.RecordClick(c.UserContext(), req.SearchID, req.ID); err != nil {
		return problem(err)
	}
	return c.SendStatus(http.StatusNoContent)
}

func (m *Module) gaps(c *fiber.Ctx) error {
	limit, err := queryInt(c, "limit", 50, 1, 1000)
	if err != nil {
		return err
	}
	gs, err := m.kb.Gaps(c.UserContext(), limit)
	if err != nil {
		return problem(err)
	}
	return c.JSON(fiber.Map{"gaps": gs})
}

func (m *Module) topQueries(c *fiber.Ctx) error {
	limit, err := queryInt(c, "limit", 50, 1, 1000)
	if err != nil {
		return err
	}
	qs, err := m.kb.TopQueries(c.UserContext(), limit)
	if err != nil {
		return problem(err)
	}
	return c.JSON(fiber.Map{"queries": qs})
}

func (m *Module) getSynonyms(c *fiber.Ctx) error {
	set, err := m.kb.Synonyms(c.UserContext())
	if err != nil {
		return problem(err)
	}
	setETag(c, set.Version)
	return c.JSON(set)
}

type synonymsRequest struct {
	Groups  [][]string `json:"groups"`
	Version uint64     `json:"version"`
}

// putSynonyms replaces the runtime groups. With If-Match or a version the
// write is optimistic; without, it overwrites (the editor sends the whole set).
func (m *Module) putSynonyms(c *fiber.Ctx) error {
	var req synonymsRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Groups == nil {
		return httpapi.Errorf(http.StatusUnprocessableEntity, "groups is required").
			With("fields", []knowledgebase.FieldError{{Field: "groups", Reason: "required (may be empty)"}})
	}
	ver, err := expectedVersion(c, req.Version)
	if err != nil {
		return err
	}
	set, err := m.kb.SetSynonyms(c.UserContext(), actorOf(c), req.Groups, ver, ver == 0)
	if err != nil {
		return problem(err)
	}
	setETag(c, set.Version)
	return c.JSON(set)
}

func (m *Module) reindex(c *fiber.Ctx) error {
	n, err := m.kb.Reindex(c.UserContext())
	if err != nil {
		return problem(err)
	}
	return c.JSON(fiber.Map{"documents": n})
}
