/* hallgate 政务服务 widget — no third-party code. Mount with
   <script src=".../widget/v1/widget.js" data-key="..." data-target="#el" async></script>.
   Everything renders in a shadow root; text goes in through textContent, and
   search highlights are escaped before their <em> marks are restored. */
(function () {
  "use strict";
  var CSS = /*__HG_CSS__*/"";
  var script = document.currentScript ||
    document.querySelector('script[data-key][src*="/widget/v1/widget"]');
  if (!script) { return; }
  var key = script.getAttribute("data-key") || "";
  var api = script.getAttribute("data-api") || new URL(script.src, location.href).origin;
  var targetSel = script.getAttribute("data-target") || "#hallgate-widget";

  function el(tag, attrs, kids) {
    var n = document.createElement(tag);
    for (var k in attrs || {}) {
      if (k === "text") { n.textContent = attrs[k]; }
      else if (k.slice(0, 2) === "on") { n.addEventListener(k.slice(2), attrs[k]); }
      else { n.setAttribute(k, attrs[k]); }
    }
    (kids || []).forEach(function (c) { if (c) { n.appendChild(typeof c === "string" ? document.createTextNode(c) : c); } });
    return n;
  }
  function highlighted(s) {
    var span = document.createElement("span");
    var esc = String(s || "").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
    span.innerHTML = esc.replace(/&lt;em&gt;/g, "<em>").replace(/&lt;\/em&gt;/g, "</em>");
    return span;
  }

  // call returns {ok, status, data, message}; network and CORS failures end
  // up here too (fetch rejects), with a message the citizen can act on.
  function call(method, path, body) {
    var headers = { "X-Partner-Key": key, "Accept": "application/json" };
    if (body) { headers["Content-Type"] = "application/json"; }
    return fetch(api + path, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined, mode: "cors", credentials: "omit" })
      .then(function (res) {
        return res.text().then(function (t) {
          var data = null;
          try { data = t ? JSON.parse(t) : null; } catch (e) { data = null; }
          var msg = "";
          if (!res.ok) {
            var retry = res.headers.get("Retry-After");
            if (res.status === 429) { msg = "请求过于频繁，请 " + (retry || "稍后") + " 秒后再试"; }
            else if (res.status === 401) { msg = "服务密钥无效，请联系网站管理员"; }
            else if (res.status === 403) { msg = "本网站未开通此功能"; }
            else if (res.status === 404) { msg = "没有找到相关内容"; }
            else { msg = (data && data.detail) || ("服务暂时不可用（" + res.status + "）"); }
          }
          return { ok: res.ok, status: res.status, data: data, message: msg };
        });
      }, function () {
        return { ok: false, status: 0, data: null, message: "无法连接政务服务，请稍后再试" };
      });
  }

  function mount(target) {
    var root = target.shadowRoot || target.attachShadow({ mode: "open" });
    root.textContent = "";
    root.appendChild(el("style", { text: CSS }));
    var box = el("div", { "class": "hg", role: "region", "aria-label": "政务服务" });
    root.appendChild(box);

    var panels = {}, tabs = {};
    var tablist = el("div", { "class": "tabs", role: "tablist", "aria-label": "政务服务功能" });
    box.appendChild(tablist);
    function addTab(id, label) {
      var b = el("button", { type: "button", role: "tab", id: "hg-tab-" + id, "aria-controls": "hg-panel-" + id, "aria-selected": "false", text: label,
        onclick: function () { show(id); } });
      tabs[id] = b; tablist.appendChild(b);
      var p = el("section", { role: "tabpanel", id: "hg-panel-" + id, "aria-labelledby": "hg-tab-" + id, hidden: "" });
      panels[id] = p; box.appendChild(p);
      return p;
    }
    function show(id) {
      for (var k in panels) {
        var on = k === id;
        if (on) { panels[k].removeAttribute("hidden"); } else { panels[k].setAttribute("hidden", ""); }
        tabs[k].setAttribute("aria-selected", on ? "true" : "false");
      }
    }
    function status(p) { return p.querySelector(".status"); }
    function say(p, text, isError) {
      var s = status(p);
      s.textContent = text;
      s.className = "status" + (isError ? " error" : "");
      if (isError) { s.setAttribute("data-error", "1"); } else { s.removeAttribute("data-error"); }
    }

    // 搜索 and 办事指南
    var sp = addTab("search", "搜索");
    var q = el("input", { type: "search", id: "hg-q", name: "q", autocomplete: "off", placeholder: "例如：办理居住证需要什么材料" });
    var results = el("ul", { "class": "results", "aria-label": "搜索结果" });
    var detail = el("div", { "class": "detail", hidden: "", "aria-live": "polite" });
    sp.appendChild(el("form", { role: "search", onsubmit: function (e) { e.preventDefault(); search(); } }, [
      el("label", { "for": "hg-q", "class": "field" }, [el("span", { text: "搜索常见问题和办事指南" })]),
      el("div", { "class": "row" }, [q, el("button", { type: "submit", "class": "btn", text: "搜索" })])
    ]));
    sp.appendChild(el("div", { "class": "status", role: "status", "aria-live": "polite" }));
    sp.appendChild(results);
    sp.appendChild(detail);

    function search() {
      var text = q.value.trim();
      if (!text) { say(sp, "请输入要搜索的内容", true); return; }
      say(sp, "正在搜索…");
      results.textContent = ""; detail.setAttribute("hidden", "");
      call("GET", "/partner/v1/search?limit=10&q=" + encodeURIComponent(text)).then(function (r) {
        if (!r.ok) { say(sp, r.message, true); return; }
        var hits = (r.data && r.data.hits) || [];
        say(sp, hits.length ? "找到 " + (r.data.total || hits.length) + " 条结果" : "没有找到相关内容，可以在“我要留言”中提问");
        hits.forEach(function (h) {
          var title = h.question || h.highlight || h.id;
          var a = el("button", { type: "button", "class": "btn link", "data-id": h.id, "data-kind": h.kind,
            onclick: function () { h.kind === "item" ? openGuide(h.id) : openEntry(h); } }, [highlighted(title)]);
          results.appendChild(el("li", {}, [el("span", { "class": "kind", text: h.kind === "item" ? "办事指南" : "问答" }), a]));
        });
      });
    }
    function openEntry(h) {
      detail.textContent = "";
      detail.appendChild(el("h2", { text: h.question || "" }));
      detail.appendChild(el("p", { text: h.answer || "" }));
      detail.removeAttribute("hidden");
    }
    function openGuide(id) {
      say(sp, "正在打开办事指南…");
      call("GET", "/partner/v1/items/" + encodeURIComponent(id) + "/guide").then(function (r) {
        if (!r.ok) { say(sp, r.message, true); return; }
        var g = r.data; say(sp, "");
        detail.textContent = "";
        detail.appendChild(el("h2", { "class": "guide-title", text: g.name }));
        if (g.department_name) { detail.appendChild(el("p", { text: "办理部门：" + g.department_name })); }
        if (g.materials && g.materials.length) {
          detail.appendChild(el("h3", { text: "申请材料" }));
          var ol = el("ol");
          g.materials.forEach(function (m) { ol.appendChild(el("li", { text: m.name + (m.form ? "（" + m.form + "）" : "") + (m.count > 1 ? " ×" + m.count : "") })); });
          detail.appendChild(ol);
        }
        (g.sections || []).forEach(function (s) {
          detail.appendChild(el("h3", { text: s.title }));
          var ul = el("ul");
          (s.lines || []).forEach(function (l) { ul.appendChild(el("li", { text: l })); });
          detail.appendChild(ul);
        });
        if (g.online_url && /^https?:\/\//.test(g.online_url)) {
          detail.appendChild(el("p", {}, [el("a", { href: g.online_url, target: "_blank", rel: "noopener", text: "在线办理" })]));
        }
        detail.removeAttribute("hidden");
      });
    }

    // 我要留言
    var mp = addTab("message", "我要留言");
    function field(id, label, input) { input.id = id; return el("label", { "class": "field", "for": id }, [el("span", { text: label }), input]); }
    var mTitle = el("input", { type: "text", name: "title", maxlength: "100", required: "" });
    var mContent = el("textarea", { name: "content", maxlength: "2000", required: "" });
    var mName = el("input", { type: "text", name: "name", maxlength: "50", required: "", autocomplete: "name" });
    var mPhone = el("input", { type: "tel", name: "phone", maxlength: "20", required: "", autocomplete: "tel" });
    var mPublic = el("input", { type: "checkbox", name: "public", checked: "" });
    var done = el("div", { "class": "detail", hidden: "", "aria-live": "polite" });
    mp.appendChild(el("form", { onsubmit: function (e) { e.preventDefault(); submitMessage(); } }, [
      field("hg-m-title", "标题", mTitle), field("hg-m-content", "留言内容", mContent),
      field("hg-m-name", "姓名（不公开）", mName), field("hg-m-phone", "手机号（不公开，用于查询进度）", mPhone),
      el("label", { "class": "field" }, [mPublic, " 同意公开留言和答复（个人信息不公开）"]),
      el("button", { type: "submit", "class": "btn", text: "提交留言" })
    ]));
    mp.appendChild(el("div", { "class": "status", role: "status", "aria-live": "polite" }));
    mp.appendChild(done);
    var submitting = false;
    function submitMessage() {
      if (submitting) { return; }
      submitting = true; say(mp, "正在提交…");
      var phone = mPhone.value.trim();
      call("POST", "/partner/v1/messages", { title: mTitle.value.trim(), content: mContent.value.trim(), name: mName.value.trim(),
        phone: phone, "public": mPublic.checked }).then(function (r) {
        submitting = false;
        if (!r.ok) {
          var fields = (r.data && r.data.fields) || [];
          say(mp, r.status === 422 && fields.length ? "请检查：" + fields.map(function (f) { return f.reason || f.field || f; }).join("；") : r.message, true);
          return;
        }
        say(mp, "");
        done.textContent = "";
        done.appendChild(el("p", { text: "留言已收到。请记下查询编号：" }));
        done.appendChild(el("p", { "class": "code", "data-code": r.data.code, text: r.data.code }));
        done.appendChild(el("button", { type: "button", "class": "btn", text: "查询办理进度", onclick: function () {
          tCode.value = r.data.code; tLast4.value = phone.replace(/\D/g, "").slice(-4); show("track"); track();
        } }));
        done.removeAttribute("hidden");
      });
    }

    // 办理进度
    var tp = addTab("track", "办理进度");
    var tCode = el("input", { type: "text", name: "code", maxlength: "40", required: "" });
    var tLast4 = el("input", { type: "text", name: "phone_last4", maxlength: "4", inputmode: "numeric", pattern: "[0-9]{4}", required: "" });
    var tOut = el("div", { "class": "detail", hidden: "", "aria-live": "polite" });
    tp.appendChild(el("form", { onsubmit: function (e) { e.preventDefault(); track(); } }, [
      field("hg-t-code", "工单编号", tCode), field("hg-t-last4", "手机号后四位", tLast4),
      el("button", { type: "submit", "class": "btn", text: "查询" })
    ]));
    tp.appendChild(el("div", { "class": "status", role: "status", "aria-live": "polite" }));
    tp.appendChild(tOut);
    function track() {
      say(tp, "正在查询…"); tOut.setAttribute("hidden", "");
      call("GET", "/partner/v1/tickets/track?code=" + encodeURIComponent(tCode.value.trim()) + "&phone_last4=" + encodeURIComponent(tLast4.value.trim()))
        .then(function (r) {
          if (!r.ok) { say(tp, r.status === 404 ? "未找到匹配的工单，请核对编号和手机号后四位" : r.message, true); return; }
          var t = r.data; say(tp, "");
          tOut.textContent = "";
          tOut.appendChild(el("p", { "class": "code", text: t.code }));
          tOut.appendChild(el("p", { "class": "track-status", "data-status": t.status, text: "当前状态：" + (t.status_label || t.status) }));
          if (t.reply) { tOut.appendChild(el("p", { text: "答复：" + t.reply })); }
          var ol = el("ol");
          (t.events || []).forEach(function (e) { ol.appendChild(el("li", { text: new Date(e.at).toLocaleString("zh-CN") + " " + e.label })); });
          tOut.appendChild(ol);
          tOut.removeAttribute("hidden");
        });
    }

    show("search");
    target.setAttribute("data-hallgate", "ready");
    // Hide what this partner was not granted (best effort: a failure keeps every tab).
    call("GET", "/partner/v1/me").then(function (r) {
      if (!r.ok) {
        say(sp, r.message, true);
        target.setAttribute("data-hallgate", "error");
        return;
      }
      var f = r.data.features || [];
      var need = { search: "search", message: "messages", track: "tracking" };
      var first = null;
      for (var k in need) {
        if (f.indexOf(need[k]) < 0) { tabs[k].setAttribute("hidden", ""); } else if (!first) { first = k; }
      }
      if (first) { show(first); }
    });
  }

  function start() {
    var target = document.querySelector(targetSel);
    if (!target) { return; }
    mount(target);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
