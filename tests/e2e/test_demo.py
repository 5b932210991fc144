"""`inbox demo` as someone trying the product runs it: a real process, what it prints, its API
with the token it prints, and nothing left behind once it is stopped."""

from __future__ import annotations

import json
import os
import queue
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from inbox.demo_day import SCRIPT

pytestmark = pytest.mark.integration

INBOX = [sys.executable, "-m", "inbox.cli"]
# Guards against hanging, not measures.
START_S = 180
FIRST_MINUTES_S = 240
STOP_S = 60
PEOPLE = 8


def _environment(tmp: Path) -> dict[str, str]:
    """No INBOX_ setting of the caller's: the default log level (INFO) among them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INBOX_")}
    env.pop("DATABASE_URL", None)
    env["TMPDIR"] = str(tmp)
    return env


@dataclass(frozen=True, slots=True)
class Started:
    """A demo process; its output is read on a thread, so that every wait can be bounded."""

    process: subprocess.Popen[str]
    console: Path  # its standard error
    lines: queue.Queue[str]  # its standard output, line by line; "" at the end
    reader: threading.Thread

    def stop(self, sig: signal.Signals = signal.SIGINT) -> int:
        """Its exit status once `sig` made it stop."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            status = self.process.wait(timeout=STOP_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"the demo did not stop within {STOP_S} s of {sig.name}") from None
        finally:
            self.reader.join(timeout=STOP_S)
            if self.process.stdout is not None:
                self.process.stdout.close()
        return status


def _start(tmp: Path) -> Started:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    console = tmp / "console.txt"
    with console.open("w") as sink:
        process = subprocess.Popen(  # noqa: S603
            [*INBOX, "demo", "--port", str(port), "--speed", "20"],
            env=_environment(tmp),
            stdout=subprocess.PIPE,
            stderr=sink,
            text=True,
        )
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))
        lines.put("")

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return Started(process, console, lines, reader)


def _folders(tmp: Path) -> list[Path]:
    return sorted(tmp.glob("inbox-demo-*"))


