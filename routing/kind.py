"""A message's kind decided from its cues: by the lexicon's rules alone (`rules_kind`) or by
the trained model's calibrated probabilities (`model_kind`), with the reasons an agent reads.
"""

from __future__ import annotations

from collections.abc import Sequence

from inbox.domain.thread import ThreadKind
from routing.classification import Reason
from routing.cue_scores import CueScores
from routing.scored import Phrase, Scored

LONE_GRIEVANCE = 1.0
RHETORICAL_GRIEVANCE = 1.5  # grievance weight that makes a complaint with no other signal
# A message not a complaint is a question or praise when the model says so at least this
# likely (those heads are calibrated: 0.5 is even odds), else other.
KIND_PROBABILITY = 0.5


def rules_kind(scores: CueScores) -> ThreadKind:
    if scores.spam >= 2 and scores.complaint < 2:
        return ThreadKind.OTHER
    if scores.complaint >= 2 and not _thanks_prevail(scores):
        return ThreadKind.COMPLAINT
    if scores.question_words == 0 and scores.praise < 1:
        # A grievance alone; with only a "?" beside it, a stronger one (rhetorical question).
        needed = LONE_GRIEVANCE if scores.question == 0 else RHETORICAL_GRIEVANCE
        if scores.complaint >= needed:
            return ThreadKind.COMPLAINT
    if scores.question >= 1 and not (scores.praise >= 2 and scores.question <= 1):
        return ThreadKind.QUESTION
    if scores.praise >= 1:
        return ThreadKind.PRAISE
    return ThreadKind.OTHER


def model_kind(scored: Scored, threshold: float) -> ThreadKind:
    if scored.probability("complaint") >= threshold:
        return ThreadKind.COMPLAINT
    question, praise = scored.probability("question"), scored.probability("praise")
    if question >= KIND_PROBABILITY and question >= praise:
        return ThreadKind.QUESTION
    if praise >= KIND_PROBABILITY:
        return ThreadKind.PRAISE
    return ThreadKind.OTHER


def model_kind_reasons(
    kind: ThreadKind, scored: Scored, scores: CueScores, threshold: float
) -> list[Reason]:
    """The phrases that weighed most toward the kind, with the probability that decided."""
    complaint = scored.probability("complaint")
    if kind is ThreadKind.COMPLAINT:
        reasons = [
            Reason(
                "kind",
                shown(scored.phrases("complaint")),
                f"complaint: probability {complaint:.2f} (threshold {threshold:.2f})",
            )
        ]
        against = scored.phrases("complaint", against=True)
        if scores.praise and against:
            reasons.append(Reason("kind", shown(against), "thanks outweighed by a grievance"))
        return reasons
    if kind is ThreadKind.OTHER:
        phrases = scored.phrases("complaint", against=True)
        effect = "other: not a complaint, a question or praise"
    else:
        phrases = scored.phrases(kind.value)
        effect = f"{kind.value}: probability {scored.probability(kind.value):.2f}"
    return [
        Reason(
            "kind",
            shown(phrases),
            f"{effect} (complaint {complaint:.2f}, below {threshold:.2f})",
        )
    ]


def shown(phrases: Sequence[Phrase]) -> str:
    return ", ".join(p.shown() for p in phrases) if phrases else "no strong cue"


def _thanks_prevail(scores: CueScores) -> bool:
    """Thanks after a problem that was put right are praise; thanks next to a problem still
    there are sarcasm. A resolution said in words tips it, else only clearly more praise
    than grievance and no strong grievance word does."""
    if scores.praise < 2:
        return False
    if scores.resolved:
        return scores.praise >= 0.75 * scores.complaint
    return not scores.strong_grievance and scores.praise > scores.complaint


def rules_kind_reasons(kind: ThreadKind, scores: CueScores) -> list[Reason]:
    group = {
        ThreadKind.COMPLAINT: "complaint",
        ThreadKind.QUESTION: "question",
        ThreadKind.PRAISE: "praise",
        ThreadKind.OTHER: "spam",
    }[kind]
    matched = scores.because.get(group, [])
    if not matched:
        return [Reason("kind", "no cue", f"{kind.value}: nothing suggests another kind")]
    reasons = [
        Reason("kind", ", ".join(matched), f"{kind.value} (weight {getattr(scores, group):g})")
    ]
    if kind is ThreadKind.COMPLAINT and scores.praise:
        reasons.append(
            Reason("kind", ", ".join(scores.because["praise"]), "thanks outweighed by a grievance")
        )
    return reasons
