"use strict";
(() => {
  const form = document.getElementById("message-form");
  if (!form) return;
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
    const body = { title: f.get("title"), content: f.get("content"), type: f.get("type"), name: f.get("name"), phone: f.get("phone"), public: f.get("public") === "on" };
    const out = document.getElementById("message-result");
    try {
      const m = await HG.api("POST", "messages", body);
      HG.fill(out, HG.el("p", { class: "notice" }, "留言已提交，编号 ", HG.el("strong", { id: "message-code" }, m.code), "。请凭编号和手机号后四位查询办理进度。"),
        HG.el("p", {}, HG.el("a", { href: "/track?code=" + encodeURIComponent(m.code) }, "查询进度")));
      form.reset();
    } catch (e) {
      HG.fill(out, HG.el("p", { class: "error", role: "alert" }, "提交失败：" + e.message));
    }
  });
})();
