// Live updates and keyboard moves for the inbox. No framework: the server renders the rows,
// and sends those that changed with the change (or this asks for them); this puts them in
// place, and moves the focus.
"use strict";

(function () {
  const rows = document.getElementById("rows");
  const loggedIn = document.querySelector("header nav") !== null;
  const onThread = window.location.pathname.match(/^\/threads\/(\d+)$/);
  // The server's view holds this many rows; a page that shows fewer than a full list after a
  // row left asks for the whole list again, to show the next one.
  const VIEW_ROWS = 100;
  const FILTERS = ["network", "kind", "priority", "language", "topic", "sla", "tag"];
  const shownIds = () =>
    Array.from(rows.querySelectorAll("tr[data-thread]"), (row) => row.dataset.thread);

  // The stream names what this page shows, so that the server sends only what concerns it.
  const streamUrl = () => {
    const params = new URLSearchParams();
    const here = new URLSearchParams(window.location.search);
    if (rows && rows.dataset.view === "incidents") {
      params.set("page", "incidents");
    } else if (rows) {
      params.set("view", rows.dataset.view || "mine");
      FILTERS.forEach((name) => { if (here.get(name)) { params.set(name, here.get(name)); } });
      params.set("shown", shownIds().slice(0, 200).join(","));
    } else if (onThread) {
      params.set("thread", onThread[1]);
    } else {
      params.set("page", "notices");
    }
    return "/events?" + params.toString();
  };

  // Where the agent is in the list, to put them back there after the rows change. Only the
  // focus the agent had in the list is restored: a live update never moves it elsewhere.
  const focusedRow = () => {
    const active = document.activeElement;
    if (!rows || !active || !rows.contains(active)) { return null; }
    const row = active.closest("tr[data-thread]");
    if (!row) { return null; }
    return { thread: row.dataset.thread, index: Array.from(rows.children).indexOf(row) };
  };
  const refocus = (was) => {
    if (!was) { return; }
    let row = rows.querySelector('tr[data-thread="' + was.thread + '"]');
    if (!row) {
      const all = rows.querySelectorAll("tr[data-thread]");
      row = all[Math.min(was.index, all.length - 1)] || null;
    }
    const link = row ? row.querySelector("a") : null;
    if (link && document.activeElement !== link) { link.focus({ preventScroll: true }); }
  };
  // A row rendered once for every open page (sent with a change) has its times without a
  // title: give each the exact time in this reader's zone, as the server would have.
  const zone = document.body.dataset.tz || "UTC";
  const exactTime = (() => {
    let format = null;
    try {
      format = new Intl.DateTimeFormat("en-GB", {
        timeZone: zone, weekday: "short", day: "2-digit", month: "short", year: "numeric",
        hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short",
      });
    } catch (error) { return null; }
    const thisYear = new Date().getFullYear();
    return (instant) => {
      const part = {};
      format.formatToParts(instant).forEach((p) => { part[p.type] = p.value; });
      const year = Number(part.year) !== thisYear ? " " + part.year : "";
      return part.weekday + " " + part.day + " " + part.month + year + " " +
        part.hour + ":" + part.minute + " " + part.timeZoneName;
    };
  })();
  const localise = (within) => {
    if (!exactTime) { return; }
    within.querySelectorAll("time[datetime]:not([title])").forEach((time) => {
      const instant = new Date(time.getAttribute("datetime"));
      if (!Number.isNaN(instant.getTime())) { time.title = exactTime(instant); }
    });
  };
  const counted = () => {
    if (rows.dataset.view === "incidents") { return 0; }
    const shown = rows.querySelectorAll("tr[data-thread]").length;
    const count = document.getElementById("thread-count");
    if (count) { count.textContent = String(shown); }
    const nothing = rows.querySelector("tr:not([data-thread])");
    if (shown && nothing) { nothing.remove(); }
    if (!shown && !nothing) {
      // As the server says it (web/inbox_rows.py NOTHING).
      const row = document.createElement("tr");
      row.className = "nothing";
      const cell = document.createElement("td");
      const said = document.createElement("p");
      said.className = "empty-inline";
      said.textContent = "Nothing waiting here.";
      cell.appendChild(said);
      row.appendChild(cell);
      rows.appendChild(row);
    }
    localise(rows);
    return shown;
  };
  // Rows carry their place in the list (data-order): a row comes in where the list has it.
  const placeRow = (row) => {
    const after = Array.from(rows.querySelectorAll("tr[data-thread]"))
      .find((other) => other.dataset.order > row.dataset.order);
    rows.insertBefore(row, after || null);
  };
  const patchRows = (html, asked) => {
    const was = focusedRow();
    const full = rows.querySelectorAll("tr[data-thread]").length >= VIEW_ROWS;
    const answer = document.createElement("tbody");
    answer.innerHTML = html;
    const fresh = new Map();
    answer.querySelectorAll("tr[data-thread]").forEach((row) => fresh.set(row.dataset.thread, row));
    asked.forEach((id) => {
      const old = rows.querySelector('tr[data-thread="' + id + '"]');
      if (old) { old.remove(); }
      if (fresh.has(id)) { placeRow(fresh.get(id)); }
    });
    const extra = Array.from(rows.querySelectorAll("tr[data-thread]")).slice(VIEW_ROWS);
    extra.forEach((row) => { if (!was || row.dataset.thread !== was.thread) { row.remove(); } });
    refocus(was);
    const shown = counted();
    return full && shown < VIEW_ROWS;
  };
  const replaceRows = (html) => {
    const was = focusedRow();
    rows.innerHTML = html;
    counted();
    refocus(was);
  };

  if (loggedIn && window.EventSource) {
    let stream = "";
    let heard = 0;
    // What to fetch next: changed threads, or the whole view; at most one fetch a second.
    let wanted = new Set();
    let whole = false;
    let lastFetch = 0;
    let timer = null;
    let fetching = false;
    // Rows sent while a fetch was on its way ("" for a row taken out): newer than its answer,
    // so put back once the answer is in.
    let sentMeanwhile = new Map();
    const putSent = (sent) => {
      const html = Array.from(sent.values()).join("");
      whole = patchRows(html, Array.from(sent.keys())) || whole;
    };
    const schedule = () => {
      if (!rows || timer !== null || fetching || (!whole && wanted.size === 0)) { return; }
      timer = window.setTimeout(fetchRows, Math.max(0, lastFetch + 1000 - Date.now()));
    };
    const fetchRows = () => {
      timer = null;
      fetching = true;
      lastFetch = Date.now();
      const url = new URL(window.location.href);
      url.searchParams.set("view", rows.dataset.view || "mine");
      url.searchParams.set("partial", "1");
      if (stream) { url.searchParams.set("stream", stream); }
      const some = rows.dataset.view !== "incidents" && !whole && wanted.size <= VIEW_ROWS;
      const asked = some ? Array.from(wanted) : null;
      if (asked) { url.searchParams.set("threads", asked.join(",")); }
      wanted = new Set();
      whole = false;
      fetch(url, { credentials: "same-origin" })
        .then((answer) => (answer.ok ? answer.text() : null))
        .then((html) => {
          if (html === null) { return; }
          if (asked) {
            whole = patchRows(html, asked) || whole;
          } else {
            replaceRows(html);
          }
          if (sentMeanwhile.size) { putSent(sentMeanwhile); }
        })
        .catch(() => { whole = true; })
        .finally(() => { fetching = false; sentMeanwhile = new Map(); schedule(); });
    };
    // The page listens on `events`, which outlives each EventSource: the browser reconnects a
    // dropped stream by itself, but an answer other than 200 (the database down, the server
    // restarting) closes it for good, so a new one is opened after a growing wait.
    const events = new EventTarget();
    let retryMs = 1000;
    const connect = () => {
      const source = new EventSource(streamUrl());
      ["hello", "change", "resync", "notice", "alert"].forEach((kind) => {
        source.addEventListener(kind, (event) => {
          events.dispatchEvent(new MessageEvent(kind, { data: event.data }));
        });
      });
      source.addEventListener("hello", () => { retryMs = 1000; });
      source.addEventListener("error", () => {
        if (source.readyState !== EventSource.CLOSED) { return; }
        window.setTimeout(connect, retryMs);
        retryMs = Math.min(retryMs * 2, 30000);
      });
    };
    connect();
    events.addEventListener("hello", (event) => {
      let said = null;
      try { said = JSON.parse(event.data); } catch (error) { return; }
      stream = said && typeof said.stream === "string" ? said.stream : "";
      // A stream opened again (the server restarted, the network came back): what changed
      // meanwhile reached nobody, so the whole view once.
      heard += 1;
      if (heard > 1) { whole = true; schedule(); }
    });
    events.addEventListener("change", (event) => {
      let changed = null;
      try { changed = JSON.parse(event.data); } catch (error) { return; }
      // Other scripts of the page hear of it too (flow.js: the rail's counts).
      document.dispatchEvent(new CustomEvent("inbox:changed"));
      if (onThread) {
        let note = document.getElementById("changed");
        if (!note) {
          note = document.createElement("p");
          note.id = "changed";
          note.className = "notice";
          note.setAttribute("role", "status");
          const link = document.createElement("a");
          link.href = window.location.pathname;
          link.textContent = "This thread has changed since the page was opened: reload it.";
          note.appendChild(link);
          const title = document.querySelector("main h1");
          if (title) { title.after(note); }
        }
        return;
      }
      if (changed && Array.isArray(changed.threads)) {
        // The rows sent are put in place and the threads gone taken out at once; only the
        // others are fetched.
        const sent = new Map();
        if (rows && changed.rows && typeof changed.rows === "object") {
          Object.entries(changed.rows).forEach(([id, html]) => sent.set(id, String(html)));
        }
        if (rows && Array.isArray(changed.gone)) {
          changed.gone.forEach((id) => sent.set(String(id), ""));
        }
        if (sent.size) {
          putSent(sent);
          sent.forEach((html, id) => {
            wanted.delete(id);
            if (fetching) { sentMeanwhile.set(id, html); }
          });
        }
        changed.threads.forEach((id) => { if (!sent.has(String(id))) { wanted.add(String(id)); } });
      } else {
        whole = true;
      }
      schedule();
    });
    events.addEventListener("resync", () => { whole = true; schedule(); });
    // Rows say "12 min left": read again now and then, with whatever changed unannounced.
    window.setInterval(() => {
      if (document.visibilityState === "visible") { whole = true; schedule(); }
    }, 60000);
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

  // The shortcuts overlay: a modal dialog (the browser keeps the focus in it and closes it
  // on Escape), opened by "?" or the rail's link, giving the focus back where it was.
  const shortcuts = document.getElementById("shortcuts");
  const openShortcuts = () => {
    if (!shortcuts || shortcuts.open || typeof shortcuts.showModal !== "function") { return false; }
    shortcuts.showModal();
    return true;
  };
  document.querySelectorAll("[data-opens=shortcuts]").forEach((link) => {
    link.addEventListener("click", (event) => { if (openShortcuts()) { event.preventDefault(); } });
  });
  document.querySelectorAll("[data-closes=shortcuts]").forEach((link) => {
    link.addEventListener("click", (event) => {
      if (shortcuts && shortcuts.open) { event.preventDefault(); shortcuts.close(); }
    });
  });
  // The rest of the page is inert while it is open; Tab also goes round inside it rather
  // than out to the browser's own controls.
  if (shortcuts) {
    shortcuts.addEventListener("keydown", (event) => {
      if (event.key !== "Tab") { return; }
      const inside = Array.from(shortcuts.querySelectorAll("a[href], button, input, select, textarea"));
      if (!inside.length) { return; }
      const first = inside[0];
      const last = inside[inside.length - 1];
      if (event.shiftKey && document.activeElement === first) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && document.activeElement === last) {
        event.preventDefault();
        first.focus();
      }
    });
  }

  const links = () => Array.from(document.querySelectorAll("#rows a"));
  document.addEventListener("keydown", (event) => {
    const active = document.activeElement;
    // A row's box (flow.js) is not a place to type: j/k go on from its row.
    const box = active.tagName === "INPUT" && active.type === "checkbox";
    const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(active.tagName) && !box;
    if (typing || event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (document.querySelector("dialog[open]")) { return; }  // its own keys while it is open
    if (event.key === "?") {
      if (openShortcuts()) { event.preventDefault(); }
      return;
    }
    const all = links();
    const row = active.closest ? active.closest("#rows tr[data-thread]") : null;
    const at = all.indexOf(row ? row.querySelector("a") : active);
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
