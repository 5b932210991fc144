"""SLA policies and the rules that choose them, as the admin page's forms show and send them.

Pure: a form becomes the policy's (or the rule's) part of the policy book document, checked
field by field with the form's own field names; a stored book becomes what the page lists.
The whole book is then checked once more, as any document is, by SaveSlaSettings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from inbox.domain.errors import ConfigurationError
from inbox.domain.network import Network
from inbox.domain.thread import Priority, ThreadKind
from inbox.domain.workspace_settings import checked_name
from sla.policy import MAX_TARGET_MINUTES, ClockKind, PolicyBook, Targets

KINDS = tuple(k.value for k in ThreadKind)
PRIORITIES = tuple(p.value for p in Priority)
NETWORKS = tuple(n.value for n in Network)
CLOCKS = tuple(c.value for c in ClockKind)
LONGEST_POLICY_NAME = 100
# Typed as a priority's resolution target: none, though the policy has one.
NO_TARGET = "none"
# What a rule says of VIP customers: any customer, VIPs only, everyone but VIPs.
VIP_CHOICES = {"": None, "yes": True, "no": False}


@dataclass(frozen=True, slots=True)
class PolicyForm:
    """A policy as typed. Targets are minutes of business time; a priority's own targets
    left empty are the policy's (its resolution: "none" for no target); `original` is the
    name edited ("" for a new policy)."""

    name: str
    calendar: str
    first_response: str
    next_response: str
    resolution: str = ""
    by_priority: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    warn_percent: str = "75"
    community_answers_count: bool = False
    out_of_hours_acknowledgement: bool = False
    suspend_during_major_incidents: bool = False
    default: bool = False
    original: str = ""


@dataclass(frozen=True, slots=True)
class RuleForm:
    """A rule as chosen: every list given must match (empty: any); `number` is the rule
    edited (1 first; 0 for a new rule) and `position` where it goes ("": where it was, or
    last)."""

    policy: str
    kinds: Sequence[str] = ()
    priorities: Sequence[str] = ()
    networks: Sequence[str] = ()
    teams: Sequence[str] = ()
    vip: str = ""
    number: int = 0
    position: str = ""


@dataclass(frozen=True, slots=True)
class TargetsView:
    first_response: int
    next_response: int
    resolution: int | None


@dataclass(frozen=True, slots=True)
class PolicyView:
    name: str
    calendar: str
    targets: TargetsView
    by_priority: dict[str, TargetsView]  # only the priorities with targets of their own
    warn_at_percent: int
    community_answers_count: bool
    out_of_hours_acknowledgement: bool
    suspend_during_major_incidents: bool
    default: bool
    chosen_by: tuple[int, ...]  # the rules choosing it, 1 first


@dataclass(frozen=True, slots=True)
class RuleView:
    number: int
    kinds: tuple[str, ...]
    priorities: tuple[str, ...]
    networks: tuple[str, ...]
    team_ids: tuple[int, ...]
    teams: tuple[str, ...]  # their names, or "team N" for a team that no longer exists
    vip: bool | None
    policy: str


def policy_document(form: PolicyForm) -> dict[str, object]:
    """The policy as the book stores it; ConfigurationError naming the form's field."""
    name = checked_name(form.name, "name", LONGEST_POLICY_NAME)
    calendar = form.calendar.strip()
    if not calendar:
        raise ConfigurationError("calendar", "choose the calendar its clocks count in")
    targets = _targets(form.first_response, form.next_response, form.resolution, "")
    by_priority: dict[str, object] = {}
    for priority in PRIORITIES:
        typed = form.by_priority.get(priority, {})
        if any(typed.get(clock, "").strip() for clock in CLOCKS):
            by_priority[priority] = _targets(
                typed.get("first_response", ""),
                typed.get("next_response", ""),
                typed.get("resolution", ""),
                f"{priority} ",
                inherit=targets,
            )
    policy: dict[str, object] = {
        "name": name,
        "calendar": calendar,
        "targets": targets,
        "warn_at": _share(form.warn_percent),
    }
    if by_priority:
        policy["by_priority"] = by_priority
    for flag in (
        "community_answers_count",
        "out_of_hours_acknowledgement",
        "suspend_during_major_incidents",
    ):
        if getattr(form, flag):
            policy[flag] = True
    return policy


