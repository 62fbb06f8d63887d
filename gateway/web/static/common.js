// Shared helpers: calls to the JSON API through the session bridge, with
// the page's CSRF token on every state-changing request.
"use strict";
const HG = (() => {
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
  const base = "/ui/api/v1/";
  // api calls the JSON API as the signed-in user. A body is sent as JSON,
  // or as it is (a File or Blob) when contentType names its type.
  async function api(method, path, body, contentType) {
    const opts = { method, headers: { "Accept": "application/json" }, credentials: "same-origin" };
    if (method !== "GET") opts.headers["X-CSRF-Token"] = csrf;
    if (body !== undefined && contentType) { opts.headers["Content-Type"] = contentType; opts.body = body; }
    else if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    const res = await fetch(base + path, opts);
    let data = null;
    const text = await res.text();
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = { detail: text }; }
    if (!res.ok) {
      const fields = data && data.fields ? "（" + data.fields.map(f => f.field || f).join("、") + "）" : "";
      const err = new Error(((data && (data.detail || data.title)) || ("请求失败 " + res.status)) + fields);
      err.status = res.status; throw err;
    }
    return data;
  }
  // el builds an element: el("p", {class: "x"}, "text", child...). Text is
  // always set as text, never as HTML.
  function el(tag, attrs, ...kids) {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === false || v === undefined || v === null) continue;
      if (k.startsWith("on")) n.addEventListener(k.slice(2), v); else n.setAttribute(k, v === true ? "" : v);
    }
    for (const k of kids.flat()) if (k !== null && k !== undefined) n.append(k instanceof Node ? k : String(k));
    return n;
  }
  // marked renders an index highlight: only <em> marks become <mark>.
  function marked(s) {
    const out = document.createDocumentFragment();
    String(s || "").split(/(<em>|<\/em>)/).reduce((inMark, part) => {
      if (part === "<em>") return true;
      if (part === "</em>") return false;
      if (part) out.append(inMark ? el("mark", {}, part) : document.createTextNode(part));
      return inMark;
    }, false);
    return out;
  }
  function fill(target, ...kids) { const t = typeof target === "string" ? document.getElementById(target) : target; t.replaceChildren(...kids.flat()); return t; }
  function when(t) { if (!t) return ""; const d = new Date(t); return isNaN(d) ? "" : d.toLocaleString("zh-CN", { hour12: false }); }
  function debounce(fn, ms) { let h; return (...a) => { clearTimeout(h); h = setTimeout(() => fn(...a), ms); }; }
  const statusLabels = { received: "受理", answered: "直接答复", dispatched: "已派单", accepted: "已签收", returned: "已退单", replied: "已答复", closed: "办结", disposed: "不予受理", transferred: "已转紧急", merged: "已并单" };
  return { api, el, marked, fill, when, debounce, csrf, statusLabels };
})();
