"""`inbox classify` and `inbox classify train`: the classifier on texts, no database."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from inbox.cli.common import Commands, standalone
from inbox.domain.errors import ConfigurationError

if TYPE_CHECKING:
    from routing.classify import Classifier
    from routing.lexicon import LexiconExtension

CHUNK = 1000
# A line read: (line number, text, language); a line that cannot be: (line number, error).
Pending = tuple[int, str, str | None] | tuple[int, str]


def register(commands: Commands) -> None:
    classify = commands.add_parser(
        "classify",
        help="classify texts: JSON lines with a 'text' (and optional 'lang') in, one JSON "
        "line out each (kind, language, urgency, topics, personal_data, reasons)",
    )
    classify.add_argument(
        "file", nargs="?", type=Path, help="JSON Lines to read (default: standard input)"
    )
    classify.add_argument(
        "--lexicon", type=Path, help="a workspace's lexicon additions (JSON), see the README"
    )
    standalone(classify, lambda args: classify_lines(args.file, args.lexicon))


def classify_lines(path: Path | None, lexicon_path: Path | None) -> int:
    """A line that cannot be read gets an error line of its own, at its place, so that
    output line N always answers input line N."""
    from routing.classify import Classifier

    classifier = Classifier(_lexicon(lexicon_path))
    if path is not None and not path.is_file():
        raise ConfigurationError("file", f"{path} does not exist or is not a file")
    source = path.open(encoding="utf-8", errors="replace") if path else sys.stdin
    failed = 0
    with source:
        pending: list[Pending] = []
        for number, line in enumerate(source, start=1):
            pending.append(_input(number, line))
            if len(pending) >= CHUNK:
                failed += _classify_chunk(classifier, pending)
                pending = []
        failed += _classify_chunk(classifier, pending)
    if failed:
        print(f"inbox: {failed} lines could not be classified", file=sys.stderr)
    return 1 if failed else 0


def _lexicon(lexicon_path: Path | None) -> LexiconExtension | None:
    from routing.lexicon import LexiconExtension

    if lexicon_path is None:
        return None
    try:
        return LexiconExtension.model_validate_json(lexicon_path.read_bytes())
    except OSError as exc:
        raise ConfigurationError(str(lexicon_path), f"cannot read it: {exc.strerror}") from exc
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'lexicon'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigurationError(str(lexicon_path), problems) from None


def _input(number: int, line: str) -> Pending:
    try:
        item = json.loads(line)
    except ValueError as exc:
        return number, f"line {number} is not JSON: {exc}"
    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
        return number, f"line {number} has no 'text' string"
    lang = item.get("lang")
    return number, item["text"], lang if isinstance(lang, str) else None


def _classify_chunk(classifier: Classifier, pending: list[Pending]) -> int:
    readable = [(p[1], p[2]) for p in pending if len(p) == 3]
    results = iter(classifier.classify_texts(readable))
    failed = 0
    for item in pending:
        if len(item) == 3:
            print(json.dumps(next(results).as_dict(), ensure_ascii=False))
        else:
            failed += 1
            print(json.dumps({"error": item[1]}, ensure_ascii=False))
    return failed


def _train_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="inbox classify train",
        description="Train the classifier's model on labelled JSON lines (text, lang, kind, "
        "and optionally urgency, split, source); the same files and seed give the same bytes.",
    )
    parser.add_argument("corpus", nargs="+", type=Path, help="labelled JSON Lines files")
    parser.add_argument("--out", type=Path, required=True, help="the model file to write")
    parser.add_argument("--seed", type=int, default=None, help="default: the shipped model's")
    return parser


def train(argv: Sequence[str]) -> int:
    """`inbox classify train`, parsed apart: `classify` takes a file name where `train` is.
    Needs the `train` extra (scikit-learn)."""
    args = _train_parser().parse_args(argv)
    from inbox.classify_training import SEED, model_bytes, read_corpus
    from inbox.classify_training import train as fit

    try:
        import sklearn  # noqa: F401
    except ImportError:
        raise ConfigurationError(
            "classify train", "needs scikit-learn: pip install 'social-inbox[train]'"
        ) from None
    messages = read_corpus(args.corpus)
    model = fit(messages, seed=SEED if args.seed is None else args.seed)
    try:
        args.out.write_bytes(model_bytes(model))
    except OSError as exc:
        raise ConfigurationError(str(args.out), f"cannot write it: {exc.strerror}") from exc
    print(
        f"model written to {args.out}: {model.about['features']} features from "
        f"{model.about['training_messages']} training messages; complaint threshold "
        f"{model.threshold:.2f}"
    )
    return 0
