"""What a workspace gains from its agents' corrections, measured by replay.

    python bench/classify_replay.py [--brand RockstarSupport]

One brand of the customer-care conversations is the workspace. Its labelled customer messages
are ordered by time and cut in two halves. The shipped model classifies the first half; every
message it got wrong (kind or urgency) is corrected, as an agent would, and the workspace's
adjustment is learned from those corrections alone (routing.adjust). The second half is then
classified with and without the adjustment and scored against the labels.

Some second-half messages are in the corpus's training part, which the shipped model learned
from: the figures are also given on the second half's development and test parts only.

The last lines are the figures, one a line.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.classify import kind_scores
from bench.corpus import Example, RecordedDataMissingError, load, shared_data_dir
from routing.adjust import Correction, learn_adjustment
from routing.classify import Classifier
from routing.model import shipped_model

HIGH = frozenset({"high", "urgent"})


def brand_messages(brand: str) -> list[tuple[str, Example]]:
    """(time, example) of the brand's labelled customer turns, oldest first."""
    folder = shared_data_dir() / "customer-care"
    when: dict[str, tuple[str, str]] = {}
    for name in ("dev.json", "test.json"):
        for conversation in json.loads((folder / name).read_text(encoding="utf-8")):
            company = conversation["dialogHeader"]["company"]
            for turn in conversation["dialogContent"]:
                when.setdefault(str(turn["tweet_ID"]), (company, turn["datetime"]))
    found = []
    for example in load().examples:
        if example.label.source != "customer-care":
            continue
        company, at = when.get(example.label.id, ("", ""))
        if company == brand:
            found.append((at, example))
    return sorted(found, key=lambda pair: (pair[0], pair[1].label.id))


def scores(classifier: Classifier, examples: Sequence[Example]) -> dict[str, float]:
    results = classifier.classify_texts([(e.text, e.label.lang) for e in examples])
    found = kind_scores([e.label.kind for e in examples], [r.kind.value for r in results])
    found["kind_accuracy"] = sum(
        r.kind.value == e.label.kind for r, e in zip(results, examples, strict=True)
    ) / len(examples)
    found["high_accuracy"] = sum(
        (r.priority.value in HIGH) == (e.label.urgency in HIGH)
        for r, e in zip(results, examples, strict=True)
    ) / len(examples)
    return found


def main(args: argparse.Namespace) -> int:
    try:
        ordered = [e for _, e in brand_messages(args.brand)]
    except RecordedDataMissingError as exc:
        print(f"skipped: {exc}", file=sys.stderr)
        return 2
    if len(ordered) < 20:
        print(f"{args.brand}: {len(ordered)} labelled messages, too few to replay", file=sys.stderr)
        return 2
    first, second = ordered[: len(ordered) // 2], ordered[len(ordered) // 2 :]
    shipped = Classifier()
    corrections = []
    for example, result in zip(
        first, shipped.classify_texts([(e.text, e.label.lang) for e in first]), strict=True
    ):
        if result.kind.value != example.label.kind:
            corrections.append(
                Correction(example.text, example.label.lang, "kind", example.label.kind)
            )
        if (result.priority.value in HIGH) != (example.label.urgency in HIGH):
            corrections.append(
                Correction(example.text, example.label.lang, "urgency", example.label.urgency)
            )
    adjustment = learn_adjustment(corrections, model=shipped_model(), classifier=shipped)
    adjusted = Classifier(adjustment=adjustment)
    unseen = [e for e in second if e.label.split != "train"]
    print(
        f"{args.brand}: {len(first)} messages replayed first, {len(corrections)} corrections; "
        f"second half {len(second)} messages, {len(unseen)} outside the training part; "
        f"adjustment: {len(adjustment.weights)} features"
    )
    figures = []
    for part, examples in (("second_half", second), ("second_half_unseen", unseen)):
        before, after = scores(shipped, examples), scores(adjusted, examples)
        for name in ("complaint_f1", "macro_f1", "kind_accuracy", "high_accuracy"):
            figures.append((f"{name}_{part}_shipped", before[name]))
            figures.append((f"{name}_{part}_adjusted", after[name]))
            figures.append((f"{name}_{part}_gain", after[name] - before[name]))
    print(f"corrections {len(corrections)}")
    for name, value in figures:
        print(f"{name} {value:.3f}")
    return 0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--brand", default="RockstarSupport", help="the workspace's brand")
    return parser.parse_args(argv)


if __name__ == "__main__":
    raise SystemExit(main(parse_args()))
