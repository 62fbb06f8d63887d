// Agent console: screen pop, KB search as you type, ticket intake with the
// routing suggestion, ticket list and detail with deliveries, callback and
// rating. Every call goes through HG.api (session + CSRF).
"use strict";
(() => {
  const { api, el, fill, marked, when, debounce, statusLabels } = HG;
  const $ = (id) => document.getElementById(id);
  let currentCall = null;

  // --- incoming call -------------------------------------------------------
  $("ring-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const from = $("ring-from").value.trim(), to = $("ring-to").value.trim();
    const callID = "web-" + Date.now().toString(36) + Math.random().toString(36).slice(2, 6);
    try {
      const pop = await api("POST", "calls", { call_id: callID, event: "ringing", from, to, agent: "", at: new Date().toISOString() });
      currentCall = { id: pop.call_id || callID, from };
      showPop(pop, from);
    } catch (e) { fill("pop", el("p", { class: "error", role: "alert" }, "来电处理失败：" + e.message)); }
  });

  function showPop(pop, from) {
    const c = pop.caller || {}, d = pop.dialled || {};
    const hist = pop.history || [];
    $("tf-phone").value = from;
    fill("pop",
      el("p", {}, el("strong", {}, "来电 "), c.number || from, c.known ? "（老来电人，工单 " + c.tickets + " 件，未办结 " + c.open_tickets + " 件）" : "（首次来电）"),
      el("p", { class: "muted" }, "拨打 ", d.number || "", d.department ? " · 部门 " + d.department : "", d.mode ? " · " + d.mode : ""),
      el("h3", {}, "历史工单"),
      hist.length ? el("ul", { id: "history" }, hist.map(h => el("li", {},
        el("a", { href: "#", "data-id": h.id, onclick: (e) => { e.preventDefault(); openTicket(h.id); } }, h.code),
        " ", statusLabels[h.status] || h.status, h.open ? "（未办结）" : "", " · ", h.type, " · ", h.summary))) : el("p", { id: "history" }, "无历史工单"),
      (pop.kb_suggestions || []).length ? [el("h3", {}, "知识库推荐"), el("ul", {}, pop.kb_suggestions.map(s => el("li", {}, s.question)))] : []);
  }

  // --- knowledge base ------------------------------------------------------
  const search = debounce(async () => {
    const q = $("kb-q").value.trim();
    if (!q) { fill("kb-hits"); return; }
    try {
      const res = await api("GET", "kb/search?limit=8&q=" + encodeURIComponent(q));
      fill("kb-hits", res.hits.length ? res.hits.map(h => el("li", {},
        el("span", { class: "tag" }, h.kind === "item" ? "办事指南" : "问答"), " ", el("strong", {}, h.question),
        el("p", { class: "snippet" }, marked(h.highlight)),
        h.kind === "item" ? null : el("button", { type: "button", class: "small answer-btn", "data-id": h.id, onclick: () => answerOnSpot(h) }, "当场答复"))) :
        el("li", {}, "没有找到，可受理工单派给部门。"));
    } catch (e) { fill("kb-hits", el("li", { class: "error" }, e.message)); }
  }, 250);
  $("kb-q").addEventListener("input", search);

  function intake(extra) {
    const text = $("tf-text").value.trim() || $("kb-q").value.trim();
    const phone = $("tf-phone").value.trim();
    const body = Object.assign({ channel: "hotline", type: $("tf-type").value, text, caller: { name: $("tf-name").value.trim(), phone } }, extra);
    return api("POST", "tickets", body);
  }

  async function answerOnSpot(hit) {
    try {
      const res = await intake({ kb_entry: hit.id, reply: hit.question });
      await linkCall(res.ticket.id);
      fill("ticket-result", el("p", { class: "notice" }, "已当场答复，工单 ", el("strong", {}, res.ticket.code), " 已办结（直接答复）。"));
      loadTickets();
    } catch (e) { fill("ticket-result", el("p", { class: "error", role: "alert" }, "答复失败：" + e.message)); }
  }

  async function linkCall(ticketID) {
    if (!currentCall) return;
    try { await api("POST", "calls/" + encodeURIComponent(currentCall.id) + "/tickets", { ticket_id: ticketID }); } catch (e) { /* the ticket stands without the link */ }
  }

  // --- routing suggestion and intake --------------------------------------
  $("suggest-btn").addEventListener("click", async () => {
    const text = $("tf-text").value.trim();
    if (!text) { fill("suggestion", el("p", { class: "error" }, "请先填写诉求内容")); return; }
    try {
      const s = await api("POST", "routing/suggest", { text, channel: "hotline" });
      if (s.department) $("tf-dept").value = s.department;
      if (s.type) $("tf-type").value = s.type;
      for (const o of $("tf-co").options) o.selected = (s.co_departments || []).includes(o.value);
      const name = $("tf-dept").selectedOptions[0]?.textContent || s.department;
      fill("suggestion", el("div", { class: "reply", id: "suggested" },
        el("p", {}, "建议主办：", el("strong", { id: "suggested-dept", "data-code": s.department || "" }, s.department ? name : "（无把握，请人工选择）"), " · 类型：", s.type || "", s.urgent ? " · 紧急" : ""),
        (s.emergency || []).length ? el("div", { class: "emergency", role: "alert", id: "emergency" },
          el("p", {}, el("strong", {}, "紧急警情："), "12345 不办理，请立即转接"),
          s.emergency.map(e => el("button", { type: "button", class: "danger", id: "emergency-" + e.number, onclick: () => transferNow(e) },
            "受理并转 " + e.number + "（" + e.service + "）"))) : null,
        (s.evidence || []).length ? el("ul", {}, s.evidence.map(x => el("li", {}, x))) : null,
        (s.direct_answer || []).length ? el("p", {}, "可直接答复：", s.direct_answer.map(a => a.question).join("；")) : null,
        el("p", { class: "hint" }, "请核对后确认；办理时限按诉求类型以工作日计，受理后显示。")));
    } catch (e) { fill("suggestion", el("p", { class: "error", role: "alert" }, "建议失败：" + e.message)); }
  });

  // An emergency is taken as a ticket (so the call is on record) and
  // transferred at once; the ticket ends there.
  async function transferNow(e) {
    try {
      const res = await intake({});
      const t = res.ticket;
      await linkCall(t.id);
      await api("POST", "tickets/" + encodeURIComponent(t.id) + "/events", { type: "transfer_emergency", number: e.number, note: "疑似" + e.service + "警情：" + e.because.join("、") });
      fill("ticket-result", el("p", { class: "notice" }, "工单 ", el("strong", { id: "new-code" }, t.code), " 已受理并转 " + e.number + "。"));
      $("ticket-form").reset(); fill("suggestion");
      await loadTickets();
      openTicket(t.id);
    } catch (err) { fill("ticket-result", el("p", { class: "error", role: "alert" }, "转接失败：" + err.message)); }
  }

  $("ticket-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const dept = $("tf-dept").value;
    const co = [...$("tf-co").selectedOptions].map(o => o.value).filter(v => v && v !== dept);
    try {
      const res = await intake(dept ? { department: dept, co_departments: co } : {});
      const t = res.ticket;
      await linkCall(t.id);
      fill("ticket-result", el("p", { class: "notice" }, "已受理工单 ", el("strong", { id: "new-code" }, t.code), "，状态：", statusLabels[t.status] || t.status,
        t.deadlines && t.deadlines.due ? "，办理时限 " + when(t.deadlines.due) : ""));
      $("ticket-form").reset(); fill("suggestion");
      await loadTickets();
      openTicket(t.id);
    } catch (e) { fill("ticket-result", el("p", { class: "error", role: "alert" }, "受理失败：" + e.message)); }
  });

  // --- tickets -------------------------------------------------------------
  // A department as the form's list names it (its code until known).
  const deptName = (code) => { const o = code && [...$("tf-dept").options].find(o => o.value === code); return o ? o.textContent : code || ""; };
  // The list, or with words in 查找 the tickets holding them (newest first,
  // 90 days back); a search that stopped early offers to read on.
  async function loadTickets(more) {
    const st = $("tl-status").value, q = $("tl-q").value.trim();
    const from = more === true ? loadTickets.next : "";
    try {
      const res = await api("GET", "tickets?limit=30" + (st ? "&status=" + st : "") + (q ? "&q=" + encodeURIComponent(q) : "") + (from ? "&cursor=" + encodeURIComponent(from) : ""));
      loadTickets.next = q ? res.next_cursor || "" : "";
      const rows = res.tickets.map(t => el("tr", { class: "clickable", "data-id": t.id, onclick: () => openTicket(t.id) },
        el("td", {}, el("a", { href: "#detail", onclick: (e) => { e.preventDefault(); openTicket(t.id); } }, t.code)),
        el("td", {}, t.type), el("td", {}, statusLabels[t.status] || t.status), el("td", {}, deptName(t.department)), el("td", {}, (t.text || "").slice(0, 40))));
      if (from) $("tickets").append(...rows); else fill("tickets", rows);
      const found = $("tickets").querySelectorAll("tr[data-id]").length;
      const note = !q ? "" : found ? `近 90 天内含「${q}」的工单` : `近 90 天内${loadTickets.next ? "最新的工单中" : ""}没有含「${q}」的工单`;
      const moreBtn = loadTickets.next ? el("button", { type: "button", class: "small secondary", id: "tl-more", onclick: () => loadTickets(true) }, "继续查找更早的") : null;
      fill("tl-note", ...[note, moreBtn].filter(Boolean));
    } catch (e) { fill("tickets", el("tr", {}, el("td", { colspan: 5, class: "error" }, e.message))); }
  }
  $("tl-refresh").addEventListener("click", () => loadTickets());
  $("tl-q").addEventListener("input", debounce(() => loadTickets(), 300));
  $("tl-status").addEventListener("change", () => loadTickets());

  const eventLabels = { intake: "受理", answer: "直接答复", dispatch: "派单", accept: "签收", return: "退单", progress: "办理进展", reply: "答复", rate: "评价", callback: "回访", close: "办结", reopen: "重办", extend_request: "申请延期", extend_approve: "同意延期", extend_refuse: "不同意延期", supervise: "督办", merge: "并单", absorb: "并入", warning: "临期", overdue: "超期", dispose: "不予受理", transfer_emergency: "转紧急" };
  let openID = null;

  let shown = "";
  async function openTicket(id, auto) {
    openID = id;
    try {
      const [t, dl] = await Promise.all([api("GET", "tickets/" + encodeURIComponent(id)), api("GET", "tickets/" + encodeURIComponent(id) + "/deliveries")]);
      // Polling re-renders only on change, so a form being filled is not wiped.
      const key = JSON.stringify([t.id, t.status, (t.events || []).length, (dl.deliveries || []).map(d => d.state + d.attempts), (dl.attempts || []).length]);
      if (auto && key === shown) return;
      shown = key;
      renderDetail(t, dl);
    } catch (e) { fill("detail", el("p", { class: "error", role: "alert" }, e.message)); }
  }

  function renderDetail(t, dl) {
    const allowed = t.allowed_events || [];
    const ratingOpts = $("rating-options").content.cloneNode(true);
    const actions = [];
    const badRating = ["不满意", "非常不满意"].includes(t.rating);
    if (allowed.includes("rate") && t.status === "replied") actions.push(el("form", { class: "inline", id: "rate-form", onsubmit: (e) => { e.preventDefault(); post(t.id, { type: "rate", rating: $("rate-sel").value, note: $("cb-note").value.trim() }); } },
      el("div", {}, el("label", { for: "cb-note" }, "回访记录"), el("input", { id: "cb-note", value: "已电话回访来电人" })),
      el("div", {}, el("label", { for: "rate-sel" }, "满意度"), el("select", { id: "rate-sel" }, ratingOpts)), el("button", { type: "submit", id: "rate-btn" }, "回访并记录评价")));
    if (allowed.includes("callback") && badRating && !t.called_back) actions.push(el("form", { class: "inline", id: "callback-form", onsubmit: (e) => { e.preventDefault(); post(t.id, { type: "callback", note: $("bad-note").value.trim() || "已回访" }); } },
      el("div", {}, el("label", { for: "bad-note" }, "差评回访记录"), el("input", { id: "bad-note", value: "" })), el("button", { type: "submit", id: "callback-btn" }, "记录差评回访")));
    if (allowed.includes("transfer_emergency")) actions.push(el("form", { class: "inline", id: "transfer-form", onsubmit: (e) => { e.preventDefault(); post(t.id, { type: "transfer_emergency", number: $("transfer-sel").value, note: $("transfer-note").value.trim() }); } },
      el("div", {}, el("label", { for: "transfer-sel" }, "转紧急服务"), el("select", { id: "transfer-sel" },
        [["110", "110 公安"], ["119", "119 消防救援"], ["120", "120 医疗急救"], ["122", "122 交通事故"]].map(([v, l]) => el("option", { value: v }, l)))),
      el("div", {}, el("label", { for: "transfer-note" }, "说明"), el("input", { id: "transfer-note", value: "" })),
      el("button", { type: "submit", class: "danger", id: "transfer-btn" }, "立即转接")));
    if (allowed.includes("close")) actions.push(el("button", { type: "button", id: "close-btn", onclick: () => post(t.id, { type: "close" }) }, "不评价直接办结"));
    fill("detail",
      el("h3", {}, "工单 ", el("span", { id: "detail-code" }, t.code), " · ", el("span", { id: "detail-status", "data-status": t.status }, statusLabels[t.status] || t.status)),
      el("dl", { class: "meta" }, el("dt", {}, "类型"), el("dd", {}, t.type), el("dt", {}, "主办"), el("dd", { "data-code": t.department || "" }, t.department ? deptName(t.department) : "—"),
        el("dt", {}, "时限"), el("dd", {}, when(t.deadline) || "—"), el("dt", {}, "内容"), el("dd", {}, t.text),
        t.reply ? [el("dt", {}, "答复"), el("dd", { id: "detail-reply" }, t.reply)] : [], t.rating ? [el("dt", {}, "评价"), el("dd", {}, t.rating)] : []),
      el("h4", {}, "办理过程"),
      el("ol", { class: "timeline", id: "timeline" }, (t.events || []).map(e => el("li", { "data-type": e.type }, el("time", {}, when(e.at)), eventLabels[e.type] || e.type, e.note ? "：" + e.note : ""))),
      el("h4", {}, "推送"),
      (dl.deliveries || []).length ? el("table", {}, el("caption", { class: "sr" }, "推送状态"),
        el("thead", {}, el("tr", {}, ["部门", "事件", "状态", "尝试", "说明"].map(h => el("th", { scope: "col" }, h)))),
        el("tbody", { id: "deliveries" }, dl.deliveries.map(d => el("tr", { "data-state": d.state }, el("td", {}, deptName(d.department)), el("td", {}, d.event), el("td", {}, d.state), el("td", {}, d.attempts), el("td", {}, d.message || d.last_error || ""))))) : el("p", { class: "muted" }, "无推送"),
      (dl.attempts || []).length ? el("details", {}, el("summary", {}, "每次尝试（" + dl.attempts.length + "）"),
        el("ul", {}, dl.attempts.map(a => el("li", {}, "#", a.attempt, " ", a.department, " ", a.outcome, a.status ? " HTTP " + a.status : "", a.error ? " " + a.error : "", " ", when(a.start))))) : null,
      actions.length ? el("div", { class: "actions" }, el("h4", {}, "操作"), actions) : null,
      el("p", { id: "detail-msg", role: "status" }));
  }

  async function post(id, body) {
    try { await api("POST", "tickets/" + encodeURIComponent(id) + "/events", body); await openTicket(id); loadTickets(); }
    catch (e) { fill("detail-msg", el("span", { class: "error" }, e.message)); }
  }

  // --- department systems offline banner ----------------------------------
  async function connectors() {
    try {
      const res = await fetch("/ui/offline", { credentials: "same-origin", headers: { "Accept": "application/json" } });
      if (!res.ok) return;
      const down = (await res.json()).offline || [];
      const b = $("offline-banner");
      b.hidden = !down.length;
      fill(b, down.length ? "部门系统离线：" + down.map(c => c.department_name + "（" + c.status + "）").join("、") + "。工单已排队，恢复后自动推送。" : "");
    } catch (e) { /* the banner is advisory */ }
  }

  loadTickets(); connectors();
  setInterval(() => { connectors(); if (openID) openTicket(openID, true); }, 2000);
})();
