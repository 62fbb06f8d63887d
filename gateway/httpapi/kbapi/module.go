package kbapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/department"
	"github.com/hallgate/hallgate/gateway/httpapi"
	"github.com/hallgate/hallgate/knowledgebase"
)

// Module serves /api/v1/departments, /api/v1/kb/... and /api/v1/items.
type Module struct {
	kb    *knowledgebase.Service
	depts *department.Service
}

var (
	_ httpapi.Module                    = (*Module)(nil)
	_ knowledgebase.DepartmentDirectory = (*department.Service)(nil)
)

// New returns the module over the knowledge-base and department services.
func New(kb *knowledgebase.Service, depts *department.Service) *Module {
	return &Module{kb: kb, depts: depts}
}

// Role sets of the route table.
var (
	everyone = []auth.Role{auth.RoleCitizen, auth.RoleAgent, auth.RoleSupervisor, auth.RoleEditor,
		auth.RoleAdmin, auth.RoleDepartment, auth.RolePartner, auth.RoleOpen311}
	staff      = []auth.Role{auth.RoleAgent, auth.RoleSupervisor, auth.RoleEditor, auth.RoleAdmin, auth.RoleDepartment}
	authors    = []auth.Role{auth.RoleEditor, auth.RoleAdmin, auth.RoleDepartment}
	editors    = []auth.Role{auth.RoleEditor, auth.RoleAdmin}
	reviewers  = []auth.Role{auth.RoleEditor, auth.RoleAdmin, auth.RoleSupervisor}
	gapReaders = []auth.Role{auth.RoleEditor, auth.RoleAdmin, auth.RoleSupervisor, auth.RoleDepartment}
	admins     = []auth.Role{auth.RoleAdmin}
)

// usageSignal is why a citizen's click or helpful-vote is not in the audit
// trail: an anonymous usage count, kept in the search statistics.
const usageSignal = "an anonymous usage signal, counted in the search statistics"

