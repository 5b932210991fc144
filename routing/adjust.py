"""A workspace's own adjustment of the shipped model, learned from its agents' corrections.

The shipped model stays as it is; a workspace's corrections (kind or urgency, each with the
text it was about) teach a small logistic regression on top of it: per head, a bias and
weights on the words, pairs of words and lexicon signals of the corrected messages, fitted to
the corrected labels with the shipped model's log-odds as a fixed offset. So a workspace
learns what its customers mean by "booking" or "the app is grey again" without moving what
the shipped model knows, and what one workspace learns, from its own texts only, is stored
and applied for that workspace alone.

Pure Python, deterministic (full-batch gradient descent, a fixed number of steps, the
examples in the order given), no training library: the worker runs it in production.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from routing.classify import Classifier
from routing.features import message_features
from routing.model import Adjustment, LinearModel, shipped_fingerprint
from routing.scored import HEADS

# L2 pull toward the shipped model, per example: a single correction moves the workspace's
# model a little, a pattern repeated by several corrections moves it a lot.
REGULARISATION = 0.5
STEPS = 300
LEARNING_RATE = 0.5
DECIMALS = 4
# Character n-grams are left to the shipped model: words, pairs and lexicon signals say
# what a workspace's agents corrected, in terms an agent can read back in the reasons.
LEARNED_KINDS = ("w", "b")
LEARN_BIAS = False
HIGH_URGENCIES = frozenset({"high", "urgent"})


@dataclass(frozen=True, slots=True)
class Correction:
    """One corrected field of one message: `kind` (complaint, question, praise, other) or
    `urgency` (low, normal, high, urgent), with the text and its language."""

    text: str
    language: str | None
    field: str
    value: str

    def targets(self) -> dict[str, int]:
        """What the correction teaches each head (a head it says nothing about is absent)."""
        if self.field == "urgency":
            return {"high": int(self.value in HIGH_URGENCIES)}
        if self.field != "kind":
            return {}
        if self.value == "complaint":
            return {"complaint": 1}
        return {"complaint": 0, "question": int(self.value == "question"),
                "praise": int(self.value == "praise")}  # fmt: skip


def learn_adjustment(
    corrections: Sequence[Correction],
    *,
    model: LinearModel,
    classifier: Classifier,
    model_fingerprint: str | None = None,
) -> Adjustment:
    """The adjustment that fits these corrections on top of `model` (`classifier` reads the
    texts: the workspace's lexicon additions count as they do when it classifies)."""
    rows: list[tuple[dict[str, float], list[float], dict[str, int]]] = []
    for correction in corrections:
        targets = correction.targets()
        if not targets:
            continue
        evidence = classifier.evidence(correction.text, correction.language)
        scored = model.score(evidence.tokens, evidence.signals)
        offsets = [_logit(scored.probability(head)) for head in HEADS]
        features = {
            name: value
            for name, value in message_features(evidence.tokens, evidence.signals).items()
            if name.split(" ", 1)[0] in LEARNED_KINDS
        }
        rows.append((features, offsets, targets))
    vocabulary = sorted({name for features, _, _ in rows for name in features})
    bias = [0.0] * len(HEADS)
    weights: dict[str, list[float]] = {name: [0.0] * len(HEADS) for name in vocabulary}
    for head_index, head in enumerate(HEADS):
        examples = [(f, o[head_index], t[head]) for f, o, t in rows if head in t]
        if examples:
            head_bias, head_weights = _fit(examples)
            bias[head_index] = head_bias
            for name, weight in head_weights.items():
                weights[name][head_index] = weight
    kept = {
        name: tuple(_rounded(w) for w in values)
        for name, values in weights.items()
        if any(_rounded(w) for w in values)
    }
    return Adjustment(
        bias=tuple(_rounded(b) for b in bias),
        weights=kept,
        examples=len(rows),
        model=model_fingerprint or shipped_fingerprint(),
    )


def _fit(
    examples: Sequence[tuple[Mapping[str, float], float, int]],
) -> tuple[float, dict[str, float]]:
    """Bias and weights of one head, the shipped log-odds a fixed offset; only the features
    of this head's examples can move."""
    used = sorted({name for features, _, _ in examples for name in features})
    weights = dict.fromkeys(used, 0.0)
    bias = 0.0
    count = len(examples)
    for _ in range(STEPS):
        gradient = dict.fromkeys(used, 0.0)
        bias_gradient = 0.0
        for features, offset, target in examples:
            z = offset + bias + sum(weights[n] * v for n, v in features.items())
            error = _sigmoid(z) - target
            bias_gradient += error
            for name, value in features.items():
                gradient[name] += error * value
        if LEARN_BIAS:
            bias -= LEARNING_RATE * (bias_gradient + REGULARISATION * bias) / count
        for name in used:
            step = gradient[name] + REGULARISATION * weights[name]
            weights[name] -= LEARNING_RATE * step / count
    return bias, weights


def _logit(probability: float) -> float:
    clamped = min(max(probability, 1e-6), 1 - 1e-6)
    return math.log(clamped / (1 - clamped))


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _rounded(value: float) -> float:
    rounded = round(value, DECIMALS)
    return 0.0 if rounded == 0 else rounded
