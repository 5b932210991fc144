"""What a customer's message is: kind, language, urgency, topics, personal data, and why.

Pure and explainable: every decision lists the cues that made it, so an agent sees why a
message is a complaint and corrects it in one action. Rules, in order:

- spam cues without a grievance make it `other`;
- a grievance (problem words, anger, negated praise; cues inside an "if ..." clause count a
  quarter) of weight 2 or more makes it a `complaint`, even phrased as a question or wrapped in
  sarcastic thanks, unless the customer says it is resolved and thanks outweigh it;
- otherwise a question cue makes it a `question`, praise makes it `praise`, a lone grievance
  hint a `complaint`, and nothing at all `other`.
Urgency: safety is urgent; an outage, a threat to leave, legal words, repeated messages or a
large audience make it high; praise and noise are low.

Cost: linear in the text, which is read up to `READ_AT_MOST` characters (more than any network
allows in a post), so that whatever a payload holds, a message costs at most a few
milliseconds; the language is guessed on a shorter prefix (see routing.language).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Literal

from inbox.domain.mention import Direction, Mention
from inbox.domain.thread import Priority, ThreadKind
from routing.cues import Hit, fold, tokens
from routing.language import Guess, detect, guess, guess_many, network_language
from routing.lexicon import Lexicon, LexiconExtension
from routing.model import (
    Adjustment,
    LinearModel,
    Phrase,
    Scored,
    Signal,
    shipped_model,
    squashed_signal,
    valence_signals,
)
from routing.personal_data import PersonalData, find_personal_data

CONDITIONAL_DISCOUNT = 0.25
LONE_GRIEVANCE = 1.0
RHETORICAL_GRIEVANCE = 1.5  # grievance weight that makes a complaint with no other signal
NEGATION_REACH = 2  # tokens before a praise word where a negator turns it around
CLAUSE_ENDS = frozenset({".", ",", ";", ":", "?", "!"})
URGENCY_GROUPS = ("safety", "outage", "churn", "legal")
# A message not a complaint is a question or praise when the model says so at least this
# likely (those heads are calibrated: 0.5 is even odds), else other.
KIND_PROBABILITY = 0.5
HIGH_PROBABILITY = 0.5  # the "high" head's calibrated probability that raises urgency
READ_AT_MOST = 30_000  # characters; X's long posts stop at 25,000, generic webhooks at 20,000
_CAPITAL = re.compile(r"[A-ZÀ-ÖØ-Þ]")
_LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True, slots=True)
class Reason:
    decision: str  # kind, language, urgency, topics, personal_data
    cue: str  # what matched (words, a rule)
    effect: str  # what it did, in words an agent reads

    def as_dict(self) -> dict[str, str]:
        return {"decision": self.decision, "cue": self.cue, "effect": self.effect}


@dataclass(frozen=True, slots=True)
class Classification:
    kind: ThreadKind
    language: str | None
    priority: Priority  # the urgency, as the thread's priority
    topics: tuple[str, ...] = ()
    personal_data: tuple[PersonalData, ...] = ()
    reasons: tuple[Reason, ...] = ()

    @property
    def suggest_private_message(self) -> bool:
        return bool(self.personal_data)

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind.value,
            "language": self.language,
            "urgency": self.priority.value,
            "topics": list(self.topics),
            "personal_data": [{"kind": p.kind, "masked": p.masked} for p in self.personal_data],
            "suggest_private_message": self.suggest_private_message,
            "reasons": [r.as_dict() for r in self.reasons],
        }


@dataclass
class _Scores:
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
        setattr(self, group, getattr(self, group) + weight)
        if group == "question" and why != "?":
            self.question_words += weight
        self.because.setdefault(group, []).append(why)
        if span is not None:
            self.spans.setdefault(group, []).append((span[0], span[1], weight))


_UNCLASSIFIED_OUTBOUND = Classification(ThreadKind.UNCLASSIFIED, None, Priority.NORMAL)


class Classifier:
    def __init__(
        self,
        extension: LexiconExtension | None = None,
        *,
        model: LinearModel | None = None,
        adjustment: Adjustment | None = None,
        complaint_threshold: float | None = None,
        rules_only: bool = False,
    ) -> None:
        """`model` defaults to the shipped one; `adjustment` is what a workspace's
        corrections add to it; `complaint_threshold` the workspace's setting (else the
        model's). `rules_only` is the lexicon classifier alone, as it was before the model
        (benchmarks compare against it)."""
        self.lexicon = Lexicon(extension)
        self.model = None if rules_only else (model or shipped_model())
        self.adjustment = adjustment
        self.complaint_threshold = complaint_threshold

    @property
    def threshold(self) -> float:
        """The complaint probability from which a message is a complaint."""
        if self.complaint_threshold is not None:
            return self.complaint_threshold
        return self.model.threshold if self.model is not None else 0.5

    def classify(
        self,
        text: str,
        *,
        language: str | None = None,
        followers: int | None = None,
        earlier_unanswered: int = 0,
        guessed: Guess | Literal[False] = False,
    ) -> Classification:
        """`language` is the network's tag or the caller's hint; `followers` the author's
        audience; `earlier_unanswered` the customer's messages still waiting in the thread;
        `guessed` lingua's guess when the caller made it already (for a whole batch)."""
        text = text[:READ_AT_MOST]
        words = tokens(fold(text))
        reasons: list[Reason] = []
        chosen, why = self._language(text, words, language, guessed)
        reasons.append(Reason("language", chosen or "unknown", why))
        hits = self.lexicon.index(chosen).find(words)
        scores = _score(words, hits)
        _anger(text, words, scores)
        scored = None
        if self.model is None:
            kind = _kind(scores)
            reasons.extend(_kind_reasons(kind, scores))
        else:
            signals = _signals(words, hits, scores, chosen)
            scored = self.model.score(words, signals, self.adjustment)
            kind = _model_kind(scored, self.threshold)
            reasons.extend(_model_kind_reasons(kind, scored, scores, self.threshold))
        topics = _topics(hits)
        reasons.extend(
            Reason("topics", ", ".join(t.words for t in hits if t.cue.group == f"topic:{name}"),
                   f"topic {name}")
            for name in topics
        )  # fmt: skip
        priority = self._urgency(kind, hits, followers, earlier_unanswered, reasons, scored)
        personal = tuple(find_personal_data(text))
        reasons.extend(
            Reason(
                "personal_data",
                f"{p.kind} {p.masked}",
                "exposed in public: invite the customer to a private message",
            )
            for p in personal
        )
        return Classification(kind, chosen, priority, topics, personal, tuple(reasons))

    def complaint_probability(self, text: str, language: str | None) -> float:
        """The model's calibrated probability that the text is a complaint."""
        if self.model is None:
            raise ValueError("the lexicon classifier alone gives no probability")
        evidence = self.evidence(text, language)
        scored = self.model.score(evidence.tokens, evidence.signals, self.adjustment)
        return scored.probability("complaint")

    def evidence(self, text: str, language: str | None) -> Evidence:
        """The tokens and the lexicon's signals, the language given (training reads the
        labelled language; it does not guess)."""
        text = text[:READ_AT_MOST]
        words = tokens(fold(text))
        chosen = network_language(language)
        hits = self.lexicon.index(chosen).find(words)
        scores = _score(words, hits)
        _anger(text, words, scores)
        return Evidence(words, chosen, _signals(words, hits, scores, chosen))

    def classify_many(self, mentions: Sequence[Mention]) -> list[Classification]:
        """The ingestion port: one answer per mention; the brand's own posts are left as they
        are (their kind does not matter and they must not raise a thread's priority)."""
        untagged = [
            i
            for i, m in enumerate(mentions)
            if m.direction is Direction.INBOUND and network_language(m.language) is None
        ]
        guesses = dict(zip(untagged, guess_many([mentions[i].text for i in untagged]), strict=True))
        earlier = _earlier_in_batch(mentions)
        return [
            self.classify(
                m.text,
                language=m.language,
                guessed=guesses.get(i, False),
                followers=m.author.followers,
                earlier_unanswered=earlier[i],
            )
            if m.direction is Direction.INBOUND
            else _UNCLASSIFIED_OUTBOUND
            for i, m in enumerate(mentions)
        ]

    def classify_texts(self, items: Sequence[tuple[str, str | None]]) -> list[Classification]:
        """Texts with an optional language each, guessed together where it is missing."""
        untagged = [i for i, (_, lang) in enumerate(items) if network_language(lang) is None]
        guesses = dict(zip(untagged, guess_many([items[i][0] for i in untagged]), strict=True))
        return [
            self.classify(text, language=lang, guessed=guesses.get(i, False))
            for i, (text, lang) in enumerate(items)
        ]

    def _language(
        self, text: str, words: Sequence[str], hint: str | None, guessed: Guess | Literal[False]
    ) -> tuple[str | None, str]:
        tagged = network_language(hint)
        if tagged is not None:
            return tagged, "tagged by the network or the caller"
        votes = {
            language: sum(
                h.cue.weight for h in self.lexicon.language_index(language).find(words)
                if not h.cue.group.startswith("topic:") and h.words not in ("?", "!")
            )
            for language in self.lexicon.languages
        }  # fmt: skip
        return detect(guess(text) if guessed is False else guessed, votes)

    def _urgency(
        self,
        kind: ThreadKind,
        hits: Sequence[Hit],
        followers: int | None,
        earlier_unanswered: int,
        reasons: list[Reason],
        scored: Scored | None,
    ) -> Priority:
        found = {group: [h.words for h in hits if h.cue.group == group] for group in URGENCY_GROUPS}
        extension = self.lexicon.extension
        if found["safety"]:
            reasons.append(Reason("urgency", ", ".join(found["safety"]), "safety: urgent"))
            return Priority.URGENT
        raised: list[Reason] = []
        if found["outage"] and kind is ThreadKind.COMPLAINT:
            raised.append(Reason("urgency", ", ".join(found["outage"]), "outage words"))
        for group, effect in (("churn", "threat to leave"), ("legal", "legal or regulator")):
            if found[group]:
                raised.append(Reason("urgency", ", ".join(found[group]), effect))
        if scored is not None and kind is not ThreadKind.PRAISE:
            high = scored.probability("high")
            if high >= HIGH_PROBABILITY:
                raised.append(
                    Reason(
                        "urgency",
                        _shown(scored.phrases("high")),
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


def _earlier_in_batch(mentions: Sequence[Mention]) -> list[int]:
    """For each message, the same customer's earlier messages of its conversation in this
    batch not answered since (a brand post in the conversation answers them all). Across
    batches the routing step counts them in the thread."""
    order = sorted(range(len(mentions)), key=lambda i: mentions[i].created_at)
    waiting: dict[tuple[str, str], dict[str, int]] = {}
    earlier = [0] * len(mentions)
    for index in order:
        mention = mentions[index]
        conversation = (mention.network.value, mention.conversation_key or mention.external_id)
        if mention.direction is not Direction.INBOUND:
            waiting.pop(conversation, None)
            continue
        authors = waiting.setdefault(conversation, {})
        earlier[index] = authors.get(mention.author.external_id, 0)
        authors[mention.author.external_id] = earlier[index] + 1
    return earlier


def _score(words: Sequence[str], hits: Sequence[Hit]) -> _Scores:
    scores = _Scores()
    conditional = _conditional_tokens(words, hits)
    negator_ends = sorted(h.end for h in hits if h.cue.group == "negator")
    opinions = _Opinions([h for h in hits if h.cue.group in ("complaint", "praise")])
    for hit in hits:
        group = hit.cue.group
        if group == "resolved":
            scores.resolved = True
            scores.spans.setdefault("resolved", []).append((hit.start, hit.end, 1.0))
            continue
        if group not in ("complaint", "question", "praise", "spam"):
            continue
        if group in ("complaint", "praise") and opinions.inside_longer(hit):
            continue  # "not bad", "pas top": the phrase decides, not the word inside it
        weight = hit.cue.weight
        why = hit.words
        if _negated(hit, negator_ends, words):
            if group == "praise":
                group, why = "complaint", f"{why} (negated)"
            elif group == "complaint" and weight >= 2 and hit.end - hit.start == 1:
                # "pas deçu", "without a single outage": a grievance word denied.
                group, weight, why = "praise", 1.0, f"{why} (negated)"
        if group == "complaint" and conditional[hit.start]:
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


def _anger(text: str, words: Sequence[str], scores: _Scores) -> None:
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


def _kind(scores: _Scores) -> ThreadKind:
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


def _model_kind(scored: Scored, threshold: float) -> ThreadKind:
    if scored.probability("complaint") >= threshold:
        return ThreadKind.COMPLAINT
    question, praise = scored.probability("question"), scored.probability("praise")
    if question >= KIND_PROBABILITY and question >= praise:
        return ThreadKind.QUESTION
    if praise >= KIND_PROBABILITY:
        return ThreadKind.PRAISE
    return ThreadKind.OTHER


def _model_kind_reasons(
    kind: ThreadKind, scored: Scored, scores: _Scores, threshold: float
) -> list[Reason]:
    """The phrases that weighed most toward the kind, with the probability that decided."""
    complaint = scored.probability("complaint")
    if kind is ThreadKind.COMPLAINT:
        reasons = [
            Reason(
                "kind",
                _shown(scored.phrases("complaint")),
                f"complaint: probability {complaint:.2f} (threshold {threshold:.2f})",
            )
        ]
        against = scored.phrases("complaint", against=True)
        if scores.praise and against:
            reasons.append(Reason("kind", _shown(against), "thanks outweighed by a grievance"))
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
            _shown(phrases),
            f"{effect} (complaint {complaint:.2f}, below {threshold:.2f})",
        )
    ]


