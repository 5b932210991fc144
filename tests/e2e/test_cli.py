"""The `inbox` command as a user runs it: real processes, real servers, real HTTP."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from inbox.store.secret_box import SecretBox
from tests.shared_data import require_shared_data

pytestmark = pytest.mark.integration

INBOX = [sys.executable, "-m", "inbox.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def env_with(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INBOX_")}
    env.pop("DATABASE_URL", None)
    env.update(values)
    return env


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [*INBOX, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def wait_for_health(
    port: int, process: subprocess.Popen[str], deadline_s: float = 60
) -> dict[str, str]:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"inbox serve exited early: {process.stderr.read() if process.stderr else ''}"
            )
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                return {"status": str(answer.status), "body": answer.read().decode()}
        except OSError:
            time.sleep(0.1)
    raise AssertionError("inbox serve did not answer /healthz in time")


@pytest.fixture
def serve_process() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)  # reaps it and closes its pipes


def test_serve_on_the_embedded_default_answers_healthz_and_stops_its_server(
    tmp_path: Path, serve_process: list[subprocess.Popen[str]]
) -> None:
    data_dir = tmp_path / "pgdata"
    port = free_port()
    env = env_with(INBOX_DATA_DIR=str(data_dir), INBOX_PORT=str(port))
    process = subprocess.Popen(  # noqa: S603
        [*INBOX, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    serve_process.append(process)
    health = wait_for_health(port, process)
    assert health["status"] == "200"
    assert json.loads(health["body"])["parts"]["database"]["status"] == "ok"
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=60)
    assert process.returncode == 0
    assert (data_dir / "PG_VERSION").exists(), "the data folder is kept for the next start"
    assert not (data_dir / "postmaster.pid").exists(), "the embedded server was stopped"


def test_serve_names_a_port_in_use(database_dsn: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = env_with(DATABASE_URL=database_dsn, INBOX_SECRET_KEY=SecretBox.new_key())
        result = run("serve", "--port", str(port), env=env)
    assert result.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr


def test_a_bad_database_url_is_named_without_echoing_it() -> None:
    result = run("migrate", env=env_with(DATABASE_URL="mysql://root:hunter2@db/inbox"))
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr or "database_url" in result.stderr
    assert "hunter2" not in result.stderr


def test_an_unreachable_server_is_reported_clearly() -> None:
    port = free_port()  # nothing listens there
    result = run(
        "migrate", env=env_with(DATABASE_URL=f"postgresql://inbox:s3cret@127.0.0.1:{port}/inbox")
    )
    assert result.returncode == 2
    assert "cannot reach the PostgreSQL server" in result.stderr
    assert "s3cret" not in result.stderr


def test_ingest_stores_every_tweet_of_a_page_file_once(database_dsn: str) -> None:
    brexit = require_shared_data("x", "twarc", "brexit.jsonl")
    env = env_with(DATABASE_URL=database_dsn)
    first = run("ingest", str(brexit), env=env)
    assert first.returncode == 0, first.stderr
    assert "brexit.jsonl: 100 mentions added, 0 already stored, 0 quarantined" in first.stdout
    second = run("ingest", str(brexit), env=env)
    assert second.returncode == 0, second.stderr
    assert "brexit.jsonl: nothing new after line" in second.stdout
    assert "0 mentions added, 0 already stored" in second.stdout


def test_ingest_quarantines_a_truncated_stream_line_and_keeps_the_rest(
    database_dsn: str,
) -> None:
    stream = require_shared_data("x", "twarc", "streaming_output_with_error.jsonl")
    complete_lines = sum(1 for line in stream.read_bytes().splitlines() if line.strip()) - 1
    result = run("ingest", str(stream), env=env_with(DATABASE_URL=database_dsn))
    assert result.returncode == 0, result.stderr
    assert f"{complete_lines} mentions added" in result.stdout
    assert "1 quarantined" in result.stdout


def test_ingest_of_a_missing_file_says_so(database_dsn: str, tmp_path: Path) -> None:
    result = run("ingest", str(tmp_path / "nope.jsonl"), env=env_with(DATABASE_URL=database_dsn))
    assert result.returncode == 2
    assert "nope.jsonl does not exist" in result.stderr


def test_connect_x_reads_credentials_from_the_environment_and_never_prints_them(
    database_dsn: str, tmp_path: Path
) -> None:
    env = env_with(
        DATABASE_URL=database_dsn,
        INBOX_SECRET_KEY_FILE=str(tmp_path / "secret.key"),
        X_BEARER_TOKEN="bearer-s3cret",
    )
    args = ("connect", "x", "--user-id", "783214", "--handle", "@AcmeSupport", "--search", "acme")
    result = run(*args, env=env)
    assert result.returncode == 0, result.stderr
    assert "x account @AcmeSupport (783214) connected: it can read mentions only" in result.stdout
    assert "bearer-s3cret" not in result.stdout + result.stderr


def test_connect_x_without_credentials_names_the_variables(database_dsn: str) -> None:
    result = run(
        "connect", "x", "--user-id", "1", "--handle", "a", env=env_with(DATABASE_URL=database_dsn)
    )
    assert result.returncode == 2
    assert "X_BEARER_TOKEN" in result.stderr


def test_sla_settings_are_set_from_a_file_and_shown(database_dsn: str, tmp_path: Path) -> None:
    env = env_with(DATABASE_URL=database_dsn)
    settings = tmp_path / "sla.json"
    settings.write_text(
        '{"calendars": {"office": {"tz": "Europe/Paris", "weekly": {"mon": [["09:00", "19:00"]]}}},'
        ' "policies": {"policies": {"office": {"name": "office", "calendar": "office"}},'
        ' "default": "office"}}',
        encoding="utf-8",
    )
    saved = run("sla", "set", str(settings), env=env)
    assert saved.returncode == 0, saved.stderr
    assert "SLA settings version 1 saved" in saved.stdout
    shown = run("sla", "show", env=env)
    assert '"tz": "Europe/Paris"' in shown.stdout
    settings.write_text('{"calendars": {"x": {"tz": "Mars/Base", "weekly": {}}}, "policies": {}}')
    refused = run("sla", "set", str(settings), env=env)
    assert refused.returncode == 2
    assert "unknown time zone 'Mars/Base'" in refused.stderr


def test_sla_check_passes_the_recorded_golden_cases() -> None:
    cases = require_shared_data("sla", "cases.json")
    result = run("sla", "check", str(cases), env=env_with())
    lines = result.stdout.splitlines()
    assert result.returncode == 0, result.stdout
    assert lines[-1] == "41 passed, 0 failed"
    assert len(lines) == 42
    assert all(line.startswith("PASS ") for line in lines[:-1])


def test_sla_check_fails_a_wrong_expectation_with_exit_code_1(tmp_path: Path) -> None:
    office = {"tz": "Europe/Paris", "weekly": {"mon": [["09:00", "18:00"]]}}
    cases = tmp_path / "cases.json"
    cases.write_text(
        json.dumps(
            {
                "cases": [
                    {
                        "id": "monday-morning",
                        "calendar": office,
                        "arrived_at": "2024-01-15T09:00:00+01:00",
                        "target_minutes": 60,
                        "expected_deadline": "2024-01-15T09:00:00Z",
                    },
                    {
                        "id": "wrong",
                        "calendar": office,
                        "arrived_at": "2024-01-15T09:00:00+01:00",
                        "target_minutes": 60,
                        "expected_deadline": "2024-01-15T10:00:00Z",
                    },
                ]
            }
        )
    )
    result = run("sla", "check", str(cases), env=env_with())
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "PASS monday-morning",
        "FAIL wrong: expected deadline 2024-01-15T10:00:00Z, got 2024-01-15T09:00:00Z",
        "1 passed, 1 failed",
    ]


def test_sla_check_names_an_unreadable_file(tmp_path: Path) -> None:
    cases = tmp_path / "cases.json"
    cases.write_text("{not json")
    result = run("sla", "check", str(cases), env=env_with())
    assert result.returncode == 2
    assert "cases.json" in result.stderr
    assert "not a readable JSON file" in result.stderr


def test_agents_and_webhooks_are_managed_and_a_webhook_secret_is_shown_once(
    database_dsn: str, tmp_path: Path
) -> None:
    env = env_with(DATABASE_URL=database_dsn, INBOX_SECRET_KEY_FILE=str(tmp_path / "key"))
    saved = run(
        "agent",
        "add",
        "Lea@Example.com",
        "--name",
        "Léa",
        "--role",
        "lead",
        "--team",
        "care",
        env=env,
    )
    assert saved.returncode == 0, saved.stderr
    assert "lea@example.com" in saved.stdout
    assert "teams care" in saved.stdout
    bad = run("agent", "add", "not-an-address", "--name", "X", env=env)
    assert bad.returncode == 2
    assert "not an e-mail address" in bad.stderr

    added = run(
        "webhook",
        "add",
        "https://hooks.example.com/T0/s3cret-path",
        "--event",
        "sla.breach",
        env=env,
    )
    assert added.returncode == 0, added.stderr
    secret = added.stdout.split("signing secret (shown once): ")[1].strip()
    assert "s3cret-path" not in added.stdout
    listed = run("webhook", "list", env=env)
    assert listed.stdout.split("\t")[:3] == ["1", "https://hooks.example.com/…", "sla.breach"]
    assert secret not in listed.stdout
    refused = run("webhook", "add", "ftp://example.com", env=env)
    assert refused.returncode == 2
    assert "http" in refused.stderr
    assert run("webhook", "remove", "1", env=env).returncode == 0
    assert run("webhook", "remove", "1", env=env).returncode == 2


def test_classify_answers_each_json_line_in_order_and_names_unreadable_ones(
    tmp_path: Path,
) -> None:
    lines = [
        json.dumps({"text": "@Fibrea toujours pas de connexion, c'est inadmissible"}),
        "{not json",
        json.dumps({"text": "thank you so much for the quick fix", "lang": "en"}),
        json.dumps({"message": "no text field"}),
    ]
    source = tmp_path / "texts.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("classify", str(source), env=env_with())
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 1
    assert "2 lines could not be classified" in result.stderr
    assert [a.get("kind") for a in answers] == ["complaint", None, "praise", None]
    assert answers[0]["language"] == "fr"
    assert set(answers[0]) == {
        "kind", "language", "urgency", "topics", "personal_data", "suggest_private_message",
        "reasons",
    }  # fmt: skip
    assert answers[1]["error"].startswith("line 2 is not JSON")
    assert answers[3]["error"] == "line 4 has no 'text' string"


def test_classify_reads_standard_input_with_a_workspace_lexicon(tmp_path: Path) -> None:
    lexicon = tmp_path / "lexicon.json"
    lexicon.write_text(json.dumps({"topics": {"roaming": ["roaming"]}}), encoding="utf-8")
    result = subprocess.run(  # noqa: S603
        [*INBOX, "classify", "--lexicon", str(lexicon)],
        input=json.dumps({"text": "@Fibrea roaming charges are a rip-off", "lang": "en"}),
        env=env_with(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["kind"] == "complaint"
    assert "roaming" in answer["topics"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"cues": {"en": {"anger": ["grr"]}}}), encoding="utf-8")
    refused = run("classify", "--lexicon", str(bad), env=env_with())
    assert refused.returncode == 2
    assert "unknown groups" in refused.stderr


def test_routing_is_set_from_yaml_and_a_typo_is_named(database_dsn: str, tmp_path: Path) -> None:
    env = env_with(DATABASE_URL=database_dsn)
    document = tmp_path / "routing.yaml"
    document.write_text(
        "settings:\n"
        "  reassign_after_minutes: 20\n"
        "rules:\n"
        "  - name: billing\n"
        "    when: {topics_any: [billing]}\n"
        "    then: {team: Finance, tags: [billing]}\n",
        encoding="utf-8",
    )
    saved = run("routing", "set", str(document), env=env)
    assert saved.returncode == 0, saved.stderr
    assert "routing version 1 saved" in saved.stdout
    shown = json.loads(run("routing", "show", env=env).stdout)
    assert shown["rules"]["rules"][0]["name"] == "billing"
    assert shown["settings"] == {"reassign_after_minutes": 20}
    document.write_text("rules:\n  - name: billing\n    when: {topic_any: [billing]}\n")
    refused = run("routing", "set", str(document), env=env)
    assert refused.returncode == 2
    assert "rule 1 ('billing')" in refused.stderr
    assert "topics_any" in refused.stderr  # the likely intended field is suggested


def test_the_demo_fills_the_inbox_live_from_the_fake_networks(tmp_path: Path) -> None:
    port = free_port()
    env = env_with(INBOX_LOG_LEVEL="WARNING", TMPDIR=str(tmp_path))
    log = (tmp_path / "demo.log").open("w")
    process = subprocess.Popen(  # noqa: S603
        [*INBOX, "demo", "--port", str(port), "--speed", "20"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        wait_for_health(port, process, deadline_s=120)
        assert process.stdout is not None
        logins = {}
        while len(logins) < 8:
            line = process.stdout.readline()
            assert line, "the demo stopped before printing its logins"
            found = re.match(r"\s+(\S+@demo\.example)\s+(\S+)", line)
            if found:
                logins[found.group(1)] = found.group(2)
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        form = urllib.parse.urlencode(
            {"email": "sam@demo.example", "password": logins["sam@demo.example"]}
        ).encode()
        opener.open(f"http://127.0.0.1:{port}/login", data=form, timeout=10).read()
        deadline = time.monotonic() + 90  # a guard against hanging, not a measure
        page = ""
        while time.monotonic() < deadline:
            with opener.open(f"http://127.0.0.1:{port}/inbox?view=all", timeout=10) as answer:
                page = answer.read().decode()
            if page.count('data-thread="') >= 3 and all(
                f'class="net net-{network}"' in page for network in ("x", "mastodon", "bluesky")
            ):
                break
            time.sleep(0.5)
        assert page.count('data-thread="') >= 3, "no threads reached the inbox"
        assert "camille_lyon" in page or "sarah_k" in page
        # The fake Mastodon instance and Bluesky service feed the same inbox.
        assert 'class="net net-mastodon"' in page
        assert 'class="net net-bluesky"' in page
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
        log.close()
