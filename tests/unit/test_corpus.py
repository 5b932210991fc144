"""The labelled corpus: label files that hold ids and labels only, a split by conversation
that never moves, and labels that join the recorded texts they were read from."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from bench.corpus import (
    BLIND_FILE,
    LABELS_DIR,
    SPLIT_SEED,
    SPLITS,
    LabelFileError,
    RecordedDataMissingError,
    cohen_kappa,
    customer_care_messages,
    excluded,
    load,
    read_labels,
    real_labels,
    recorded_messages,
    split_of,
    unlabelled,
    written_labels,
)
from tests.shared_data import require_shared_data

REAL = real_labels()
WRITTEN = written_labels()
EVERY_LABEL = REAL + WRITTEN


def valid_line(**changes: object) -> str:
    row: dict[str, object] = {
        "source": "x", "conversation": "1", "id": "1", "lang": "en", "kind": "complaint",
        "urgency": "normal", "topics": ["app"], "split": "train",
    }  # fmt: skip
    row.update(changes)
    return json.dumps(row)


def test_the_corpus_holds_real_messages_and_french_written_apart() -> None:
    assert len(REAL) > 1000
    assert {r.source for r in REAL} <= {"customer-care", "x", "mastodon", "bluesky"}
    assert len(WRITTEN) >= 200
    assert {r.source for r in WRITTEN} == {"written-fr"}


def test_real_messages_are_stored_as_ids_and_labels_never_texts() -> None:
    assert all(r.text is None for r in REAL)


def test_messages_written_by_the_project_carry_their_text_in_french() -> None:
    assert all(r.text and r.lang == "fr" for r in WRITTEN)


def test_each_message_is_labelled_once() -> None:
    keys = Counter((r.source, r.id) for r in EVERY_LABEL)
    assert [key for key, count in keys.items() if count > 1] == []


def test_every_message_has_the_part_its_conversation_draws() -> None:
    moved = [r.id for r in EVERY_LABEL if r.split != split_of(r.source, r.conversation)]
    assert moved == []


def test_no_conversation_has_messages_on_two_sides() -> None:
    parts: dict[tuple[str, str], set[str]] = defaultdict(set)
    for label in EVERY_LABEL:
        parts[(label.source, label.conversation)].add(label.split)
    assert [key for key, splits in parts.items() if len(splits) > 1] == []


def test_conversations_fall_about_sixty_twenty_twenty() -> None:
    conversations = {(r.source, r.conversation) for r in EVERY_LABEL}
    shares = Counter(split_of(source, key) for source, key in conversations)
    for part, expected in zip(SPLITS, (0.6, 0.2, 0.2), strict=True):
        assert abs(shares[part] / len(conversations) - expected) < 0.05


def test_a_conversations_part_depends_on_the_seed_and_nothing_else() -> None:
    keys = [str(n) for n in range(200)]
    assert [split_of("x", k) for k in keys] == [split_of("x", k, SPLIT_SEED) for k in keys]
    assert [split_of("x", k) for k in keys] != [split_of("x", k, "another seed") for k in keys]


def test_the_blind_relabel_covers_labelled_real_messages() -> None:
    blind = read_labels(LABELS_DIR / BLIND_FILE)
    labelled = {(r.source, r.id) for r in REAL}
    assert len(blind) >= 150
    assert {(r.source, r.id) for r in blind} <= labelled


def test_a_malformed_label_names_its_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text(valid_line() + "\n" + valid_line(kind="angry") + "\n", encoding="utf-8")
    with pytest.raises(LabelFileError, match=r"x\.jsonl line 2: kind"):
        read_labels(path)


def test_an_unknown_topic_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text(valid_line(topics=["weather"]) + "\n", encoding="utf-8")
    with pytest.raises(LabelFileError, match="unknown"):
        read_labels(path)


def test_without_the_recorded_data_loading_says_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(RecordedDataMissingError, match=str(tmp_path)):
        load(data_dir=tmp_path)


def test_kappa_is_one_for_agreement_and_zero_for_chance() -> None:
    assert cohen_kappa([("a", "a"), ("b", "b"), ("a", "a")]) == 1.0
    assert cohen_kappa([("a", "a"), ("a", "b"), ("b", "a"), ("b", "b")]) == 0.0


def test_kappa_of_a_known_table() -> None:
    # By hand: observed 15/20 = 0.75; first rater 12 a, 8 b; second 11 a, 9 b; by chance
    # (12*11 + 8*9) / 400 = 0.51; kappa = (0.75 - 0.51) / (1 - 0.51).
    pairs = [("a", "a")] * 9 + [("a", "b")] * 3 + [("b", "a")] * 2 + [("b", "b")] * 6
    assert cohen_kappa(pairs) == pytest.approx(0.24 / 0.49)


# --- against the recorded data --------------------------------------------------------------


def test_every_customer_turn_of_the_customer_care_conversations_is_labelled() -> None:
    folder = require_shared_data("customer-care")
    turns = {m.id for m in customer_care_messages(folder)}
    labelled = {r.id for r in REAL if r.source == "customer-care"}
    assert turns == labelled


def test_the_agents_turns_are_not_labelled() -> None:
    folder = require_shared_data("customer-care")
    agents = {
        str(turn["tweet_ID"])
        for name in ("dev.json", "test.json")
        for conversation in json.loads((folder / name).read_text(encoding="utf-8"))
        for turn in conversation["dialogContent"]
        if "agent" in turn
    }
    assert agents.isdisjoint(r.id for r in REAL if r.source == "customer-care")


def test_every_recorded_message_is_labelled_or_excluded_with_a_reason() -> None:
    base = require_shared_data()
    assert unlabelled(data_dir=base) == []
    assert all(e.reason for e in excluded())


def test_labels_group_messages_as_the_recorded_conversations_do() -> None:
    recorded = recorded_messages(require_shared_data())
    differ = [r.id for r in REAL if recorded[(r.source, r.id)].conversation != r.conversation]
    assert differ == []


def test_loading_joins_every_label_to_its_recorded_text() -> None:
    corpus = load(data_dir=require_shared_data())
    assert corpus.missing == []
    assert len(corpus.examples) == len(REAL)
    assert all(example.text.strip() for example in corpus.examples)


def test_the_written_french_come_after_the_real_messages_only_when_asked() -> None:
    base = require_shared_data()
    real_only = load(data_dir=base)
    both = load(data_dir=base, written=True)
    assert len(both.examples) == len(real_only.examples) + len(WRITTEN)
    assert {e.label.source for e in both.examples[len(real_only.examples) :]} == {"written-fr"}
