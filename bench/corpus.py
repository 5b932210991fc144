"""The labelled corpus of real customer messages: labels the project wrote, texts from the
recorded data.

The labels (`tests/data/labels/*.jsonl`, see docs/labelling.md) hold ids and labels only.
Each message's text is read from the recorded data (`INBOX_SHARED_DATA`, else
`../shared/data`) when it is there: those recordings belong to others and are never copied
into the project. The French messages the project wrote itself carry their text
(`french_written.jsonl`); they are kept apart and never counted in a figure that claims
generality.

    python bench/corpus.py summary                  # make-up per source, kind, urgency, topic,
                                                    # split; agreement of the blind re-label
    python bench/corpus.py export OUT.jsonl [--split train] [--written]
    python bench/corpus.py unlabelled               # recorded messages neither labelled nor
                                                    # excluded (none, once the corpus is whole)

Which recorded texts are messages: every customer turn of the customer-care conversations
(the agents' turns are the brand's answers), and the posts of the X pages and of the real
Mastodon and Bluesky recordings, except reposts (another person's words, and a copy of a post
that is often recorded too) and posts without words. Posts written by programs (a test
suite's pings and timestamps) are listed in `excluded.jsonl` with the reason.

The split is by conversation, so that no conversation has messages on two sides: a
conversation's split is drawn from a hash of the seed and its key, stable whatever else the
corpus holds, about 60% train, 20% development and 20% test.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connectors.mastodon.html_text import html_to_text
from inbox.domain.errors import InboxError
from routing.lexicon_en import TOPICS as SHIPPED_TOPICS

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LABELS_DIR = PROJECT_ROOT / "tests" / "data" / "labels"
REAL_LABEL_FILES = ("customer_care.jsonl", "x.jsonl", "mastodon.jsonl", "bluesky.jsonl")
WRITTEN_FILE = "french_written.jsonl"
EXCLUDED_FILE = "excluded.jsonl"
BLIND_FILE = "relabel_blind.jsonl"

Source = Literal["customer-care", "x", "mastodon", "bluesky", "written-fr"]
Kind = Literal["complaint", "question", "praise", "other"]
Urgency = Literal["urgent", "high", "normal", "low"]
Split = Literal["train", "dev", "test"]
TOPICS: tuple[str, ...] = tuple(sorted(SHIPPED_TOPICS))
SPLITS: tuple[Split, ...] = ("train", "dev", "test")
SPLIT_SEED = "inbox-corpus-1"
SPLIT_SHARES = (0.6, 0.2)  # train, development; the test part takes the rest
Model = TypeVar("Model", bound=BaseModel)


class CorpusError(InboxError):
    """The corpus cannot be read as it is."""


class RecordedDataMissingError(CorpusError):
    """The recorded data, which holds the texts of the real messages, is not there."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"recorded data not found at {path}: set INBOX_SHARED_DATA or place it at "
            "../shared/data (the label files hold ids and labels, not the texts)"
        )
        self.path = path


class LabelFileError(CorpusError):
    """A line of a label file is malformed; the message names the file, line and field."""

    def __init__(self, path: Path, line: int, reason: str) -> None:
        super().__init__(f"{path.name} line {line}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


# --- where the recorded data is ----------------------------------------------------------


def shared_data_dir() -> Path:
    configured = os.environ.get("INBOX_SHARED_DATA")
    return Path(configured) if configured else PROJECT_ROOT.parent / "shared" / "data"


# --- the recorded messages ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordedMessage:
    source: Source
    id: str  # the network's id: a tweet id, a status or post URI
    conversation: str  # the key the split groups by
    text: str
    language: str | None  # the network's tag, when it gives one


class _Groups:
    """Union-find over ids: posts linked by a reply, an edit or a shared conversation fall in
    one conversation, keyed by its smallest id (for tweets, the earliest)."""

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}

    def link(self, first: str, *others: str) -> None:
        for other in others:
            a, b = self.key(first), self.key(other)
            if a != b:
                low, high = sorted((a, b), key=_id_order)
                self._parent[high] = low

    def key(self, item: str) -> str:
        parent = self._parent.setdefault(item, item)
        if parent == item:
            return item
        root = self.key(parent)
        self._parent[item] = root
        return root


def _id_order(value: str) -> tuple[int, int, str]:
    return (0, int(value), "") if value.isdigit() else (1, 0, value)


def customer_care_messages(folder: Path) -> Iterator[RecordedMessage]:
    """Every customer turn (`client`, or `client1` for a second customer) once, though a
    turn can open two recorded conversations."""
    groups = _Groups()
    turns: dict[str, str] = {}
    for name in ("dev.json", "test.json"):
        for conversation in json.loads((folder / name).read_text(encoding="utf-8")):
            content = conversation["dialogContent"]
            ids = [str(turn["tweet_ID"]) for turn in content]
            groups.link(ids[0], *ids[1:])
            for turn in content:
                if "agent" not in turn:
                    turns.setdefault(str(turn["tweet_ID"]), turn["message"])
    for tweet_id, text in turns.items():
        yield RecordedMessage("customer-care", tweet_id, groups.key(tweet_id), text, None)


