"""Training the shipped classifier (`inbox classify train CORPUS --out MODEL`).

Reads a labelled corpus (JSON lines as `bench/corpus.py export` writes them: `text`, `lang`,
`kind`, `urgency`, `split`), fits one logistic regression per head of routing.model on the
`train` part, and chooses everything else without looking at the `test` part:

- the regularisation of each head, by stratified cross-validation on `train` (log-loss);
- each head's Platt calibration, on the cross-validated scores of `train`;
- the complaint threshold, on the real messages of the `dev` part: the middle of the widest
  plateau of F1 (the threshold whose neighbours at ±0.05 score best on average), so that a
  small change of data does not move the decision off a peak;
- the table of precision and recall on `dev` at every threshold from 0.05 to 0.95, which the
  admin page shows when a workspace moves its threshold.

Deterministic: the folds are drawn from the seed, the solver is liblinear with the seed, the
features are sorted and the weights rounded, so the same corpus and seed give the same bytes.
scikit-learn is needed here only (the `train` extra); the product reads the weights alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from inbox.domain.errors import ConfigurationError
from routing.classify import Classifier
from routing.features import message_features
from routing.model import LinearModel, ThresholdEffect
from routing.scored import HEADS

SEED = 20261216
FOLDS = 5
C_GRID = (0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
MIN_DOCUMENTS = 3  # a feature seen in fewer training messages is left out (a smaller file, as good)
DECIMALS = 4
THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(1, 20))
PLATEAU = 1  # grid steps on each side of a threshold that its plateau score averages
REAL_SOURCES = frozenset({"customer-care", "x", "mastodon", "bluesky"})


class LabelledLine(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    text: str
    lang: str
    kind: Literal["complaint", "question", "praise", "other"]
    # Absent: the message teaches kind only (the project's written set has no urgency).
    urgency: Literal["urgent", "high", "normal", "low"] | None = None
    split: Literal["train", "dev", "test"] = "train"
    source: str = "written"
    conversation: str = ""


@dataclass(frozen=True, slots=True)
class LabelledMessage:
    text: str
    lang: str
    kind: str
    urgency: str | None
    split: str
    source: str
    conversation: str

    @property
    def real(self) -> bool:
        return self.source in REAL_SOURCES

    def target(self, head: str) -> int | None:
        """1 or 0 for a head, None when the head does not learn from this message."""
        if head == "complaint":
            return int(self.kind == "complaint")
        if head == "high":
            return None if self.urgency is None else int(self.urgency in ("high", "urgent"))
        if self.kind == "complaint":
            return None  # question and praise tell apart what is not a complaint
        return int(self.kind == head)


def read_corpus(paths: Sequence[Path]) -> list[LabelledMessage]:
    """The labelled lines of every file, in order; a line without `split` is training
    material, one without `urgency` teaches the kind only."""
    messages = []
    for path in paths:
        if not path.is_file():
            raise ConfigurationError("corpus", f"{path} does not exist or is not a file")
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                row = LabelledLine.model_validate_json(line)
            except ValidationError as exc:
                first = exc.errors(include_url=False, include_input=False)[0]
                where = ".".join(str(p) for p in first["loc"]) or "line"
                raise ConfigurationError(
                    "corpus", f"{path.name} line {number}: {where}: {first['msg']}"
                ) from None
            messages.append(LabelledMessage(**row.model_dump()))
    if not any(m.split == "train" for m in messages):
        raise ConfigurationError("corpus", "no message of the 'train' split")
    return messages


FeatureFilter = Callable[[str], bool]


def featurise(
    messages: Sequence[LabelledMessage],
    classifier: Classifier | None = None,
    keep: FeatureFilter | None = None,
) -> list[dict[str, float]]:
    classifier = classifier or Classifier(rules_only=True)
    rows = []
    for message in messages:
        evidence = classifier.evidence(message.text, message.lang)
        features = message_features(evidence.tokens, evidence.signals)
        rows.append({k: v for k, v in features.items() if keep is None or keep(k)})
    return rows


@dataclass(frozen=True, slots=True)
class HeadFit:
    weights: dict[str, float]
    bias: float
    calibration: tuple[float, float]
    c: float


def train(
    messages: Sequence[LabelledMessage],
    *,
    seed: int = SEED,
    keep: FeatureFilter | None = None,
    c_grid: Sequence[float] = C_GRID,
) -> LinearModel:
    training = [m for m in messages if m.split == "train"]
    for head in HEADS:
        targets = {m.target(head) for m in training} - {None}
        if len(targets) < 2:
            raise ConfigurationError(
                "corpus",
                f"the training part teaches the '{head}' head nothing: it needs "
                "messages on both sides of it (urgency labels for 'high')",
            )
    features = featurise(training, keep=keep)
    vocabulary = _vocabulary(features)
    fits = {
        head: _fit_head(features, [m.target(head) for m in training], vocabulary, seed, c_grid)
        for head in HEADS
    }
    weights: dict[str, tuple[float, ...]] = {}
    for name in vocabulary:
        values = tuple(_rounded(fits[head].weights.get(name, 0.0)) for head in HEADS)
        if any(values):
            weights[name] = values
    model = LinearModel(
        weights=weights,
        bias=tuple(_rounded(fits[h].bias) for h in HEADS),
        calibration=tuple(
            (_rounded(fits[h].calibration[0]), _rounded(fits[h].calibration[1])) for h in HEADS
        ),
        threshold=0.5,
        about={
            "seed": seed,
            "training_messages": len(training),
            "regularisation_c": {h: fits[h].c for h in HEADS},
            "features": len(weights),
        },
    )
    development = [m for m in messages if m.split == "dev" and m.real]
    if development:
        _choose_threshold(model, development)
    return model


def _vocabulary(features: Sequence[dict[str, float]]) -> list[str]:
    counts: dict[str, int] = {}
    for row in features:
        for name in row:
            counts[name] = counts.get(name, 0) + 1
    return sorted(name for name, n in counts.items() if n >= MIN_DOCUMENTS)


def _fit_head(
    features: Sequence[dict[str, float]],
    targets: Sequence[int | None],
    vocabulary: Sequence[str],
    seed: int,
    c_grid: Sequence[float],
) -> HeadFit:
    import numpy as np
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss
    from sklearn.model_selection import StratifiedKFold

    rows = [f for f, t in zip(features, targets, strict=True) if t is not None]
    y = np.array([t for t in targets if t is not None])
    vectoriser = DictVectorizer(sort=True)
    vectoriser.fit([dict.fromkeys(vocabulary, 1.0)])
    x = vectoriser.transform(rows).tocsr()
    # liblinear takes 32-bit indices only; DictVectorizer may give 64-bit ones.
    x.indices = x.indices.astype(np.int32)
    x.indptr = x.indptr.astype(np.int32)
    folds = StratifiedKFold(n_splits=min(FOLDS, int(np.bincount(y).min())), shuffle=True,
                            random_state=seed)  # fmt: skip

    def model(c: float) -> Any:
        return LogisticRegression(C=c, solver="liblinear", random_state=seed, max_iter=1000)

    def out_of_fold(c: float) -> Any:
        scores = np.zeros(len(y))
        for inside, outside in folds.split(x, y):
            fitted = model(c).fit(x[inside], y[inside])
            scores[outside] = fitted.decision_function(x[outside])
        return scores

    best_c, best_loss, best_scores = c_grid[0], float("inf"), None
    for c in c_grid:
        scores = out_of_fold(c)
        loss = log_loss(y, _platt_probabilities(scores, y, seed))
        if loss < best_loss - 1e-9:
            best_c, best_loss, best_scores = c, loss, scores
    assert best_scores is not None  # the grid is never empty
    fitted = model(best_c).fit(x, y)
    names = vectoriser.get_feature_names_out()
    weights = {str(n): float(w) for n, w in zip(names, fitted.coef_[0], strict=True) if w}
    platt = LogisticRegression(C=1e6, solver="liblinear", random_state=seed).fit(
        best_scores.reshape(-1, 1), y
    )
    return HeadFit(
        weights, float(fitted.intercept_[0]),
        (float(platt.coef_[0][0]), float(platt.intercept_[0])), best_c,
    )  # fmt: skip


def _platt_probabilities(scores: Any, y: Any, seed: int) -> Any:
    from sklearn.linear_model import LogisticRegression

    platt = LogisticRegression(C=1e6, solver="liblinear", random_state=seed)
    return platt.fit(scores.reshape(-1, 1), y).predict_proba(scores.reshape(-1, 1))[:, 1]


def _rounded(value: float) -> float:
    rounded = round(value, DECIMALS)
    return 0.0 if rounded == 0 else rounded  # no "-0.0" in the file


def complaint_probabilities(model: LinearModel, messages: Sequence[LabelledMessage]) -> list[float]:
    classifier = Classifier(rules_only=True)
    found = []
    for message in messages:
        evidence = classifier.evidence(message.text, message.lang)
        found.append(model.score(evidence.tokens, evidence.signals).probability("complaint"))
    return found


def precision_recall(truth: Sequence[bool], predicted: Sequence[bool]) -> tuple[float, float]:
    tp = sum(t and p for t, p in zip(truth, predicted, strict=True))
    fp = sum(p and not t for t, p in zip(truth, predicted, strict=True))
    fn = sum(t and not p for t, p in zip(truth, predicted, strict=True))
    return (tp / (tp + fp) if tp + fp else 1.0), (tp / (tp + fn) if tp + fn else 1.0)


def f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _choose_threshold(model: LinearModel, development: Sequence[LabelledMessage]) -> None:
    probabilities = complaint_probabilities(model, development)
    truth = [m.kind == "complaint" for m in development]
    curve = []
    for threshold in THRESHOLDS:
        precision, recall = precision_recall(truth, [p >= threshold for p in probabilities])
        curve.append(ThresholdEffect(threshold, round(precision, 3), round(recall, 3)))
    f1s = [f1(e.precision, e.recall) for e in curve]

    def plateau(i: int) -> float:
        near = f1s[max(0, i - PLATEAU) : i + PLATEAU + 1]
        return sum(near) / len(near)

    best = max(
        range(len(curve)), key=lambda i: (round(plateau(i), 6), -abs(curve[i].threshold - 0.5))
    )
    model.threshold = curve[best].threshold
    model.development = tuple(curve)
    model.development_messages = len(development)
    model.development_complaints = sum(truth)


def model_bytes(model: LinearModel) -> bytes:
    """The file: sorted keys, one feature a line, so that a diff of two models reads."""
    document = model.to_document()
    weights = document.pop("weights")
    head = json.dumps(document, sort_keys=True, ensure_ascii=False)
    lines = [
        f"{json.dumps(name, ensure_ascii=False)}: {json.dumps(values)}"
        for name, values in weights.items()
    ]
    return (head[:-1] + ', "weights": {\n' + ",\n".join(lines) + "\n}}\n").encode()
