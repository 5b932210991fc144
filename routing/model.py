"""The trained classifier at run time: a message's features, the linear model's calibrated
probabilities, and the parts of the text that weighed most.

The model is a set of logistic regressions ("heads") over the same sparse features:
`complaint` (is it a complaint), `question` and `praise` (what a message that is not a
complaint is), and `high` (is it high or urgent). Its weights are a JSON file shipped in the
package (`routing/models/classifier.json`), written by `inbox classify train`; reading it
needs neither numpy nor the training libraries, and nothing here reaches the network.

Features (routing.features; `message_features` is the reference that training uses):
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

Explanations: each token's share of a head's score, and the runs of tokens that pushed it
most, are routing.scored's.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inbox.domain.errors import InboxError
from routing.features import CHAR_SCALE, Signal, feature_scale, message_features, word_ngrams
from routing.scored import HEADS, Part, Scored

FORMAT = 1
WORD_CACHE_SIZE = 100_000
SHIPPED_MODEL = Path(__file__).resolve().parent / "models" / "classifier.json"


class ModelFileError(InboxError, ValueError):
    """A model file that cannot be used: its format, its heads or a number is wrong."""


@dataclass(frozen=True, slots=True)
class ThresholdEffect:
    """Precision and recall of "complaint" on the development set at one threshold."""

    threshold: float
    precision: float
    recall: float


# A token's own evidence per head, and the pairs it starts (see LinearModel._token).
_TokenFacts = tuple[tuple[float, ...], dict[str, tuple[float, ...]] | None]


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
    _tokens: dict[str, _TokenFacts] = field(default_factory=dict, repr=False)
    _pairs: dict[str, dict[str, tuple[float, ...]]] | None = field(default=None, repr=False)
    _slopes: tuple[float, ...] = field(default=(), repr=False)

    def _index_pairs(self) -> dict[str, dict[str, tuple[float, ...]]]:
        """The pairs the model weighs, by their first word and then their second (weights
        are not changed once scoring starts, as the word cache assumes too)."""
        pairs: dict[str, dict[str, tuple[float, ...]]] = {}
        for name, weights in self.weights.items():
            kind, *words = name.split(" ")
            # A pair's words are tokens, which hold no space: any other name is no pair.
            if kind == "b" and len(words) == 2:
                pairs.setdefault(words[0], {})[words[1]] = weights
        self._pairs = pairs
        return pairs

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

    def _token(self, token: str) -> _TokenFacts:
        """What the model knows of a token: its own evidence per head (its unigram and its
        n-grams, unscaled; empty when it has none), and the pairs it starts by their second
        word (None when it starts none)."""
        total = [0.0] * len(HEADS)
        names = [(f"w {token}", 1.0), *((f"c {g}", CHAR_SCALE) for g in word_ngrams(token))]
        for name, value in names:
            weights = self.weights.get(name)
            if weights is not None:
                for head, weight in enumerate(weights):
                    total[head] += weight * value
        pairs = self._pairs if self._pairs is not None else self._index_pairs()
        found = (tuple(total) if any(total) else (), pairs.get(token))
        if len(self._tokens) >= WORD_CACHE_SIZE:
            self._tokens.clear()
        self._tokens[token] = found
        return found

    def score(
        self,
        tokens: Sequence[str],
        signals: Sequence[Signal],
        adjustment: Adjustment | None = None,
    ) -> Scored:
        # Presence, not counts: a word said a thousand times says what it says once. Its
        # evidence is shared among its occurrences, for the explanation.
        # Pairs the model knows, found on the way by their first word then their second:
        # most adjacent pairs are not among them, and are not worth a name.
        facts = self._tokens
        where: dict[str, int] = {}  # each distinct token's first position
        again: dict[str, list[int]] = {}  # the later positions of the tokens said again
        owns: list[tuple[float, ...]] = []  # each distinct token's own evidence, in order
        pairs: dict[tuple[str, str], list[int]] = {}
        found_pairs: dict[tuple[str, str], tuple[float, ...]] = {}
        seconds: dict[str, tuple[float, ...]] | None = None
        previous = ""
        for index, token in enumerate(tokens):
            fact = facts.get(token) or self._token(token)
            if where.setdefault(token, index) == index:
                owns.append(fact[0])
            else:
                again.setdefault(token, []).append(index)
            if seconds is not None:
                pair = seconds.get(token)
                if pair is not None:
                    key = (previous, token)
                    starts = pairs.get(key)
                    if starts is None:
                        pairs[key] = [index - 1]
                        found_pairs[key] = pair
                    else:
                        starts.append(index - 1)
            seconds = fact[1]
            previous = token
        scale = feature_scale(len(where))
        parts: list[Part] = []
        named: list[tuple[str, tuple[float, ...]]] = []
        c, q, p, h = 0.0, 0.0, 0.0, 0.0  # the heads' sums (HEADS' order), unrolled for speed
        for (token, first), own in zip(where.items(), owns, strict=True):
            if own:
                w0, w1, w2, w3 = own[0] * scale, own[1] * scale, own[2] * scale, own[3] * scale
                c += w0
                q += w1
                p += w2
                h += w3
                if token in again:
                    positions: tuple[int, ...] = (first, *again[token])
                else:
                    positions = _ONE[first] if first < _MADE else (first,)
                parts.append((positions, (w0, w1, w2, w3)))
        for key, starts in pairs.items():
            pair = found_pairs[key]
            weights = (pair[0] * scale, pair[1] * scale, pair[2] * scale, pair[3] * scale)
            c, q, p, h = c + weights[0], q + weights[1], p + weights[2], h + weights[3]
            if len(starts) > 1:
                both: tuple[int, ...] = tuple(i + k for i in starts for k in (0, 1))
            else:
                start = starts[0]
                both = _TWO[start] if start < _MADE else (start, start + 1)
            parts.append((both, weights))
        get = self.weights.get
        count = len(tokens)
        for signal in signals:
            value = signal.value
            if not value:
                continue
            found = get(signal.name)
            if found is None:
                continue
            added = (found[0] * value, found[1] * value, found[2] * value, found[3] * value)
            c, q, p, h = c + added[0], q + added[1], p + added[2], h + added[3]
            if not signal.parts:
                named.append((signal.name, added))
            for first, end, share in signal.parts:
                parts.append(
                    (
                        tuple(range(first, min(end, count))),
                        (added[0] * share, added[1] * share, added[2] * share, added[3] * share),
                    )
                )
        raw = (c, q, p, h)
        logits = [
            a * (bias + total) + b
            for total, bias, (a, b) in zip(raw, self.bias, self.calibration, strict=True)
        ]
        scored = Scored({}, tokens, parts, named, self._slopes or self._calibration_slopes())
        if adjustment is not None:
            adjustment.apply(message_features(tokens, signals), tokens, logits, scored.adjusted)
        scored.probabilities = dict(zip(HEADS, map(_sigmoid, logits), strict=True))
        return scored

    def _calibration_slopes(self) -> tuple[float, ...]:
        self._slopes = tuple(a for a, _ in self.calibration)
        return self._slopes


# The positions of a word said once and of a pair, made once: they are in most parts of
# every explanation, and fewer objects made per message is less for the garbage collector.
_MADE = 512
_ONE = tuple((i,) for i in range(_MADE))
_TWO = tuple((i, i + 1) for i in range(_MADE))


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
