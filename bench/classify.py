"""Classifier figures: throughput, and how well it finds complaints.

    python bench/classify.py [--labelled tests/data/brand_messages.jsonl] [--texts 20000]

1. Throughput: texts per second through `Classifier.classify_texts` (language guessed where
   the text carries no tag, as for Mastodon or Bluesky posts) and with the language given (as
   X tags it), against the floor every classifier pays in the same run: folding and
   tokenising the same texts.
2. On the labelled set (French and English messages to brands, written for this project,
   labelled complaint or not): precision, recall and F1 of "complaint", overall and per
   language, next to a keyword baseline (a complaint is any message holding one of a dozen
   obvious words) measured on the same set.

The last lines are the figures, one a line.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from routing.classify import Classifier
from routing.cues import fold, tokens
from routing.language import warm_up

DEFAULT_LABELLED = (
    Path(__file__).resolve().parent.parent / "tests" / "data" / "brand_messages.jsonl"
)
OBVIOUS = frozenset(
    {"not", "never", "worst", "terrible", "broken", "down", "late", "refund", "pas", "jamais",
     "panne", "retard", "nul", "rembourse", "toujours"}
)  # fmt: skip


def labelled(path: Path) -> list[dict[str, object]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [r for r in rows if isinstance(r.get("text"), str) and "complaint" in r]


def scores(truth: Sequence[bool], predicted: Sequence[bool]) -> tuple[float, float, float]:
    tp = sum(t and p for t, p in zip(truth, predicted, strict=True))
    fp = sum(p and not t for t, p in zip(truth, predicted, strict=True))
    fn = sum(t and not p for t, p in zip(truth, predicted, strict=True))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def keyword_baseline(text: str) -> bool:
    return any(word in OBVIOUS for word in tokens(fold(text)))


def rate(run: Callable[[], object], count: int) -> float:
    started = time.perf_counter()
    run()
    return count / (time.perf_counter() - started)


def main(args: argparse.Namespace) -> None:
    rows = labelled(args.labelled)
    classifier = Classifier()
    warm_up()
    texts = [str(rows[i % len(rows)]["text"]) for i in range(args.texts)]
    untagged = [(t, None) for t in texts]
    tagged = [
        (str(rows[i % len(rows)]["text"]), str(rows[i % len(rows)]["lang"]))
        for i in range(args.texts)
    ]
    floor = rate(lambda: [tokens(fold(t)) for t in texts], len(texts))
    guessed = rate(lambda: classifier.classify_texts(untagged), len(texts))
    given = rate(lambda: classifier.classify_texts(tagged), len(texts))
    print(f"{len(texts)} texts classified; labelled set: {len(rows)} messages")

    results = classifier.classify_texts([(str(r["text"]), None) for r in rows])
    truth = [bool(r["complaint"]) for r in rows]
    predicted = [c.kind.value == "complaint" for c in results]
    overall = scores(truth, predicted)
    baseline = scores(truth, [keyword_baseline(str(r["text"])) for r in rows])
    by_language = {}
    for language in ("en", "fr"):
        picked = [i for i, r in enumerate(rows) if r.get("lang") == language]
        by_language[language] = scores([truth[i] for i in picked], [predicted[i] for i in picked])
    detected = sum(c.language == r.get("lang") for c, r in zip(results, rows, strict=True)) / len(
        rows
    )

    print(f"classify_texts_per_s_language_guessed: {guessed:.0f}")
    print(f"classify_texts_per_s_language_given: {given:.0f}")
    print(f"tokenise_texts_per_s: {floor:.0f}")
    print(f"classify_to_tokenise_ratio: {given / floor:.3f}")
    print(f"complaint_precision: {overall[0]:.3f}")
    print(f"complaint_recall: {overall[1]:.3f}")
    print(f"complaint_f1: {overall[2]:.3f}")
    print(f"complaint_f1_en: {by_language['en'][2]:.3f}")
    print(f"complaint_f1_fr: {by_language['fr'][2]:.3f}")
    print(f"keyword_baseline_f1: {baseline[2]:.3f}")
    print(f"language_accuracy: {detected:.3f}")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labelled", type=Path, default=DEFAULT_LABELLED)
    parser.add_argument("--texts", type=int, default=20_000, help="texts for the throughput")
    arguments = parser.parse_args(argv)
    if not arguments.labelled.is_file():
        parser.error(f"{arguments.labelled} does not exist")
    if arguments.texts < 1:
        parser.error("--texts must be at least 1")
    return arguments


if __name__ == "__main__":
    main(parse_args())
