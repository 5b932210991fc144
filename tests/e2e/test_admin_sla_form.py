"""SLA policies and their rules edited through fields on /admin/sla, over real HTTP: listed
with their targets, calendar, warning share and the rules choosing them; added, edited,
renamed and removed one at a time; refused forms come back as typed, naming the field,
through the same checks as the JSON document (which stays, for the API and the CLI)."""

from __future__ import annotations

import html as markup
import re
from html.parser import HTMLParser
from typing import Any

import pytest

from inbox.domain.people import Role
from inbox.store.database import Database
from inbox.usecases.services import Services
from sla.policy import PolicyBook
from tests.e2e.site import session_of
from tests.e2e.test_admin_pages import page, person, post, refused

pytestmark = pytest.mark.integration

LEAD = "lea@example.com"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
CALENDARS: dict[str, object] = {
    "office": {"tz": "Europe/Paris", "weekly": {d: [["09:00", "18:00"]] for d in WEEKDAYS}},
    "always": {"tz": "UTC", "weekly": {d: [["00:00", "24:00"]] for d in (*WEEKDAYS, "sat", "sun")}},
    # Open one hour a week: some targets can never be used up on it.
    "sparse": {"tz": "UTC", "weekly": {"mon": [["09:00", "10:00"]]}},
}


@pytest.fixture
def base(client: tuple[object, str]) -> str:
    return client[1]


@pytest.fixture
async def billing(services: Services, db: Database, workspace_id: int) -> int:
    """A lead logged in later, and a team named Billing (its id)."""
    await person(services, db, workspace_id, LEAD, Role.LEAD)
    async with db.connection() as conn:
        team_id: int = await conn.fetchval(
            "INSERT INTO team (workspace_id, name) VALUES ($1, 'Billing') RETURNING id",
            workspace_id,
        )
    book: dict[str, object] = {
        "policies": {
            "standard": {"name": "standard", "calendar": "office"},
            "urgent": {
                "name": "urgent",
                "calendar": "always",
                "targets": {"first_response": 30, "next_response": 45, "resolution": 480},
                "by_priority": {"urgent": {"first_response": 15, "next_response": 20}},
                "warn_at": 0.5,
                "out_of_hours_acknowledgement": True,
            },
        },
        "rules": [
            {"when": {"priorities": ["urgent", "high"]}, "policy": "urgent"},
            {"when": {"team_ids": [team_id], "vip": True, "networks": ["x"]}, "policy": "urgent"},
        ],
        "default": "standard",
    }
    await services.sla_settings(workspace_id, CALENDARS, book)
    return team_id


def _policy_form(**changes: str) -> dict[str, str]:
    form = {
        "original": "",
        "name": "vip care",
        "calendar": "office",
        "first_response": "20",
        "next_response": "40",
        "resolution": "",
        "warn_percent": "80",
        "urgent_first_response": "5",
    }
    form.update(changes)
    return form


async def _book(services: Services, workspace_id: int) -> dict[str, Any]:
    return (await services.sla_settings.current(workspace_id)).policies


def _text(html: str) -> str:
    """What the page reads as, tags aside."""
    words = " ".join(markup.unescape(re.sub(r"<[^>]+>", " ", html)).split())
    return re.sub(r" ([.,;:])", r"\1", words)


async def test_policies_are_listed_with_their_targets_calendar_warning_and_rules(
    base: str, billing: int
) -> None:
    async with session_of(base, LEAD) as lead:
        status, html = await page(lead, f"{base}/admin/sla")
    assert status == 200
    words = _text(html)
    assert "standard default" in words
    assert "Counts in the calendar always; warns at 50% of a target. Chosen by rule 1, 2." in words
    # Targets of its own are whole: no resolution target at that priority unless set there.
    assert "urgent (its own) 15 min 20 min none" in words
    assert "high 30 min 45 min 480 min" in words
    assert "every priority 60 min 60 min none" in words  # standard: the defaults
    assert "Acknowledges messages that arrive out of hours." in words
    assert "When priority high or urgent: urgent." in words
    assert "When on x, team Billing, VIP customers: urgent." in words
    assert "Otherwise: standard (the default policy)." in words
    assert '<option value="office" selected>office</option>' in html  # the calendars' select
    assert f'name="teams" value="{billing}"' in html  # the teams' choices
    assert '<textarea name="document"' in html  # the document stays, under Advanced


