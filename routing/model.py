"""The trained classifier at run time: a message's features, the linear model's calibrated
probabilities, and the parts of the text that weighed most.

The model is a set of logistic regressions ("heads") over the same sparse features:
`complaint` (is it a complaint), `question` and `praise` (what a message that is not a
complaint is), and `high` (is it high or urgent). Its weights are a JSON file shipped in the
package (`routing/models/classifier.json`), written by `inbox classify train`; reading it
needs neither numpy nor the training libraries, and nothing here reaches the network.

Features (one function, `message_features`, is the reference that training uses):
- words and pairs of adjacent words, after folding (see routing.cues);
- character n-grams of 3 to 5 letters inside each word, padded with a space at each end, so
  that "disconnecting", "disconnected" and a typo share most of their evidence;
- the lexicon's signals (`Signal`s: the cues of routing/lexicon_*.py as the rule classifier
  scores them, and the valence of English words in VADER's lexicon).
Words and pairs count once however often they occur, and are divided by the square root of
the number of distinct words, so that a long (or repeated) message does not score higher only
for being long.

Scoring is a sum over the features present in the message. Words repeat across messages,
so each word's own evidence (its unigram and its n-grams) is summed once per model and kept
in a bounded cache; the exact sum is the same as `message_features` dotted with the weights.

Explanations: every feature comes from a span of tokens (a word, a pair, a cue's phrase), so
each token gets its share of a head's score; the reasons are the runs of adjacent tokens that
pushed the decision most, with their weight in log-odds ("'line is dead' +2.1").
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from inbox.domain.errors import InboxError

HEADS = ("complaint", "question", "praise", "high")
FORMAT = 1
NGRAM_SIZES = (3, 4, 5)
# An n-gram's value beside a word's: a word has a dozen n-grams, and at full value they
# would take the evidence from the words and phrases that explain a decision best (chosen
# by cross-validation on the training part: 0.5 scored as well as 1.0 or better).
CHAR_SCALE = 0.5
SHORTEST_NGRAM_WORD = 2  # letters; single letters and digits carry no n-gram of their own
WORD_CACHE_SIZE = 100_000
SHIPPED_MODEL = Path(__file__).resolve().parent / "models" / "classifier.json"
# A token's share of a head's score below this (log-odds) is not worth an agent's attention.
SALIENT = 0.15
REASONS_SHOWN = 3
# VADER's own scalar for a negated word ("not good" weighs -0.74 of "good").
VADER_NEGATION = -0.74
VADER_NEGATION_REACH = 3  # tokens before a word where a negator turns it around


# How the signals tied to no words are named in the reasons an agent reads.
SIGNAL_LABELS = {
    "lex capitals": "written in capitals",
    "lex marks": "repeated ! and ?",
    "lang en": "written in English",
    "lang fr": "written in French",
    "lang other": "written in another language",
}


@dataclass(frozen=True, slots=True)
class Signal:
    """A named numeric feature from outside the n-grams (a lexicon's score), with the token
    spans that made it and how much each contributed, for the explanation."""

    name: str
    value: float
    parts: tuple[tuple[int, int, float], ...] = ()  # (start, end, share of the value)


@dataclass(frozen=True, slots=True)
class Phrase:
    """A run of adjacent tokens and its weight toward a decision, in log-odds."""

    words: str
    weight: float
    quoted: bool = True  # words of the message; else a property of it ("written in capitals")

    def shown(self) -> str:
        words = f"'{self.words}'" if self.quoted else self.words
        return f"{words} {self.weight:+.1f}"


# A piece of evidence for the explanation: the token positions it is shared among (none: a
# property of the whole message) and what it adds to each head, before calibration.
Part = tuple[tuple[int, ...], tuple[float, ...]]


@dataclass(slots=True)
class Scored:
    """A message's probabilities by head, and what each token contributed to each head
    (worked out only for the heads whose reasons are asked for: most are never shown)."""

    probabilities: dict[str, float]
    tokens: Sequence[str]
    parts: list[Part]
    named: list[tuple[str, tuple[float, ...]]]  # signals tied to no span (capitals, ...)
    slopes: tuple[float, ...]  # the calibration's, per head: shares in calibrated log-odds
    adjusted: list[Part] = field(default_factory=list)  # already in calibrated log-odds
    _shares: dict[int, list[float]] = field(default_factory=dict)

    def probability(self, head: str) -> float:
        return self.probabilities[head]

    def shares(self, head: str) -> list[float]:
        """Per token, its share of the head's score in calibrated log-odds."""
        index = HEADS.index(head)
        found = self._shares.get(index)
        if found is None:
            found = [0.0] * len(self.tokens)
            slope = self.slopes[index]
            for parts, scale in ((self.parts, slope), (self.adjusted, 1.0)):
                for positions, weights in parts:
                    if positions and weights[index]:
                        each = weights[index] * scale / len(positions)
                        for position in positions:
                            found[position] += each
            self._shares[index] = found
        return found

    def _run(self, shares: Sequence[float], start: int, end: int) -> list[Phrase]:
        first, end = _trimmed(self.tokens, start, end)
        words = " ".join(self.tokens[first:end])
        if not _SAYS_SOMETHING.search(words):  # a lone comma says nothing
            return []
        return [Phrase(words, sum(shares[first:end]))]

    def phrases(self, head: str, *, against: bool = False) -> list[Phrase]:
        """The runs of adjacent tokens that pushed `head` up (or down, `against`) most,
        strongest first, at most `REASONS_SHOWN`."""
        index = HEADS.index(head)
        sign = -1.0 if against else 1.0
        shares = self.shares(head)
        runs: list[Phrase] = []
        start = None
        for position, share in enumerate(shares):
            if sign * share >= SALIENT:
                if start is None:
                    start = position
            elif start is not None:
                runs.extend(self._run(shares, start, position))
                start = None
        if start is not None:
            runs.extend(self._run(shares, start, len(shares)))
        slope = self.slopes[index]
        runs.extend(
            Phrase(SIGNAL_LABELS.get(name, name), slope * weights[index], quoted=False)
            for name, weights in self.named
            if sign * slope * weights[index] >= SALIENT
        )
        runs.sort(key=lambda p: (-abs(p.weight), p.words))
        return runs[:REASONS_SHOWN]


def _trimmed(tokens: Sequence[str], start: int, end: int) -> tuple[int, int]:
    """The run without the punctuation at its edges ("nobody answers", not "nobody
    answers ."), unless punctuation is all it is ("?")."""
    first, last = start, end
    while first < last and not _WORDLIKE.search(tokens[first]):
        first += 1
    while last > first and not _WORDLIKE.search(tokens[last - 1]):
        last -= 1
    return (first, last) if first < last else (start, end)


_WORDLIKE = re.compile(r"[^\W_]")
_SAYS_SOMETHING = re.compile(r"[^\W_]|[?!]")


# --- features ------------------------------------------------------------------------


def _scale(token_count: int) -> float:
    return 1.0 / math.sqrt(token_count + 1)


def word_ngrams(word: str) -> list[str]:
    """The character n-grams of one word, padded: " line " gives " li", "lin", "ine", ..."""
    if len(word) < SHORTEST_NGRAM_WORD or not any(c.isalpha() for c in word):
        return []
    padded = f" {word} "
    return [padded[i : i + size] for size in NGRAM_SIZES for i in range(len(padded) - size + 1)]


def message_features(tokens: Sequence[str], signals: Iterable[Signal]) -> dict[str, float]:
    """The reference feature vector (training uses it; scoring computes the same sum)."""
    distinct = dict.fromkeys(tokens)
    scale = _scale(len(distinct))
    found: dict[str, float] = {}
    for token in distinct:
        found[f"w {token}"] = scale
        for gram in word_ngrams(token):
            name = f"c {gram}"
            found[name] = found.get(name, 0.0) + scale * CHAR_SCALE
    for pair in dict.fromkeys(itertools.pairwise(tokens)):
        found[f"b {pair[0]} {pair[1]}"] = scale
    for signal in signals:
        if signal.value:
            found[signal.name] = found.get(signal.name, 0.0) + signal.value
    return found


@functools.cache
def vader_lexicon() -> dict[str, float]:
    """VADER's English valences (-4 to +4), read from the file its package ships."""
    text = resources.files("vaderSentiment").joinpath("vader_lexicon.txt").read_text("utf-8")
    valences: dict[str, float] = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and " " not in parts[0]:
            valences[parts[0]] = float(parts[1])
    return valences


def valence_signals(tokens: Sequence[str], negator_ends: Sequence[int]) -> list[Signal]:
    """The sum of negative and of positive valences of the English words, a word after a
    negator counted the other way round (VADER's rule); squashed with log1p so that a long
    rant does not outweigh everything else."""
    valences = vader_lexicon()
    negative: list[tuple[int, int, float]] = []
    positive: list[tuple[int, int, float]] = []
    for index, token in enumerate(tokens):
        valence = valences.get(token)
        if valence is None:
            continue
        if any(index - VADER_NEGATION_REACH <= end < index for end in negator_ends):
            valence *= VADER_NEGATION
        (negative if valence < 0 else positive).append((index, index + 1, abs(valence)))
    return [
        _squashed("vader negative", negative),
        _squashed("vader positive", positive),
    ]


def _squashed(name: str, parts: list[tuple[int, int, float]]) -> Signal:
    total = sum(p[2] for p in parts)
    if not total:
        return Signal(name, 0.0)
    # Sign kept: a workspace may add cues of negative weight.
    value = math.copysign(math.log1p(abs(total)), total)
    return Signal(name, value, tuple((s, e, v / total) for s, e, v in parts))


def squashed_signal(name: str, parts: Sequence[tuple[int, int, float]]) -> Signal:
    """A lexicon group's score as a feature: log1p of its weights' sum, shared among the
    phrases that made it in proportion to their weights."""
    return _squashed(name, list(parts))


# --- the model -----------------------------------------------------------------------


class ModelFileError(InboxError, ValueError):
    """A model file that cannot be used: its format, its heads or a number is wrong."""


@dataclass(frozen=True, slots=True)
class ThresholdEffect:
    """Precision and recall of "complaint" on the development set at one threshold."""

    threshold: float
    precision: float
    recall: float


@dataclass
class LinearModel:
    """Weights by feature (one number per head), biases, and per head the Platt calibration
    (a, b) that turns a score s into a probability 1 / (1 + exp(-(a*s + b)))."""

    weights: dict[str, tuple[float, ...]]
    bias: tuple[float, ...]
    calibration: tuple[tuple[float, float], ...]
    threshold: float  # the complaint probability from which a message is a complaint
    development: tuple[ThresholdEffect, ...] = ()
    development_messages: int = 0
    development_complaints: int = 0
    about: dict[str, Any] = field(default_factory=dict)
    _words: dict[str, tuple[float, ...]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> LinearModel:
        try:
            if document.get("format") != FORMAT or tuple(document["heads"]) != HEADS:
                raise ModelFileError(f"expected format {FORMAT} with heads {list(HEADS)}")
            weights = {
                str(name): tuple(float(w) for w in values)
                for name, values in document["weights"].items()
            }
            if any(len(w) != len(HEADS) for w in weights.values()):
                raise ModelFileError("every feature has one weight per head")
            development = document.get("development", {})
            return cls(
                weights=weights,
                bias=tuple(float(b) for b in document["bias"]),
                calibration=tuple((float(a), float(b)) for a, b in document["calibration"]),
                threshold=float(document["threshold"]),
                development=tuple(
                    ThresholdEffect(float(t), float(p), float(r))
                    for t, p, r in development.get("curve", [])
                ),
                development_messages=int(development.get("messages", 0)),
                development_complaints=int(development.get("complaints", 0)),
                about=dict(document.get("about", {})),
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, ModelFileError):
                raise
            raise ModelFileError(f"not a classifier model: {exc!r}") from exc

    @classmethod
    def load(cls, path: Path) -> LinearModel:
        return cls.from_document(json.loads(path.read_text(encoding="utf-8")))

    def to_document(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "heads": list(HEADS),
            "bias": list(self.bias),
            "calibration": [list(c) for c in self.calibration],
            "threshold": self.threshold,
            "development": {
                "messages": self.development_messages,
                "complaints": self.development_complaints,
                "curve": [[e.threshold, e.precision, e.recall] for e in self.development],
            },
            "about": self.about,
            "weights": {name: list(values) for name, values in sorted(self.weights.items())},
        }

    def effect_at(self, threshold: float) -> ThresholdEffect | None:
        """The development set's precision and recall at the nearest threshold measured."""
        if not self.development:
            return None
        return min(self.development, key=lambda e: abs(e.threshold - threshold))

    def _word(self, token: str) -> tuple[float, ...]:
        """A token's own evidence per head: its unigram and its n-grams, unscaled."""
        found = self._words.get(token)
        if found is None:
            total = [0.0] * len(HEADS)
            names = [(f"w {token}", 1.0), *((f"c {g}", CHAR_SCALE) for g in word_ngrams(token))]
            for name, value in names:
                weights = self.weights.get(name)
                if weights is not None:
                    for head, weight in enumerate(weights):
                        total[head] += weight * value
            found = tuple(total)
            if len(self._words) >= WORD_CACHE_SIZE:
                self._words.clear()
            self._words[token] = found
        return found

    def score(
        self,
        tokens: Sequence[str],
        signals: Sequence[Signal],
        adjustment: Adjustment | None = None,
    ) -> Scored:
        # Presence, not counts: a word said a thousand times says what it says once. Its
        # evidence is shared among its occurrences, for the explanation.
        where: dict[str, list[int]] = {}
        for index, token in enumerate(tokens):
            where.setdefault(token, []).append(index)
        scale = _scale(len(where))
        parts: list[Part] = []
        named: list[tuple[str, tuple[float, ...]]] = []
        c, q, p, h = 0.0, 0.0, 0.0, 0.0  # the heads' sums (HEADS' order), unrolled for speed
        known = self._words
        for token, positions in where.items():
            own = known.get(token) or self._word(token)
            if own[0] or own[1] or own[2] or own[3]:
                weights = (own[0] * scale, own[1] * scale, own[2] * scale, own[3] * scale)
                c, q, p, h = c + weights[0], q + weights[1], p + weights[2], h + weights[3]
                parts.append((tuple(positions), weights))
        get = self.weights.get
        pairs: dict[str, list[int]] = {}
        for index, name in enumerate(map("b {} {}".format, tokens, tokens[1:])):
            pairs.setdefault(name, []).append(index)
        for name, starts in pairs.items():
            pair = get(name)
            if pair is not None:
                weights = (pair[0] * scale, pair[1] * scale, pair[2] * scale, pair[3] * scale)
                c, q, p, h = c + weights[0], q + weights[1], p + weights[2], h + weights[3]
                parts.append((tuple(i + k for i in starts for k in (0, 1)), weights))
        for signal in signals:
            found = get(signal.name)
            if found is None or not signal.value:
                continue
            added = tuple(w * signal.value for w in found)
            c, q, p, h = c + added[0], q + added[1], p + added[2], h + added[3]
            if not signal.parts:
                named.append((signal.name, added))
            for first, end, share in signal.parts:
                span = tuple(range(first, min(end, len(tokens))))
                parts.append((span, tuple(w * share for w in added)))
        raw = (c, q, p, h)
        logits = [
            a * (bias + total) + b
            for total, bias, (a, b) in zip(raw, self.bias, self.calibration, strict=True)
        ]
        scored = Scored({}, tokens, parts, named, tuple(a for a, _ in self.calibration))
        if adjustment is not None:
            adjustment.apply(message_features(tokens, signals), tokens, logits, scored.adjusted)
        scored.probabilities = {name: _sigmoid(z) for name, z in zip(HEADS, logits, strict=True)}
        return scored


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


# --- a workspace's adjustment ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Adjustment:
    """What a workspace's corrections add to the shipped model: per head, a bias and
    weights on features, in calibrated log-odds (added after the calibration), learned from
    that workspace's corrections only (see routing.adjust)."""

    bias: tuple[float, ...]
    weights: Mapping[str, tuple[float, ...]]
    examples: int
    model: str  # the shipped model it was learned on top of (its fingerprint)

    def apply(
        self,
        features: Mapping[str, float],
        tokens: Sequence[str],
        logits: list[float],
        adjusted: list[Part],
    ) -> None:
        """Adds to the calibrated log-odds, and to the explanation's parts."""
        for head in range(len(HEADS)):
            logits[head] += self.bias[head]
        for name, value in features.items():
            weights = self.weights.get(name)
            if weights is None:
                continue
            contributions = tuple(w * value for w in weights)
            for head in range(len(HEADS)):
                logits[head] += contributions[head]
            adjusted.append((tuple(_feature_span(name, tokens)), contributions))

    def to_document(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "model": self.model,
            "examples": self.examples,
            "bias": list(self.bias),
            "weights": {name: list(values) for name, values in sorted(self.weights.items())},
        }

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> Adjustment:
        try:
            if document.get("format") != FORMAT:
                raise ModelFileError(f"expected adjustment format {FORMAT}")
            weights = {
                str(name): tuple(float(w) for w in values)
                for name, values in document["weights"].items()
            }
            bias = tuple(float(b) for b in document["bias"])
            if len(bias) != len(HEADS) or any(len(w) != len(HEADS) for w in weights.values()):
                raise ModelFileError("one number per head")
            return cls(bias, weights, int(document["examples"]), str(document["model"]))
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, ModelFileError):
                raise
            raise ModelFileError(f"not a classifier adjustment: {exc!r}") from exc


def _feature_span(name: str, tokens: Sequence[str]) -> list[int]:
    """The tokens a word or pair feature comes from (every occurrence); none for others."""
    kind, _, rest = name.partition(" ")
    if kind == "w":
        return [i for i, t in enumerate(tokens) if t == rest]
    if kind == "b":
        first, _, second = rest.partition(" ")
        return [
            j
            for i in range(len(tokens) - 1)
            if tokens[i] == first and tokens[i + 1] == second
            for j in (i, i + 1)
        ]
    if kind == "c":
        return [i for i, t in enumerate(tokens) if rest in f" {t} "]
    return []


def fingerprint(document_bytes: bytes) -> str:
    """Which model an adjustment was learned on (an adjustment only fits its own model)."""
    return hashlib.sha256(document_bytes).hexdigest()[:16]


@functools.cache
def shipped_model() -> LinearModel:
    """The model the package ships, read once per process."""
    return LinearModel.load(SHIPPED_MODEL)


@functools.cache
def shipped_fingerprint() -> str:
    return fingerprint(SHIPPED_MODEL.read_bytes())
