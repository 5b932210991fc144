"""The community's pages: a member's own page (the questions offered to them, a form to answer
each, their answers and what became of them, their credit) and the staff's review of the
answers before anything is posted.

A member sees nothing else of the inbox. Every handler reads the person from the session and
the use case checks their role and keeps them to their workspace (and a member to their own
questions and answers); forms carry the session's CSRF token.
"""

from __future__ import annotations

from aiohttp import web

from inbox.domain.community import AnswerStatus, MemberAnswer
from inbox.usecases.replies import Draft
from routing.reply_checks import post_limit
from web.components import NETWORK_NAMES
from web.keys import now, services_of
from web.params import page_id
from web.rendering import render
from web.session import checked_form, required_session
from web.templating import page_times

SENT_NOTICE = "Sent for review: someone of the team reads it before it is posted."
REVIEW_NOTICES = {
    "approve": "Approved: the answer is queued for posting and credited to its author.",
    "edit": "Approved with your edits: queued for posting and credited to its author.",
    "reject": "Not posted: its author sees your note.",
}


async def member_page(request: web.Request) -> web.Response:
    return await _member_page(request)


async def _member_page(
    request: web.Request, draft: Draft | None = None, text: str = "", status: int = 200
) -> web.Response:
    """The member's page; with a draft the checks held back, that draft in its question's
    form, with what to change."""
    session = await required_session(request)
    instant = now(request)
    times = page_times(session, instant)
    portal = await services_of(request).community_answers.portal(session, times.month_start())
    return render(
        "community.html",
        status,
        instant=instant,
        session=session,
        portal=portal,
        month=times.month_name(),
        held=draft,
        held_text=text,
        limit_of=post_limit,
        network_names=NETWORK_NAMES,
        notice=SENT_NOTICE if _still_pending(portal.answers, request.query.get("sent")) else None,
    )


def _still_pending(answers: list[MemberAnswer], sent: str | None) -> bool:
    """Whether the answer the redirect names still waits: reloaded after its review, the
    page must not say it was just sent."""
    if sent is None or not sent.isdigit():
        return False
    return any(a.id == int(sent) and a.status is AnswerStatus.PENDING for a in answers)


async def submit_draft(request: web.Request) -> web.StreamResponse:
    """A member's answer to a question offered to them: sent for review, or the page again
    with the draft and why it was held (over the network's limit: refused, 400; personal
    data: a warning to confirm)."""
    session = await required_session(request)
    form = await checked_form(request, session)
    thread_id = page_id(request, "thread_id", "question")
    # The use case checks the role first, then the fields (naming the one it refuses).
    body = form.get("body")
    draft = await services_of(request).community_answers.draft(
        session, thread_id, body, despite_warnings=form.get("confirm") == "1"
    )
    if draft.answer_id is None:
        status = 400 if draft.check.refused else 200
        return await _member_page(request, draft, str(body), status)
    raise web.HTTPSeeOther(f"/community?sent={draft.answer_id}#answer-{draft.answer_id}")


async def review_page(request: web.Request) -> web.Response:
    """The answers waiting for staff, oldest first: the question, the draft and its checks,
    approve (as written or edited) or reject with a note."""
    session = await required_session(request)
    pending = await services_of(request).community_answers.for_review(session)
    return render(
        "community_review.html",
        instant=now(request),
        session=session,
        pending=pending,
        limit_of=post_limit,
        network_names=NETWORK_NAMES,
        notice=REVIEW_NOTICES.get(request.query.get("notice", "")),
    )


async def review_answer(request: web.Request) -> web.StreamResponse:
    """Approve (the text in the form, edited or not) or reject with a note."""
    session = await required_session(request)
    form = await checked_form(request, session)
    answer_id = page_id(request, "answer_id", "community answer")
    decision = form.get("decision")
    await services_of(request).community_answers.review_by(
        session, answer_id, decision, form.get("body"), form.get("note")
    )
    raise web.HTTPSeeOther(f"/community/review?notice={decision}")


async def pending_count(request: web.Request) -> web.Response:
    """How many answers wait for review, for the rail's count (the page's script asks)."""
    session = await required_session(request)
    count = await services_of(request).community_answers.pending_count(session)
    return web.json_response({"pending": count})


def add_community_pages(app: web.Application) -> None:
    app.router.add_get("/community", member_page)
    app.router.add_post("/community/questions/{thread_id}/answers", submit_draft)
    app.router.add_get("/community/review", review_page)
    app.router.add_get("/community/review/count", pending_count)
    app.router.add_post("/community/review/{answer_id}", review_answer)