def _shown(phrases: Sequence[Phrase]) -> str:
    return ", ".join(p.shown() for p in phrases) if phrases else "no strong cue"


def _thanks_prevail(scores: _Scores) -> bool:
    """Thanks after a problem that was put right are praise; thanks next to a problem still
    there are sarcasm. A resolution said in words tips it, else only clearly more praise
    than grievance and no strong grievance word does."""
    if scores.praise < 2:
        return False
    if scores.resolved:
        return scores.praise >= 0.75 * scores.complaint
    return not scores.strong_grievance and scores.praise > scores.complaint


def _kind_reasons(kind: ThreadKind, scores: _Scores) -> list[Reason]:
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


def _topics(hits: Sequence[Hit]) -> tuple[str, ...]:
    counts: dict[str, int] = {}
    for hit in hits:
        if hit.cue.group.startswith("topic:"):
            name = hit.cue.group.removeprefix("topic:")
            counts[name] = counts.get(name, 0) + 1
    return tuple(sorted(counts, key=lambda name: (-counts[name], name)))


SIGNAL_GROUPS = ("complaint", "question", "praise", "spam", "resolved")


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the lexicons find in a message, as the trained model reads it."""

    tokens: list[str]
    language: str | None
    signals: list[Signal]


def _signals(
    words: Sequence[str], hits: Sequence[Hit], scores: _Scores, language: str | None
) -> list[Signal]:
    """The lexicon's scores as the model's features: each group's weights (negation and
    "if" clauses already applied), the urgency groups' cues, the anger marks, and VADER's
    valences for English. (The rules' own verdict as a feature scored no better in
    cross-validation and would explain nothing: it is left out. So is the language: most
    French training messages are the project's writing, and the model would learn where a
    message came from rather than what it says.)"""
    signals = [squashed_signal(f"lex {g}", scores.spans.get(g, [])) for g in SIGNAL_GROUPS]
    for group in URGENCY_GROUPS:
        found = [(h.start, h.end, 1.0) for h in hits if h.cue.group == group]
        signals.append(squashed_signal(f"lex {group}", found))
    signals.append(Signal("lex capitals", float(scores.capitals)))
    signals.append(Signal("lex marks", float(scores.marks)))
    if language == "en":
        negators = [h.end - 1 for h in hits if h.cue.group == "negator"]
        signals.extend(valence_signals(words, negators))
    return signals
