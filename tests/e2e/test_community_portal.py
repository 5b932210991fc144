"""The community portal over real HTTP and PostgreSQL: a member's own page (the questions
offered to them, drafts checked before they go, what became of them, their credit), the
staff's review, and everything else of the inbox closed to members."""

from __future__ import annotations

import re

import aiohttp
import pytest
from pydantic import SecretStr

from inbox.domain.ingestion import IngestBatch
from inbox.domain.people import Role
from inbox.store.database import Database
from inbox.store.people import PgPeopleStore
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.services import Services
from tests.e2e.browsing import PASSWORD
from tests.e2e.site import csrf_of, session_of, thread_of
from tests.factories import mention
from web.app import create_app

pytestmark = pytest.mark.integration

MEMBER = "max@example.com"
AGENT = "ana@example.com"
QUESTION = "@acme how do I update the app on my phone?"
COMPLAINT = "@acme the app keeps crashing, useless"
ANSWER = "Settings > About > Update: it takes a minute."
Client = tuple[aiohttp.ClientSession, str]


async def person(
    services: Services, db: Database, workspace_id: int, email: str, role: Role
) -> int:
    agent_id = await PgPeopleStore(db).save_agent(
        workspace_id, email, email.split("@")[0].capitalize(), [role], ["care"]
    )
    await services.web_logins.set_password(workspace_id, email, SecretStr(PASSWORD))
    return agent_id


async def html(browser: aiohttp.ClientSession, url: str, status: int = 200) -> str:
    async with browser.get(url) as answer:
        assert answer.status == status, (url, answer.status)
        return await answer.text()


def main_of(page: str) -> str:
    return page.split('<main id="main"', 1)[1]


async def post(
    browser: aiohttp.ClientSession, url: str, form: dict[str, str]
) -> tuple[int, str, str]:
    """Status, where it sends to, and the page it answered."""
    async with browser.post(url, data=form, allow_redirects=False) as answer:
        return answer.status, answer.headers.get("Location", ""), await answer.text()


async def offer(db: Database, workspace_id: int, thread_id: int, member_id: int) -> None:
    """As routing would: the thread given to that member of the community."""
    async with db.connection() as conn:
        await conn.execute(
            "UPDATE thread SET assignee_id = $3, community = true "
            "WHERE workspace_id = $1 AND id = $2",
            workspace_id,
            thread_id,
            member_id,
        )


async def answers(db: Database, workspace_id: int) -> list[dict[str, object]]:
    async with db.connection() as conn:
        rows = await conn.fetch(
            "SELECT id, member_id, body, status, posted_body, review_note, outbox_item_id "
            "FROM community_answer WHERE workspace_id = $1 ORDER BY id",
            workspace_id,
        )
    return [dict(row) for row in rows]


@pytest.fixture
async def world(services: Services, db: Database, workspace_id: int) -> dict[str, int]:
    """A workspace with community answers on for the `app` topic, a member and an agent, a
    question routing offers to the member and a complaint it keeps from them."""
    await services.routing_settings.save(
        workspace_id, {"community": {"enabled": True, "topics": ["app"]}}, {}, {"rules": []}
    )
    member = await person(services, db, workspace_id, MEMBER, Role.COMMUNITY)
    agent = await person(services, db, workspace_id, AGENT, Role.AGENT)
    await services.ingest(
        workspace_id,
        IngestBatch(
            [
                mention("1", conversation="q", text=QUESTION),
                mention("2", author="u2", conversation="c", text=COMPLAINT),
            ]
        ),
    )
    question = await thread_of(db, workspace_id, "q")
    async with db.connection() as conn:
        offered = await conn.fetchval(
            "SELECT assignee_id FROM thread WHERE workspace_id = $1 AND id = $2 AND community",
            workspace_id,
            question,
        )
    assert offered == member  # routing offered it: the portal shows what routing decided
    return {
        "member": member,
        "agent": agent,
        "question": question,
        "complaint": await thread_of(db, workspace_id, "c"),
    }


async def draft(
    browser: aiohttp.ClientSession, base: str, thread_id: int, text: str, **extra: str
) -> tuple[int, str, str]:
    page = await html(browser, f"{base}/community")
    form = {"csrf": csrf_of(page), "body": text, **extra}
    return await post(browser, f"{base}/community/questions/{thread_id}/answers", form)


