"""Workspace preferences: the CRM link template checked and filled, comparisons off by default,
stored per workspace and read through Services by any page."""

from __future__ import annotations

import pytest

from inbox.domain.errors import ConfigurationError, PermissionDeniedError
from inbox.domain.people import Role
from inbox.domain.workspace_settings import WorkspacePreferences, checked_crm_url_template
from inbox.usecases.services import Services

TEMPLATE = "https://crm.example.com/customers/{crm_id}"


def test_the_crm_id_is_url_encoded_into_the_template() -> None:
    preferences = WorkspacePreferences.checked(TEMPLATE, agent_comparisons=False)
    assert preferences.crm_url("42") == "https://crm.example.com/customers/42"
    assert preferences.crm_url("a/b?c=1&d#e") == (
        "https://crm.example.com/customers/a%2Fb%3Fc%3D1%26d%23e"
    )
    assert preferences.crm_url(None) is None
    assert WorkspacePreferences().crm_url("42") is None


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("https://crm.example.com/customers/", "must contain {crm_id}"),
        ("http://crm.example.com/{crm_id}", "https://"),
        ("javascript:alert({crm_id})", "absolute URL"),
        ("https://{crm_id}.example.com/", "not the host"),
        ("https://crm{crm_id}/", "not the host"),
        ("https://user:pw@crm.example.com/{crm_id}", "user or password"),
        ("https://crm.example.com/{crm_id}/{other}", "only placeholder"),
        ("https://crm.example.com/ {crm_id}", "spaces"),
        ("https://crm.example.com/\ud800{crm_id}", "control characters"),
    ],
)
def test_a_bad_crm_template_is_refused_naming_the_field(template: str, reason: str) -> None:
    with pytest.raises(ConfigurationError) as refused:
        checked_crm_url_template(template)
    assert refused.value.setting == "crm_url_template"
    assert reason in refused.value.reason


def test_http_is_accepted_on_loopback_only_and_empty_means_no_link() -> None:
    assert checked_crm_url_template("http://127.0.0.1:8000/c/{crm_id}")
    assert checked_crm_url_template("http://localhost/c/{crm_id}")
    assert checked_crm_url_template("  ") is None


@pytest.mark.integration
async def test_preferences_default_off_and_only_admins_change_them(
    services: Services, workspace_id: int
) -> None:
    preferences = services.workspace_preferences

    async def save_as(role: Role) -> WorkspacePreferences:
        return await preferences.save(
            workspace_id, crm_url_template=TEMPLATE, agent_comparisons=True, roles={role}
        )

    assert await preferences.load(workspace_id) == WorkspacePreferences(None, False)
    with pytest.raises(PermissionDeniedError):
        await save_as(Role.LEAD)
    assert await save_as(Role.ADMIN) == WorkspacePreferences(TEMPLATE, True)
    assert await preferences.load(workspace_id) == WorkspacePreferences(TEMPLATE, True)
    assert await preferences.load(workspace_id + 1) == WorkspacePreferences()
