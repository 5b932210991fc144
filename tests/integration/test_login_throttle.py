"""The login throttle on the real database: attempts counted before their password is checked,
per e-mail and address, and a gate per e-mail that slows guesses from many addresses without
ever keeping the person out of their own address."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from inbox.domain.login_throttle import LoginThrottle
from inbox.domain.people import Role
from inbox.store.database import Database
from inbox.store.people import PgPeopleStore
from inbox.store.web_sessions import PgWebSessions
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.web_auth import LoginRefusedError, TooManyAttemptsError, WebLogins

pytestmark = pytest.mark.integration

EMAIL = "ana@example.com"
RIGHT = SecretStr("correct horse battery")
WRONG = SecretStr("a wrong guess, again")
HOME = "198.51.100.7"  # where Ana logs in from
THROTTLE = LoginThrottle()


class CountingPasswords:
    """Plain-text "hashes" and a count of every check: what the throttle lets through."""

    def __init__(self) -> None:
        self.checks = 0

    async def hash(self, password: SecretStr) -> str:
        return "plain:" + password.get_secret_value()

    async def verify(self, stored: str | None, password: SecretStr) -> bool:
        self.checks += 1
        await asyncio.sleep(0)  # a real check takes long: the other attempts go on meanwhile
        return stored == "plain:" + password.get_secret_value()


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def passwords() -> CountingPasswords:
    return CountingPasswords()


@pytest.fixture
async def logins(
    db: Database, workspace_id: int, passwords: CountingPasswords, clock: Clock
) -> WebLogins:
    logins = WebLogins(PgWebSessions(db), passwords, clock=clock)
    await PgPeopleStore(db).save_agent(workspace_id, EMAIL, "Ana", [Role.AGENT], [])
    await logins.set_password(workspace_id, EMAIL, RIGHT)
    return logins


async def attempt(
    logins: WebLogins, workspace_id: int, address: str, password: SecretStr = WRONG
) -> str:
    """What the person sees: "in", "wrong" or "wait"."""
    try:
        await logins.login(workspace_id, EMAIL, password, address)
    except LoginRefusedError:
        return "wrong"
    except TooManyAttemptsError:
        return "wait"
    return "in"


async def test_of_forty_concurrent_wrong_passwords_from_one_address_five_are_checked(
    logins: WebLogins, workspace_id: int, passwords: CountingPasswords
) -> None:
    outcomes = await asyncio.gather(
        *(attempt(logins, workspace_id, "203.0.113.9") for _ in range(40))
    )
    assert passwords.checks == THROTTLE.per_address
    assert outcomes.count("wrong") == THROTTLE.per_address
    assert outcomes.count("wait") == 40 - THROTTLE.per_address


async def test_after_five_failures_an_address_waits_for_the_window_even_with_the_right_password(
    logins: WebLogins, workspace_id: int, passwords: CountingPasswords, clock: Clock
) -> None:
    for _ in range(THROTTLE.per_address):
        assert await attempt(logins, workspace_id, HOME) == "wrong"
    with pytest.raises(TooManyAttemptsError) as refused:
        await logins.login(workspace_id, EMAIL, RIGHT, HOME)
    assert refused.value.retry_after == THROTTLE.window.total_seconds()
    assert passwords.checks == THROTTLE.per_address
    clock.advance(THROTTLE.window)
    assert await attempt(logins, workspace_id, HOME, RIGHT) == "in"


async def test_a_success_clears_the_count_of_its_address(
    logins: WebLogins, workspace_id: int
) -> None:
    for _ in range(THROTTLE.per_address - 1):
        assert await attempt(logins, workspace_id, HOME) == "wrong"
    assert await attempt(logins, workspace_id, HOME, RIGHT) == "in"
    outcomes = [await attempt(logins, workspace_id, HOME) for _ in range(THROTTLE.per_address)]
    assert outcomes == ["wrong"] * THROTTLE.per_address


async def test_failures_from_one_address_do_not_hold_back_another(
    logins: WebLogins, workspace_id: int
) -> None:
    for _ in range(THROTTLE.per_address):
        await attempt(logins, workspace_id, "203.0.113.9")
    assert await attempt(logins, workspace_id, "203.0.113.9", RIGHT) == "wait"
    assert await attempt(logins, workspace_id, HOME, RIGHT) == "in"


async def test_failures_in_one_workspace_do_not_hold_back_the_same_email_in_another(
    db: Database, logins: WebLogins, workspace_id: int
) -> None:
    other = await PgWorkspaceStore(db).ensure_workspace("other", "Other")
    await PgPeopleStore(db).save_agent(other, EMAIL, "Ana too", [Role.AGENT], [])
    await logins.set_password(other, EMAIL, RIGHT)
    for _ in range(THROTTLE.per_address):
        await attempt(logins, workspace_id, HOME)
    assert await attempt(logins, workspace_id, HOME, RIGHT) == "wait"
    assert await attempt(logins, other, HOME, RIGHT) == "in"


async def test_guesses_from_many_addresses_slow_down_one_at_a_time_at_doubling_intervals(
    logins: WebLogins, workspace_id: int, passwords: CountingPasswords, clock: Clock
) -> None:
    def stranger(n: int) -> str:
        return f"10.0.{n // 250}.{n % 250}"

    free = [
        await attempt(logins, workspace_id, stranger(n)) for n in range(THROTTLE.free_per_email)
    ]
    assert free == ["wrong"] * THROTTLE.free_per_email
    delay = THROTTLE.first_delay
    for n in range(4):
        assert await attempt(logins, workspace_id, stranger(100 + n)) == "wrong"
        with pytest.raises(TooManyAttemptsError) as refused:
            await logins.login(workspace_id, EMAIL, WRONG, stranger(200 + n))
        assert refused.value.retry_after == delay.total_seconds()
        clock.advance(delay)
        delay *= 2
    assert passwords.checks == THROTTLE.free_per_email + 4


async def test_a_crowd_of_strangers_never_keeps_the_person_out_of_their_own_address(
    logins: WebLogins, workspace_id: int, clock: Clock
) -> None:
    assert await attempt(logins, workspace_id, HOME, RIGHT) == "in"  # HOME becomes Ana's
    crowd = await asyncio.gather(
        *(attempt(logins, workspace_id, f"10.1.{n // 250}.{n % 250}") for n in range(300))
    )
    assert crowd.count("wrong") <= THROTTLE.free_per_email + 1
    assert await attempt(logins, workspace_id, HOME) == "wrong"  # a typo: still checked
    assert await attempt(logins, workspace_id, HOME, RIGHT) == "in"
    # From an address of hers she has never used, she is slowed, not locked out.
    with pytest.raises(TooManyAttemptsError) as refused:
        await logins.login(workspace_id, EMAIL, RIGHT, "192.0.2.44")
    assert refused.value.retry_after <= THROTTLE.longest_delay.total_seconds()
    clock.advance(timedelta(seconds=refused.value.retry_after))
    assert await attempt(logins, workspace_id, "192.0.2.44", RIGHT) == "in"


async def test_free_attempts_are_let_through_whatever_order_their_clocks_arrive_in(
    logins: WebLogins, workspace_id: int, clock: Clock
) -> None:
    """Two servers, or two requests of one, read the time a moment apart and reach the
    database in the other order."""
    clock.advance(timedelta(milliseconds=3))
    assert await attempt(logins, workspace_id, "203.0.113.1") == "wrong"
    clock.advance(timedelta(milliseconds=-3))
    assert await attempt(logins, workspace_id, "203.0.113.2") == "wrong"
