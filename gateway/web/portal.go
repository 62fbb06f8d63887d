package web

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/gateway/store"
	"github.com/hallgate/hallgate/gateway/ticket"
	"github.com/hallgate/hallgate/knowledgebase"
)

// citizen is the knowledge-base actor of the portal: published, public
// content only.
var citizen = knowledgebase.Actor{ID: "anonymous"}

// optionalSession returns the visitor's session when there is one (the
// portal shows "signed in as" but needs none).
func (m *Module) optionalSession(c *fiber.Ctx) *Session {
	if s, err := m.session(c); err == nil {
		return &s
	}
	return nil
}

func (m *Module) portal(c *fiber.Ctx) error {
	q := strings.TrimSpace(c.Query("q"))
	data := fiber.Map{"Query": q}
	if q != "" {
		query := knowledgebase.Query{Text: q, Limit: 10, Channel: c.Query("channel")}
		if err := knowledgebase.CheckQuery(query); err != nil {
			data["SearchError"] = "搜索内容过长或有误，请精简后再试"
		} else {
			res, err := m.o.KB.Search(c.UserContext(), citizen, query)
			if err != nil {
				return err
			}
			data["Result"] = res
		}
	}
	pub, _, err := m.o.Messages.PublishedPage(c.UserContext(), 10, "")
	if err != nil {
		return err
	}
	data["Published"] = pub
	sess := m.optionalSession(c)
	csrf := m.anonCSRF(c)
	if sess != nil {
		csrf = sess.CSRF
	}
	return m.render(c, fiber.StatusOK, "portal", page{Title: "12345 政务服务便民热线", CSRF: csrf, User: sess, Nav: "portal", Data: data})
}

func (m *Module) faqPage(c *fiber.Ctx) error {
	e, err := m.o.KB.GetEntry(c.UserContext(), citizen, c.Params("id"))
	if errors.Is(err, knowledgebase.ErrNotFound) || errors.Is(err, store.ErrNotFound) || errors.Is(err, knowledgebase.ErrForbidden) {
		return m.notFound(c)
	}
	if err != nil {
		return err
	}
	return m.render(c, fiber.StatusOK, "faq", page{Title: e.Title, CSRF: m.anonCSRF(c), User: m.optionalSession(c), Nav: "portal", Data: e})
}

func (m *Module) itemPage(c *fiber.Ctx) error {
	it, err := m.o.KB.GetItem(c.UserContext(), citizen, c.Params("id"))
	if errors.Is(err, knowledgebase.ErrNotFound) || errors.Is(err, store.ErrNotFound) || errors.Is(err, knowledgebase.ErrForbidden) {
		return m.notFound(c)
	}
	if err != nil {
		return err
	}
	dept := it.Department
	if d, err := m.o.Departments.Get(c.UserContext(), it.Department); err == nil {
		dept = d.Name
	}
	return m.render(c, fiber.StatusOK, "item", page{Title: it.Name, CSRF: m.anonCSRF(c), User: m.optionalSession(c), Nav: "portal",
		Data: fiber.Map{"Item": it, "Department": dept, "OnlineURL": safeURL(it.OnlineURL)}})
}

// safeURL keeps only http(s) links from the item data.
func safeURL(u string) string {
	if strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") {
		return u
	}
	return ""
}

func (m *Module) notFound(c *fiber.Ctx) error {
	return m.render(c, fiber.StatusNotFound, "notfound", page{Title: "未找到", CSRF: m.anonCSRF(c), User: m.optionalSession(c), Nav: "portal"})
}

// trackPage follows a ticket by its code and the last four digits of the
// phone given at intake; one answer for "no such code" and "wrong digits".
func (m *Module) trackPage(c *fiber.Ctx) error {
	code := strings.TrimSpace(c.Query("code"))
	last4 := strings.TrimSpace(c.Query("phone_last4"))
	data := fiber.Map{"Code": code, "Last4": last4}
	if code != "" || last4 != "" {
		if code == "" || len(last4) != 4 || strings.Trim(last4, "0123456789") != "" {
			data["Problem"] = "请填写工单编号和来电号码后四位（4 位数字）"
		} else {
			t, err := m.o.Tickets.Get(c.UserContext(), code)
			switch {
			case errors.Is(err, ticket.ErrNotFound) || (err == nil && (t.Historical || !ticket.Last4Matches(t, last4))):
				data["Problem"] = "未找到匹配的工单，请核对编号和号码后四位"
			case err != nil:
				return err
			default:
				pub := ticket.Public(t)
				data["Ticket"] = pub
				data["StatusLabel"] = ticket.StatusLabels[t.Status]
			}
		}
	}
	return m.render(c, fiber.StatusOK, "track", page{Title: "工单查询", CSRF: m.anonCSRF(c), User: m.optionalSession(c), Nav: "track", Data: data})
}
