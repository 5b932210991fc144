"""Which team a thread goes to, by the teams' skills.

A team that declares languages or networks takes only those: an English-only team cannot
answer in German, so it is not a candidate at all. Among the candidates the best fit wins:
first the VIP match (a VIP thread prefers a VIP team; other threads go to a VIP team only when
no other team fits), then the number of skills named explicitly (the language, the network,
each topic in common), then a team whose topics do not contradict the thread's over a
specialist of other topics, then the lowest team id, so the choice never depends on order.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from routing.snapshot import TeamState, ThreadToRoute, accepts


@dataclass(frozen=True, slots=True)
class TeamChoice:
    team: TeamState | None
    reasons: tuple[str, ...]


def choose_team(
    thread: ThreadToRoute, teams: Sequence[TeamState], among: Collection[int] | None = None
) -> TeamChoice:
    """The best fitting team, only of the ids in `among` when given; None when none fits."""
    pool = [t for t in teams if among is None or t.team_id in among]
    candidates = [t for t in pool if _can_serve(t, thread)]
    if not candidates:
        if not pool:
            return TeamChoice(None, ("there is no team to route to",))
        where = f"in {thread.language} " if thread.language else ""
        return TeamChoice(None, (f"no team takes a thread {where}on {thread.network}",))
    best = min(candidates, key=lambda t: _rank(t, thread))
    reasons = [f"{best.label} fits best: {_describe(best, thread)}"]
    if best.vip and not thread.vip:
        reasons.append("no other team fits, so the VIP team takes it")
    elif thread.vip and not best.vip:
        reasons.append("no VIP team fits this VIP thread")
    return TeamChoice(best, tuple(reasons))


def _can_serve(team: TeamState, thread: ThreadToRoute) -> bool:
    return accepts(team.languages, thread.language) and accepts(team.networks, thread.network)


def _rank(team: TeamState, thread: ThreadToRoute) -> tuple[bool, int, bool, int]:
    """Smaller is better."""
    explicit = (
        int(bool(team.languages) and thread.language in team.languages)
        + int(bool(team.networks) and thread.network in team.networks)
        + len(team.topics & thread.topics)
    )
    topics_fit = not team.topics or bool(team.topics & thread.topics)
    return (team.vip != thread.vip, -explicit, not topics_fit, team.team_id)


def _describe(team: TeamState, thread: ThreadToRoute) -> str:
    parts: list[str] = []
    if team.languages and thread.language in team.languages:
        parts.append(f"speaks {thread.language}")
    if team.networks and thread.network in team.networks:
        parts.append(f"works on {thread.network}")
    common = sorted(team.topics & thread.topics)
    if common:
        parts.append(f"knows {', '.join(common)}")
    if team.vip and thread.vip:
        parts.append("handles VIP customers")
    if parts:
        return ", ".join(parts)
    return "no closer fit" if team.topics else "takes any thread"
