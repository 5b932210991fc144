"""How urgent a message is, from its cues and what surrounds it: safety is urgent; an outage
in a complaint, a threat to leave, legal words, the model's "high" head, repeated messages or a
large audience make it high; a complaint to a very large audience is urgent; praise and noise
are low.
"""

from __future__ import annotations

from collections.abc import Sequence

from inbox.domain.thread import Priority, ThreadKind
from routing.classification import Reason
from routing.cue_scores import URGENCY_GROUPS
from routing.cues import Hit
from routing.kind import shown
from routing.lexicon import LexiconExtension
from routing.scored import Scored

HIGH_PROBABILITY = 0.5  # the "high" head's calibrated probability that raises urgency


def urgency(
    kind: ThreadKind,
    hits: Sequence[Hit],
    extension: LexiconExtension,
    followers: int | None,
    earlier_unanswered: int,
    reasons: list[Reason],
    scored: Scored | None,
) -> Priority:
    """The message's priority; the reasons that raised or set it are appended to `reasons`."""
    found: dict[str, list[str]] = {}
    for hit in hits:
        if hit.cue.group in URGENCY_GROUPS:
            found.setdefault(hit.cue.group, []).append(hit.words)
    if "safety" in found:
        reasons.append(Reason("urgency", ", ".join(found["safety"]), "safety: urgent"))
        return Priority.URGENT
    raised: list[Reason] = []
    if "outage" in found and kind is ThreadKind.COMPLAINT:
        raised.append(Reason("urgency", ", ".join(found["outage"]), "outage words"))
    for group, effect in (("churn", "threat to leave"), ("legal", "legal or regulator")):
        if group in found:
            raised.append(Reason("urgency", ", ".join(found[group]), effect))
    if scored is not None and kind is not ThreadKind.PRAISE:
        high = scored.probability("high")
        if high >= HIGH_PROBABILITY:
            raised.append(
                Reason(
                    "urgency",
                    shown(scored.phrases("high")),
                    f"pressing: the model's probability {high:.2f}",
                )
            )
    if earlier_unanswered >= 2:
        raised.append(
            Reason("urgency", f"{earlier_unanswered} earlier messages", "repeated messages")
        )
    if followers is not None and followers >= extension.large_audience:
        raised.append(Reason("urgency", f"{followers} followers", "large audience"))
    if (
        followers is not None
        and followers >= extension.very_large_audience
        and kind is ThreadKind.COMPLAINT
    ):
        reasons.extend(raised)
        reasons.append(
            Reason(
                "urgency",
                f"{followers} followers",
                "complaint to a very large audience: urgent",
            )
        )
        return Priority.URGENT
    if raised:
        reasons.extend(raised)
        return Priority.HIGH
    if kind in (ThreadKind.PRAISE, ThreadKind.OTHER):
        return Priority.LOW
    return Priority.NORMAL
