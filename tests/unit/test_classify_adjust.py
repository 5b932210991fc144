"""A workspace's adjustment of the shipped model: learned from its corrections alone, made
of their words only, the same whenever it is learned again."""

from __future__ import annotations

from inbox.domain.thread import ThreadKind
from routing.adjust import Correction, learn_adjustment
from routing.classify import Classifier
from routing.features import message_features
from routing.model import shipped_model

CLASSIFIER = Classifier()
KIOSK = [
    Correction("@acme the kiosk shows the grey screen", "en", "kind", "complaint"),
    Correction("@acme grey screen at the till this morning", "en", "kind", "complaint"),
    Correction("@acme grey screen on kiosk 4 now", "en", "kind", "complaint"),
    Correction("@acme the grey screen is on the big kiosk", "en", "urgency", "high"),
]


def learned(corrections: list[Correction]) -> Classifier:
    adjustment = learn_adjustment(corrections, model=shipped_model(), classifier=CLASSIFIER)
    return Classifier(adjustment=adjustment)


def test_corrections_teach_the_workspace_what_its_customers_mean() -> None:
    text = "@acme grey screen on the kiosk at platform 2"
    assert CLASSIFIER.classify(text, language="en").kind is ThreadKind.OTHER
    assert learned(KIOSK).classify(text, language="en").kind is ThreadKind.COMPLAINT


def test_the_adjustment_holds_only_the_words_of_its_own_corrections() -> None:
    adjustment = learn_adjustment(KIOSK, model=shipped_model(), classifier=CLASSIFIER)
    seen: set[str] = set()
    for correction in KIOSK:
        evidence = CLASSIFIER.evidence(correction.text, correction.language)
        seen |= set(message_features(evidence.tokens, evidence.signals))
    assert adjustment.weights
    assert set(adjustment.weights) <= seen
    assert adjustment.examples == len(KIOSK)


def test_learning_twice_gives_the_same_adjustment() -> None:
    first = learn_adjustment(KIOSK, model=shipped_model(), classifier=CLASSIFIER)
    assert learn_adjustment(KIOSK, model=shipped_model(), classifier=CLASSIFIER) == first


def test_an_urgency_correction_teaches_only_the_urgency_head() -> None:
    adjustment = learn_adjustment(KIOSK[3:], model=shipped_model(), classifier=CLASSIFIER)
    assert all(weights[:3] == (0.0, 0.0, 0.0) for weights in adjustment.weights.values())
    assert any(weights[3] > 0 for weights in adjustment.weights.values())
