"""SLA policies and their rules through fields (leads and admins), on the SLA page beside the
whole policy book as a document (web.admin.documents). A refused form comes back as typed,
the error naming its field; every save re-plans the running clocks."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from inbox.usecases.admin_sla_forms import CLOCKS, PRIORITIES, PolicyForm, RuleForm
from web.admin.common import admin, fields, text, texts, ticked
from web.admin.documents import SLA

FLAGS = (
    "community_answers_count",
    "out_of_hours_acknowledgement",
    "suspend_during_major_incidents",
    "default",
)
CHOICES = ("kinds", "priorities", "networks", "teams")


def _typed_policy(form: MultiDictProxy[Any]) -> dict[str, Any]:
    """What was typed, under the fields' names, for the form to come back as it was."""
    typed: dict[str, Any] = {"form": "policy"}
    typed |= fields(form, original=200, name=200, calendar=200, warn_percent=10)
    typed |= fields(form, **dict.fromkeys(CLOCKS, 10))
    typed |= fields(form, **{f"{p}_{clock}": 10 for p in PRIORITIES for clock in CLOCKS})
    typed |= {flag: ticked(form, flag) for flag in FLAGS}
    return typed


def _policy(typed: dict[str, Any]) -> PolicyForm:
    return PolicyForm(
        name=typed["name"],
        calendar=typed["calendar"],
        first_response=typed["first_response"],
        next_response=typed["next_response"],
        resolution=typed["resolution"],
        by_priority={p: {c: typed[f"{p}_{c}"] for c in CLOCKS} for p in PRIORITIES},
        warn_percent=typed["warn_percent"],
        community_answers_count=typed["community_answers_count"],
        out_of_hours_acknowledgement=typed["out_of_hours_acknowledgement"],
        suspend_during_major_incidents=typed["suspend_during_major_incidents"],
        default=typed["default"],
        original=typed["original"],
    )


def _rule_number(form: MultiDictProxy[Any]) -> int:
    number = text(form, "number", 10)
    return int(number) if number.isdigit() else 0


async def save_policy(request: web.Request) -> web.StreamResponse:
    session, form = await SLA.posted(request)
    typed = _typed_policy(form)
    change = admin(request).sla.save_policy(session, _policy(typed))
    return await SLA.submit(request, session, change, notice="replanned", typed=typed)


async def remove_policy(request: web.Request) -> web.StreamResponse:
    session, form = await SLA.posted(request)
    change = admin(request).sla.remove_policy(session, text(form, "policy", 200))
    return await SLA.submit(request, session, change, notice="replanned")


async def save_rule(request: web.Request) -> web.StreamResponse:
    session, form = await SLA.posted(request)
    typed: dict[str, Any] = {"form": "rule", "number": _rule_number(form)}
    typed |= fields(form, policy=200, vip=10, position=10)
    typed |= {choice: texts(form, choice) for choice in CHOICES}
    rule = RuleForm(
        policy=typed["policy"],
        kinds=typed["kinds"],
        priorities=typed["priorities"],
        networks=typed["networks"],
        teams=typed["teams"],
        vip=typed["vip"],
        number=typed["number"],
        position=typed["position"],
    )
    change = admin(request).sla.save_rule(session, rule)
    return await SLA.submit(request, session, change, notice="replanned", typed=typed)


async def remove_rule(request: web.Request) -> web.StreamResponse:
    session, form = await SLA.posted(request)
    change = admin(request).sla.remove_rule(session, _rule_number(form))
    return await SLA.submit(request, session, change, notice="replanned")
