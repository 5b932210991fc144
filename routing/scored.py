"""What the model says of one message: a calibrated probability per head, and the runs of
adjacent tokens that pushed each head most, for the reasons an agent reads.

Every feature comes from a span of tokens (a word, a pair, a cue's phrase), so each token
gets its share of a head's score; the reasons are the runs that pushed the decision most,
with their weight in log-odds ("'line is dead' +2.1").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

# The model's heads, in the order of every per-head tuple of weights, biases and parts.
HEADS = ("complaint", "question", "praise", "high")
# A token's share of a head's score below this (log-odds) is not worth an agent's attention.
SALIENT = 0.15
REASONS_SHOWN = 3

# How the signals tied to no words are named in the reasons an agent reads.
SIGNAL_LABELS = {
    "lex capitals": "written in capitals",
    "lex marks": "repeated ! and ?",
    "lang en": "written in English",
    "lang fr": "written in French",
    "lang other": "written in another language",
}


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
                        if len(positions) == 1:  # most words are said once
                            found[positions[0]] += each
                        else:
                            for position in positions:
                                found[position] += each
            self._shares[index] = found
        return found

    def phrases(self, head: str, *, against: bool = False) -> list[Phrase]:
        """The runs of adjacent tokens that pushed `head` up (or down, `against`) most,
        strongest first, at most `REASONS_SHOWN`."""
        index = HEADS.index(head)
        sign = -1.0 if against else 1.0
        shares = self.shares(head)
        tokens = self.tokens
        # (weight, first token, end, label): the runs of tokens have their words joined
        # only if they may be shown.
        found: list[tuple[float, int, int, str]] = []
        salient = [p for p, share in enumerate(shares) if sign * share >= SALIENT]
        count, at = len(salient), 0
        while at < count:
            start = end = salient[at]
            while at < count and salient[at] == end:
                end += 1
                at += 1
            run = _trimmed(tokens, start, end)
            if run is not None:
                found.append((sum(shares[run[0] : run[1]]), run[0], run[1], ""))
        slope = self.slopes[index]
        found.extend(
            (slope * weights[index], 0, 0, SIGNAL_LABELS.get(name, name))
            for name, weights in self.named
            if sign * slope * weights[index] >= SALIENT
        )
        if len(found) > REASONS_SHOWN:
            # Only a run as strong as the third strongest may be shown.
            weakest = sorted((abs(f[0]) for f in found), reverse=True)[REASONS_SHOWN - 1]
            found = [f for f in found if abs(f[0]) >= weakest]
        shown = [
            (label, weight, False) if label else (" ".join(tokens[first:end]), weight, True)
            for weight, first, end, label in found
        ]
        shown.sort(key=lambda phrase: (-abs(phrase[1]), phrase[0]))
        return [Phrase(*phrase) for phrase in shown[:REASONS_SHOWN]]


def _trimmed(tokens: Sequence[str], start: int, end: int) -> tuple[int, int] | None:
    """The run without the punctuation at its edges ("nobody answers", not "nobody
    answers ."), unless punctuation is all it is ("?"); None for a run that says nothing
    (a lone comma)."""
    first, last = start, end
    while first < last and _token_kind(tokens[first]) != _WORDLIKE_TOKEN:
        first += 1
    while last > first and _token_kind(tokens[last - 1]) != _WORDLIKE_TOKEN:
        last -= 1
    if first < last:
        return first, last
    for token in tokens[start:end]:
        if _token_kind(token) == _MARK:
            return start, end
    return None


_SAYS_NOTHING, _MARK, _WORDLIKE_TOKEN = 0, 1, 2
_TOKEN_KINDS: dict[str, int] = {}
TOKEN_KIND_CACHE_SIZE = 100_000


def _token_kind(token: str) -> int:
    """Whether a token is word-like (a letter or digit), else a ? or ! (which say
    something), else nothing; remembered, as tokens repeat across messages."""
    kind = _TOKEN_KINDS.get(token)
    if kind is None:
        if _WORDLIKE.search(token):
            kind = _WORDLIKE_TOKEN
        elif _SAYS_SOMETHING.search(token):
            kind = _MARK
        else:
            kind = _SAYS_NOTHING
        if len(_TOKEN_KINDS) >= TOKEN_KIND_CACHE_SIZE:
            _TOKEN_KINDS.clear()
        _TOKEN_KINDS[token] = kind
    return kind


_WORDLIKE = re.compile(r"[^\W_]")
_SAYS_SOMETHING = re.compile(r"[^\W_]|[?!]")
