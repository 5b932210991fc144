// Live updates and keyboard moves for the inbox. No framework: the server renders the rows;
// this only asks for them again when something changed, and moves the focus.
"use strict";

(function () {
  const rows = document.getElementById("rows");
  const loggedIn = document.querySelector("header nav") !== null;
  if (loggedIn && window.EventSource) {
    const events = new EventSource("/events");
    if (rows) {
      let pending = null;
      const refresh = () => {
        pending = null;
        const url = new URL(window.location.href);
        url.searchParams.set("view", rows.dataset.view || "mine");
        url.searchParams.set("partial", "1");
        fetch(url, { credentials: "same-origin" })
          .then((answer) => (answer.ok ? answer.text() : null))
          .then((html) => {
            if (html === null) { return; }
            rows.innerHTML = html;
            const count = document.getElementById("thread-count");
            if (count) { count.textContent = String(rows.querySelectorAll("tr[data-thread]").length); }
          });
      };
      events.addEventListener("change", () => {
        // Bursts of changes cost one reload.
        if (pending === null) { pending = window.setTimeout(refresh, 250); }
      });
    }
    // A colleague named this person in a note: say so, with a link, wherever they are.
    events.addEventListener("notice", (event) => {
      let told = null;
      try { told = JSON.parse(event.data); } catch (error) { return; }
      if (!told || typeof told.thread_id !== "number") { return; }
      let toast = document.getElementById("toast");
      if (!toast) {
        toast = document.createElement("div");
        toast.id = "toast";
        toast.setAttribute("role", "status");
        document.body.appendChild(toast);
      }
      const link = document.createElement("a");
      link.href = "/threads/" + String(told.thread_id);
      link.textContent = "A colleague named you on thread " + String(told.thread_id);
      toast.replaceChildren(link);
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
    // Colleagues see who has the reply box open; the first keystroke says so, once.
    const form = document.getElementById("reply-form");
    let announced = false;
    reply.addEventListener("input", () => {
      if (announced || !form || !form.dataset.replying) { return; }
      announced = true;
      const body = new URLSearchParams();
      body.set("csrf", form.querySelector("input[name=csrf]").value);
      fetch(form.dataset.replying, { method: "POST", body: body, credentials: "same-origin" });
    });
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
      const box = document.getElementById("reply");
      if (box) { event.preventDefault(); box.focus(); }
    } else if (event.key === "n") {
      const note = document.getElementById("note");
      if (note) { event.preventDefault(); note.focus(); }
    } else if (event.key === "a") {
      const to = document.getElementById("assign-to");
      if (to) { event.preventDefault(); to.focus(); }
    } else if (event.key === "e") {
      // Resolve an answered thread; one waiting on us is closed only as "no reply needed",
      // a choice the agent makes with the button, not a key.
      const resolve = document.querySelector("#resolve button");
      if (resolve) { event.preventDefault(); resolve.click(); }
    }
  });
})();
