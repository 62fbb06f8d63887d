package gateway

import (
	"context"
	"fmt"

	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/department"
	"github.com/hallgate/hallgate/gateway/hotline"
	"github.com/hallgate/hallgate/gateway/httpapi/topicsapi"
	"github.com/hallgate/hallgate/gateway/open311"
	"github.com/hallgate/hallgate/gateway/routing"
	"github.com/hallgate/hallgate/gateway/store"
	"github.com/hallgate/hallgate/gateway/ticket"
	"github.com/hallgate/hallgate/gateway/topics"
	"github.com/hallgate/hallgate/knowledgebase"
)

// The adapters below connect capabilities that do not import each other;
// each is the whole contract between two packages.

// systemActor reads the knowledge base on behalf of the gateway itself.
var systemActor = knowledgebase.Actor{ID: "system", Staff: true, System: true}

func routingDepartments(d *department.Service) routing.Departments {
	return func(ctx context.Context) ([]routing.DepartmentInfo, error) {
		list, err := d.List(ctx)
		if err != nil {
			return nil, err
		}
		out := make([]routing.DepartmentInfo, len(list))
		for i, x := range list {
			out[i] = routing.DepartmentInfo{Code: x.Code, Name: x.Name, ShortName: x.ShortName, Responsibilities: x.Responsibilities}
		}
		return out, nil
	}
}

// routingKBEntries gives the routing model at most max published entries as
// training material (entries carry their department), spread evenly over
// the departments as routing itself would spread them. It reads each
// department's entries through the store's department index, so a city
// with 100,000 entries does not page its whole entry collection into
// memory on every retraining; a negative max reads everything.
func routingKBEntries(kb *knowledgebase.Service, depts *department.Service, max int) routing.KBEntries {
	return func(ctx context.Context) ([]routing.KBEntry, error) {
		list, err := depts.List(ctx)
		if err != nil {
			return nil, err
		}
		type source struct {
			code, cursor string
			done         bool
		}
		srcs := make([]*source, len(list))
		for i, d := range list {
			srcs[i] = &source{code: d.Code}
		}
		var out []routing.KBEntry
		// Water-filling: each round shares what is left of the budget among
		// the departments that still have entries; a department with fewer
		// than its share leaves the rest to the others.
		for {
			var open []*source
			for _, s := range srcs {
				if !s.done {
					open = append(open, s)
				}
			}
			left := max - len(out)
			if len(open) == 0 || (max >= 0 && left <= 0) {
				return out, nil
			}
			share := -1
			if max >= 0 {
				share = (left + len(open) - 1) / len(open)
			}
			for _, s := range open {
				if max >= 0 {
					share = min(share, max-len(out))
				}
				if share == 0 {
					break
				}
				got, cursor, err := readDepartmentEntries(ctx, kb, s.code, s.cursor, share)
				if err != nil {
					return nil, err
				}
				out = append(out, got...)
				s.cursor = cursor
				s.done = cursor == ""
			}
		}
	}
}

// readDepartmentEntries reads up to n (all when n < 0) published entries of
// one department from cursor on and returns the cursor to continue from
// ("" when the department has no more).
func readDepartmentEntries(ctx context.Context, kb *knowledgebase.Service, dept, cursor string, n int) ([]routing.KBEntry, string, error) {
	var out []routing.KBEntry
	for n < 0 || len(out) < n {
		limit := 500
		if n >= 0 {
			limit = min(limit, n-len(out))
		}
		page, err := kb.ListEntries(ctx, systemActor, knowledgebase.EntryFilter{Status: knowledgebase.StatusPublished,
			Department: dept, Limit: limit, Cursor: cursor})
		if err != nil {
			return nil, "", err
		}
		for _, e := range page.Entries {
			out = append(out, routing.KBEntry{ID: e.ID, Question: e.Title, Answer: e.Answer, Department: e.Department,
				Category: e.Category, Keywords: e.Keywords})
		}
		cursor = page.NextCursor
		if cursor == "" {
			break
		}
	}
	return out, cursor, nil
}

func routingKBSearch(kb *knowledgebase.Service) routing.KBSearch {
	return func(ctx context.Context, text string, limit int) ([]routing.KBHit, error) {
		res, err := kb.Search(ctx, systemActor, knowledgebase.Query{Text: text, Limit: limit, Kind: knowledgebase.KindEntry})
		if err != nil {
			return nil, err
		}
		out := make([]routing.KBHit, len(res.Hits))
		for i, h := range res.Hits {
			out[i] = routing.KBHit{ID: h.ID, Question: h.Question, Department: h.Department, Score: h.Score}
		}
		return out, nil
	}
}

// observeForRouting teaches the routing model from every imported or
// closed ticket that has a lead department.
func observeForRouting(s *routing.Suggester, a *App) func(context.Context, *ticket.Ticket) {
	return func(ctx context.Context, t *ticket.Ticket) {
		if t.Department == "" {
			return
		}
		if err := s.Observe(ctx, exampleOf(t)); err != nil {
			a.Log.WarnContext(ctx, "routing could not learn from a ticket", "ticket", t.ID, "error", err)
		}
	}
}

// awaitRoutingAfterImport holds an import's answer until the routing model
// has learned the history it brought (bounded by routing.ImportWait): a
// city that imports its history and asks for a suggestion next gets one
// from a model that knows it.
func awaitRoutingAfterImport(s *routing.Suggester, a *App) func(context.Context, int) {
	return func(ctx context.Context, imported int) {
		if imported == 0 {
			return
		}
		if !s.AwaitModel(ctx, routing.ImportWait) && ctx.Err() == nil {
			a.Log.WarnContext(ctx, "routing model still learning the imported tickets", "imported", imported)
		}
	}
}

