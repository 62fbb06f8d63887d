// Supervisor and admin pages: deadlines, bad ratings, statistics drawn as
// inline SVG, connector health with dead-letter redrive, KB review queue and
// gaps, routing catalogue, synonyms, hotlines and tokens.
"use strict";
(() => {
  const { api, el, fill, when, statusLabels } = HG;
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";
  const svg = (tag, attrs, ...kids) => { const n = document.createElementNS(SVG, tag); for (const [k, v] of Object.entries(attrs || {})) n.setAttribute(k, v); for (const k of kids) n.append(k); return n; };
  const table = (caption, heads, rows, attrs) => rows.length ? el("table", attrs || {}, el("caption", { class: "sr" }, caption),
    el("thead", {}, el("tr", {}, heads.map(h => el("th", { scope: "col" }, h)))), el("tbody", {}, rows)) : el("p", { class: "muted" }, "暂无");
  const fail = (id) => (e) => fill(id, el("p", { class: e.status === 403 ? "muted" : "error" }, e.status === 403 ? "您的角色无权查看" : e.message));

  // The scheduler's warned and overdue tickets, and bad ratings awaiting
  // their callback, read through their own indexes (not the newest few
  // hundred tickets, which miss old overdue ones in a busy city).
  async function tickets() {
    const [res, cb] = await Promise.all([api("GET", "tickets?at_risk=true&order=oldest&limit=500"), api("GET", "tickets?awaiting_callback=true&limit=200")]);
    const now = Date.now();
    const risky = res.tickets.sort((a, b) => new Date(a.deadline || 0) - new Date(b.deadline || 0));
    fill("dl-body", table("临期与超期工单", ["编号", "状态", "部门", "时限", "情况"], risky.map(t => el("tr", {},
      el("td", {}, t.code), el("td", {}, statusLabels[t.status] || t.status), el("td", {}, t.department || ""), el("td", {}, when(t.deadline)),
      el("td", { class: t.overdue ? "error" : "" }, t.overdue || (t.deadline && new Date(t.deadline) < now) ? "已超期" : "临期")))));
    const ratings = cb.tickets;
    fill("rt-body", table("待回访的差评", ["编号", "评价", "部门", "答复"], ratings.map(t => el("tr", {},
      el("td", {}, t.code), el("td", {}, t.rating), el("td", {}, t.department || ""), el("td", {}, (t.reply || "").slice(0, 40))))));
  }

  // The time limits in force and the calendar they count on; a missing
  // schedule for the coming year is an alert (its holidays would not count).
  async function rules() {
    const r = await api("GET", "deadlines");
    const order = ["咨询", "求助", "投诉", "举报", "建议", "表扬"];
    const limits = order.filter(k => k in r.time_limits).map(k => `${k} ${r.time_limits[k]}`).join(" · ");
    const years = (r.calendar || []).map(y => y.year).join("、") || "无";
    const out = [el("p", { class: "muted", id: "dl-limits" }, `办理时限（工作日）：${limits}；紧急件 ${r.urgent_days} 日；退回期 ${r.return_days} 日；延期合计不超过 ${r.max_extension_days} 日。节假日安排：${years} 年`)];
    if (r.warning) out.unshift(el("p", { class: "error", role: "alert", id: "dl-calendar-warning" }, r.warning));
    fill("dl-rules", ...out);
  }

  function rateChart(s) {
    const rows = [["按时转出率", s.on_time_dispatch], ["按时答复率", s.on_time_reply], ["按时办结率", s.on_time_closure], ["首呼解决率", s.first_call_resolution], ["满意率", s.satisfaction]];
    const w = 560, rowH = 34, left = 100, barW = 300;
    const g = svg("svg", { viewBox: `0 0 ${w} ${rows.length * rowH + 10}`, class: "chart", role: "img", "aria-labelledby": "rate-chart-t" }, svg("title", { id: "rate-chart-t" }, "考核指标柱状图"));
    rows.forEach(([label, r], i) => {
      const y = 5 + i * rowH, v = r && r.rate !== null && r.rate !== undefined ? r.rate : null;
      g.append(svg("text", { x: 0, y: y + 20, fill: "#1a1a1a", "font-size": 14 }, label));
      g.append(svg("rect", { x: left, y: y + 4, width: barW, height: 22, fill: "#e3e7eb" }));
      if (v !== null) g.append(svg("rect", { x: left, y: y + 4, width: Math.max(1, v * barW), height: 22, fill: "#0b5394" }));
      g.append(svg("text", { x: left + barW + 8, y: y + 20, fill: "#1a1a1a", "font-size": 14 }, v === null ? "—" : (v * 100).toFixed(1) + "%" + (r ? ` (${r.num}/${r.den})` : "")));
    });
    return g;
  }
  function statusChart(by) {
    const entries = Object.entries(by || {}).filter(([, n]) => n > 0);
    const max = Math.max(1, ...entries.map(([, n]) => n)), w = 560, h = 180, bw = Math.min(60, (w - 20) / Math.max(1, entries.length) - 10);
    const g = svg("svg", { viewBox: `0 0 ${w} ${h + 40}`, class: "chart", role: "img", "aria-labelledby": "status-chart-t" }, svg("title", { id: "status-chart-t" }, "工单状态分布"));
    entries.forEach(([st, n], i) => {
      const x = 10 + i * (bw + 10), bh = n / max * h;
      g.append(svg("rect", { x, y: h - bh + 10, width: bw, height: bh, fill: "#0b5394" }));
      g.append(svg("text", { x: x + bw / 2, y: h - bh + 5, "text-anchor": "middle", fill: "#1a1a1a", "font-size": 13 }, String(n)));
      g.append(svg("text", { x: x + bw / 2, y: h + 30, "text-anchor": "middle", fill: "#1a1a1a", "font-size": 13 }, statusLabels[st] || st));
    });
    return g;
  }
  // The period of the statistics: a month, as the hotline is assessed, by
  // default; "全部" reads every ticket ever filed and is slow in a large city.
  function period(v) {
    const d = new Date(), y = d.getFullYear(), m = d.getMonth();
    const day = (t) => `${t.getFullYear()}-${String(t.getMonth() + 1).padStart(2, "0")}-${String(t.getDate()).padStart(2, "0")}`;
    switch (v) {
      case "month": return `?from=${day(new Date(y, m, 1))}`;
      case "last-month": return `?from=${day(new Date(y, m - 1, 1))}&to=${day(new Date(y, m, 1))}`;
      case "year": return `?from=${day(new Date(y, 0, 1))}`;
      default: return "";
    }
  }
  // Department names for the tables (codes until they are known).
  let deptNames = null;
  async function names() {
    if (!deptNames) deptNames = api("GET", "departments").then(r => Object.fromEntries((r.departments || []).map(d => [d.code, d.short_name || d.name]))).catch(() => ({}));
    return deptNames;
  }
  async function stats() {
    const dn = await names();
    const range = period(($("st-period") || {}).value || "month");
    if ($("st-export")) $("st-export").href = "/ui/api/v1/tickets/export" + range;
    const s = await api("GET", "stats" + range);
    const pct = (r) => r && r.rate !== null && r.rate !== undefined ? `${(r.rate * 100).toFixed(1)}% (${r.num}/${r.den})` : "—";
    const byDept = s.by_department || [];
    fill("st-body", el("p", {}, "工单 ", el("strong", {}, s.tickets), " 件 · 超期未办结 ", s.overdue_open, " 件 · 差评待回访 ", s.bad_ratings_awaiting_callback, " 件"),
      el("div", { class: "grid2" }, el("figure", {}, rateChart(s), el("figcaption", {}, "考核指标")), el("figure", {}, statusChart(s.by_status), el("figcaption", {}, "状态分布"))),
      el("h3", {}, "各部门（主办）"),
      table("各部门考核", ["部门", "工单", "按时答复率", "按时办结率", "满意率", "超期未办结", "差评待回访"], byDept.map(d => el("tr", { "data-dept": d.department },
        el("td", {}, dn[d.department] || d.department), el("td", {}, d.tickets), el("td", {}, pct(d.on_time_reply)), el("td", {}, pct(d.on_time_closure)), el("td", {}, pct(d.satisfaction)),
        el("td", { class: d.overdue_open ? "error" : "" }, d.overdue_open), el("td", {}, d.bad_ratings_awaiting_callback))), { id: "st-depts" }));
  }

  async function connectors() {
    const res = await api("GET", "connectors");
    fill("cn-body", table("对接系统", ["名称", "部门", "熔断", "队列", "p95 毫秒", "死信", "状态"], (res.connectors || []).map(c => el("tr", { "data-breaker": c.breaker },
      el("td", {}, c.name), el("td", {}, c.department), el("td", {}, c.breaker), el("td", {}, c.queue_depth), el("td", {}, Math.round(c.p95_ms || 0)), el("td", {}, c.dead_letters), el("td", {}, c.status || "")))));
  }
  async function dead() {
    const res = await api("GET", "deadletters?limit=100");
    fill("dead-body", table("死信", ["工单", "部门", "事件", "原因", "尝试", "时间", "操作"], (res.deadletters || []).map(d => el("tr", { "data-id": d.id },
      el("td", {}, d.ticket_code || d.ticket_id || ""), el("td", {}, d.department), el("td", {}, d.event || ""), el("td", {}, d.last_error || d.reason), el("td", {}, d.attempts), el("td", {}, when(d.at)),
      el("td", {}, el("button", { type: "button", class: "small redrive-btn", "aria-label": "重投 " + (d.ticket_code || d.id), onclick: async (e) => {
        e.target.disabled = true;
        try { await api("POST", "deadletters/" + encodeURIComponent(d.id) + "/redrive"); fill("dead-msg", "已重投 " + (d.ticket_code || d.id)); } catch (err) { fill("dead-msg", "重投失败：" + err.message); }
        dead().catch(fail("dead-body")); connectors().catch(() => {});
      } }, "重投"))))));
  }

  async function kb() {
    const rv = await api("GET", "kb/entries?status=in_review&limit=50");
    fill("review-body", table("待审核条目", ["标题", "部门"], (rv.entries || []).map(e => el("tr", {}, el("td", {}, e.title), el("td", {}, e.department)))));
    const g = await api("GET", "kb/gaps?limit=20").catch(e => { if (e.status === 403) return { gaps: [] }; throw e; });
    fill("gaps-body", table("搜索缺口", ["查询", "次数", "原因"], (g.gaps || []).map(x => el("tr", {}, el("td", {}, x.query), el("td", {}, x.searches), el("td", {}, x.reason === "zero_results" ? "无结果" : "无点击")))));
  }
  async function routing() {
    const r = await api("GET", "routing/rules");
    // A rule matches by keywords, by a scope (a line of the city's dispatch
    // guide) or by categories; say which, so no row reads empty.
    const clip = (s, n) => s.length > n ? s.slice(0, n) + "…" : s;
    const what = (x) => (x.keywords || []).length ? (x.urgent ? "紧急：" : "") + x.keywords.join("、")
      : x.scope ? "派单指引：" + clip(x.scope, 48) : (x.categories || []).length ? "类别：" + x.categories.join("、") : (x.note || x.id);
    fill("rules-body", table("分派规则", ["规则", "主办", "协办"], (r.rules || []).map(x => el("tr", { class: x.disabled ? "muted" : "" },
      el("td", {}, what(x) + (x.disabled ? "（已停用）" : "")), el("td", {}, x.department || (x.urgent ? "—" : "")), el("td", {}, (x.co_departments || []).join("、"))))));
    const s = await api("GET", "kb/synonyms").catch(e => { if (e.status === 403) return { groups: [] }; throw e; });
    fill("syn-body", (s.groups || []).length ? el("ul", {}, s.groups.map(gr => el("li", {}, gr.join(" = ")))) : el("p", { class: "muted" }, "暂无"));
  }
  async function hotlines() {
    const r = await api("GET", "hotlines");
    const modes = { merged: "整体并入", parallel: "双号并行", subcentre: "设分中心", "sub-centre": "设分中心" };
    fill("hl-body", table("热线号码", ["号码", "名称", "部门", "方式"], (r.hotlines || []).map(h => el("tr", {}, el("td", {}, h.number), el("td", {}, h.name || ""), el("td", {}, h.department), el("td", {}, modes[h.mode] || h.mode)))));
  }
  async function tokens() {
    if (!$("tokens-body")) return;
    const r = await api("GET", "tokens");
    fill("tokens-body", table("接口令牌", ["名称", "角色", "创建时间"], (r.tokens || []).map(t => el("tr", {}, el("td", {}, t.name), el("td", {}, (t.roles || []).join(" ")), el("td", {}, when(t.created_at))))));
  }

  // The audit trail (admins only): newest first, filtered by actor, target
  // and outcome; older pages on demand; the same selection as CSV.
  const outcomeLabels = { done: "成功", denied: "拒绝", invalid: "无效请求", failed: "失败" };
  let auditCursor = "";
  function auditQuery() {
    const q = new URLSearchParams();
    for (const [k, id] of [["actor", "au-actor"], ["target", "au-target"], ["outcome", "au-outcome"]]) {
      const v = $(id).value.trim();
      if (v) q.set(k, v);
    }
    return q;
  }
  function auditRow(e) {
    const details = Object.entries(e.details || {}).map(([k, v]) => `${k}=${v}`);
    if (e.personal_data) details.unshift("查看了来电人信息");
    return el("tr", { class: e.outcome === "done" ? "" : "muted", "data-action": e.action },
      el("td", {}, when(e.at)), el("td", {}, e.actor_name ? `${e.actor_name}（${e.actor}）` : e.actor),
      el("td", {}, e.summary || e.action), el("td", {}, e.target || ""), el("td", { class: e.outcome === "failed" || e.outcome === "denied" ? "error" : "" }, `${outcomeLabels[e.outcome] || e.outcome} ${e.status}`),
      el("td", {}, details.join("；")), el("td", {}, e.ip || ""));
  }
  async function auditLog(more) {
    if (!$("audit-body")) return;
    const q = auditQuery();
    $("audit-export").href = "/ui/api/v1/audit?format=csv" + (q.toString() ? "&" + q : "");
    const phone = $("au-phone").value.trim();
    if (phone) {
      // Every ticket of one caller: who filed, moved and read them.
      q.delete("target");
      q.set("phone", phone);
      const r = await api("GET", "audit/caller?" + q);
      fill("audit-body", el("p", { class: "muted", id: "audit-caller" }, `该号码的工单：${(r.tickets || []).join("、") || "无"}${r.truncated ? "（记录过多，只列出最近的部分）" : ""}`),
        table("该来电人工单的操作日志", ["时间", "操作人", "操作", "对象", "结果", "详情", "来源地址"], (r.entries || []).map(auditRow), { id: "audit-table" }));
      auditCursor = "";
      $("audit-more").hidden = true;
      return;
    }
    if (more && auditCursor) q.set("cursor", auditCursor);
    q.set("limit", "50");
    const r = await api("GET", "audit?" + q);
    const rows = (r.entries || []).map(auditRow);
    if (more && $("audit-table")) $("audit-table").querySelector("tbody").append(...rows);
    else fill("audit-body", table("操作日志", ["时间", "操作人", "操作", "对象", "结果", "详情", "来源地址"], rows, { id: "audit-table" }));
    auditCursor = r.next_cursor || "";
    $("audit-more").hidden = !auditCursor;
    fill("au-retention", `记录保存 ${r.retention_days} 天。`);
  }
  const auditForm = $("audit-form");
  if (auditForm) {
    auditForm.addEventListener("submit", (ev) => { ev.preventDefault(); auditLog(false).catch(fail("audit-body")); });
    $("audit-more").addEventListener("click", () => auditLog(true).catch(fail("audit-body")));
  }

  // Staff accounts: disable (someone left) or enable, and reset a password
  // to a temporary one shown once; the user must change it at sign-in.
  const usersTable = $("users-table");
  if (usersTable) usersTable.addEventListener("click", async (ev) => {
    const b = ev.target.closest(".user-act");
    if (!b) return;
    const row = b.closest("tr"), user = row.dataset.user, act = b.dataset.act;
    if (act === "roles") { editRoles(row, user); return; }
    if (act === "disable" && !confirm(`停用 ${user}？其登录会话将全部结束。`)) return;
    b.disabled = true;
    try {
      const r = await api("POST", `users/${encodeURIComponent(user)}/${act}`);
      if (act === "password") {
        fill("users-msg", el("p", { id: "users-temp" }, `${user} 的临时密码：`, el("code", {}, r.temporary_password), "（只显示这一次，请当面或通过安全渠道告知；下次登录须修改）"));
        row.querySelector(".user-status").textContent = "待修改初始密码";
      } else {
        const on = act === "enable";
        row.querySelector(".user-status").textContent = on ? "正常" : "已停用";
        b.dataset.act = on ? "disable" : "enable";
        b.textContent = on ? "停用" : "启用";
        b.setAttribute("aria-label", `${on ? "停用" : "启用"} ${user}`);
        fill("users-msg", el("p", {}, on ? `已启用 ${user}` : `已停用 ${user}，其会话已结束`));
      }
    } catch (e) {
      fill("users-msg", el("p", { class: "error" }, e.message));
    } finally {
      b.disabled = false;
    }
  });

  // Roles are edited in place: the four staff roles as checkboxes; a
  // department role the account has is kept as it is.
  const staffRoles = [["agent", "坐席"], ["supervisor", "班长"], ["editor", "知识库编辑"], ["admin", "管理员"]];
  function editRoles(row, user) {
    const cell = row.querySelector(".user-roles");
    if (cell.querySelector("form")) return;
    const current = (cell.dataset.roles || "").split(",").filter(Boolean);
    const kept = current.filter(r => !staffRoles.some(([v]) => v === r));
    const boxes = staffRoles.map(([v, label]) => {
      const id = `ur-${user}-${v}`;
      return el("span", { class: "check" }, el("input", { type: "checkbox", id, value: v, checked: current.includes(v) }), el("label", { for: id }, label));
    });
    const form = el("form", { class: "roles-form" }, ...boxes, el("button", { type: "submit", class: "small" }, "保存角色"));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const roles = [...form.querySelectorAll("input:checked")].map(i => i.value).concat(kept);
      try {
        const u = await api("PUT", `users/${encodeURIComponent(user)}/roles`, { roles });
        cell.dataset.roles = u.roles.join(",");
        cell.replaceChildren(u.roles.join(" "));
        fill("users-msg", el("p", {}, `已修改 ${user} 的角色，其会话已结束`));
      } catch (e) {
        fill("users-msg", el("p", { class: "error" }, e.message));
      }
    });
    cell.append(form);
  }

  // Import of a city's earlier data: the file goes to the API as it is, its
  // type chosen from its name; refused lines come back by line number.
  const importPaths = { tickets: "tickets/import", kb: "kb/import", items: "items/import", departments: "departments/import" };
  async function importFile(ev) {
    ev.preventDefault();
    const kind = $("im-kind").value, file = $("im-file").files[0];
    if (!file) { fill("import-result", el("p", { class: "error" }, "请选择要导入的文件")); return; }
    const name = file.name.toLowerCase(), csv = name.endsWith(".csv");
    if (csv && kind !== "tickets" && kind !== "kb") { fill("import-result", el("p", { class: "error" }, "CSV 只用于历史工单和知识库问答；办事指南请用 JSON Lines，部门请用 JSON 数组")); return; }
    const type = csv ? "text/csv" : kind === "departments" ? "application/json" : "application/x-ndjson";
    $("im-submit").disabled = true;
    fill("import-result", el("p", { class: "muted" }, `正在导入 ${file.name}…`));
    try {
      const r = await api("POST", importPaths[kind], file, type);
      const errs = r.errors || [];
      const parts = [`已导入 ${r.imported} 条`];
      if (r.skipped) parts.push(`跳过 ${r.skipped} 条（此前已导入）`);
      if (r.unchanged) parts.push(`其中 ${r.unchanged} 条未变`);
      if (errs.length) parts.push(`${errs.length} 行有误未导入`);
      const out = [el("p", { id: "import-summary", class: errs.length ? "error" : "" }, parts.join("，") + "。")];
      if ((r.ignored_columns || []).length) out.push(el("p", { class: "muted", id: "import-ignored" }, "未识别的列（已忽略）：" + r.ignored_columns.join("、")));
      if (errs.length) {
        out.push(table("有误的行", ["行号", "原因"], errs.slice(0, 100).map(e => el("tr", {}, el("td", {}, e.line), el("td", {}, e.error)))));
        if (errs.length > 100) out.push(el("p", { class: "muted" }, `另有 ${errs.length - 100} 行有误未列出`));
      }
      fill("import-result", ...out);
      if (kind === "departments") hotlines().catch(fail("hl-body"));
    } catch (e) {
      fill("import-result", el("p", { class: "error", id: "import-summary" }, (e.status === 403 ? "您的角色无权导入此类数据：" : "导入失败：") + e.message));
    } finally {
      $("im-submit").disabled = false;
    }
  }
  const form = $("import-form");
  if (form) form.addEventListener("submit", (ev) => importFile(ev).catch(() => {}));

  const sel = $("st-period");
  if (sel) sel.addEventListener("change", () => stats().catch(fail("st-body")));

  function refresh() {
    tickets().catch(fail("dl-body"));
    rules().catch(fail("dl-rules"));
    stats().catch(fail("st-body"));
    connectors().catch(fail("cn-body"));
    dead().catch(fail("dead-body"));
    kb().catch(fail("review-body"));
    routing().catch(fail("rules-body"));
    hotlines().catch(fail("hl-body"));
    tokens().catch(fail("tokens-body"));
    auditLog(false).catch(fail("audit-body"));
  }
  refresh();
  setInterval(() => { connectors().catch(() => {}); }, 5000);
})();
