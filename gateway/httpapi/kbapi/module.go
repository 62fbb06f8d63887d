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
		{Method: get, Path: "/api/v1/departments", Roles: everyone, Summary: "部门列表", Handler: m.listDepartments},
		{Method: post, Path: "/api/v1/departments/import", Roles: admins, Summary: "导入部门（JSON 数组，按编码新增或更新，全部成功或全不导入）", Handler: m.importDepartments},
		{Method: get, Path: "/api/v1/departments/:code", Roles: everyone, Summary: "查看一个部门", Handler: m.getDepartment},

		{Method: post, Path: "/api/v1/kb/import", Roles: editors, Summary: "导入知识库问答（JSON Lines，或 Content-Type: text/csv 的表格：问题、答案、部门、分类…），有误的行逐行列出", Handler: m.importEntries},
		{Method: get, Path: "/api/v1/kb/export", Roles: reviewers, Summary: "导出知识库（JSON Lines；format=csv 为可改后导回的表格）", Handler: m.exportEntries},
		{Method: get, Path: "/api/v1/kb/search", Roles: everyone, Summary: "搜索知识库问答与办事指南", Handler: m.search},
		{Method: post, Path: "/api/v1/kb/search/click", Roles: everyone, Summary: "记录搜索结果的点击", Handler: m.click, Unaudited: usageSignal},
		{Method: get, Path: "/api/v1/kb/gaps", Roles: gapReaders, Summary: "搜索缺口：无结果或无人点击的查询", Handler: m.gaps},
		{Method: get, Path: "/api/v1/kb/queries/top", Roles: reviewers, Summary: "最常见的搜索", Handler: m.topQueries},
		{Method: get, Path: "/api/v1/kb/synonyms", Roles: editors, Summary: "同义词组", Handler: m.getSynonyms},
		{Method: put, Path: "/api/v1/kb/synonyms", Roles: editors, Summary: "替换同义词组", Handler: m.putSynonyms},
		{Method: post, Path: "/api/v1/kb/reindex", Roles: admins, Summary: "由存储重建搜索索引", Handler: m.reindex},

		{Method: get, Path: "/api/v1/kb/entries", Roles: everyone, Summary: "知识库条目列表（按状态、部门、可见范围、标记筛选）", Handler: m.listEntries},
		{Method: post, Path: "/api/v1/kb/entries", Roles: authors, Summary: "新增知识库条目", Handler: m.createEntry},
		{Method: get, Path: "/api/v1/kb/entries/:id", Roles: everyone, Summary: "查看知识库条目", Handler: m.getEntry},
		{Method: put, Path: "/api/v1/kb/entries/:id", Roles: authors, Summary: "修改知识库条目（If-Match 或版本号）", Handler: m.updateEntry},
		{Method: del, Path: "/api/v1/kb/entries/:id", Roles: editors, Summary: "删除知识库条目（保留历史版本）", Handler: m.deleteEntry},
		{Method: get, Path: "/api/v1/kb/entries/:id/versions", Roles: staff, Summary: "知识库条目的全部版本及其改动", Handler: m.entryVersions},
		{Method: post, Path: "/api/v1/kb/entries/:id/transitions", Roles: authors, Summary: "知识库条目流转：草稿 → 待审核 → 已发布 → 已归档", Handler: m.transitionEntry},
		{Method: post, Path: "/api/v1/kb/entries/:id/feedback", Roles: everyone, Summary: "这条回答有帮助吗？", Handler: m.postFeedback, Unaudited: usageSignal},
		{Method: get, Path: "/api/v1/kb/entries/:id/feedback", Roles: staff, Summary: "条目的评价统计", Handler: m.getFeedback},

		{Method: get, Path: "/api/v1/items", Roles: everyone, Summary: "政务服务事项列表", Handler: m.listItems},
		{Method: post, Path: "/api/v1/items/import", Roles: editors, Summary: "导入政务服务事项（JSON Lines），有误的行逐行列出", Handler: m.importItems},
		{Method: post, Path: "/api/v1/items", Roles: authors, Summary: "新增政务服务事项", Handler: m.createItem},
		{Method: get, Path: "/api/v1/items/:id", Roles: everyone, Summary: "查看政务服务事项", Handler: m.getItem},
		{Method: put, Path: "/api/v1/items/:id", Roles: authors, Summary: "修改政务服务事项（If-Match 或版本号）", Handler: m.updateItem},
		{Method: del, Path: "/api/v1/items/:id", Roles: editors, Summary: "删除政务服务事项（保留历史版本）", Handler: m.deleteItem},
		{Method: get, Path: "/api/v1/items/:id/guide", Roles: everyone, Summary: "事项的办事指南", Handler: m.itemGuide},
		{Method: get, Path: "/api/v1/items/:id/versions", Roles: staff, Summary: "政务服务事项的全部版本", Handler: m.itemVersions},
		{Method: post, Path: "/api/v1/items/:id/transitions", Roles: authors, Summary: "政务服务事项流转", Handler: m.transitionItem},
		{Method: post, Path: "/api/v1/items/:id/feedback", Roles: everyone, Summary: "这份指南有帮助吗？", Handler: m.postFeedback, Unaudited: usageSignal},
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
