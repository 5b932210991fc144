"""The trained classifier: its training command is reproducible, its scores are the sum its
features say, its reasons are its strongest phrases, and a workspace may move its threshold."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from inbox.classify_training import read_corpus, train
from inbox.cli import main
from inbox.domain.errors import ConfigurationError
from inbox.domain.routing import RoutingConfig
from inbox.domain.thread import ThreadKind
from inbox.usecases.routing_config import parse_config
from routing.classify import Classifier
from routing.features import message_features
from routing.model import LinearModel, shipped_model

PROJECT_WRITTEN = Path(__file__).resolve().parent.parent / "data" / "brand_messages.jsonl"
CLASSIFIER = Classifier()
LINE_DEAD = "your status page has been green all day but my line is dead"


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A slice of the project's own written messages, with an urgency made up for the test
    (every other complaint high): enough for every head to learn."""
    rows = [json.loads(line) for line in PROJECT_WRITTEN.read_text("utf-8").splitlines()[:160]]
    for number, row in enumerate(rows):
        row["urgency"] = "high" if row["kind"] == "complaint" and number % 2 else "normal"
    path = tmp_path_factory.mktemp("corpus") / "small.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_training_twice_with_the_same_corpus_and_seed_writes_the_same_bytes(
    small_corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    assert main(["classify", "train", str(small_corpus), "--out", str(first)]) == 0
    assert main(["classify", "train", str(small_corpus), "--out", str(second)]) == 0
    assert "model written to" in capsys.readouterr().out
    assert first.read_bytes() == second.read_bytes()
    model = LinearModel.load(first)
    assert model.about["training_messages"] == 160


def test_another_seed_draws_other_folds(small_corpus: Path, tmp_path: Path) -> None:
    """The seed is what the bytes depend on besides the corpus (the folds that choose the
    regularisation and the calibration)."""
    messages = read_corpus([small_corpus])
    assert train(messages, seed=1).about["seed"] == 1
    assert main(["classify", "train", str(small_corpus), "--out", str(tmp_path / "m.json"),
                 "--seed", "7"]) == 0  # fmt: skip
    assert LinearModel.load(tmp_path / "m.json").about["seed"] == 7


def test_a_corpus_that_teaches_a_head_nothing_is_refused(tmp_path: Path) -> None:
    corpus = tmp_path / "no_urgency.jsonl"
    corpus.write_text(PROJECT_WRITTEN.read_text("utf-8"), encoding="utf-8")
    with pytest.raises(ConfigurationError, match="'high'"):
        train(read_corpus([corpus]))


def test_a_corpus_line_without_a_kind_is_refused_with_its_place(tmp_path: Path) -> None:
    corpus = tmp_path / "bad.jsonl"
    corpus.write_text(json.dumps({"text": "hello", "lang": "en"}) + "\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"bad.jsonl line 1: kind"):
        read_corpus([corpus])


def test_the_score_is_the_sum_of_the_reference_features_weights() -> None:
    """Scoring caches each word's evidence; it must add up to the reference vector that
    training fits, repeated words and all."""
    model = shipped_model()
    classifier = Classifier()
    for text in (LINE_DEAD, "not bad. " * 50, "merci merci, vraiment merci !"):
        evidence = classifier.evidence(text, "en")
        features = message_features(evidence.tokens, evidence.signals)
        raw = model.bias[0] + sum(v * model.weights.get(k, (0.0,))[0] for k, v in features.items())
        a, b = model.calibration[0]
        scored = model.score(evidence.tokens, evidence.signals)
        assert scored.probability("complaint") == pytest.approx(1 / (1 + math.exp(-(a * raw + b))))


def test_a_phrase_said_many_times_weighs_what_it_weighs_once() -> None:
    once = CLASSIFIER.classify("not bad.", language="en").kind
    assert once is ThreadKind.PRAISE
    assert CLASSIFIER.classify("not bad. " * 2_000, language="en").kind is once


def test_the_reasons_of_a_complaint_are_its_strongest_phrases_with_their_weights() -> None:
    result = CLASSIFIER.classify(LINE_DEAD, language="en")
    kind = next(r for r in result.reasons if r.decision == "kind")
    assert kind.cue.startswith("'my line is dead' +")
    assert "complaint: probability" in kind.effect


def test_a_workspace_threshold_moves_the_complaint_decision() -> None:
    text = "the app is a bit slow today"
    probability = CLASSIFIER.complaint_probability(text, "en")
    strict = Classifier(complaint_threshold=min(0.99, probability + 0.01))
    lenient = Classifier(complaint_threshold=max(0.01, probability - 0.01))
    assert strict.classify(text, language="en").kind is not ThreadKind.COMPLAINT
    assert lenient.classify(text, language="en").kind is ThreadKind.COMPLAINT


def test_the_workspace_routing_settings_carry_the_complaint_threshold() -> None:
    parsed = parse_config(RoutingConfig(version=1, settings={"complaint_threshold": 0.8}))
    assert parsed.classifier.threshold == 0.8
    assert parse_config(RoutingConfig()).classifier.threshold == shipped_model().threshold
    with pytest.raises(ConfigurationError, match="complaint_threshold"):
        parse_config(RoutingConfig(version=1, settings={"complaint_threshold": 1.5}))


def test_the_shipped_model_carries_its_development_curve() -> None:
    model = shipped_model()
    assert model.development_messages > 0
    effect = model.effect_at(model.threshold)
    assert effect is not None
    assert 0 < effect.precision <= 1
    assert 0 < effect.recall <= 1