async def test_a_policy_is_added_through_its_fields(
    base: str, billing: int, services: Services, workspace_id: int
) -> None:
    sla = f"{base}/admin/sla"
    async with session_of(base, LEAD) as lead:
        status, where, _ = await post(lead, f"{sla}/policies", _policy_form(), sla)
        assert (status, where) == (303, "/admin/sla?notice=replanned")
    added = (await _book(services, workspace_id))["policies"]["vip care"]
    assert added == {
        "name": "vip care",
        "calendar": "office",
        "targets": {"first_response": 20, "next_response": 40},
        "warn_at": 0.8,
        # a priority's targets left empty are the policy's own
        "by_priority": {"urgent": {"first_response": 5, "next_response": 40}},
    }
    assert (await _book(services, workspace_id))["default"] == "standard"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"first_response": "0"}, "first response"),
        ({"next_response": "ten"}, "next response"),
        ({"resolution": "999999999999999999999"}, "resolution"),
        ({"high_resolution": "-5"}, "high resolution"),
        ({"warn_percent": "100"}, "warning at"),
        ({"warn_percent": "½"}, "warning at"),
        ({"name": "  "}, "name"),
        ({"name": "standard"}, "name"),
        ({"calendar": "nowhere"}, "calendar"),
        ({"calendar": ""}, "calendar"),
        # the whole book's checks, as for the document: this target is never used up
        ({"calendar": "sparse", "first_response": "129600"}, "policies.vip care.targets"),
    ],
)
async def test_a_refused_policy_comes_back_as_typed_naming_the_field(
    base: str,
    billing: int,
    services: Services,
    workspace_id: int,
    changes: dict[str, str],
    field: str,
) -> None:
    sla = f"{base}/admin/sla"
    before = await _book(services, workspace_id)
    async with session_of(base, LEAD) as lead:
        status, _, html = await post(lead, f"{sla}/policies", _policy_form(**changes), sla)
    assert status == 400, html[:300]
    assert re.search(rf"<strong>{re.escape(field)}[^<]*</strong>", html)
    typed = _policy_form(**changes)
    assert f'value="{markup.escape(typed["name"])}"' in html  # the form as it was typed
    assert re.search(rf'name="warn_percent"[^>]*value="{re.escape(typed["warn_percent"])}"', html)
    assert "<details open><summary>Add a policy</summary>" in html
    assert await _book(services, workspace_id) == before


async def test_renaming_a_policy_carries_its_rules_and_the_default(
    base: str, billing: int, services: Services, workspace_id: int
) -> None:
    sla = f"{base}/admin/sla"
    async with session_of(base, LEAD) as lead:
        for original, name in (("urgent", "fast lane"), ("standard", "office hours")):
            form = _policy_form(original=original, name=name, calendar="always")
            status, _, _ = await post(lead, f"{sla}/policies", form, sla)
            assert status == 303
    book = await _book(services, workspace_id)
    assert sorted(book["policies"]) == ["fast lane", "office hours"]
    assert [rule["policy"] for rule in book["rules"]] == ["fast lane", "fast lane"]
    assert book["default"] == "office hours"


async def test_the_default_and_a_policy_rules_choose_cannot_be_removed_others_can(
    base: str, billing: int, services: Services, workspace_id: int
) -> None:
    sla = f"{base}/admin/sla"
    async with session_of(base, LEAD) as lead:
        html = refused(
            await post(lead, f"{sla}/policies/remove", {"policy": "standard"}, sla), "policy"
        )
        assert "the default policy" in html
        html = refused(
            await post(lead, f"{sla}/policies/remove", {"policy": "urgent"}, sla), "policy"
        )
        assert "chosen by rules 1, 2" in html
        assert (await post(lead, f"{sla}/policies", _policy_form(), sla))[0] == 303
        status, _, _ = await post(lead, f"{sla}/policies/remove", {"policy": "vip care"}, sla)
        assert status == 303
        status, _, _ = await post(lead, f"{sla}/policies/remove", {"policy": "nobody"}, sla)
        assert status == 404
        # Made the default elsewhere, the old default can go.
        form = _policy_form(original="urgent", name="urgent", calendar="always", default="1")
        assert (await post(lead, f"{sla}/policies", form, sla))[0] == 303
        status, _, _ = await post(lead, f"{sla}/policies/remove", {"policy": "standard"}, sla)
        assert status == 303
    book = await _book(services, workspace_id)
    assert (sorted(book["policies"]), book["default"]) == (["urgent"], "urgent")


