"""The health board: what each part of a process says of itself, and what /healthz makes of it."""

from __future__ import annotations

from inbox.domain.errors import DatabaseUnavailableError
from inbox.usecases.health import CheckHealth, HealthBoard, PartHealth


class Database:
    """The HealthCheck port, answering or not as the test says."""

    def __init__(self) -> None:
        self.answers = True

    async def ping(self) -> None:
        if not self.answers:
            raise DatabaseUnavailableError("did not answer")


async def test_a_process_with_no_parts_is_well_while_its_database_answers() -> None:
    report = await CheckHealth(Database())()
    assert report.ok
    assert report.parts == {"database": PartHealth(True, "ok")}


async def test_a_database_that_does_not_answer_is_named_as_down() -> None:
    database = Database()
    database.answers = False
    report = await CheckHealth(database)()
    assert not report.ok
    assert report.down == ["database"]


async def test_the_last_report_of_each_part_counts() -> None:
    board = HealthBoard()
    board.report("outbox", True, "running")
    board.report("outbox", False, "retrying after DatabaseUnavailableError")
    board.report("timer", True, "following")
    report = await CheckHealth(Database(), board)()
    assert report.down == ["outbox"]
    assert report.parts["outbox"].detail == "retrying after DatabaseUnavailableError"
    board.report("outbox", True, "running")
    assert (await CheckHealth(Database(), board)()).ok


async def test_a_watched_part_is_asked_at_each_check() -> None:
    board = HealthBoard()
    state = {"ok": True}
    board.watch("listener", lambda: (state["ok"], "listening" if state["ok"] else "reconnecting"))
    check = CheckHealth(Database(), board)
    assert (await check()).parts["listener"] == PartHealth(True, "listening")
    state["ok"] = False
    assert (await check()).down == ["listener"]


async def test_a_watched_part_whose_status_fails_is_down_and_says_why() -> None:
    board = HealthBoard()

    def broken() -> tuple[bool, str]:
        raise RuntimeError("no idea")

    board.watch("listener", broken)
    report = await CheckHealth(Database(), board)()
    assert report.parts["listener"] == PartHealth(False, "status unknown (RuntimeError)")


async def test_a_watched_part_that_does_not_run_in_this_process_is_not_shown() -> None:
    board = HealthBoard()
    board.watch("listener", lambda: None)
    report = await CheckHealth(Database(), board)()
    assert list(report.parts) == ["database"]