// observeImportForRouting teaches the routing model a whole imported
// history at once (one durable write per batch, one retrain).
func observeImportForRouting(s *routing.Suggester, a *App) func(context.Context, []*ticket.Ticket) {
	return func(ctx context.Context, ts []*ticket.Ticket) {
		exs := make([]routing.Example, 0, len(ts))
		for _, t := range ts {
			if t.Department != "" {
				exs = append(exs, exampleOf(t))
			}
		}
		if _, err := s.ObserveBatch(ctx, exs); err != nil {
			a.Log.WarnContext(ctx, "routing could not learn from imported tickets", "tickets", len(exs), "error", err)
		}
	}
}

func exampleOf(t *ticket.Ticket) routing.Example {
	return routing.Example{ID: t.ID, Text: t.Text, District: t.District, Channel: string(t.Channel), Type: string(t.Type),
		Department: t.Department, CoDepartments: t.CoDepartments, Urgent: t.Urgent, DirectAnswer: t.DirectAnswer}
}

// kbSuggestions offers the dialled department's published entries on the
// screen pop.
func kbSuggestions(kb *knowledgebase.Service) func(ctx context.Context, dept string, limit int) ([]hotline.Suggestion, error) {
	return func(ctx context.Context, dept string, limit int) ([]hotline.Suggestion, error) {
		entries, err := kb.DepartmentSuggestions(ctx, dept, limit)
		if err != nil {
			return nil, err
		}
		out := make([]hotline.Suggestion, 0, len(entries))
		for _, e := range entries {
			out = append(out, hotline.Suggestion{ID: e.ID, Question: e.Title})
		}
		return out, nil
	}
}

// kbDraft turns a published reply into a knowledge-base draft for the
// replying department to review.
func kbDraft(kb *knowledgebase.Service) func(ctx context.Context, p auth.Principal, title, answer, dept string) (string, error) {
	return func(ctx context.Context, p auth.Principal, title, answer, dept string) (string, error) {
		e, err := kb.ProposeDraft(ctx, p.ID, title, answer, dept, "website")
		if err != nil {
			return "", err
		}
		return e.ID, nil
	}
}

func departmentName(d *department.Service) func(ctx context.Context, code string) string {
	return func(ctx context.Context, code string) string {
		if dep, err := d.Get(ctx, code); err == nil {
			return dep.Name
		}
		return code
	}
}

func open311Catalogue(d *department.Service) open311.Catalogue {
	return open311.Catalogue{Departments: func(ctx context.Context) ([]open311.DepartmentInfo, error) {
		list, err := d.List(ctx)
		if err != nil {
			return nil, err
		}
		out := make([]open311.DepartmentInfo, len(list))
		for i, x := range list {
			out[i] = open311.DepartmentInfo{Code: x.Code, Name: x.Name, ShortName: x.ShortName, Responsibilities: x.Responsibilities}
		}
		return out, nil
	}}
}

// topicSignal queues every new ticket for hot-topic detection inside the
// intake's own transaction.
func topicSignal(t *ticket.Ticket) (store.OutboxItem, error) {
	return topics.SignalItem(topics.TicketSignal{ID: t.ID, Code: t.Code, Text: t.Text, District: t.District, Address: t.Address,
		Category: t.Category, Department: t.Department, Type: string(t.Type), Created: t.CreatedAt})
}

// topicActions lets supervisors act on a topic's tickets: a KB draft, a
// merge into one ticket (并单), or one common answer for all of them, which
// is attached to each open ticket as a supervision note (督办) and so
// delivered to every handling department.
func topicActions(c *Capabilities) topicsapi.Actions {
	supervisor := auth.Principal{ID: "topics", Name: "热点处置", Roles: []auth.Role{auth.RoleSupervisor}}
	return topicsapi.Actions{
		CreateKBDraft: func(ctx context.Context, d topics.KBDraft) (string, error) {
			e, err := c.KB.ProposeDraft(ctx, "topics:"+d.SourceTopic, d.Question, d.Answer, d.Department, "hotline")
			if err != nil {
				return "", err
			}
			return e.ID, nil
		},
		MergeTickets: func(ctx context.Context, into string, ids []string) error {
			for _, id := range ids {
				if id == into {
					continue
				}
				if _, err := c.Tickets.Apply(ctx, principalFrom(ctx, supervisor), id, ticket.Command{Type: ticket.EvMerge, Into: into}); err != nil {
					return fmt.Errorf("merge %s into %s: %w", id, into, err)
				}
			}
			return nil
		},
		AnswerTickets: func(ctx context.Context, ids []string, text string) error {
			for _, id := range ids {
				if _, err := c.Tickets.Apply(ctx, principalFrom(ctx, supervisor), id, ticket.Command{Type: ticket.EvSupervise, Note: text}); err != nil {
					return fmt.Errorf("answer %s: %w", id, err)
				}
			}
			return nil
		},
	}
}

// principalFrom is the request's principal when the handler put it on the
// context, else the fallback.
func principalFrom(ctx context.Context, fallback auth.Principal) auth.Principal {
	if p := auth.PrincipalFrom(ctx); p.ID != auth.Anonymous.ID {
		return p
	}
	return fallback
}