def rule_document(form: RuleForm, team_ids: frozenset[int]) -> dict[str, object]:
    """The rule as the book stores it; ConfigurationError naming the form's field."""
    when: dict[str, object] = {}
    for name, chosen, known in (
        ("kinds", form.kinds, KINDS),
        ("priorities", form.priorities, PRIORITIES),
        ("networks", form.networks, NETWORKS),
    ):
        values = sorted(set(chosen))
        unknown = [v for v in values if v not in known]
        if unknown:
            raise ConfigurationError(name, f"{unknown[0][:40]!r} is not one of {', '.join(known)}")
        if values:
            when[name] = values
    if form.teams:
        when["team_ids"] = sorted({_team(value, team_ids) for value in form.teams})
    if form.vip not in VIP_CHOICES:
        raise ConfigurationError("VIP", "any customer, VIPs only, or everyone but VIPs")
    vip = VIP_CHOICES[form.vip]
    if vip is not None:
        when["vip"] = vip
    policy = form.policy.strip()
    if not policy:
        raise ConfigurationError("policy", "choose the policy the rule gives")
    return {"when": when, "policy": policy}


def policy_views(book: PolicyBook) -> tuple[PolicyView, ...]:
    chosen_by: dict[str, list[int]] = {}
    for number, rule in enumerate(book.rules, start=1):
        chosen_by.setdefault(rule.policy, []).append(number)
    return tuple(
        PolicyView(
            name=name,
            calendar=policy.calendar,
            targets=_view(policy.targets),
            by_priority={
                p.value: _view(t) for p, t in sorted(policy.by_priority.items(), key=_rank)
            },
            warn_at_percent=round(policy.warn_at * 100),
            community_answers_count=policy.community_answers_count,
            out_of_hours_acknowledgement=policy.out_of_hours_acknowledgement,
            suspend_during_major_incidents=policy.suspend_during_major_incidents,
            default=name == book.default,
            chosen_by=tuple(chosen_by.get(name, ())),
        )
        for name, policy in sorted(book.policies.items())
    )


def rule_views(book: PolicyBook, teams: Mapping[int, str]) -> tuple[RuleView, ...]:
    views = []
    for number, rule in enumerate(book.rules, start=1):
        when = rule.when
        team_ids = tuple(sorted(when.team_ids or ()))
        views.append(
            RuleView(
                number=number,
                kinds=tuple(k for k in KINDS if when.kinds and k in when.kinds),
                priorities=tuple(p for p in PRIORITIES if when.priorities and p in when.priorities),
                networks=tuple(n for n in NETWORKS if when.networks and n in when.networks),
                team_ids=team_ids,
                teams=tuple(teams.get(team_id, f"team {team_id}") for team_id in team_ids),
                vip=when.vip,
                policy=rule.policy,
            )
        )
    return tuple(views)


def rule_position(typed: str, most: int, otherwise: int) -> int:
    """Where a rule goes, 1 first, from 1 to `most`; `otherwise` when none is typed."""
    if not typed.strip():
        return otherwise
    try:
        position = int(typed.strip())
    except ValueError:
        position = 0
    if not 1 <= position <= most:
        raise ConfigurationError("position", f"a number from 1 to {most}")
    return position


def _targets(
    first: str,
    following: str,
    resolution: str,
    prefix: str,
    inherit: Mapping[str, int] | None = None,
) -> dict[str, int]:
    """The three targets; each one left empty is `inherit`'s (the policy's own targets,
    for a priority's) or the default's. There is no resolution target unless set, and
    "none" says so where one would be inherited."""
    defaults = inherit or Targets().model_dump(exclude_none=True)
    targets = {
        "first_response": _minutes(first, f"{prefix}first response") or defaults["first_response"],
        "next_response": _minutes(following, f"{prefix}next response") or defaults["next_response"],
    }
    if resolution.strip().lower() == NO_TARGET:
        return targets
    resolved = _minutes(resolution, f"{prefix}resolution") or defaults.get("resolution")
    if resolved is not None:
        targets["resolution"] = resolved
    return targets


def _minutes(typed: str, field_name: str) -> int | None:
    """Minutes of business time; None when left empty."""
    text = typed.strip()
    if not text:
        return None
    try:
        minutes = int(text)
    except ValueError:
        minutes = 0
    if not 1 <= minutes <= MAX_TARGET_MINUTES:
        raise ConfigurationError(
            field_name, f"a whole number of minutes from 1 to {MAX_TARGET_MINUTES} (90 days)"
        )
    return minutes


def _share(typed: str) -> float:
    try:
        percent = int(typed.strip() or "75")
    except ValueError:
        percent = 0
    if not 1 <= percent <= 99:
        raise ConfigurationError("warning at", "a share of the target from 1% to 99%")
    return percent / 100


def _team(typed: str, known: frozenset[int]) -> int:
    try:
        team_id = int(typed)
    except ValueError:
        team_id = 0
    if team_id not in known:
        raise ConfigurationError("teams", f"no team {typed[:20]!r} in this workspace")
    return team_id


def _view(targets: Targets) -> TargetsView:
    return TargetsView(targets.first_response, targets.next_response, targets.resolution)


def _rank(item: tuple[Priority, Targets]) -> int:
    return PRIORITIES.index(item[0].value)
