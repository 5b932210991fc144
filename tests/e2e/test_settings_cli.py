"""`inbox sla set` and `inbox routing set` as an operator runs them: a refused document names
the field, exits with status 2, prints no traceback and leaves what was in force."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.test_cli import env_with, run

pytestmark = pytest.mark.integration

OFFICE = {"tz": "Europe/Paris", "weekly": {"mon": [["09:00", "19:00"]]}}
POLICIES = {"policies": {"office": {"name": "office", "calendar": "office"}}, "default": "office"}


def refused(args: list[str], env: dict[str, str], said: str) -> None:
    result = run(*args, env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert said in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_sla_set_refuses_bad_settings_naming_the_field_and_keeps_those_in_force(
    database_dsn: str, tmp_path: Path
) -> None:
    env = env_with(DATABASE_URL=database_dsn)
    settings = tmp_path / "sla.json"
    settings.write_text(json.dumps({"calendars": {"office": OFFICE}, "policies": POLICIES}))
    assert run("sla", "set", str(settings), env=env).returncode == 0
    closed = {**OFFICE, "weekly": {}}
    settings.write_text(json.dumps({"calendars": {"office": closed}, "policies": POLICIES}))
    refused(["sla", "set", str(settings)], env, "calendars.office: not open at any time")
    huge = {
        "policies": {"office": {"name": "office", "calendar": "office",
                                "targets": {"first_response": 35_791_395}}},
        "default": "office",
    }  # fmt: skip
    settings.write_text(json.dumps({"calendars": {"office": OFFICE}, "policies": huge}))
    refused(["sla", "set", str(settings)], env, "policies.office.targets.first_response")
    settings.write_text('{"calendars": ' + "[" * 3000 + "]" * 3000 + "}")
    refused(["sla", "set", str(settings)], env, "nested more than 32 levels deep")
    settings.write_text('{"calendars": {}, "policies": {"default": NaN}}')
    refused(["sla", "set", str(settings)], env, "NaN is not a number JSON allows")
    shown = json.loads(run("sla", "show", env=env).stdout)
    assert (shown["version"], shown["calendars"]) == (1, {"office": OFFICE})


def test_routing_set_refuses_non_finite_weights_and_deep_nesting_naming_the_field(
    database_dsn: str, tmp_path: Path
) -> None:
    env = env_with(DATABASE_URL=database_dsn)
    as_json = tmp_path / "routing.json"
    as_json.write_text('{"lexicon": {"cues": {"fr": {"complaint": {"panne": NaN}}}}}')
    refused(["routing", "set", str(as_json)], env, "NaN is not a number JSON allows")
    as_yaml = tmp_path / "routing.yaml"
    as_yaml.write_text("lexicon:\n  cues:\n    fr:\n      complaint:\n        panne: .inf\n")
    refused(["routing", "set", str(as_yaml)], env, "lexicon.cues.fr.complaint.panne: inf")
    as_yaml.write_text("rules: " + "[" * 3000 + "]" * 3000)
    refused(["routing", "set", str(as_yaml)], env, "nested more than 32 levels deep")
    assert json.loads(run("routing", "show", env=env).stdout)["version"] == 0
