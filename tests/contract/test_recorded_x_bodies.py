"""Every tweet and user object X was recorded sending parses into the connector's models."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from connectors.x.normalise import XTweet, XUser, normalise_page
from tests.shared_data import require_shared_data


def cassette_bodies() -> Iterator[tuple[str, Any]]:
    folder = require_shared_data("x", "tweepy-cassettes")
    for path in sorted(folder.glob("*.json")):
        for entry in json.loads(path.read_text(encoding="utf-8")):
            if "/2/" in entry["uri"] and isinstance(entry.get("body"), dict):
                yield f"{path.name} {entry['method']} {entry['uri']}", entry["body"]


def twarc_pages() -> Iterator[tuple[str, Any]]:
    folder = require_shared_data("x", "twarc")
    for path in sorted(folder.glob("*.jsonl")):
        for number, line in enumerate(path.read_bytes().splitlines(), start=1):
            try:
                yield f"{path.name}:{number}", json.loads(line)
            except ValueError:
                continue  # the truncated stream line: its quarantine is tested elsewhere


def objects(body: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """("tweet" | "user", object) for everything the body carries."""
    data = body.get("data")
    for item in data if isinstance(data, list) else [data] if isinstance(data, dict) else []:
        if "text" in item:
            yield "tweet", item
        elif "username" in item:
            yield "user", item
    includes = body.get("includes") or {}
    for tweet in includes.get("tweets", []):
        yield "tweet", tweet
    for user in includes.get("users", []):
        yield "user", user


def test_every_recorded_tweet_and_user_parses() -> None:
    seen = {"tweet": 0, "user": 0}
    for _where, body in [*cassette_bodies(), *twarc_pages()]:
        for kind, value in objects(body):
            model = XTweet if kind == "tweet" else XUser
            model.model_validate(value)  # raises, naming the field, if X's shape moved
            seen[kind] += 1
    assert seen["tweet"] > 150
    assert seen["user"] > 100


def test_recorded_timelines_without_fields_are_refused_with_the_missing_field() -> None:
    """tweepy's recordings did not ask for author_id or created_at: such a tweet cannot be a
    mention, and the reject says which requested field was missing."""
    path: Path = require_shared_data("x", "tweepy-cassettes", "test_client_get_users_mentions.json")
    body = json.loads(path.read_text(encoding="utf-8"))[0]["body"]
    page = normalise_page(body, source="recorded")
    assert page.mentions == []
    assert len(page.rejected) == len(body["data"])
    assert all("author_id" in r.error for r in page.rejected)
