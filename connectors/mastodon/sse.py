"""Server-sent events as Mastodon's streaming API writes them, read line by line.

An event is `event: NAME` and one or more `data: ...` lines, ended by a blank line; a line
starting with `:` is a comment (Mastodon's heartbeat, `:thump`). The parser keeps each event's
exact bytes so that one that cannot be read is quarantined whole. Written here rather than
taken from a client library because the connector must see the bytes of an event cut by a
broken connection, and must own reconnection (a REST catch-up follows every reconnection).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ServerEvent:
    name: str
    data: str
    raw: bytes


@dataclass(slots=True)
class EventParser:
    """Feed it lines (with or without their newline); it returns the events they complete."""

    heartbeats: int = 0
    _name: str = ""
    _data: list[str] = field(default_factory=list)
    _raw: list[bytes] = field(default_factory=list)

    def feed(self, line: bytes) -> ServerEvent | None:
        stripped = line.rstrip(b"\r\n")
        if not stripped:
            return self._dispatch()
        self._raw.append(stripped)
        if stripped.startswith(b":"):
            self.heartbeats += 1
            self._raw.pop()
            return None
        text = stripped.decode("utf-8", "replace")
        key, _, value = text.partition(":")
        value = value.removeprefix(" ")
        if key == "event":
            self._name = value
        elif key == "data":
            self._data.append(value)
        # `id` and `retry` are not used by Mastodon's stream; unknown fields are ignored.
        return None

    def pending(self) -> bytes | None:
        """The bytes of an event begun but not ended (the connection broke in it)."""
        return b"\n".join(self._raw) if self._raw else None

    def reset(self) -> None:
        self._name, self._data, self._raw = "", [], []

    def _dispatch(self) -> ServerEvent | None:
        if not self._raw:
            return None
        event = ServerEvent(self._name or "message", "\n".join(self._data), b"\n".join(self._raw))
        self.reset()
        return event
