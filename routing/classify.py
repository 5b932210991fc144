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

This module reads the text and puts the decisions together; their parts are the cues' weights
(routing.cue_scores), the kind (routing.kind), the urgency (routing.urgency) and the answer's
shape (routing.classification).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from inbox.domain.mention import Direction, Mention
from inbox.domain.thread import Priority, ThreadKind
from routing.classification import Classification, Reason
from routing.cue_scores import lexicon_signals, score_cues, topics
from routing.cues import fold, tokens
from routing.features import Signal
from routing.kind import model_kind, model_kind_reasons, rules_kind, rules_kind_reasons
from routing.language import (
    CONFIDENT,
    Guess,
    common_words_language,
    detect,
    guess,
    guess_many,
    network_language,
)
from routing.lexicon import Lexicon, LexiconExtension
from routing.model import Adjustment, LinearModel, shipped_model
from routing.personal_data import find_personal_data
from routing.urgency import urgency

READ_AT_MOST = 30_000  # characters; X's long posts stop at 25,000, generic webhooks at 20,000

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
        return self._classify(
            text, tokens(fold(text)), language, followers, earlier_unanswered, guessed
        )

    def _classify(
        self,
        text: str,
        words: list[str],
        language: str | None,
        followers: int | None,
        earlier_unanswered: int,
        guessed: Guess | Literal[False],
    ) -> Classification:
        reasons: list[Reason] = []
        chosen, why = self._language(text, words, language, guessed)
        reasons.append(Reason("language", chosen or "unknown", why))
        hits = self.lexicon.index(chosen).find(words)
        scores = score_cues(text, words, hits)
        scored = None
        if self.model is None:
            kind = rules_kind(scores)
            reasons.extend(rules_kind_reasons(kind, scores))
        else:
            signals = lexicon_signals(words, hits, scores, chosen)
            scored = self.model.score(words, signals, self.adjustment)
            kind = model_kind(scored, self.threshold)
            reasons.extend(model_kind_reasons(kind, scored, scores, self.threshold))
        found_topics = topics(hits)
        reasons.extend(
            Reason("topics", ", ".join(t.words for t in hits if t.cue.group == f"topic:{name}"),
                   f"topic {name}")
            for name in found_topics
        )  # fmt: skip
        extension = self.lexicon.extension
        priority = urgency(kind, hits, extension, followers, earlier_unanswered, reasons, scored)
        personal = tuple(find_personal_data(text))
        reasons.extend(
            Reason(
                "personal_data",
                f"{p.kind} {p.masked}",
                "exposed in public: invite the customer to a private message",
            )
            for p in personal
        )
        return Classification(kind, chosen, priority, found_topics, personal, tuple(reasons))

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
        scores = score_cues(text, words, hits)
        return Evidence(words, chosen, lexicon_signals(words, hits, scores, chosen))

    def classify_many(self, mentions: Sequence[Mention]) -> list[Classification]:
        """The ingestion port: one answer per mention; the brand's own posts are left as they
        are (their kind does not matter and they must not raise a thread's priority)."""
        inbound = [m.direction is Direction.INBOUND for m in mentions]
        texts = [m.text[:READ_AT_MOST] if inbound[i] else "" for i, m in enumerate(mentions)]
        words, guesses = self._read([(t, m.language) for t, m in zip(texts, mentions, strict=True)])
        earlier = _earlier_in_batch(mentions)
        return [
            self._classify(
                texts[i],
                words[i],
                m.language,
                m.author.followers,
                earlier[i],
                guesses.get(i, False),
            )
            if inbound[i]
            else _UNCLASSIFIED_OUTBOUND
            for i, m in enumerate(mentions)
        ]

    def classify_texts(self, items: Sequence[tuple[str, str | None]]) -> list[Classification]:
        """Texts with an optional language each, guessed together where it is missing."""
        texts = [(text[:READ_AT_MOST], language) for text, language in items]
        words, guesses = self._read(texts)
        return [
            self._classify(text, words[i], language, None, 0, guesses.get(i, False))
            for i, (text, language) in enumerate(texts)
        ]

    def _read(
        self, items: Sequence[tuple[str, str | None]]
    ) -> tuple[list[list[str]], dict[int, Guess]]:
        """Each text's tokens, and lingua's guesses, made together, for the texts with no
        language tag whose commonest words do not tell their language."""
        words = [tokens(fold(text)) if text else [] for text, _ in items]
        unsure = [
            i
            for i, (text, language) in enumerate(items)
            if text
            and network_language(language) is None
            and common_words_language(words[i]) is None
        ]
        guesses = dict(zip(unsure, guess_many([items[i][0] for i in unsure]), strict=True))
        return words, guesses

    def _language(
        self, text: str, words: Sequence[str], hint: str | None, guessed: Guess | Literal[False]
    ) -> tuple[str | None, str]:
        tagged = network_language(hint)
        if tagged is not None:
            return tagged, "tagged by the network or the caller"
        common = common_words_language(words)
        if common is not None:
            return common, "its commonest words"
        guessed = guess(text) if guessed is False else guessed
        if guessed is not None and guessed[1] >= CONFIDENT:
            return detect(guessed, {})
        votes = {
            language: sum(
                h.cue.weight for h in self.lexicon.language_index(language).find(words)
                if not h.cue.group.startswith("topic:") and h.words not in ("?", "!")
            )
            for language in self.lexicon.languages
        }  # fmt: skip
        return detect(guessed, votes)


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


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the lexicons find in a message, as the trained model reads it."""

    tokens: list[str]
    language: str | None
    signals: list[Signal]
