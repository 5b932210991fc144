"""The classifier's answers stay what they were when its code is made faster: kind, language,
urgency, topics, personal data, every reason, and the model's probabilities (rounded), on the
recorded customer messages and on a generated set of texts, for every kind of classifier a
workspace may run (the shipped model, the lexicon alone, an extended lexicon, an adjusted
model).

The expected answers are kept as digests (`tests/data/classify_equivalence.json`), a digest a
run of `CHUNK` texts, so that the file holds nothing of the recorded texts. After a change
that is meant to change the answers, record them again:

    python -m tests.unit.test_classify_equivalence record
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from bench.corpus import load
from routing.classification import Classification
from routing.classify import Classifier
from routing.lexicon import LexiconExtension
from routing.lexicon_en import CUES as CUES_EN
from routing.lexicon_en import TOPICS as TOPICS_EN
from routing.lexicon_fr import CUES as CUES_FR
from routing.lexicon_fr import TOPICS as TOPICS_FR
from routing.model import Adjustment
from tests.shared_data import shared_data_dir

EXPECTED = Path(__file__).resolve().parent.parent / "data" / "classify_equivalence.json"
CHUNK = 25
PROBABILITY_DIGITS = 6
GENERATED_TEXTS = 1_200

EXTENSION = LexiconExtension(
    cues={"en": {"complaint": ["grey screen"], "outage": {"kiosk down": 1.5}},
          "fr": {"churn": ["je pars chez"]}},
    topics={"kiosk": ["kiosk", "borne", "till"]},
    large_audience=500,
    very_large_audience=5_000,
)  # fmt: skip
ADJUSTMENT = Adjustment(
    bias=(0.2, -0.1, 0.0, 0.3),
    weights={
        "w kiosk": (1.5, 0.0, -0.5, 0.8),
        "b grey screen": (2.0, 0.0, 0.0, 1.0),
        "c ree": (0.3, 0.1, 0.0, 0.0),
        "lex complaint": (0.4, -0.2, -0.3, 0.1),
        "vader positive": (-0.2, 0.0, 0.5, 0.0),
    },
    examples=4,
    model="test",
)

FILLER = (
    "router", "today", "the", "shop", "in", "Leeds", "my", "box", "la", "gare", "ce", "matin",
    "train", "app", "update", "yesterday", "order", "42", "and", "but", "we", "please", "très",
    "déçu", "réseau", "été", "l'appli", "j’ai", "dont", "cant", "im", "c'est", "qu'il",
    "@Fibrea", "@AirNord", "https://t.co/abc", "www.example.com", "#fail", "😡", "👏", "🙃",
    "?", "!", "!!!", "???", ".", ",", ";", ":", "£50", "€", "ÇA", "NOT", "WORKING", "AGAIN",
    "die", "und", "el", "gracias", "grazie", "obrigado", "dank", "kiosk", "grey", "screen",
    "if", "si", "not", "pas", "never", "jamais", "thanks", "merci", "refund", "rembours",
)  # fmt: skip
PERSONAL = (
    "jane.doe@example.com", "06 12 34 56 78", "+44 7700 900123", "4111 1111 1111 1111",
    "FR76 3000 6000 0112 3456 7890 189", "order number 12345678", "account no. AB-99812",
    "(212) 555-0100", "dossier n° 445 778",
)  # fmt: skip


def _phrases() -> list[str]:
    found: list[str] = []
    for cues in (CUES_EN, CUES_FR):
        for by_weight in cues.values():
            for phrases in by_weight.values():
                found.extend(p.rstrip("*") + ("ment" if p.endswith("*") else "") for p in phrases)
    for topics in (TOPICS_EN, TOPICS_FR):
        for phrases in topics.values():
            found.extend(phrases)
    return sorted(found)


def generated_texts(count: int = GENERATED_TEXTS) -> list[str]:
    """Texts made of the lexicons' phrases, common and foreign words, punctuation, marks,
    handles, links and personal data, in every case, short and long: the same every run."""
    draw = random.Random(19)
    phrases = _phrases()
    texts: list[str] = []
    for number in range(count):
        length = draw.choice((1, 2, 3, 5, 8, 12, 20, 35, 60)) if number % 50 else 400
        parts = [
            draw.choice(phrases) if draw.random() < 0.35 else draw.choice(FILLER)
            for _ in range(length)
        ]
        if draw.random() < 0.1:
            parts.insert(draw.randrange(len(parts) + 1), draw.choice(PERSONAL))
        text = " ".join(parts)
        shape = draw.random()
        if shape < 0.1:
            text = text.upper()
        elif shape < 0.2:
            text = text.capitalize() + "."
        texts.append(text)
    return texts


def _answer(classifier: Classifier, text: str, result: Classification) -> object:
    answer: dict[str, object] = dict(result.as_dict())
    if classifier.model is not None and text:
        evidence = classifier.evidence(text, result.language)
        scored = classifier.model.score(evidence.tokens, evidence.signals, classifier.adjustment)
        answer["probabilities"] = {
            head: round(value, PROBABILITY_DIGITS) for head, value in scored.probabilities.items()
        }
    return answer


def digests(answers: Sequence[object]) -> list[str]:
    lines = [json.dumps(a, sort_keys=True, ensure_ascii=False) for a in answers]
    return [
        hashlib.sha256("\n".join(lines[i : i + CHUNK]).encode()).hexdigest()[:16]
        for i in range(0, len(lines), CHUNK)
    ]


def _texts_answers(classifier: Classifier, items: Sequence[tuple[str, str | None]]) -> list[object]:
    results = classifier.classify_texts(items)
    return [_answer(classifier, t, r) for (t, _), r in zip(items, results, strict=True)]


def _one_by_one(classifier: Classifier, texts: list[str]) -> list[object]:
    """`classify` text by text, with audiences and earlier messages that raise urgency."""
    answers = []
    for number, text in enumerate(texts):
        result = classifier.classify(
            text,
            language=(None, "en", "fr", "und")[number % 4],
            followers=(None, 50, 600, 20_000)[number % 3],
            earlier_unanswered=number % 4,
        )
        answers.append(_answer(classifier, text, result))
    return answers


def generated_cases() -> dict[str, Callable[[], list[object]]]:
    texts = generated_texts()
    given = [(t, ("en", "fr", "fr-FR", "und")[i % 4]) for i, t in enumerate(texts)]
    untold = [(t, None) for t in texts]
    return {
        "generated_given": lambda: _texts_answers(Classifier(), given),
        "generated_guessed": lambda: _texts_answers(Classifier(), untold),
        "generated_lexicon": lambda: _texts_answers(Classifier(rules_only=True), given),
        "generated_extended": lambda: _texts_answers(Classifier(EXTENSION), untold),
        "generated_adjusted": lambda: _texts_answers(Classifier(adjustment=ADJUSTMENT), given),
        "generated_one_by_one": lambda: _one_by_one(Classifier(EXTENSION), texts),
    }


def recorded_cases() -> dict[str, Callable[[], list[object]]]:
    examples = load(written=True).examples
    given = [(e.text, e.label.lang) for e in examples]
    untold = [(e.text, None) for e in examples]
    return {
        "recorded_given": lambda: _texts_answers(Classifier(), given),
        "recorded_guessed": lambda: _texts_answers(Classifier(), untold),
        "recorded_lexicon": lambda: _texts_answers(Classifier(rules_only=True), given),
    }


def _expected() -> dict[str, list[str]]:
    loaded: dict[str, list[str]] = json.loads(EXPECTED.read_text(encoding="utf-8"))
    return loaded


def _compare(name: str, answers: list[object]) -> None:
    expected = _expected()[name]
    found = digests(answers)
    changed = [i for i, (a, b) in enumerate(zip(found, expected, strict=True)) if a != b]
    assert len(found) == len(expected)
    assert not changed, f"{name}: the answers changed for texts " + ", ".join(
        f"{i * CHUNK}-{i * CHUNK + CHUNK - 1}" for i in changed[:10]
    )


@pytest.mark.parametrize("name", sorted(generated_cases()))
def test_answers_on_generated_texts_are_unchanged(name: str) -> None:
    _compare(name, generated_cases()[name]())


@pytest.mark.parametrize("name", ["recorded_given", "recorded_guessed", "recorded_lexicon"])
def test_answers_on_recorded_messages_are_unchanged(name: str) -> None:
    if shared_data_dir() is None:
        pytest.skip("recorded data not found: set INBOX_SHARED_DATA or place it at ../shared/data")
    _compare(name, recorded_cases()[name]())


def record() -> None:
    cases = generated_cases()
    if shared_data_dir() is not None:
        cases |= recorded_cases()
    else:
        print("recorded data not found: only the generated texts are recorded", file=sys.stderr)
    found = _expected() if EXPECTED.exists() else {}
    found |= {name: digests(run()) for name, run in sorted(cases.items())}
    EXPECTED.write_text(json.dumps(dict(sorted(found.items())), indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] != ["record"]:
        raise SystemExit("usage: python -m tests.unit.test_classify_equivalence record")
    record()
