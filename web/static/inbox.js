// Live updates, the desk and keyboard moves for the inbox. No framework: the server renders
// the rows, and sends those that changed with the change (or this asks for them); this puts
// them in place, and moves the focus. On the desk, a row opens its thread beside the list:
// the server renders the thread's pane (`/threads/ID?fragment=1`), this swaps it in and keeps
// the address (`/inbox?view=…&thread=ID`), so that the list and its live updates stay.
"use strict";

(function () {
  const rows = document.getElementById("rows");
  const loggedIn = document.querySelector("header nav") !== null;
  const onThread = window.location.pathname.match(/^\/threads\/(\d+)$/);
  const desk = rows ? document.getElementById("desk") : null;
  const pane = desk ? document.getElementById("desk-thread") : null;
  // One pane at a time under this width (the stylesheet's breakpoint).
  const narrow = window.matchMedia("(max-width: 60rem)");
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
    // A row sent with a change is drawn for every page: mark the one open beside the list.
    if (desk) { markOpen(openedId()); }
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
      // Said on the page, for whoever waits for the stream (a test, a style).
      document.documentElement.dataset.live = "open";
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
        threadChanged(window.location.pathname + window.location.search, null);
        return;
      }
      const open = openedId();
      if (open && changed && Array.isArray(changed.threads) &&
          changed.threads.some((id) => String(id) === open)) {
        paneChanged(open);
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
    // Rows say "12 min left": read again now and then, with whatever changed unannounced,
    // and the other views' counts in the rail.
    window.setInterval(() => {
      if (document.visibilityState !== "visible") { return; }
      whole = true;
      schedule();
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

  // The thread's reply box: the characters left as the network counts them (a link as
  // `data-link-length` characters where it shortens links), canned responses, and telling
  // colleagues, once, that this person is replying.
  function setUpComposer(within) {
    const reply = within.querySelector("#reply");
    const count = within.querySelector("#count");
    if (!reply || !count) { return; }
    const limit = Number(reply.dataset.limit || "5000");
    const linkLength = Number(reply.dataset.linkLength || "0");
    const counted = (text) => {
      let length = Array.from(text).length;
      if (linkLength) {
        (text.match(/https?:\/\/\S+/gi) || []).forEach((link) => {
          length += linkLength - Array.from(link).length;
        });
      }
      return length;
    };
    const show = () => {
      const left = limit - counted(reply.value);
      count.textContent = String(left);
      count.classList.toggle("over", left < 0);
    };
    reply.addEventListener("input", show);
    show();
    const form = within.querySelector("#reply-form");
    let announced = false;
    reply.addEventListener("input", () => {
      if (announced || !form || !form.dataset.replying) { return; }
      announced = true;
      const body = new URLSearchParams();
      body.set("csrf", form.querySelector("input[name=csrf]").value);
      fetch(form.dataset.replying, { method: "POST", body: body, credentials: "same-origin" });
    });
    const canned = within.querySelector("#canned");
    if (canned) {
      canned.addEventListener("change", () => {
        const chosen = canned.selectedOptions[0];
        if (chosen && chosen.dataset.text) { reply.value = chosen.dataset.text; show(); reply.focus(); }
      });
    }
  }
  setUpComposer(document);

  // The open thread changed since it was shown: say so where it shows, with a way to see it.
  function threadChanged(href, reload) {
    const where = document.getElementById("thread-pane");
    if (!where || document.getElementById("changed")) { return; }
    const note = document.createElement("p");
    note.id = "changed";
    note.className = "notice";
    note.setAttribute("role", "status");
    const link = document.createElement("a");
    link.href = href;
    link.textContent = "This thread has changed since it was opened: show it again.";
    if (reload) {
      link.addEventListener("click", (event) => { event.preventDefault(); reload(); });
    }
    note.appendChild(link);
    const head = where.querySelector(".pane-head");
    if (head) { head.after(note); } else { where.prepend(note); }
  }

  // The desk. What the list shows (view and filters) goes with every address it makes.
  function deskParams() {
    const here = new URLSearchParams(window.location.search);
    const params = new URLSearchParams();
    params.set("view", (rows && rows.dataset.view) || "mine");
    FILTERS.forEach((name) => { if (here.get(name)) { params.set(name, here.get(name)); } });
    return params;
  }
  function openedId() {
    const shown = pane ? pane.querySelector("#thread-pane") : null;
    return shown && desk.classList.contains("has-thread") ? shown.dataset.thread : null;
  }
  function markOpen(id) {
    rows.querySelectorAll("tr.is-open").forEach((row) => {
      row.classList.remove("is-open");
      const link = row.querySelector("a");
      if (link) { link.removeAttribute("aria-current"); }
    });
    const row = id ? rows.querySelector('tr[data-thread="' + id + '"]') : null;
    if (row) {
      row.classList.add("is-open");
      const link = row.querySelector("a");
      if (link) { link.setAttribute("aria-current", "true"); }
    }
  }
  let loading = null;
  // Swap the thread's pane in; `push`: a new place in the history; `focus`: move the focus
  // to the thread (a phone, where the list is gone); `quiet`: a live refresh of the thread
  // already open, which keeps the reader where they were.
  function openThread(id, how) {
    const params = deskParams();
    params.set("fragment", "1");
    if (loading) { loading.abort(); }
    const controller = new AbortController();
    loading = controller;
    const scrolled = pane.scrollTop;
    if (!how.quiet) { pane.setAttribute("aria-busy", "true"); }
    return fetch("/threads/" + encodeURIComponent(id) + "?" + params.toString(),
      { credentials: "same-origin", signal: controller.signal })
      .then((answer) => {
        if (!answer.ok) { throw new Error("the thread did not come: " + answer.status); }
        return answer.text();
      })
      .then((html) => {
        pane.innerHTML = html;
        desk.classList.add("has-thread");
        markOpen(id);
        if (how.push) {
          const address = deskParams();
          address.set("thread", id);
          window.history.pushState({ thread: id }, "", "/inbox?" + address.toString());
        }
        const shown = pane.querySelector("#thread-pane");
        if (shown && shown.dataset.title) { document.title = shown.dataset.title; }
        setUpComposer(pane);
        if (how.quiet) {
          pane.scrollTop = scrolled;
          return;
        }
        pane.scrollTop = 0;
        const last = pane.querySelector(".conversation > li:last-child");
        if (last) { last.scrollIntoView({ block: "nearest" }); }
        if (how.focus) {
          const title = pane.querySelector("#thread-title");
          if (title) { title.focus({ preventScroll: !narrow.matches }); }
        }
      })
      .catch((error) => {
        if (error && error.name === "AbortError") { return; }
        // The page itself can: the desk with the thread open, from the server.
        const address = deskParams();
        address.set("thread", id);
        window.location.assign("/inbox?" + address.toString());
      })
      .finally(() => {
        if (loading === controller) { loading = null; pane.removeAttribute("aria-busy"); }
      });
  }
  function closeThread(how) {
    const id = openedId();
    desk.classList.remove("has-thread");
    markOpen(null);
    const empty = document.getElementById("desk-empty");
    if (empty) { pane.innerHTML = empty.innerHTML; }
    document.title = document.title.split(" · ").slice(-2).join(" · ");
    if (how.push) {
      window.history.pushState({}, "", "/inbox?" + deskParams().toString());
    }
    const link = id ? rows.querySelector('tr[data-thread="' + id + '"] a') : null;
    if (link) { link.focus(); }
  }
  // A change to the open thread: shown at once when the agent is not in the middle of it
  // (nothing typed, the focus elsewhere); otherwise said, with a way to show it.
  function paneChanged(id) {
    const reply = pane.querySelector("#reply");
    const note = pane.querySelector("#note");
    const busy = (reply && reply.value) || (note && note.value) ||
      pane.contains(document.activeElement) || pane.querySelector("details[open].menu");
    if (busy) {
      threadChanged("/inbox?" + deskParams().toString() + "&thread=" + id,
        () => openThread(id, { push: false, quiet: true }));
    } else {
      openThread(id, { push: false, quiet: true });
    }
  }
  if (desk && pane) {
    rows.addEventListener("click", (event) => {
      if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey ||
          event.shiftKey || event.altKey) { return; }
      const link = event.target.closest("a.row-link");
      const row = link ? link.closest("tr[data-thread]") : null;
      if (!row) { return; }
      event.preventDefault();
      openThread(row.dataset.thread, { push: true, focus: narrow.matches });
    });
    pane.addEventListener("click", (event) => {
      const back = event.target.closest("[data-back]");
      if (!back || event.metaKey || event.ctrlKey || event.shiftKey) { return; }
      event.preventDefault();
      closeThread({ push: true });
    });
    window.addEventListener("popstate", () => {
      const id = new URLSearchParams(window.location.search).get("thread");
      if (!id) {
        closeThread({ push: false });
      } else if (id !== openedId()) {
        openThread(id, { push: false, focus: narrow.matches });
      }
    });
  }
  if (desk || onThread) {
    // The notice of an action said once: not again when the page is reloaded or come back to.
    const address = new URL(window.location.href);
    ["notice", "told"].forEach((name) => address.searchParams.delete(name));
    window.history.replaceState({ thread: desk ? openedId() : null }, "", address.toString());
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

  const links = () => Array.from(document.querySelectorAll("#rows a.row-link"));
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
    // From the row in focus (its link, or its box), else from the thread open beside the list.
    const focused = all.indexOf(row ? row.querySelector("a.row-link") : active);
    const open = all.findIndex((link) => link.closest("tr.is-open"));
    const at = focused >= 0 ? focused : open;
    // The arrows move in the list only from it (or from nowhere): elsewhere they scroll.
    const arrow = event.key === "ArrowDown" || event.key === "ArrowUp";
    if (arrow && focused < 0 && document.activeElement !== document.body) { return; }
    if ((event.key === "j" || event.key === "ArrowDown") && all.length) {
      event.preventDefault();
      all[Math.min(at + 1, all.length - 1)].focus();
    } else if ((event.key === "k" || event.key === "ArrowUp") && all.length) {
      event.preventDefault();
      all[Math.max(at < 0 ? 0 : at - 1, 0)].focus();
    } else if (event.key === "/") {
      const search = document.querySelector("input[name=q]");
      if (search) { event.preventDefault(); search.focus(); }
    } else if (event.key === "r") {
      const box = document.getElementById("reply");
      if (box) { event.preventDefault(); box.focus(); }
    } else if (event.key === "n") {
      const note = document.getElementById("note");
      const box = document.getElementById("note-box");
      if (box) { box.open = true; }
      if (note) { event.preventDefault(); note.focus(); }
    } else if (event.key === "a") {
      const to = document.getElementById("assign-to");
      const menu = document.getElementById("assign-menu");
      if (menu) { menu.open = true; }
      if (to) { event.preventDefault(); to.focus(); }
    } else if (event.key === "Escape" && desk && narrow.matches && openedId()) {
      // On a phone the list is behind the thread: back to it.
      event.preventDefault();
      closeThread({ push: true });
    } else if (event.key === "e") {
      // Resolve an answered thread; one waiting on us is closed only as "no reply needed",
      // a choice the agent makes with the button, not a key.
      const resolve = document.querySelector("#resolve button");
      if (resolve) { event.preventDefault(); resolve.click(); }
    }
  });

  // A table wider than a phone scrolls sideways; a keyboard can scroll it only if it can
  // take the focus, and a screen reader names it from its caption or the page's heading.
  const scrollables = () => {
    document.querySelectorAll(".table-wrap, .admin-body table, .page > table").forEach((box) => {
      const scrolls = box.scrollWidth > box.clientWidth;
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.tabIndex = 0;
        if (box.tagName !== "TABLE") { box.setAttribute("role", "region"); }  // a table stays one
        const named = box.querySelector("caption") || document.querySelector("h1");
        box.setAttribute("aria-label", named ? named.textContent.trim() : "Table");
      }
    });
  };
  scrollables();
  window.addEventListener("resize", scrollables);
  // Counters of answers being written (the community's forms): each box names the <output>
  // it counts down in, and counts as its network does (graphemes on Bluesky).
  const graphemes = typeof Intl.Segmenter === "function" ? new Intl.Segmenter() : null;
  const lengthOn = (text, network) => (network === "bluesky" && graphemes
    ? Array.from(graphemes.segment(text)).length
    : Array.from(text).length);
  document.querySelectorAll("textarea[data-counter]").forEach((box) => {
    const output = document.getElementById(box.dataset.counter);
    if (!output) { return; }
    const limit = Number(box.dataset.limit || "5000");
    const show = () => {
      const left = limit - lengthOn(box.value.trim(), box.dataset.network || "");
      output.textContent = String(left);
      output.classList.toggle("over", left < 0);
    };
    box.addEventListener("input", show);
    show();
  });

  // The rail's count of community answers waiting for review, asked once the page is shown.
  const pendingAnswers = document.querySelector("[data-pending-answers]");
  if (pendingAnswers) {
    fetch("/community/review/count", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((answer) => (answer.ok ? answer.json() : null))
      .then((found) => {
        if (found && typeof found.pending === "number" && found.pending > 0) {
          pendingAnswers.textContent = String(found.pending);
        }
      })
      .catch(() => {});
  }
})();