async def review(
    base: str, answer_id: int, decision: str, body: str | None = None, note: str = ""
) -> tuple[int, str, str]:
    async with session_of(base, AGENT) as agent:
        page = await html(agent, f"{base}/community/review")
        form = {"csrf": csrf_of(page), "decision": decision, "note": note}
        if body is not None:
            form["body"] = body
        return await post(agent, f"{base}/community/review/{answer_id}", form)


async def test_a_member_logs_in_to_their_page_and_sees_the_question_offered_to_them(
    client: Client, world: dict[str, int]
) -> None:
    _, base = client
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
        form = {"email": MEMBER, "password": PASSWORD}
        async with browser.post(f"{base}/login", data=form, allow_redirects=False) as answer:
            assert (answer.status, answer.headers["Location"]) == (303, "/community")
        async with browser.get(f"{base}/", allow_redirects=False) as answer:
            assert (answer.status, answer.headers["Location"]) == (303, "/community")
        async with browser.get(f"{base}/me", allow_redirects=False) as answer:
            assert (answer.status, answer.headers["Location"]) == (303, "/community")
        page = await html(browser, f"{base}/community")
    assert QUESTION.replace("'", "&#39;") in page
    assert "@handle_u1" in page
    assert 'aria-label="X"' in page or ">X<" in page  # the network, named
    assert COMPLAINT not in page  # kept from the community by routing
    assert f'action="/community/questions/{world["question"]}/answers"' in page
    # The rail: their page and log out, nothing of the desk.
    rail = page.split('<main id="main"', 1)[0]
    assert 'href="/community"' in rail
    assert 'action="/logout"' in rail
    for desk in ("/inbox", "/me", "/search", "/dashboard", "/incidents", "/admin", "#shortcuts"):
        assert f'href="{desk}' not in page, desk


async def test_a_draft_over_the_networks_limit_is_refused_and_kept_in_its_form(
    client: Client, db: Database, workspace_id: int, world: dict[str, int]
) -> None:
    _, base = client
    long_answer = "Update the app from the store. " * 10  # 310 characters, X takes 280
    async with session_of(base, MEMBER) as member:
        status, _, page = await draft(member, base, world["question"], long_answer)
    assert status == 400
    assert "Not sent: 309 characters as X counts them; it takes 280. Shorten it by 29." in page
    assert f">{long_answer}</textarea>" in page  # nothing typed is lost
    assert 'class="over">-29</output>' in page
    assert await answers(db, workspace_id) == []


async def test_a_draft_with_personal_data_is_warned_about_and_sent_only_once_confirmed(
    client: Client, db: Database, workspace_id: int, world: dict[str, int]
) -> None:
    _, base = client
    text = "Write to support.desk@acme-mail.com with your phone model."
    async with session_of(base, MEMBER) as member:
        status, _, page = await draft(member, base, world["question"], text)
        assert status == 200
        assert (
            "Look again: Personal data in a public reply: an e-mail address s***@acme-mail.com."
            in page
        )
        assert 'name="confirm" value="1"' in page
        assert await answers(db, workspace_id) == []
        status, location, _ = await draft(member, base, world["question"], text, confirm="1")
        (sent,) = await answers(db, workspace_id)
        assert (status, location) == (303, f"/community?sent={sent['id']}#answer-{sent['id']}")
        assert "Sent for review" in await html(member, base + location.split("#")[0])
        # The same form sent again (a double click) adds no second draft.
        status, _, page = await draft(member, base, world["question"], text, confirm="1")
        assert status == 409
        assert "waiting for review already" in page
        page = await html(member, f"{base}/community")
    assert [a["status"] for a in await answers(db, workspace_id)] == ["pending"]
    assert "Sent for review" not in page  # the notice belongs to the redirect only
    assert "Your answer waits for review." in page
    assert "Waiting for review" in page


