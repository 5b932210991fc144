"""A message's features as the trained classifier reads them: its words, pairs of adjacent
words and character n-grams, and the lexicon's signals (named numbers with the token spans
that made them), including the valence of English words in VADER's lexicon.

Words and pairs count once however often they occur, and are divided by the square root of
the number of distinct words (`feature_scale`), so that a long (or repeated) message does not
score higher only for being long. `message_features` is the reference vector training uses;
routing.model scores the same sum without building it.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources

NGRAM_SIZES = (3, 4, 5)
# An n-gram's value beside a word's: a word has a dozen n-grams, and at full value they
# would take the evidence from the words and phrases that explain a decision best (chosen
# by cross-validation on the training part: 0.5 scored as well as 1.0 or better).
CHAR_SCALE = 0.5
SHORTEST_NGRAM_WORD = 2  # letters; single letters and digits carry no n-gram of their own
# VADER's own scalar for a negated word ("not good" weighs -0.74 of "good").
VADER_NEGATION = -0.74
VADER_NEGATION_REACH = 3  # tokens before a word where a negator turns it around


@dataclass(frozen=True, slots=True)
class Signal:
    """A named numeric feature from outside the n-grams (a lexicon's score), with the token
    spans that made it and how much each contributed, for the explanation."""

    name: str
    value: float
    parts: tuple[tuple[int, int, float], ...] = ()  # (start, end, share of the value)


def feature_scale(token_count: int) -> float:
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
    scale = feature_scale(len(distinct))
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
    for index in [i for i, token in enumerate(tokens) if token in valences]:
        valence = valences[tokens[index]]
        if negator_ends and any(
            index - VADER_NEGATION_REACH <= end < index for end in negator_ends
        ):
            valence *= VADER_NEGATION
        (negative if valence < 0 else positive).append((index, index + 1, abs(valence)))
    return [
        squashed_signal("vader negative", negative) if negative else _NO_VALENCE[0],
        squashed_signal("vader positive", positive) if positive else _NO_VALENCE[1],
    ]


_NO_VALENCE = (Signal("vader negative", 0.0), Signal("vader positive", 0.0))


def squashed_signal(name: str, parts: Sequence[tuple[int, int, float]]) -> Signal:
    """A group's score as a feature: log1p of its weights' sum, shared among the phrases
    that made it in proportion to their weights."""
    total = sum(p[2] for p in parts)
    if not total:
        return Signal(name, 0.0)
    # Sign kept: a workspace may add cues of negative weight.
    value = math.copysign(math.log1p(abs(total)), total)
    return Signal(name, value, tuple((s, e, v / total) for s, e, v in parts))
