"""Two-factor sign-in over real HTTP on loopback: turning it on from /me, signing in with
and without the code, recovery codes that work once, the code step throttled with the
password, the workspace's requirement, and an admin's reset kept in the audit trail."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import aiohttp
import pytest

from inbox.domain import totp
from inbox.domain.people import Role
from inbox.store.database import Database
from inbox.usecases.services import Services
from inbox.usecases.two_factor import RECOVERY_CODES
from inbox.usecases.web_auth import THROTTLE
from tests.e2e.browsing import PASSWORD
from tests.e2e.site import session_of
from tests.e2e.test_admin_pages import ADMIN, page, person, post
from web.login import PENDING_COOKIE
from web.session import COOKIE

pytestmark = pytest.mark.integration

AGENT = "ana@example.com"
Client = tuple[aiohttp.ClientSession, str]


@pytest.fixture
def base(client: Client) -> str:
    return client[1]


def _browser() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


def _cookies(browser: aiohttp.ClientSession) -> set[str]:
    return {cookie.key for cookie in browser.cookie_jar}


def _code(secret: str, ahead: int = 0) -> str:
    return totp.code_at(secret, totp.step_at(datetime.now(UTC)) + ahead)


def _recovery_codes(html: str) -> list[str]:
    return re.findall(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>", html)


async def _password(browser: aiohttp.ClientSession, base: str, email: str) -> tuple[int, str]:
    async with browser.post(
        f"{base}/login", data={"email": email, "password": PASSWORD}, allow_redirects=False
    ) as answer:
        return answer.status, answer.headers.get("Location", "")


async def _code_step(browser: aiohttp.ClientSession, base: str, code: str) -> tuple[int, str, str]:
    async with browser.post(
        f"{base}/login/code", data={"code": code}, allow_redirects=False
    ) as answer:
        return answer.status, answer.headers.get("Location", ""), await answer.text()


async def _turn_on(base: str, email: str) -> tuple[str, list[str]]:
    """Two-factor sign-in turned on from /me: the secret and the recovery codes shown."""
    async with session_of(base, email) as browser:
        status, _, html = await post(
            browser, f"{base}/me/two-factor/start", {}, f"{base}/me/two-factor"
        )
        assert status == 200, html[:300]
        found = re.search(r"otpauth://totp/[^\"<]*secret=([A-Z2-7]+)", html)
        assert found is not None, html
        secret = found.group(1)
        spaced = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
        assert spaced in html  # the key as text, to type
        status, _, html = await post(
            browser,
            f"{base}/me/two-factor/confirm",
            {"code": _code(secret)},
            f"{base}/me/two-factor",
        )
        assert status == 200, html[:300]
        codes = _recovery_codes(html)
        assert len(codes) == RECOVERY_CODES
        _, me = await page(browser, f"{base}/me")
        assert "<strong>On.</strong>" in me
    return secret, codes


@asynccontextmanager
async def _signed_in_with(base: str, email: str, code: str) -> AsyncIterator[aiohttp.ClientSession]:
    async with _browser() as browser:
        assert await _password(browser, base, email) == (303, "/login/code")
        status, where, html = await _code_step(browser, base, code)
        assert (status, where) == (303, "/inbox"), html[:300]
        yield browser


@pytest.fixture
async def agent_id(services: Services, db: Database, workspace_id: int) -> int:
    return await person(services, db, workspace_id, AGENT, Role.AGENT)


@pytest.fixture
async def admin_id(services: Services, db: Database, workspace_id: int) -> int:
    return await person(services, db, workspace_id, ADMIN, Role.ADMIN)


async def test_with_two_factor_on_the_password_alone_opens_no_session(
    base: str, agent_id: int
) -> None:
    await _turn_on(base, AGENT)
    async with _browser() as browser:
        assert await _password(browser, base, AGENT) == (303, "/login/code")
        assert COOKIE not in _cookies(browser)
        assert PENDING_COOKIE in _cookies(browser)
        status, html = await page(browser, f"{base}/login/code")
        assert status == 200
        assert 'autocomplete="one-time-code"' in html
        assert (await page(browser, f"{base}/inbox"))[0] == 303  # to /login


async def test_the_right_code_signs_in_and_the_same_code_is_refused_a_second_time(
    base: str, agent_id: int
) -> None:
    secret, _ = await _turn_on(base, AGENT)
    code = _code(secret, ahead=1)  # the step after the one that turned it on
    async with _signed_in_with(base, AGENT, code) as browser:
        assert COOKIE in _cookies(browser)
        assert PENDING_COOKIE not in _cookies(browser)
        assert (await page(browser, f"{base}/inbox"))[0] == 200
    async with _browser() as browser:
        await _password(browser, base, AGENT)
        status, _, html = await _code_step(browser, base, code)
        assert status == 401
        assert "Wrong or expired code." in html
        assert COOKIE not in _cookies(browser)


async def test_a_wrong_code_is_refused_and_opens_no_session(base: str, agent_id: int) -> None:
    secret, _ = await _turn_on(base, AGENT)
    right = {_code(secret, ahead) for ahead in (-1, 0, 1, 2)}
    wrong = next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in right)
    async with _browser() as browser:
        await _password(browser, base, AGENT)
        status, _, html = await _code_step(browser, base, wrong)
        assert status == 401
        assert "Wrong or expired code." in html
        assert COOKIE not in _cookies(browser)


async def test_a_recovery_code_signs_in_once(base: str, agent_id: int) -> None:
    _, codes = await _turn_on(base, AGENT)
    async with _signed_in_with(base, AGENT, codes[3].upper().replace("-", " ")):
        pass
    async with _browser() as browser:
        await _password(browser, base, AGENT)
        status, _, _ = await _code_step(browser, base, codes[3])
        assert status == 401
    async with _signed_in_with(base, AGENT, codes[4]) as browser:
        _, me = await page(browser, f"{base}/me")
        assert f"{RECOVERY_CODES - 2} recovery codes left" in me


async def test_wrong_codes_count_with_the_password_and_are_throttled(
    base: str, agent_id: int
) -> None:
    secret, _ = await _turn_on(base, AGENT)
    async with _browser() as browser:
        await _password(browser, base, AGENT)  # the first attempt of the window
        statuses = [(await _code_step(browser, base, "000000"))[0] for _ in range(8)]
        assert statuses[: THROTTLE.per_address - 1] == [401] * (THROTTLE.per_address - 1)
        assert set(statuses[THROTTLE.per_address - 1 :]) == {429}
        # Even the right code waits: guessing cannot go on faster than passwords.
        status, _, html = await _code_step(browser, base, _code(secret, ahead=1))
        assert status == 429
        assert "Too many failed logins" in html
        assert COOKIE not in _cookies(browser)


async def test_the_code_step_without_a_password_step_is_sent_back_to_the_password(
    base: str, agent_id: int
) -> None:
    async with _browser() as browser:
        status, _, html = await _code_step(browser, base, "123456")
        assert status == 401
        assert "enter your password again" in html
        assert COOKIE not in _cookies(browser)


async def test_turning_it_off_takes_a_code_and_then_the_password_is_enough(
    base: str, agent_id: int
) -> None:
    secret, codes = await _turn_on(base, AGENT)
    async with _signed_in_with(base, AGENT, _code(secret, ahead=1)) as browser:
        off = f"{base}/me/two-factor/off"
        status, _, html = await post(browser, off, {"code": "000000"}, f"{base}/me/two-factor")
        assert status == 400
        assert "Wrong or expired code." in html
        status, where, _ = await post(browser, off, {"code": codes[0]}, f"{base}/me/two-factor")
        assert (status, where) == (303, "/me?saved=two-factor-off#two-factor")
    async with _browser() as browser:
        assert await _password(browser, base, AGENT) == (303, "/inbox")
        assert COOKIE in _cookies(browser)


async def test_a_workspace_that_requires_it_sends_people_without_it_to_set_it_up(
    base: str, agent_id: int, admin_id: int
) -> None:
    people = f"{base}/admin/people"
    async with session_of(base, ADMIN) as admin:
        status, where, _ = await post(admin, f"{people}/two-factor", {"required": "1"}, people)
        assert (status, where) == (303, "/admin/people?notice=saved")
    async with _browser() as browser:
        assert await _password(browser, base, AGENT) == (303, "/login/code")
        assert COOKIE not in _cookies(browser)
        _, html = await page(browser, f"{base}/login/code")
        assert "Set up two-factor sign-in" in html
        secret = re.search(r"secret=([A-Z2-7]+)", html)
        assert secret is not None
        _, again = await page(browser, f"{base}/login/code")
        assert f"secret={secret.group(1)}" in again  # shown again, not replaced
        status, _, shown = await _code_step(browser, base, _code(secret.group(1)))
        assert status == 200
        assert len(_recovery_codes(shown)) == RECOVERY_CODES
        assert COOKIE in _cookies(browser)
        assert (await page(browser, f"{base}/inbox"))[0] == 200
        _, mine = await page(browser, f"{base}/me/two-factor")
        assert "it stays on" in mine


async def test_an_admin_reset_ends_the_second_factor_and_is_in_the_audit_trail(
    base: str, agent_id: int, admin_id: int, services: Services, workspace_id: int
) -> None:
    await _turn_on(base, AGENT)
    person_page = f"{base}/admin/people/{agent_id}"
    async with session_of(base, ADMIN) as admin:
        _, html = await page(admin, person_page)
        assert "Reset their second factor" in html
        status, where, _ = await post(admin, f"{person_page}/two-factor/reset", {}, person_page)
        assert (status, where) == (303, f"/admin/people/{agent_id}?notice=two-factor-reset")
        _, trail = await page(admin, f"{base}/admin/audit?action=two_factor_reset")
        assert 'data-action="two_factor_reset"' in trail
        assert "person ana</td>" in trail  # named, not numbered
        assert "127.0.0.1" in trail
    async with _browser() as browser:
        assert await _password(browser, base, AGENT) == (303, "/inbox")  # the password alone
    token = await services.tokens.issue(workspace_id, "audit reader", Role.ADMIN)
    async with (
        _browser() as api,
        api.get(
            f"{base}/api/v1/audit",
            params={"action": "two_factor_reset"},
            headers={"Authorization": f"Bearer {token}"},
        ) as answer,
    ):
        assert answer.status == 200
        items = (await answer.json())["items"]
    assert [(i["actor"]["id"], i["object"]["id"]) for i in items] == [(admin_id, str(agent_id))]


async def test_leads_cannot_reset_a_second_factor(
    base: str, agent_id: int, services: Services, db: Database, workspace_id: int
) -> None:
    await person(services, db, workspace_id, "lea@example.com", Role.LEAD)
    await _turn_on(base, AGENT)
    person_page = f"{base}/admin/people/{agent_id}"
    async with session_of(base, "lea@example.com") as lead:
        _, html = await page(lead, person_page)
        assert "Reset their second factor" not in html
        status, _, _ = await post(lead, f"{person_page}/two-factor/reset", {}, person_page)
        assert status == 403
    async with _browser() as browser:
        assert await _password(browser, base, AGENT) == (303, "/login/code")