async def test_an_agent_approves_an_answer_the_outbox_posts_it_once_and_the_member_is_credited(
    client: Client, db: Database, workspace_id: int, world: dict[str, int]
) -> None:
    _, base = client
    async with session_of(base, MEMBER) as member:
        status, _, _ = await draft(member, base, world["question"], ANSWER)
        assert status == 303
        before = await html(member, f"{base}/community")
    assert re.search(r"<strong>0</strong> <span>answers approved in \w+ \d{4}</span>", before)
    (answer,) = await answers(db, workspace_id)
    async with session_of(base, AGENT) as agent:
        rail = await html(agent, f"{base}/inbox")
        assert 'href="/community/review"' in rail
        async with agent.get(f"{base}/community/review/count") as counted:
            assert await counted.json() == {"pending": 1}
        page = await html(agent, f"{base}/community/review")
    assert QUESTION.replace("'", "&#39;") in page
    assert f">{ANSWER.replace('>', '&gt;')}</textarea>" in page
    assert "Max</strong> answered" in page
    status, location, _ = await review(base, int(answer["id"]), "approve", body=ANSWER)
    assert (status, location) == (303, "/community/review?notice=approve")
    # Reviewed once: approving again finds no pending answer, and queues nothing more.
    status, _, _ = await review(base, int(answer["id"]), "approve", body=ANSWER)
    assert status == 404
    async with db.connection() as conn:
        queued = await conn.fetch(
            "SELECT id, body, idempotency_key, thread_id FROM outbox_item WHERE workspace_id = $1",
            workspace_id,
        )
    assert [(q["body"], q["idempotency_key"], q["thread_id"]) for q in queued] == [
        (ANSWER, f"community:{answer['id']}", world["question"])
    ]
    (approved,) = await answers(db, workspace_id)
    assert (approved["status"], approved["member_id"], approved["posted_body"]) == (
        "approved", world["member"], None,
    )  # fmt: skip
    assert approved["outbox_item_id"] == queued[0]["id"]
    async with session_of(base, MEMBER) as member:
        page = await html(member, f"{base}/community")
        # The page the member was sent to after writing, reloaded: no "Sent for review" now.
        reloaded = await html(member, f"{base}/community?sent={answer['id']}")
    assert "Sent for review" not in reloaded
    assert "chip-status-approved" in reloaded
    assert "chip-status-approved" in page
    assert ">Approved<" in page
    assert re.search(r"<strong>1</strong> <span>answer approved in \w+ \d{4}</span>", page)
    assert "Thank you, Max: 1 customer got an answer from you." in page
    # Answered: the question is no longer waiting for them.
    assert f'action="/community/questions/{world["question"]}/answers"' not in page


async def test_an_edited_answer_shows_what_was_posted_beside_the_members_words(
    client: Client, db: Database, workspace_id: int, world: dict[str, int]
) -> None:
    _, base = client
    async with session_of(base, MEMBER) as member:
        await draft(member, base, world["question"], ANSWER)
    (answer,) = await answers(db, workspace_id)
    edited = "Go to Settings > About > Update."
    status, location, _ = await review(
        base, int(answer["id"]), "approve", body=edited, note="Shorter, same steps."
    )
    assert (status, location) == (303, "/community/review?notice=approve")
    async with db.connection() as conn:
        posted = await conn.fetchval(
            "SELECT body FROM outbox_item WHERE workspace_id = $1", workspace_id
        )
    assert posted == edited
    async with session_of(base, MEMBER) as member:
        page = main_of(await html(member, f"{base}/community"))
    assert ">Approved with edits<" in page
    assert "You wrote" in page
    assert ANSWER.replace(">", "&gt;") in page
    assert "Posted, as the team edited it" in page
    assert edited.replace(">", "&gt;") in page
    assert "Shorter, same steps." in page


async def test_a_rejected_answer_shows_the_note_and_the_question_waits_again(
    client: Client, db: Database, workspace_id: int, world: dict[str, int]
) -> None:
    _, base = client
    async with session_of(base, MEMBER) as member:
        await draft(member, base, world["question"], "Just reinstall it lol")
    (answer,) = await answers(db, workspace_id)
    status, _, page = await review(base, int(answer["id"]), "reject")
    assert status == 400
    assert "note: say why" in page  # a rejection without a word teaches nothing
    note = "Reinstalling loses their data: point to Settings > About > Update."
    status, location, _ = await review(base, int(answer["id"]), "reject", note=note)
    assert (status, location) == (303, "/community/review?notice=reject")
    async with db.connection() as conn:
        assert await conn.fetchval("SELECT count(*) FROM outbox_item") == 0
    async with session_of(base, MEMBER) as member:
        page = main_of(await html(member, f"{base}/community"))
    assert ">Not posted<" in page
    assert "chip-status-rejected" in page
    assert "The team's note:</strong> " + note.replace(">", "&gt;") in page
    assert f'action="/community/questions/{world["question"]}/answers"' in page
    assert "<strong>0</strong> <span>approved in all</span>" in page