def _processes_in(folder: Path) -> list[str]:
    """Command lines of the processes that name `folder` (the database server names its data
    folder in its own)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # gone meanwhile
        if str(folder) in text:
            found.append(text)
    return found


@dataclass(frozen=True, slots=True)
class Demo:
    printed: list[str]
    url: str
    token: str
    curl: str
    folder: Path
    console: Path

    def get(self, path: str) -> Any:
        request = urllib.request.Request(  # noqa: S310 - loopback
            self.url + path.lstrip("/"), headers={"Authorization": f"Bearer {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            body = answer.read().decode()
        return body if path.startswith("/metrics") else json.loads(body)


def _announced(started: Started) -> Demo:
    """What the demo prints once it serves, up to its last line."""
    printed: list[str] = []
    deadline = time.monotonic() + START_S
    while not (printed and printed[-1].startswith("Ctrl-C stops")):
        try:
            line = started.lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            raise AssertionError(f"the demo printed only {printed}") from None
        if line == "" and started.process.poll() is not None:
            raise AssertionError(f"the demo ended: {started.console.read_text()}")
        printed.append(line)
    text = "\n".join(printed)
    url = re.search(r"inbox demo on (http://\S+/)", text)
    token = re.search(r"API token \([^)]*\): (\S+)", text)
    curl = next((line.strip() for line in printed if line.strip().startswith("curl ")), None)
    folder = re.search(r"deletes (\S+)\.$", text)
    assert url, text
    assert token, text
    assert curl, text
    assert folder, text
    return Demo(printed, url[1], token[1], curl, Path(folder[1]), started.console)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """One demo for the tests that only look at it."""
    started = _start(tmp_path_factory.mktemp("demo"))
    try:
        yield _announced(started)
    finally:
        started.stop()


def test_the_demo_prints_each_login_with_its_role_and_what_to_try(demo: Demo) -> None:
    logins = [
        re.match(r"\s+(\S+@demo\.example)\s+(\S+)\s+(.+?)\s{2,}(.+)$", line)
        for line in demo.printed
    ]
    table = {m[1]: (m[2], m[3], m[4]) for m in logins if m}
    assert len(table) == PEOPLE
    assert table["lea@demo.example"][1:] == (
        "lead, Support FR",
        "the dashboard and the SLA at risk",
    )
    assert table["sam@demo.example"][1] == "agent, Support EN"
    assert "press ? for the keys" in table["sam@demo.example"][2]
    assert table["ops@demo.example"][1:] == ("ops", "the incident of the day")
    assert table["admin@demo.example"][1:] == ("admin", "the admin pages")
    assert table["max@demo.example"][1:] == ("community member", "their page (opens on /)")
    assert len({password for password, _, _ in table.values()}) == PEOPLE


def test_the_printed_curl_line_reads_the_threads_while_the_demo_runs(demo: Demo) -> None:
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    assert demo.curl == (f'curl -H "Authorization: Bearer {demo.token}" {demo.url}api/v1/threads')
    answer = subprocess.run(  # noqa: S603
        shlex.split(demo.curl), capture_output=True, text=True, timeout=30, check=True
    )
    assert "items" in json.loads(answer.stdout)


def test_the_demo_logs_to_a_file_in_its_folder_and_only_warnings_to_the_console(
    demo: Demo,
) -> None:
    logged = [json.loads(line) for line in (demo.folder / "demo.log").read_text().splitlines()]
    assert any(entry.get("action") == "database_ready" for entry in logged)
    assert all(entry["level"] in {"warning", "error", "critical"} for entry in _console(demo))


def _console(demo: Demo) -> list[dict[str, Any]]:
    return [json.loads(line) for line in demo.console.read_text().splitlines() if line]


def _clocks(demo: Demo, thread_id: int) -> list[dict[str, Any]]:
    return list(demo.get(f"/api/v1/threads/{thread_id}/sla")["clocks"])


def _open_threads(demo: Demo) -> list[dict[str, Any]]:
    threads: list[dict[str, Any]] = []
    before = ""
    while True:
        page = demo.get(f"/api/v1/threads?status=new,open,pending&limit=200{before}")
        threads += page["items"]
        if page["next_before"] is None:
            return threads
        before = f"&before={page['next_before']}"


def _at_risk(clock: dict[str, Any]) -> bool:
    """Running, with under a quarter of its budget left."""
    return bool(
        clock["state"] == "running" and clock["business_minutes"] >= 0.75 * clock["target_minutes"]
    )


def _arrived_out_of_hours(clock: dict[str, Any]) -> bool:
    """Its business clock counts from an opening later than the message."""
    windows = clock["windows"]
    return bool(
        windows
        and datetime.fromisoformat(windows[0][0]) > datetime.fromisoformat(clock["started_at"])
    )


def _acknowledged_out_of_hours(thread: dict[str, Any], clock: dict[str, Any]) -> bool:
    """Arrived out of hours, still waiting for an answer, and a second message on the thread:
    the acknowledgement (an automated message, which never stops the clock)."""
    return bool(
        _arrived_out_of_hours(clock)
        and clock["stopped_at"] is None
        and thread["message_count"] >= 2
    )


def _metric(metrics: str, name: str) -> float:
    found = re.search(rf"^{name} (\S+)$", metrics, re.MULTILINE)
    return float(found[1]) if found else 0.0


def test_the_demos_first_minutes_show_risk_a_breach_an_out_of_hours_answer_and_an_incident(
    demo: Demo,
) -> None:
    promised = {"at risk", "breach", "out of hours, acknowledged", "breach event", "incident"}
    seen: set[str] = set()
    done: set[int] = set()  # threads that can show nothing more in these minutes
    deadline = time.monotonic() + FIRST_MINUTES_S
    while seen != promised and time.monotonic() < deadline:
        for thread in reversed(_open_threads(demo)):  # oldest first: written before the start
            if thread["id"] in done or {"at risk", "breach", "out of hours, acknowledged"} <= seen:
                continue
            done.add(thread["id"])
            for clock in _clocks(demo, thread["id"]):
                if _at_risk(clock):
                    seen.add("at risk")
                if clock["state"] in {"late", "breached"}:
                    seen.add("breach")
                if _acknowledged_out_of_hours(thread, clock):
                    seen.add("out of hours, acknowledged")
                elif _arrived_out_of_hours(clock):
                    done.discard(thread["id"])  # its acknowledgement may be on its way
        metrics = demo.get("/metrics")
        if _metric(metrics, "inbox_sla_breaches_total") >= 1:
            seen.add("breach event")
        if _metric(metrics, "inbox_incidents_open") >= 1:
            seen.add("incident")
        time.sleep(0.5)
    assert seen == promised, f"not shown in the first minutes: {sorted(promised - seen)}"


def test_the_day_plays_again_and_again_each_time_with_new_posts(demo: Demo) -> None:
    answered = {post.reply_to for post in SCRIPT}
    alone = next(post.text for n, post in enumerate(SCRIPT) if n not in answered)
    deadline = time.monotonic() + FIRST_MINUTES_S
    while len(played := [t for t in _open_threads(demo) if t["excerpt"] == alone]) < 2:
        assert time.monotonic() < deadline, "the day did not play a second time"
        time.sleep(0.5)
    # Each time a thread of its own, holding that post once.
    assert all(thread["message_count"] == 1 for thread in played)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_stopping_the_demo_removes_its_folder_and_stops_its_database_server(
    tmp_path: Path, sig: signal.Signals
) -> None:
    started = _start(tmp_path)
    try:
        demo = _announced(started)
        assert _processes_in(demo.folder), "the database server runs from the demo's folder"
    finally:
        status = started.stop(sig)
    assert status == 0, started.console.read_text()
    assert not _folders(tmp_path)
    assert not _processes_in(demo.folder)


def test_a_demo_stopped_while_it_sets_up_leaves_nothing_behind(tmp_path: Path) -> None:
    started = _start(tmp_path)
    try:
        deadline = time.monotonic() + START_S
        # The database server has started: the demo is seeding its workspace.
        while not any((f / "postgres" / "postmaster.pid").exists() for f in _folders(tmp_path)):
            assert started.process.poll() is None, started.console.read_text()
            assert time.monotonic() < deadline, "the demo's database never started"
            time.sleep(0.05)
        (folder,) = _folders(tmp_path)
    finally:
        status = started.stop()
    assert status == 0, started.console.read_text()
    assert not _folders(tmp_path)
    assert not _processes_in(folder)
