// The agent's flow on top of the pages: rows selected for the list's toolbar (kept ticked
// when a live update sends a row again), the toolbar's actions sent without leaving the list,
// "c" to claim the next thread, "x" to select the focused row, and every view's count in the
// rail kept fresh. Every page works without it: the forms post and come back.
"use strict";

(function () {
  const rows = document.getElementById("rows");
  const bar = document.getElementById("selection");
  const csrf = () => {
    const field = document.querySelector("input[name=csrf]");
    return field ? field.value : "";
  };
  // What a refused request said: the error page's alert, or its status.
  const refusal = (answer) =>
    answer.text().then((html) => {
      const page = new DOMParser().parseFromString(html, "text/html");
      const alert = page.querySelector("[role=alert]");
      return alert ? alert.textContent.trim() : "Not done (" + String(answer.status) + ").";
    });
  const typing = () => {
    const active = document.activeElement;
    if (!active) { return false; }
    if (active.tagName === "INPUT") { return !["checkbox", "radio"].includes(active.type); }
    return ["TEXTAREA", "SELECT"].includes(active.tagName) || active.isContentEditable;
  };

  // -- the rail's counts ------------------------------------------------------------------
  const countSlots = document.querySelectorAll("[data-count]");
  let countsAsked = 0;
  let countsTimer = null;
  const COUNTS_EVERY_MS = 5000;
  const fetchCounts = () => {
    countsTimer = null;
    countsAsked = Date.now();
    fetch("/inbox/counts", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((answer) => (answer.ok ? answer.json() : null))
      .then((counts) => {
        if (!counts) { return; }
        countSlots.forEach((slot) => {
          const value = counts[slot.dataset.count];
          if (typeof value === "number") { slot.textContent = String(value); }
        });
      })
      .catch(() => {});
  };
  // At most one read every few seconds, however many changes arrive.
  const refreshCounts = () => {
    if (!countSlots.length || countsTimer !== null) { return; }
    countsTimer = window.setTimeout(fetchCounts, Math.max(0, countsAsked + COUNTS_EVERY_MS - Date.now()));
  };
  if (countSlots.length) {
    if (Array.from(countSlots).some((slot) => slot.textContent === "")) { refreshCounts(); }
    else { countsAsked = Date.now(); }
    document.addEventListener("inbox:changed", refreshCounts);
    window.setInterval(() => {
      if (document.visibilityState === "visible") { refreshCounts(); }
    }, 30000);
  }

  // -- claiming the next thread ------------------------------------------------------------
  const say = (text) => {
    let toast = document.getElementById("toast");
    if (!toast) {
      toast = document.createElement("div");
      toast.id = "toast";
      toast.setAttribute("role", "status");
      document.body.appendChild(toast);
    }
    toast.textContent = text;
  };
  const claimNext = () => {
    const body = new URLSearchParams();
    body.set("csrf", csrf());
    fetch("/inbox/next", {
      method: "POST", body: body, credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then((answer) => (answer.ok ? answer.json() : refusal(answer).then((text) => ({ said: text }))))
      .then((claimed) => {
        if (claimed && typeof claimed.url === "string") { window.location.assign(claimed.url); }
        else if (claimed && claimed.said) { say(claimed.said); }
      })
      .catch(() => { const form = document.getElementById("claim-next"); if (form) { form.submit(); } });
  };

  // -- the selection ------------------------------------------------------------------------
  const selected = new Set();
  const boxes = () => (rows ? Array.from(rows.querySelectorAll("input.row-select")) : []);
  const count = bar ? bar.querySelector("[data-selected]") : null;
  const said = document.getElementById("selection-said");
  const clear = bar ? bar.querySelector("[data-clear-selection]") : null;
  const all = document.getElementById("select-all");
  const showBar = () => {
    if (!bar) { return; }
    const n = selected.size;
    bar.hidden = n === 0;
    if (count) { count.textContent = String(n) + " selected"; }
    if (all) {
      const shown = boxes().length;
      all.checked = shown > 0 && n === shown;
      all.indeterminate = n > 0 && n < shown;
    }
  };
  // A row sent again by a live update comes unticked: tick it again if it was; a row that
  // left the list leaves the selection.
  const restore = () => {
    const present = new Set();
    boxes().forEach((box) => {
      present.add(box.value);
      box.checked = selected.has(box.value);
    });
    Array.from(selected).forEach((id) => { if (!present.has(id)) { selected.delete(id); } });
    showBar();
  };
  const toggle = (box, on) => {
    box.checked = on;
    if (on) { selected.add(box.value); } else { selected.delete(box.value); }
    showBar();
  };

  if (rows && bar) {
    if (all) { all.closest("label").hidden = false; }
    if (clear) { clear.hidden = false; }
    boxes().forEach((box) => { if (box.checked) { selected.add(box.value); } });
    showBar();
    rows.addEventListener("change", (event) => {
      const box = event.target;
      if (box instanceof HTMLInputElement && box.classList.contains("row-select")) {
        toggle(box, box.checked);
      }
    });
    new MutationObserver(restore).observe(rows, { childList: true, subtree: true });
    if (all) {
      all.addEventListener("change", () => { boxes().forEach((box) => toggle(box, all.checked)); });
    }
    if (clear) {
      clear.addEventListener("click", () => { boxes().forEach((box) => toggle(box, false)); });
    }
    // Enter in the tag field tags; the form's first button (assign) is not what was meant.
    const tag = bar.querySelector("input[name=tag]");
    if (tag) {
      tag.addEventListener("keydown", (event) => {
        if (event.key !== "Enter") { return; }
        event.preventDefault();
        const button = bar.querySelector("button[value=tag]");
        if (button) { bar.requestSubmit(button); }
      });
    }
    // Sent without leaving the list: the selection stays, the rows change live.
    bar.addEventListener("submit", (event) => {
      if (!event.submitter) { return; }
      event.preventDefault();
      const body = new URLSearchParams(new FormData(bar, event.submitter));
      if (said) { said.textContent = "…"; }
      // Not `bar.action`: the buttons named "action" shadow the form's property.
      fetch(bar.getAttribute("action"), {
        method: "POST", body: body, credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then((answer) => (answer.ok ? answer.json() : refusal(answer).then((text) => ({ said: text }))))
        .then((done) => {
          if (said && done && done.said) { said.textContent = done.said; }
          if (tag && event.submitter.value === "tag" && done && done.done) { tag.value = ""; }
          countsAsked = 0;
          refreshCounts();
        })
        .catch(() => { if (said) { said.textContent = "Not sent: the inbox did not answer. Try again."; } });
    });
  }

  // -- keys ------------------------------------------------------------------------------------
  document.addEventListener("keydown", (event) => {
    if (typing() || event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (document.querySelector("dialog[open]")) { return; }
    if (event.key === "c" && document.querySelector("input[name=csrf]")) {
      event.preventDefault();
      claimNext();
    } else if (event.key === "x" && rows && bar) {
      const row = document.activeElement ? document.activeElement.closest("tr[data-thread]") : null;
      const box = row ? row.querySelector("input.row-select") : null;
      if (box) { event.preventDefault(); toggle(box, !box.checked); }
    }
  });
})();
