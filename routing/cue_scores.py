"""What the lexicon's hits in a message add up to: a weight per group (complaint, question,
praise, spam), negation and "if ..." clauses applied, the anger marks (capitals, repeated ! and
?), the topics, and the same scores as the trained model's lexicon signals.

Every weight keeps the words that made it, for the reasons an agent reads, and the token span
it came from, for the model's explanation.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import accumulate

from routing.cues import Hit
from routing.features import Signal, squashed_signal, valence_signals

CONDITIONAL_DISCOUNT = 0.25
NEGATION_REACH = 2  # tokens before a praise word where a negator turns it around
CLAUSE_ENDS = frozenset({".", ",", ";", ":", "?", "!"})
URGENCY_GROUPS = ("safety", "outage", "churn", "legal")
SIGNAL_GROUPS = ("complaint", "question", "praise", "spam", "resolved")
_CAPITAL = re.compile(r"[A-ZÀ-ÖØ-Þ]")
_LETTER = re.compile(r"[^\W\d_]")


@dataclass(slots=True)
class CueScores:
    """A message's cue weights by group, with the words that made each (`because`, for the
    reasons) and the token spans (`spans`, for the model's explanation)."""

    complaint: float = 0.0
    question: float = 0.0
    question_words: float = 0.0  # question cues other than a bare "?"
    praise: float = 0.0
    spam: float = 0.0
    resolved: bool = False
    capitals: bool = False
    marks: bool = False  # three ! or ? or more beside a grievance
    strong_grievance: bool = False  # a cue that alone says something went wrong
    because: dict[str, list[str]] = field(default_factory=dict)
    # Per group, the token spans that added to it and how much: the model's lexicon signals.
    spans: dict[str, list[tuple[int, int, float]]] = field(default_factory=dict)

    def add(self, group: str, weight: float, why: str, span: tuple[int, int] | None) -> None:
        if group == "complaint":
            self.complaint += weight
        elif group == "question":
            self.question += weight
            if why != "?":
                self.question_words += weight
        else:
            setattr(self, group, getattr(self, group) + weight)
        self.because.setdefault(group, []).append(why)
        if span is not None:
            self.spans.setdefault(group, []).append((span[0], span[1], weight))


def score_cues(text: str, words: Sequence[str], hits: Sequence[Hit]) -> CueScores:
    """The hits' weights by group, and the anger the text shows beside a grievance."""
    scores = _score_hits(words, hits)
    _anger(text, words, scores)
    return scores


def _score_hits(words: Sequence[str], hits: Sequence[Hit]) -> CueScores:
    scores = CueScores()
    negator_ends: list[int] = []
    opinion_hits: list[Hit] = []
    conditionals = False
    for hit in hits:
        group = hit.cue.group
        if group == "negator":
            negator_ends.append(hit.end)
        elif group == "complaint" or group == "praise":
            opinion_hits.append(hit)
        elif group == "conditional":
            conditionals = True
    negator_ends.sort()
    conditional = _conditional_tokens(words, hits) if conditionals else None
    # A lone opinion lies inside no longer one of the other group.
    opinions = _Opinions(opinion_hits) if len(opinion_hits) > 1 else None
    for hit in hits:
        group = hit.cue.group
        if group == "resolved":
            scores.resolved = True
            scores.spans.setdefault("resolved", []).append((hit.start, hit.end, 1.0))
            continue
        if group not in ("complaint", "question", "praise", "spam"):
            continue
        if (
            opinions is not None
            and (group == "complaint" or group == "praise")
            and opinions.inside_longer(hit)
        ):
            continue  # "not bad", "pas top": the phrase decides, not the word inside it
        weight = hit.cue.weight
        why = hit.words
        if negator_ends and _negated(hit, negator_ends, words):
            if group == "praise":
                group, why = "complaint", f"{why} (negated)"
            elif group == "complaint" and weight >= 2 and hit.end - hit.start == 1:
                # "pas deçu", "without a single outage": a grievance word denied.
                group, weight, why = "praise", 1.0, f"{why} (negated)"
        if group == "complaint" and conditional is not None and conditional[hit.start]:
            weight *= CONDITIONAL_DISCOUNT
            why = f"{why} (only if)"
        if group == "complaint" and weight >= 2:
            scores.strong_grievance = True
        scores.add(group, weight, why, (hit.start, hit.end))
    return scores


class _Opinions:
    """Complaint and praise hits, in the order of the text, to find the longer phrase of the
    other group around a hit by looking only at the hits that may hold it."""

    def __init__(self, opinions: Sequence[Hit]) -> None:
        self._opinions = opinions
        self._starts = [o.start for o in opinions]
        self._longest = max((o.end - o.start for o in opinions), default=0)

    def inside_longer(self, hit: Hit) -> bool:
        # A phrase holding the hit starts at most `longest` tokens before the hit's end.
        first = bisect_left(self._starts, hit.end - self._longest)
        last = bisect_right(self._starts, hit.start)
        return any(
            o is not hit
            and o.cue.group != hit.cue.group
            and o.start <= hit.start
            and hit.end <= o.end
            and o.end - o.start > hit.end - hit.start
            for o in self._opinions[first:last]
        )


def _negated(hit: Hit, negator_ends: Sequence[int], words: Sequence[str]) -> bool:
    """ "not great", "pas top": a negator shortly before, in the same clause. A phrase that
    holds its own negator ("not bad") is not negated by it."""
    first = bisect_left(negator_ends, hit.start - NEGATION_REACH)
    last = bisect_right(negator_ends, hit.start)
    return any(
        not any(w in CLAUSE_ENDS for w in words[end : hit.start])
        for end in negator_ends[first:last]
    )


def _conditional_tokens(words: Sequence[str], hits: Sequence[Hit]) -> list[bool]:
    """For each token, whether it lies in an "if ..." clause: from a conditional cue to the
    end of its clause. Counted with a running depth, so that many conditionals in one long
    clause cost no more than one."""
    clause_ends = [i for i, w in enumerate(words) if w in CLAUSE_ENDS]
    depth = [0] * (len(words) + 1)
    for hit in hits:
        if hit.cue.group == "conditional":
            following = bisect_left(clause_ends, hit.end)
            depth[hit.start] += 1
            depth[clause_ends[following] if following < len(clause_ends) else len(words)] -= 1
    return [open_clauses > 0 for open_clauses in accumulate(depth[:-1])]


def _anger(text: str, words: Sequence[str], scores: CueScores) -> None:
    capitals = len(_CAPITAL.findall(text))
    if capitals >= 8:  # fewer cannot be 60% of the dozen letters needed (cheap test first)
        letters = len(_LETTER.findall(text))
        if letters >= 12 and capitals / letters >= 0.6:
            scores.add("complaint", 1.0, "written in capitals", None)
            scores.capitals = True
    if scores.complaint > 0:
        marks = sum(1 for w in words if w in ("!", "?"))
        if marks >= 3:
            scores.add("complaint", 0.5, "repeated ! and ?", None)
            scores.marks = True


def topics(hits: Sequence[Hit]) -> tuple[str, ...]:
    counts: dict[str, int] = {}
    for hit in hits:
        if hit.cue.group.startswith("topic:"):
            name = hit.cue.group.removeprefix("topic:")
            counts[name] = counts.get(name, 0) + 1
    return tuple(sorted(counts, key=lambda name: (-counts[name], name)))


def lexicon_signals(
    words: Sequence[str], hits: Sequence[Hit], scores: CueScores, language: str | None
) -> list[Signal]:
    """The lexicon's scores as the model's features: each group's weights (negation and
    "if" clauses already applied), the urgency groups' cues, the anger marks, and VADER's
    valences for English. (The rules' own verdict as a feature scored no better in
    cross-validation and would explain nothing: it is left out. So is the language: most
    French training messages are the project's writing, and the model would learn where a
    message came from rather than what it says.)"""
    spans = scores.spans
    signals = [
        squashed_signal(name, spans[group]) if group in spans else _NOTHING[name]
        for group, name in _SIGNAL_NAMES
    ]
    urgent: dict[str, list[tuple[int, int, float]]] = {}
    negators: list[int] = []
    for hit in hits:
        group = hit.cue.group
        if group in _URGENCY_NAMES:
            urgent.setdefault(group, []).append((hit.start, hit.end, 1.0))
        elif group == "negator":
            negators.append(hit.end - 1)
    signals.extend(
        squashed_signal(name, urgent[group]) if group in urgent else _NOTHING[name]
        for group, name in _URGENCY_NAMES.items()
    )
    signals.append(_CAPITALS[scores.capitals])
    signals.append(_MARKS[scores.marks])
    if language == "en":
        signals.extend(valence_signals(words, negators))
    return signals


# The signals' names, and each signal that found nothing, made once (most are nothing).
_SIGNAL_NAMES = tuple((group, f"lex {group}") for group in SIGNAL_GROUPS)
_URGENCY_NAMES = {group: f"lex {group}" for group in URGENCY_GROUPS}
_NOTHING = {name: Signal(name, 0.0) for _, name in (*_SIGNAL_NAMES, *_URGENCY_NAMES.items())}
_CAPITALS = {flag: Signal("lex capitals", float(flag)) for flag in (False, True)}
_MARKS = {flag: Signal("lex marks", float(flag)) for flag in (False, True)}