def _twarc_pages(folder: Path) -> Iterator[dict[str, Any]]:
    for path in sorted((folder / "twarc").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                page = json.loads(line)
            except json.JSONDecodeError:
                continue  # a filtered stream cut mid-line: recorded so on purpose
            if isinstance(page, dict):
                yield page


def _cassette_bodies(paths: Iterable[Path]) -> Iterator[Any]:
    for path in sorted(paths):
        for exchange in json.loads(path.read_text(encoding="utf-8")):
            body = exchange.get("body")
            if isinstance(body, str):
                # Streaming answers are server-sent events: one JSON document a `data:` line.
                for line in body.splitlines():
                    if line.startswith("data:"):
                        try:
                            yield json.loads(line.removeprefix("data:"))
                        except json.JSONDecodeError:
                            continue
                try:
                    body = json.loads(body)
                except json.JSONDecodeError:
                    continue
            yield body


def _objects(value: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object inside a value, depth first."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))


def _is_tweet(item: Mapping[str, Any]) -> bool:
    text = item.get("full_text", item.get("text"))
    return (
        isinstance(text, str) and isinstance(item.get("id"), str | int) and "username" not in item
    )


def x_messages(folder: Path) -> Iterator[RecordedMessage]:
    """The tweets of the twarc pages and of tweepy's recordings (API v2 and v1.1)."""
    groups = _Groups()
    tweets: dict[str, tuple[str, str | None]] = {}
    bodies = [
        *_twarc_pages(folder),
        *_cassette_bodies((folder / "tweepy-cassettes").glob("*.json")),
    ]
    for tweet in (item for body in bodies for item in _objects(body) if _is_tweet(item)):
        tweet_id = str(tweet.get("id_str") or tweet["id"])
        references = tweet.get("referenced_tweets") or []
        reposted = any(r.get("type") == "retweeted" for r in references) or isinstance(
            tweet.get("retweeted_status"), dict
        )
        # Long posts arrive cut in `text`; the whole of it is in `note_tweet`, as the X
        # connector reads it.
        note = tweet.get("note_tweet")
        text = note["text"] if isinstance(note, dict) else tweet.get("full_text", tweet["text"])
        if reposted or text.startswith("RT @") or not text.strip():
            continue
        linked = [
            str(tweet[k]) for k in ("conversation_id", "in_reply_to_status_id_str") if tweet.get(k)
        ]
        linked += [r["id"] for r in references if r.get("type") == "replied_to"]
        linked += [str(i) for i in tweet.get("edit_history_tweet_ids") or []]
        groups.link(tweet_id, *linked)
        language = tweet.get("lang")
        tweets.setdefault(tweet_id, (text, language if isinstance(language, str) else None))
    for tweet_id, (text, language) in tweets.items():
        yield RecordedMessage("x", tweet_id, groups.key(tweet_id), text, language)


def mastodon_messages(folder: Path) -> Iterator[RecordedMessage]:
    """Statuses recorded on real instances (`cassettes_entity_tests__*`); the other
    recordings come from a development server filled by the test suite."""
    groups = _Groups()
    statuses: dict[str, tuple[str, str | None]] = {}
    for path in sorted(folder.glob("cassettes_entity_tests__*.json")):
        uri_of: dict[str, str] = {}
        replies: list[tuple[str, str]] = []
        for status in (s for body in _cassette_bodies([path]) for s in _objects(body)):
            if not isinstance(status.get("content"), str) or not isinstance(status.get("uri"), str):
                continue
            if not isinstance(status.get("account"), dict) or status.get("reblog"):
                continue
            uri = status["uri"]
            uri_of[str(status.get("id"))] = uri
            if status.get("in_reply_to_id"):
                replies.append((uri, str(status["in_reply_to_id"])))
            text = html_to_text(status["content"]).strip()
            if text:
                statuses.setdefault(uri, (text, status.get("language") or None))
        # Reply ids are local to the instance a recording was made on: resolve them per file.
        for uri, parent in replies:
            groups.link(uri, uri_of.get(parent, uri))
    for uri, (text, language) in statuses.items():
        yield RecordedMessage("mastodon", uri, groups.key(uri), text, language)


def bluesky_messages(folder: Path) -> Iterator[RecordedMessage]:
    """Posts of the real getPostThread answer (the AppView snapshots are seeded test data)."""
    body = json.loads((folder / "getPostThread_real.json").read_text(encoding="utf-8"))
    seen: set[str] = set()
    for post in _objects(body):
        record = post.get("record")
        uri = post.get("uri")
        if not isinstance(record, dict) or not isinstance(uri, str) or uri in seen:
            continue
        seen.add(uri)
        text = record.get("text")
        if not isinstance(text, str) or not text.strip():
            continue
        reply = record.get("reply")
        root = reply["root"]["uri"] if isinstance(reply, dict) else uri
        langs = record.get("langs") or [None]
        yield RecordedMessage("bluesky", uri, root, text, langs[0])


def recorded_messages(data_dir: Path | None = None) -> dict[tuple[str, str], RecordedMessage]:
    """Every recorded message by (source, id); raises when the recorded data is absent."""
    base = data_dir or shared_data_dir()
    if not (base / "customer-care" / "dev.json").is_file():
        raise RecordedDataMissingError(base)
    readers = (
        customer_care_messages(base / "customer-care"),
        x_messages(base / "x"),
        mastodon_messages(base / "mastodon"),
        bluesky_messages(base / "bluesky"),
    )
    return {(m.source, m.id): m for reader in readers for m in reader}


# --- the labels --------------------------------------------------------------------------


class LabelRecord(BaseModel):
    """One line of a label file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: Source
    conversation: str = Field(min_length=1)
    id: str = Field(min_length=1)
    lang: str = Field(min_length=2, max_length=8)  # the language the labeller read
    kind: Kind
    urgency: Urgency
    topics: tuple[str, ...]  # empty: none of the product's topics
    split: Split
    text: str | None = None  # only in the file of messages the project wrote

    @field_validator("topics")
    @classmethod
    def _known_topics(cls, topics: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(topics) - set(TOPICS))
        if unknown:
            raise ValueError(f"unknown {unknown}, expected some of {list(TOPICS)}")
        if len(set(topics)) != len(topics):
            raise ValueError("a topic listed twice")
        return topics


class ExcludedRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    source: Source
    id: str = Field(min_length=1)
    reason: str = Field(min_length=1)


def _read_lines(path: Path, model: type[Model]) -> list[Model]:
    records: list[Model] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(model.model_validate_json(line))
        except ValidationError as exc:
            first = exc.errors(include_url=False, include_input=False)[0]
            where = ".".join(str(p) for p in first["loc"]) or "line"
            raise LabelFileError(path, number, f"{where}: {first['msg']}") from exc
    return records


def read_labels(path: Path) -> list[LabelRecord]:
    return _read_lines(path, LabelRecord) if path.is_file() else []


def real_labels(labels_dir: Path = LABELS_DIR) -> list[LabelRecord]:
    return [r for name in REAL_LABEL_FILES for r in read_labels(labels_dir / name)]


def written_labels(labels_dir: Path = LABELS_DIR) -> list[LabelRecord]:
    return read_labels(labels_dir / WRITTEN_FILE)


def excluded(labels_dir: Path = LABELS_DIR) -> list[ExcludedRecord]:
    path = labels_dir / EXCLUDED_FILE
    return _read_lines(path, ExcludedRecord) if path.is_file() else []


def split_of(source: str, conversation: str, seed: str = SPLIT_SEED) -> Split:
    """The conversation's part, from a hash: the same whatever else the corpus holds."""
    digest = hashlib.sha256(f"{seed}\x00{source}\x00{conversation}".encode()).digest()
    draw = int.from_bytes(digest[:8], "big") / 2**64
    train, dev = SPLIT_SHARES
    if draw < train:
        return "train"
    return "dev" if draw < train + dev else "test"


# --- labels joined to texts --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Example:
    label: LabelRecord
    text: str
    network_language: str | None  # as the network tagged it (X does; the others may not)

    def as_dict(self) -> dict[str, object]:
        """The exported line: the label's fields, the text, and `complaint` as a boolean,
        the shape `bench/classify.py --labelled` reads."""
        row = self.label.model_dump(exclude={"text"})
        row["topics"] = list(self.label.topics)
        row["complaint"] = self.label.kind == "complaint"
        return {**row, "text": self.text, "network_language": self.network_language}


@dataclass(frozen=True, slots=True)
class Corpus:
    examples: list[Example]
    missing: list[LabelRecord]  # labelled, but the recorded data no longer holds the text


def load(
    labels_dir: Path = LABELS_DIR, data_dir: Path | None = None, *, written: bool = False
) -> Corpus:
    """The real messages' labels with their texts (and, with `written`, the project's own
    French messages after them); raises RecordedDataMissingError without the recorded data."""
    recorded = recorded_messages(data_dir)
    examples: list[Example] = []
    missing: list[LabelRecord] = []
    for label in real_labels(labels_dir):
        message = recorded.get((label.source, label.id))
        if message is None:
            missing.append(label)
        else:
            examples.append(Example(label, message.text, message.language))
    if written:
        examples += [Example(r, r.text or "", None) for r in written_labels(labels_dir)]
    return Corpus(examples, missing)


def unlabelled(
    labels_dir: Path = LABELS_DIR, data_dir: Path | None = None
) -> list[RecordedMessage]:
    """Recorded messages that are neither labelled nor excluded with a reason."""
    known = {(r.source, r.id) for r in real_labels(labels_dir)}
    known |= {(r.source, r.id) for r in excluded(labels_dir)}
    return [m for key, m in recorded_messages(data_dir).items() if key not in known]


# --- figures -----------------------------------------------------------------------------


def cohen_kappa(pairs: Sequence[tuple[str, str]]) -> float:
    """Agreement of two labellings beyond chance (1 = always the same, 0 = chance)."""
    if not pairs:
        raise ValueError("no pairs to compare")
    observed = sum(a == b for a, b in pairs) / len(pairs)
    first = Counter(a for a, _ in pairs)
    second = Counter(b for _, b in pairs)
    expected = sum(first[c] * second[c] for c in first) / len(pairs) ** 2
    return 1.0 if expected == 1 else (observed - expected) / (1 - expected)


def _table(title: str, rows: Iterable[LabelRecord], key: str) -> None:
    counts: Counter[str] = Counter()
    per_split: dict[str, Counter[str]] = {s: Counter() for s in SPLITS}
    for row in rows:
        values = getattr(row, key)
        names = (list(values) or ["none"]) if key == "topics" else [values]
        for name in names:
            counts[name] += 1
            per_split[row.split][name] += 1
    print(f"\n{title:<14}{'all':>7}" + "".join(f"{s:>7}" for s in SPLITS))
    for name, count in counts.most_common():
        print(f"  {name:<12}{count:>7}" + "".join(f"{per_split[s][name]:>7}" for s in SPLITS))


def summary(labels_dir: Path = LABELS_DIR) -> None:
    real = real_labels(labels_dir)
    written = written_labels(labels_dir)
    for title, rows in (("REAL MESSAGES", real), ("FRENCH, WRITTEN BY THE PROJECT", written)):
        conversations = {(r.source, r.conversation) for r in rows}
        print(f"\n== {title}: {len(rows)} messages, {len(conversations)} conversations")
        for key in ("source", "lang", "kind", "urgency", "topics"):
            _table(key, rows, key)
    blind = read_labels(labels_dir / BLIND_FILE)
    first = {(r.source, r.id): r for r in real}
    pairs = [(first[(b.source, b.id)], b) for b in blind if (b.source, b.id) in first]
    print()
    print(f"real_messages {len(real)}")
    print(f"written_french_messages {len(written)}")
    if pairs:
        print(f"blind_relabelled {len(pairs)}")
        for name, value in agreement(pairs).items():
            print(f"{name} {value:.3f}")


def agreement(pairs: Sequence[tuple[LabelRecord, LabelRecord]]) -> dict[str, float]:
    """How two labellings of the same messages agree: kappa for kind, for complaint or not
    (the classifier's main decision) and for urgency; the share with the same topics."""
    return {
        "kappa_kind": cohen_kappa([(a.kind, b.kind) for a, b in pairs]),
        "kappa_complaint": cohen_kappa(
            [(str(a.kind == "complaint"), str(b.kind == "complaint")) for a, b in pairs]
        ),
        "kappa_urgency": cohen_kappa([(a.urgency, b.urgency) for a, b in pairs]),
        "topics_identical_share": sum(set(a.topics) == set(b.topics) for a, b in pairs)
        / len(pairs),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("summary", help="the corpus's make-up and the blind re-label's agreement")
    export = commands.add_parser("export", help="labels joined to texts, one JSON line each")
    export.add_argument("out", type=Path)
    export.add_argument("--split", choices=SPLITS, action="append")
    export.add_argument("--written", action="store_true", help="add the French written here")
    commands.add_parser("unlabelled", help="recorded messages neither labelled nor excluded")
    args = parser.parse_args(argv)
    try:
        if args.command == "summary":
            summary()
        elif args.command == "export":
            corpus = load(written=args.written)
            rows = [e for e in corpus.examples if not args.split or e.label.split in args.split]
            with args.out.open("w", encoding="utf-8") as out:
                for example in rows:
                    out.write(json.dumps(example.as_dict(), ensure_ascii=False) + "\n")
            print(
                f"{len(rows)} messages written to {args.out}; {len(corpus.missing)} labelled "
                "messages not found in the recorded data"
            )
        else:
            for message in unlabelled():
                print(json.dumps({"source": message.source, "id": message.id}))
    except CorpusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