async def test_rules_are_added_edited_moved_and_removed_through_choices(
    base: str, billing: int, services: Services, workspace_id: int
) -> None:
    sla = f"{base}/admin/sla"
    rule = {
        "kinds": ["complaint", "question"],
        "networks": ["mastodon"],
        "teams": [str(billing)],
        "vip": "no",
        "policy": "standard",
        "position": "1",
    }
    async with session_of(base, LEAD) as lead:
        assert (await post(lead, f"{sla}/rules", rule, sla))[0] == 303
        rules = (await _book(services, workspace_id))["rules"]
        assert rules[0] == {
            "when": {
                "kinds": ["complaint", "question"],
                "networks": ["mastodon"],
                "team_ids": [billing],
                "vip": False,
            },
            "policy": "standard",
        }
        assert len(rules) == 3
        _, html = await page(lead, sla)
        described = (
            "kind complaint or question, on mastodon, team Billing, customers who are not VIPs"
        )
        assert f"When {described}: standard." in _text(html)

        # Rule 1 edited: any kind now, and moved last.
        edited = {"number": "1", "priorities": ["low"], "policy": "urgent", "position": "3"}
        assert (await post(lead, f"{sla}/rules", edited, sla))[0] == 303
        rules = (await _book(services, workspace_id))["rules"]
        assert rules[2] == {"when": {"priorities": ["low"]}, "policy": "urgent"}
        assert rules[0]["when"] == {"priorities": ["urgent", "high"]}  # untouched

        assert (await post(lead, f"{sla}/rules/remove", {"number": "3"}, sla))[0] == 303
        assert len((await _book(services, workspace_id))["rules"]) == 2
        assert (await post(lead, f"{sla}/rules/remove", {"number": "9"}, sla))[0] == 404


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"teams": ["999999"]}, "teams"),
        ({"teams": ["billing"]}, "teams"),
        ({"kinds": ["rant"]}, "kinds"),
        ({"priorities": ["asap"]}, "priorities"),
        ({"networks": ["myspace"]}, "networks"),
        ({"vip": "maybe"}, "VIP"),
        ({"policy": "nobody"}, "policy"),
        ({"policy": ""}, "policy"),
        ({"position": "7"}, "position"),
        ({"position": "first"}, "position"),
    ],
)
async def test_a_refused_rule_comes_back_as_typed_naming_the_field(
    base: str,
    billing: int,
    services: Services,
    workspace_id: int,
    changes: dict[str, Any],
    field: str,
) -> None:
    sla = f"{base}/admin/sla"
    before = await _book(services, workspace_id)
    rule = {"kinds": ["complaint"], "networks": ["x"], "policy": "urgent", **changes}
    async with session_of(base, LEAD) as lead:
        html = refused(await post(lead, f"{sla}/rules", rule, sla), field)
    assert "<details open><summary>Add a rule</summary>" in html
    kept = "networks" if "kinds" in changes else "kinds"  # what was ticked, ticked again
    assert f'name="{kept}" value="{rule[kept][0]}" checked' in html
    assert await _book(services, workspace_id) == before


class _Forms(HTMLParser):
    """Each form's fields as a browser would send them unchanged: (its buttons' texts, the
    fields)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[list[str], dict[str, list[str]]]] = []
        self._select: str | None = None
        self._button = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(([], {}))
        elif not self.forms:
            return
        fields = self.forms[-1][1]
        if tag == "input" and a.get("type") in ("checkbox", "radio"):
            if "checked" in a:
                fields.setdefault(a["name"], []).append(a["value"])
        elif tag == "input" and "name" in a:
            fields.setdefault(a["name"], []).append(a.get("value", ""))
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            fields.setdefault(self._select, []).append(a.get("value", ""))
        elif tag == "button":
            self._button = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "button":
            self._button = False

    def handle_data(self, data: str) -> None:
        if self._button and self.forms:
            self.forms[-1][0].append(data.strip())


def _form_of(html: str, button: str) -> dict[str, list[str]]:
    forms = _Forms()
    forms.feed(html)
    (fields,) = [fields for buttons, fields in forms.forms if button in buttons]
    return {name: values for name, values in fields.items() if name != "csrf"}


@pytest.mark.parametrize("policy", ["standard", "urgent"])
async def test_a_policy_saved_as_shown_is_unchanged(
    base: str, billing: int, services: Services, workspace_id: int, policy: str
) -> None:
    sla = f"{base}/admin/sla"
    before = await _book(services, workspace_id)
    async with session_of(base, LEAD) as lead:
        _, html = await page(lead, sla)
        form = _form_of(html, f"Save {policy}")
        assert (await post(lead, f"{sla}/policies", form, sla))[0] == 303
        _, html = await page(lead, sla)
        for number in (1, 2):
            rule = _form_of(html, f"Save rule {number}")
            assert (await post(lead, f"{sla}/rules", rule, sla))[0] == 303
    after = await _book(services, workspace_id)
    # The form writes every target out (the engine's defaults made explicit): the same book.
    assert PolicyBook.model_validate(after) == PolicyBook.model_validate(before)
