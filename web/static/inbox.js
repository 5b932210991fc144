// Live updates and keyboard moves for the inbox. No framework: the server renders the rows;
// this only asks for them again when something changed, and moves the focus.
"use strict";

(function () {
  const rows = document.getElementById("rows");
  if (rows && window.EventSource) {
    let pending = null;
    const refresh = () => {
      pending = null;
      const url = new URL(window.location.href);
      url.searchParams.set("view", rows.dataset.view || "mine");
      url.searchParams.set("partial", "1");
      fetch(url, { credentials: "same-origin" })
        .then((answer) => (answer.ok ? answer.text() : null))
        .then((html) => { if (html !== null) { rows.innerHTML = html; } });
    };
    const events = new EventSource("/events");
    events.addEventListener("change", () => {
      // Bursts of changes cost one reload.
      if (pending === null) { pending = window.setTimeout(refresh, 250); }
    });
  }

  const reply = document.getElementById("reply");
  const count = document.getElementById("count");
  if (reply && count) {
    const limit = Number(reply.dataset.limit || "5000");
    const show = () => {
      const left = limit - Array.from(reply.value).length;
      count.textContent = String(left);
      count.classList.toggle("over", left < 0);
    };
    reply.addEventListener("input", show);
    const canned = document.getElementById("canned");
    if (canned) {
      canned.addEventListener("change", () => {
        const chosen = canned.selectedOptions[0];
        if (chosen && chosen.dataset.text) { reply.value = chosen.dataset.text; show(); reply.focus(); }
      });
    }
  }

  const links = () => Array.from(document.querySelectorAll("#rows a"));
  document.addEventListener("keydown", (event) => {
    const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName);
    if (typing || event.ctrlKey || event.metaKey || event.altKey) { return; }
    const all = links();
    const at = all.indexOf(document.activeElement);
    if (event.key === "j" && all.length) {
      all[Math.min(at + 1, all.length - 1)].focus();
    } else if (event.key === "k" && all.length) {
      all[Math.max(at - 1, 0)].focus();
    } else if (event.key === "/") {
      const search = document.querySelector("input[name=q]");
      if (search) { event.preventDefault(); search.focus(); }
    } else if (event.key === "r") {
      const box = document.querySelector("form.reply textarea");
      if (box) { event.preventDefault(); box.focus(); }
    }
  });
})();