# Every page of the app a member may open: their own, logging in and out, and what any
# visitor gets. Every other route of the pages must answer 403.
MEMBERS_ROUTES = {
    ("GET", "/"), ("GET", "/login"), ("POST", "/login"), ("POST", "/logout"),
    ("GET", "/login/workspace"), ("POST", "/workspace"),  # a member of several workspaces
    ("GET", "/login/code"), ("POST", "/login/code"),  # signing in with a second factor
    ("GET", "/me/two-factor"), ("POST", "/me/two-factor/start"),  # their own second factor
    ("POST", "/me/two-factor/confirm"), ("POST", "/me/two-factor/recovery"),
    ("POST", "/me/two-factor/off"),
    ("GET", "/me"), ("POST", "/me/time-zone"),  # /me sends them to /community
    ("POST", "/me/status"),  # routing offers them questions: away means none
    ("GET", "/events"),  # only what is told to them: nobody tells a member anything yet
    ("GET", "/community"), ("POST", "/community/questions/{thread_id}/answers"),
    ("GET", "/healthz"), ("GET", "/static/{name}"), ("GET", "/favicon.ico"),
}  # fmt: skip


async def test_a_member_is_refused_every_other_page_with_the_way_back_to_their_own(
    client: Client, services: Services, workspace_id: int, world: dict[str, int]
) -> None:
    _, base = client
    app = create_app(services, workspace_id)
    routes = sorted(
        {
            (route.method, route.resource.canonical)
            for route in app.router.routes()
            if route.resource is not None
            and route.method in ("GET", "POST")
            # The JSON API and /metrics take tokens, held to their roles by the role matrix;
            # the image proxy answers images, and short texts in place of a refused one.
            and not route.resource.canonical.startswith(("/api/", "/metrics", "/media/"))
        }
    )
    ids = {"thread_id": world["question"], "answer_id": 1}
    refused = [(m, p) for m, p in routes if (m, p) not in MEMBERS_ROUTES]
    assert ("GET", "/inbox") in refused
    assert ("GET", "/community/review") in refused
    async with session_of(base, MEMBER) as member:
        token = csrf_of(await html(member, f"{base}/community"))
        for method, path in refused:
            address = re.sub(r"\{([a-z_]+)\}", lambda m: str(ids.get(m.group(1), 1)), path)
            async with member.request(
                method, base + address, data={"csrf": token, "body": "x"}, allow_redirects=False
            ) as answer:
                assert answer.status == 403, (method, path, answer.status)
                page = await answer.text()
            assert 'href="/community"' in page, (method, path)
            assert 'href="/inbox"' not in page, (method, path)


async def test_a_member_sees_neither_another_members_drafts_nor_another_workspaces_questions(
    client: Client, services: Services, db: Database, workspace_id: int, world: dict[str, int]
) -> None:
    _, base = client
    zoe = await person(services, db, workspace_id, "zoe@example.com", Role.COMMUNITY)
    await services.ingest(
        workspace_id,
        IngestBatch([mention("3", author="u3", conversation="z", text="@acme app dark mode?")]),
    )
    zoes_question = await thread_of(db, workspace_id, "z")
    await offer(db, workspace_id, zoes_question, zoe)
    async with session_of(base, "zoe@example.com") as zoe_browser:
        status, _, _ = await draft(zoe_browser, base, zoes_question, "Settings > Display.")
        assert status == 303
    # Another workspace's question, given (as a forged row would) to Max's own id there.
    other = await PgWorkspaceStore(db).ensure_workspace("other", "Other")
    await services.ingest(
        other, IngestBatch([mention("9", author="u9", conversation="o", text="@other app?")])
    )
    others_question = await thread_of(db, other, "o")
    await offer(db, other, others_question, world["member"])
    async with session_of(base, MEMBER) as member:
        page = await html(member, f"{base}/community")
        for thread_id in (zoes_question, others_question):
            status, _, _ = await post(
                member,
                f"{base}/community/questions/{thread_id}/answers",
                {"csrf": csrf_of(page), "body": "mine now"},
            )
            assert status == 404, thread_id
    assert "dark mode" not in page
    assert "Settings &gt; Display." not in page
    assert "@other app?" not in page
    assert [(a["member_id"], a["body"]) for a in await answers(db, workspace_id)] == [
        (zoe, "Settings > Display.")
    ]
    assert await answers(db, other) == []
