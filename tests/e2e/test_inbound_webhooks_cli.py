"""Inbound webhook sources as an admin configures them: `inbox webhook-source` and `inbox serve`,
real processes, real HTTP."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from connectors.webhooks.inbound_generic import signed_headers
from inbox.store.secret_box import SecretBox

pytestmark = pytest.mark.integration

INBOX = [sys.executable, "-m", "inbox.cli"]
APP_SECRET = "0123456789abcdef0123456789abcdef"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [*INBOX, *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def request(
    url: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, str]:
    call = urllib.request.Request(url, data=body, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(call, timeout=10) as answer:  # noqa: S310 (loopback)
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def ready(port: int) -> bool:
    try:
        return request(f"http://127.0.0.1:{port}/healthz")[0] == 200
    except OSError:
        return False


def test_an_admin_adds_sources_and_the_served_inbox_accepts_their_deliveries(
    database_dsn: str,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INBOX_")}
    env.update(DATABASE_URL=database_dsn, INBOX_SECRET_KEY=SecretBox.new_key())
    added = run("webhook-source", "add", "shop", "--kind", "generic", env=env)
    assert added.returncode == 0, added.stderr
    assert "/api/v1/inbound/default/shop" in added.stdout
    found = re.search(r"signing secret \(shown once\): (\S+)", added.stdout)
    assert found is not None
    secret = found[1]
    meta = run(
        "webhook-source",
        "add",
        "acme-meta",
        "--kind",
        "meta",
        "--page-id",
        "104000000000001",
        "--page-name",
        "Acme Support",
        env=env,
        stdin=f"{APP_SECRET}\nlet-me-in-please\n\n",
    )
    assert meta.returncode == 0, meta.stderr
    assert "receive only" in meta.stdout
    twice = run("webhook-source", "add", "shop", "--kind", "generic", env=env)
    assert twice.returncode == 2
    assert "already has a source 'shop'" in twice.stderr
    listed = run("webhook-source", "list", env=env)
    assert listed.stdout.splitlines() == [
        "acme-meta\tmeta\t/api/v1/inbound/default/acme-meta\treceive only",
        "shop\tgeneric\t/api/v1/inbound/default/shop\treceive only",
    ]
    assert APP_SECRET not in listed.stdout + meta.stdout
    assert secret not in listed.stdout

    port = free_port()
    server = subprocess.Popen(  # noqa: S603
        [*INBOX, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}/api/v1/inbound/default"
    try:
        deadline = time.monotonic() + 60
        while not ready(port):
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            assert time.monotonic() < deadline, "inbox serve did not start"
            time.sleep(0.2)
        query = urllib.parse.urlencode(
            {"hub.mode": "subscribe", "hub.verify_token": "let-me-in-please", "hub.challenge": "42"}
        )
        assert request(f"{base}/acme-meta?{query}") == (200, "42")
        body = json.dumps(
            {
                "id": "m-1",
                "author": {"id": "c-1", "handle": "jane"},
                "text": "My order never arrived",
                "created_at": datetime.now(UTC).isoformat(),
            }
        ).encode()
        headers = signed_headers(SecretStr(secret), body, datetime.now(UTC))
        status, answer = request(f"{base}/shop", body, headers)
        assert status == 200, answer
        assert json.loads(answer)["added"] == 1
        removed = run("webhook-source", "remove", "shop", env=env)
        assert removed.returncode == 0, removed.stderr
        assert request(f"{base}/shop", body, headers)[0] == 404
    finally:
        server.terminate()
        server.wait(timeout=30)
        if server.stderr is not None:
            server.stderr.close()
