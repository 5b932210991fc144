"""Classifier figures: how well it reads messages nobody tuned it on, and how fast.

    python bench/classify.py [--texts 20000]

1. Quality, on the TEST part of the labelled corpus (bench/corpus.py: split by conversation,
   never used for training or for choosing anything): macro-F1 over the four kinds and the
   precision, recall and F1 of "complaint", for three classifiers in the same run: the trained
   model (the product), the lexicon classifier it replaced (`Classifier(rules_only=True)`)
   and a keyword baseline (a complaint is any message holding one of a dozen obvious words;
   everything else is "other"). English real messages and the French messages written by the
   project are reported apart; the French figures say how the model reads the project's own
   French, not French in general. Needs the recorded data (INBOX_SHARED_DATA or
   ../shared/data), which holds the texts.
2. Throughput on the corpus's texts (real messages, long ones included): texts per second
   through `Classifier.classify_texts` with the language given (as X tags it) and guessed
   (as for untagged posts), of wall-clock and of CPU time, next to the lexicon classifier and
   to the floor every classifier pays, folding and tokenising the same texts, in the same
   run; the ratio to that floor of wall-clock time and, steadier on a shared machine, of
   CPU time.
3. With the language guessed rather than given: the share of test messages whose guessed
   language is the labelled one, and the model's quality figures (`model_language_guessed`).

The last lines are the figures, one a line.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import Example, RecordedDataMissingError, load
from routing.classification import Classification
from routing.classify import Classifier
from routing.cues import fold, tokens
from routing.language import network_language, warm_up

KINDS = ("complaint", "question", "praise", "other")
OBVIOUS = frozenset(
    {"not", "never", "worst", "terrible", "broken", "down", "late", "refund", "pas", "jamais",
     "panne", "retard", "nul", "rembourse", "toujours"}
)  # fmt: skip


def keyword_baseline(text: str) -> str:
    return "complaint" if any(word in OBVIOUS for word in tokens(fold(text))) else "other"


def f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def kind_scores(truth: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    """Macro-F1 over the kinds present in the truth, and complaint precision/recall/F1."""
    found: dict[str, float] = {}
    per_kind = []
    for kind in KINDS:
        tp = sum(t == kind and p == kind for t, p in zip(truth, predicted, strict=True))
        fp = sum(t != kind and p == kind for t, p in zip(truth, predicted, strict=True))
        fn = sum(t == kind and p != kind for t, p in zip(truth, predicted, strict=True))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        if kind in truth:
            per_kind.append(f1(precision, recall))
        if kind == "complaint":
            found |= {"complaint_precision": precision, "complaint_recall": recall}
            found["complaint_f1"] = f1(precision, recall)
    found["macro_f1"] = sum(per_kind) / len(per_kind)
    return found


def language_accuracy(examples: Sequence[Example], guessed: Sequence[Classification]) -> float:
    """The share of messages whose guessed language is the labelled one (`und` labels, for
    which no language is right, left out)."""
    pairs = [
        (e.label.lang, c.language)
        for e, c in zip(examples, guessed, strict=True)
        if network_language(e.label.lang) is not None
    ]
    return sum(label == language for label, language in pairs) / len(pairs)


PASSES = 3


def rates(run: Callable[[], object], count: int) -> tuple[float, float]:
    """Texts per second of wall-clock time and of this process's CPU time, each the best of
    a few passes: the machine is shared, and what the others run is not the classifier's
    cost (CPU time leaves out the time this process waited for a core)."""
    wall, cpu = 0.0, 0.0
    for _ in range(PASSES):
        started, used = time.perf_counter(), time.process_time()
        run()
        wall = max(wall, count / (time.perf_counter() - started))
        cpu = max(cpu, count / max(time.process_time() - used, 1e-9))
    return wall, cpu


def main(args: argparse.Namespace) -> int:
    try:
        corpus = load(written=True)
    except RecordedDataMissingError as exc:
        print(f"skipped: {exc}", file=sys.stderr)
        return 2
    model, lexicon = Classifier(), Classifier(rules_only=True)
    warm_up()
    test = [e for e in corpus.examples if e.label.split == "test"]
    parts: dict[str, list[Example]] = {
        "en": [e for e in test if e.label.source != "written-fr" and e.label.lang == "en"],
        "fr_written": [e for e in test if e.label.source == "written-fr"],
    }
    figures: list[tuple[str, float]] = []
    for part, examples in parts.items():
        truth = [e.label.kind for e in examples]
        texts = [(e.text, e.label.lang) for e in examples]
        untold = model.classify_texts([(text, None) for text, _ in texts])
        predictions = {
            "model": [c.kind.value for c in model.classify_texts(texts)],
            "model_language_guessed": [c.kind.value for c in untold],
            "lexicon": [c.kind.value for c in lexicon.classify_texts(texts)],
            "keywords": [keyword_baseline(e.text) for e in examples],
        }
        figures.append((f"test_messages_{part}", len(examples)))
        figures.append((f"language_accuracy_{part}", language_accuracy(examples, untold)))
        for name, predicted in predictions.items():
            for figure, value in kind_scores(truth, predicted).items():
                figures.append((f"{figure}_{part}_{name}", value))

    every = [(e.text, e.label.lang) for e in corpus.examples]
    tagged = [every[i % len(every)] for i in range(args.texts)]
    untagged = [(text, None) for text, _ in tagged]
    floor, floor_cpu = rates(lambda: [tokens(fold(t)) for t, _ in tagged], len(tagged))
    given, given_cpu = rates(lambda: model.classify_texts(tagged), len(tagged))
    guessed, _ = rates(lambda: model.classify_texts(untagged), len(tagged))
    rules, rules_cpu = rates(lambda: lexicon.classify_texts(tagged), len(tagged))
    print(f"{len(tagged)} texts classified for the throughput; test part: "
          + ", ".join(f"{p} {len(e)}" for p, e in parts.items()))  # fmt: skip
    for name, value in figures:
        print(f"{name} {value:.3f}" if isinstance(value, float) else f"{name} {value}")
    print(f"classify_texts_per_s_language_given {given:.0f}")
    print(f"classify_texts_per_cpu_s_language_given {given_cpu:.0f}")
    print(f"classify_texts_per_s_language_guessed {guessed:.0f}")
    print(f"lexicon_texts_per_s_language_given {rules:.0f}")
    print(f"lexicon_texts_per_cpu_s_language_given {rules_cpu:.0f}")
    print(f"model_to_lexicon_cpu_ratio {given_cpu / rules_cpu:.3f}")
    print(f"tokenise_texts_per_s {floor:.0f}")
    print(f"classify_to_tokenise_ratio {given / floor:.3f}")
    print(f"classify_language_guessed_to_tokenise_ratio {guessed / floor:.3f}")
    # Of CPU time too: on a shared machine the wall-clock passes of the two may meet
    # different loads, while the CPU time leaves out the waits for a core.
    print(f"tokenise_texts_per_cpu_s {floor_cpu:.0f}")
    print(f"classify_to_tokenise_cpu_ratio {given_cpu / floor_cpu:.3f}")
    return 0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", type=int, default=20_000, help="texts for the throughput")
    arguments = parser.parse_args(argv)
    if arguments.texts < 1:
        parser.error("--texts must be at least 1")
    return arguments


if __name__ == "__main__":
    raise SystemExit(main(parse_args()))
