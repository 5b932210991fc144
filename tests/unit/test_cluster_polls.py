"""Overlapping polls, as the chaos run reads them from the fakes' request logs: two processes
polling one account at once are found; a handover, however quick, is not one."""

from __future__ import annotations

from bench.cluster_polls import Poll, holdings, overlapping_polls

LEASE = 5.0


def polls(account: str, pid: int, *instants: float) -> list[Poll]:
    return [Poll(account, pid, at, at + 0.1) for at in instants]


def test_one_process_polling_an_account_all_along_is_one_holding_and_no_overlap() -> None:
    steady = polls("x", 1, 0, 1, 2, 3, 4)
    assert [(h.pid, h.started, h.finished) for h in holdings(steady, LEASE)] == [(1, 0, 4.1)]
    assert overlapping_polls(steady, LEASE) == 0


def test_a_handover_after_the_last_poll_of_the_holder_is_not_an_overlap() -> None:
    handed = polls("x", 1, 0, 1, 2) + polls("x", 2, 2.2, 3.2, 4.2)
    assert overlapping_polls(handed, LEASE) == 0


def test_two_processes_polling_one_account_in_turn_overlap() -> None:
    both = polls("x", 1, 0, 2, 4) + polls("x", 2, 1, 3, 5)
    assert overlapping_polls(both, LEASE) == 1


def test_an_account_taken_back_after_a_lease_had_time_to_expire_is_not_an_overlap() -> None:
    back = polls("x", 1, 0, 1) + polls("x", 2, 7, 8) + polls("x", 1, 14, 15)
    assert len(holdings(back, LEASE)) == 3
    assert overlapping_polls(back, LEASE) == 0


def test_two_processes_each_running_its_own_account_do_not_overlap() -> None:
    apart = polls("x", 1, 0, 1, 2) + polls("mastodon", 2, 0.5, 1.5, 2.5)
    assert overlapping_polls(apart, LEASE) == 0
