package topicsapi

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/httpapi"
	"github.com/hallgate/hallgate/gateway/topics"
)

// Reader is what the module needs from the detector.
type Reader interface {
	List(ctx context.Context, f topics.ListFilter) ([]topics.Topic, error)
	Get(ctx context.Context, id string) (topics.Topic, error)
}

var _ Reader = (*topics.Detector)(nil)

// Actions are the use cases that live elsewhere; nil ones answer 501.
type Actions struct {
	// CreateKBDraft stores a draft entry in the knowledge base and returns
	// its id. When nil, kb-draft only returns the draft.
	CreateKBDraft func(ctx context.Context, d topics.KBDraft) (string, error)
	// MergeTickets merges ids into the ticket into (并单).
	MergeTickets func(ctx context.Context, into string, ids []string) error
	// AnswerTickets replies text to every ticket in ids.
	AnswerTickets func(ctx context.Context, ids []string, text string) error
}

// Module serves the topic routes.
type Module struct {
	r Reader
	a Actions
}

var _ httpapi.Module = (*Module)(nil)

// New returns the module.
func New(r Reader, a Actions) *Module { return &Module{r: r, a: a} }

// MaxAnswerRunes bounds a joint answer.
const MaxAnswerRunes = 2000

var (
	readRoles   = []auth.Role{auth.RoleSupervisor, auth.RoleAdmin, auth.RoleAgent}
	draftRoles  = []auth.Role{auth.RoleSupervisor, auth.RoleAdmin, auth.RoleEditor}
	actionRoles = []auth.Role{auth.RoleSupervisor, auth.RoleAdmin}
)

// Routes implements httpapi.Module.
func (m *Module) Routes() []httpapi.Route {
	return []httpapi.Route{
		{Method: fiber.MethodGet, Path: "/api/v1/topics", Roles: readRoles, Summary: "热点诉求列表：上升中和近期的话题，含工单、地点、部门与趋势", Handler: m.list},
		{Method: fiber.MethodGet, Path: "/api/v1/topics/:id", Roles: readRoles, Summary: "查看一个热点话题", Handler: m.get},
		{Method: fiber.MethodPost, Path: "/api/v1/topics/:id/kb-draft", Roles: draftRoles, Summary: "由热点话题起草知识库条目（热点问答）", Handler: m.kbDraft},
		{Method: fiber.MethodPost, Path: "/api/v1/topics/:id/notice", Roles: actionRoles, Summary: "由热点话题起草公告", Handler: m.notice},
		{Method: fiber.MethodPost, Path: "/api/v1/topics/:id/merge", Roles: actionRoles, Summary: "把话题的工单并入其中一件（并单）", Handler: m.merge},
		{Method: fiber.MethodPost, Path: "/api/v1/topics/:id/answer", Roles: actionRoles, Summary: "以同一答复答复话题的全部工单", Handler: m.answer},
	}
}

func problem(err error) error {
	switch {
	case errors.Is(err, topics.ErrNotFound):
		return httpapi.Errorf(fiber.StatusNotFound, "热点不存在: %s", err.Error())
	case errors.Is(err, topics.ErrInvalid):
		return httpapi.Errorf(fiber.StatusUnprocessableEntity, "%s", err.Error())
	}
	return err
}

func (m *Module) list(c *fiber.Ctx) error {
	f := topics.ListFilter{Status: c.Query("status"), District: strings.Clone(c.Query("district"))}
	var fields []string
	if f.Status != "" && !slices.Contains([]string{topics.StatusRising, topics.StatusActive, topics.StatusClosed, topics.StatusMerged}, f.Status) {
		fields = append(fields, "status")
	}
	f.Status = strings.Clone(f.Status)
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 200 {
			fields = append(fields, "limit")
		}
		f.Limit = n
	}
	if len(fields) > 0 {
		return httpapi.Errorf(fiber.StatusUnprocessableEntity, "查询参数无效 (status: rising|active|closed|merged; limit: 1-200)").With("fields", fields)
	}
	out, err := m.r.List(c.UserContext(), f)
	if err != nil {
		return problem(err)
	}
	if out == nil {
		out = []topics.Topic{}
	}
	return c.JSON(fiber.Map{"topics": out, "count": len(out)})
}