// Routes implements httpapi.Module. Static paths come before their :id
// siblings so Fiber matches them first.
func (m *Module) Routes() []httpapi.Route {
	get, post, put, del := fiber.MethodGet, fiber.MethodPost, fiber.MethodPut, fiber.MethodDelete
	return []httpapi.Route{
		{Method: get, Path: "/api/v1/departments", Roles: everyone, Summary: "List departments (部门)", Handler: m.listDepartments},
		{Method: post, Path: "/api/v1/departments/import", Roles: admins, Summary: "Import departments (JSON array, upsert by code, all or nothing)", Handler: m.importDepartments},
		{Method: get, Path: "/api/v1/departments/:code", Roles: everyone, Summary: "Get one department", Handler: m.getDepartment},

		{Method: post, Path: "/api/v1/kb/import", Roles: editors, Summary: "Import KB entries from JSON Lines, or a CSV sheet (Content-Type: text/csv; 问题, 答案, 部门, 分类…); invalid lines reported by number", Handler: m.importEntries},
		{Method: get, Path: "/api/v1/kb/export", Roles: reviewers, Summary: "Export KB entries as JSON Lines, or with format=csv as a sheet ImportCSV reads back", Handler: m.exportEntries},
		{Method: get, Path: "/api/v1/kb/search", Roles: everyone, Summary: "Search entries and service items", Handler: m.search},
		{Method: post, Path: "/api/v1/kb/search/click", Roles: everyone, Summary: "Record a click on a search result", Handler: m.click, Unaudited: usageSignal},
		{Method: get, Path: "/api/v1/kb/gaps", Roles: gapReaders, Summary: "Queries that found nothing or were never clicked", Handler: m.gaps},
		{Method: get, Path: "/api/v1/kb/queries/top", Roles: reviewers, Summary: "Most frequent search queries", Handler: m.topQueries},
		{Method: get, Path: "/api/v1/kb/synonyms", Roles: editors, Summary: "Runtime synonym groups", Handler: m.getSynonyms},
		{Method: put, Path: "/api/v1/kb/synonyms", Roles: editors, Summary: "Replace the runtime synonym groups", Handler: m.putSynonyms},
		{Method: post, Path: "/api/v1/kb/reindex", Roles: admins, Summary: "Rebuild the search index from the store", Handler: m.reindex},

		{Method: get, Path: "/api/v1/kb/entries", Roles: everyone, Summary: "List KB entries (filters: status, department, visibility, flag)", Handler: m.listEntries},
		{Method: post, Path: "/api/v1/kb/entries", Roles: authors, Summary: "Create a KB entry", Handler: m.createEntry},
		{Method: get, Path: "/api/v1/kb/entries/:id", Roles: everyone, Summary: "Get a KB entry", Handler: m.getEntry},
		{Method: put, Path: "/api/v1/kb/entries/:id", Roles: authors, Summary: "Update a KB entry (If-Match or version)", Handler: m.updateEntry},
		{Method: del, Path: "/api/v1/kb/entries/:id", Roles: editors, Summary: "Delete a KB entry (versions kept)", Handler: m.deleteEntry},
		{Method: get, Path: "/api/v1/kb/entries/:id/versions", Roles: staff, Summary: "Every version of a KB entry with its changes", Handler: m.entryVersions},
		{Method: post, Path: "/api/v1/kb/entries/:id/transitions", Roles: authors, Summary: "Move a KB entry through draft → in_review → published → archived", Handler: m.transitionEntry},
		{Method: post, Path: "/api/v1/kb/entries/:id/feedback", Roles: everyone, Summary: "Was this entry helpful?", Handler: m.postFeedback, Unaudited: usageSignal},
		{Method: get, Path: "/api/v1/kb/entries/:id/feedback", Roles: staff, Summary: "Feedback tally of an entry", Handler: m.getFeedback},

		{Method: get, Path: "/api/v1/items", Roles: everyone, Summary: "List service items (政务服务事项)", Handler: m.listItems},
		{Method: post, Path: "/api/v1/items/import", Roles: editors, Summary: "Import service items from JSON Lines; invalid lines reported by number", Handler: m.importItems},
		{Method: post, Path: "/api/v1/items", Roles: authors, Summary: "Create a service item", Handler: m.createItem},
		{Method: get, Path: "/api/v1/items/:id", Roles: everyone, Summary: "Get a service item", Handler: m.getItem},
		{Method: put, Path: "/api/v1/items/:id", Roles: authors, Summary: "Update a service item (If-Match or version)", Handler: m.updateItem},
		{Method: del, Path: "/api/v1/items/:id", Roles: editors, Summary: "Delete a service item (versions kept)", Handler: m.deleteItem},
		{Method: get, Path: "/api/v1/items/:id/guide", Roles: everyone, Summary: "Structured guide view (办事指南) of a service item", Handler: m.itemGuide},
		{Method: get, Path: "/api/v1/items/:id/versions", Roles: staff, Summary: "Every version of a service item", Handler: m.itemVersions},
		{Method: post, Path: "/api/v1/items/:id/transitions", Roles: authors, Summary: "Move a service item through its lifecycle", Handler: m.transitionItem},
		{Method: post, Path: "/api/v1/items/:id/feedback", Roles: everyone, Summary: "Was this guide helpful?", Handler: m.postFeedback, Unaudited: usageSignal},
	}
}

// actorOf reduces the request's principal to what the knowledge base's
// rules need.
func actorOf(c *fiber.Ctx) knowledgebase.Actor {
	p := auth.FromCtx(c)
	return knowledgebase.Actor{
		ID:          p.ID,
		Editor:      p.Has(auth.RoleEditor) || p.Has(auth.RoleAdmin),
		Staff:       p.Has(auth.RoleAgent) || p.Has(auth.RoleSupervisor) || p.Has(auth.RoleEditor) || p.Has(auth.RoleAdmin),
		Departments: p.Departments(),
	}
}
