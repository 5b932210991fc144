"""Who polled each account during the chaos run, read from the fake networks' own request
logs, and whether two processes ever polled one account at once.

A fake network logs each request with its client's port and when it began and ended
(`TimedRequest`). The port names the process: while the run's processes live, the port is one
of their sockets (`psutil`), read as soon as the request is logged and before any process is
killed, so a killed process's last polls are still its own.

Overlap: a process that runs an account polls it again and again; its *holding* is the span
from its first poll to its last, as long as no two consecutive polls are further apart than
the account lease. Two processes' holdings of one account that intersect in time are two
workers polling it at once. A lawful handover never does: the holder stops its runner before
it gives the lease up (or dies, and the lease expires), and only then does another take it.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import psutil  # type: ignore[import-untyped]

from connectors.common.fake_server import TimedRequest

# Each network's endpoints a connector polls an account with (posting and the outbox's own
# reads for a reply are not polls: any worker may send a reply).
POLL_ENDPOINTS: Mapping[str, frozenset[str]] = {
    "x": frozenset({"mentions", "search"}),
    "mastodon": frozenset({"notifications"}),
    "bluesky": frozenset({"app.bsky.notification.listNotifications"}),
}


@dataclass(frozen=True, slots=True)
class Poll:
    account: str  # the run has one brand account per network: the network names it
    pid: int
    started: float  # monotonic seconds
    finished: float


@dataclass(frozen=True, slots=True)
class Holding:
    account: str
    pid: int
    started: float
    finished: float

    def meets(self, other: Holding) -> bool:
        return self.started <= other.finished and other.started <= self.finished


def holdings(polls: Iterable[Poll], gap_seconds: float) -> list[Holding]:
    """Each process's spans of polling each account: consecutive polls at most `gap_seconds`
    apart belong to one span."""
    spans: list[Holding] = []
    current: dict[tuple[str, int], Holding] = {}
    for poll in sorted(polls, key=lambda p: p.started):
        key = (poll.account, poll.pid)
        held = current.get(key)
        if held is not None and poll.started - held.finished <= gap_seconds:
            current[key] = Holding(
                poll.account, poll.pid, held.started, max(held.finished, poll.finished)
            )
            continue
        if held is not None:
            spans.append(held)
        current[key] = Holding(poll.account, poll.pid, poll.started, poll.finished)
    spans.extend(current.values())
    return spans


def overlapping_polls(polls: Iterable[Poll], gap_seconds: float) -> int:
    """How many pairs of holdings of one account, by two processes, intersect in time."""
    by_account: dict[str, list[Holding]] = defaultdict(list)
    for span in holdings(polls, gap_seconds):
        by_account[span.account].append(span)
    overlaps = 0
    for spans in by_account.values():
        for index, first in enumerate(spans):
            overlaps += sum(
                1
                for second in spans[index + 1 :]
                if second.pid != first.pid and first.meets(second)
            )
    return overlaps


class PollLog:
    """The polls read so far from each fake's request log, each with its process.

    `read` is called often (and right before a kill): it takes the requests logged since the
    last call, keeps the polls, and finds each new client port among the sockets of the
    processes `pids` names."""

    def __init__(self, logs: Mapping[str, Sequence[TimedRequest]]) -> None:
        self._logs = logs
        self._read_up_to = dict.fromkeys(logs, 0)
        self._owner_of_port: dict[int, int] = {}
        self._died_at: dict[int, float] = {}
        self.polls: list[Poll] = []
        self.unattributed = 0

    def read(self, pids: Callable[[], Iterable[int]]) -> None:
        fresh: list[tuple[str, TimedRequest]] = []
        for network, log in self._logs.items():
            start, self._read_up_to[network] = self._read_up_to[network], len(log)
            fresh.extend(
                (network, request)
                for request in log[start : self._read_up_to[network]]
                if request.endpoint in POLL_ENDPOINTS[network]
            )
        unknown = {r.client_port for _, r in fresh if self._owner(r) is None}
        if unknown:
            self._find_owners(unknown, pids())
        for network, request in fresh:
            pid = self._owner(request)
            if pid is None:
                self.unattributed += 1
                continue
            self.polls.append(Poll(network, pid, request.started, request.finished))

    def died(self, pid: int) -> None:
        """`pid` was killed now: a port of its that asks later is another process's."""
        self._died_at[pid] = time.monotonic()

    def _owner(self, request: TimedRequest) -> int | None:
        pid = self._owner_of_port.get(request.client_port)
        if pid is not None and request.started > self._died_at.get(pid, request.started):
            return None
        return pid

    def _find_owners(self, ports: set[int], pids: Iterable[int]) -> None:
        for pid in pids:
            try:
                sockets = psutil.Process(pid).net_connections(kind="tcp")
            except psutil.Error:
                continue
            for sock in sockets:
                if sock.laddr and sock.laddr.port in ports:
                    self._owner_of_port[sock.laddr.port] = pid