func (m *Module) topic(c *fiber.Ctx) (topics.Topic, error) {
	t, err := m.r.Get(c.UserContext(), strings.Clone(c.Params("id")))
	if err != nil {
		return topics.Topic{}, problem(err)
	}
	return t, nil
}

// active refuses actions on a topic merged into another.
func active(t topics.Topic) error {
	if t.Status == topics.StatusMerged {
		return httpapi.Errorf(fiber.StatusConflict, "热点已并入 %s", t.MergedInto).With("merged_into", t.MergedInto)
	}
	return nil
}

func (m *Module) get(c *fiber.Ctx) error {
	t, err := m.topic(c)
	if err != nil {
		return err
	}
	return c.JSON(t)
}

func (m *Module) kbDraft(c *fiber.Ctx) error {
	t, err := m.topic(c)
	if err != nil {
		return err
	}
	if err := active(t); err != nil {
		return err
	}
	d := topics.KBDraftOf(t)
	if m.a.CreateKBDraft == nil {
		return c.JSON(fiber.Map{"draft": d})
	}
	id, err := m.a.CreateKBDraft(c.UserContext(), d)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"draft": d, "entry_id": id})
}

func (m *Module) notice(c *fiber.Ctx) error {
	t, err := m.topic(c)
	if err != nil {
		return err
	}
	if err := active(t); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"notice": topics.NoticeOf(t)})
}

type mergeRequest struct {
	Into string `json:"into"`
}

func (m *Module) merge(c *fiber.Ctx) error {
	var req mergeRequest
	if err := httpapi.DecodeJSON(c, &req); err != nil {
		return err
	}
	t, err := m.topic(c)
	if err != nil {
		return err
	}
	if err := active(t); err != nil {
		return err
	}
	ids := ticketIDs(t)
	if !slices.Contains(ids, req.Into) {
		return httpapi.Errorf(fiber.StatusUnprocessableEntity, "into 必须是该热点下的工单 id").With("fields", []string{"into"})
	}
	others := slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return id == req.Into })
	if len(others) == 0 {
		return httpapi.Errorf(fiber.StatusConflict, "热点只有一个工单，无需并单")
	}
	if m.a.MergeTickets == nil {
		return httpapi.Errorf(fiber.StatusNotImplemented, "并单未配置 (merge is not wired in this gateway)")
	}
	if err := m.a.MergeTickets(c.UserContext(), req.Into, others); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"topic_id": t.ID, "into": req.Into, "merged": others})
}

type answerRequest struct {
	Text string `json:"text"`
}

func (m *Module) answer(c *fiber.Ctx) error {
	var req answerRequest
	if err := httpapi.DecodeJSON(c, &req); err != nil {
		return err
	}
	req.Text = strings.TrimSpace(req.Text)
	if req.Text == "" || utf8.RuneCountInString(req.Text) > MaxAnswerRunes {
		return httpapi.Errorf(fiber.StatusUnprocessableEntity, "text 不能为空且不超过 %d 字", MaxAnswerRunes).With("fields", []string{"text"})
	}
	t, err := m.topic(c)
	if err != nil {
		return err
	}
	if err := active(t); err != nil {
		return err
	}
	if m.a.AnswerTickets == nil {
		return httpapi.Errorf(fiber.StatusNotImplemented, "批量答复未配置 (answer is not wired in this gateway)")
	}
	ids := ticketIDs(t)
	if err := m.a.AnswerTickets(c.UserContext(), ids, req.Text); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"topic_id": t.ID, "answered": ids})
}

func ticketIDs(t topics.Topic) []string {
	ids := make([]string, 0, len(t.Tickets))
	for _, tk := range t.Tickets {
		ids = append(ids, tk.ID)
	}
	return ids
}
