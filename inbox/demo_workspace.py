"""The demo's workspace: its people (with passwords new at each run), two teams (French and
English), the office calendar (demo_calendar), SLA policies, routing rules, canned responses
in both languages, the brand's X account, and an API token."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from pydantic import SecretStr

from inbox import demo_calendar, demo_day
from inbox.domain.network import Network
from inbox.domain.people import Role
from inbox.usecases.services import Services
from inbox.usecases.setup import WorkspaceSetup


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    email: str
    role: Role
    teams: tuple[str, ...]
    languages: tuple[str, ...]


PEOPLE = (
    Person("Léa Martin", "lea@demo.example", Role.LEAD, ("Support FR",), ("fr",)),
    Person("Hugo Bernard", "hugo@demo.example", Role.AGENT, ("Support FR",), ("fr",)),
    Person("Chloé Petit", "chloe@demo.example", Role.AGENT, ("Support FR",), ("fr", "en")),
    Person("Sam Taylor", "sam@demo.example", Role.AGENT, ("Support EN",), ("en",)),
    Person("Priya Shah", "priya@demo.example", Role.AGENT, ("Support EN",), ("en",)),
    Person("Omar Ops", "ops@demo.example", Role.OPS, (), ()),
    Person("Admin", "admin@demo.example", Role.ADMIN, (), ()),
    Person("Max (community)", "max@demo.example", Role.COMMUNITY, (), ("fr", "en")),
)
ON_CALL = ["lea@demo.example"]

# The placeholders are the ones the product fills in: {customer}, {agent}, {thread}.
CANNED = (
    ("On regarde", "fr",
     "Bonjour {customer}, merci de nous avoir prévenus. Je regarde tout de suite et je "
     "reviens vers vous ici. {agent}"),
    ("Panne en cours", "fr",
     "Bonjour {customer}, nous savons qu'il y a une panne dans votre secteur et nos "
     "techniciens sont dessus. Nous vous tenons au courant ici dès que c'est rétabli. {agent}"),
    ("Passer en privé", "fr",
     "Bonjour {customer}, pour regarder votre compte en toute sécurité, écrivez-nous en "
     "message privé avec votre numéro client. Ne le publiez pas ici. {agent}"),
    ("Facture", "fr",
     "Bonjour {customer}, désolés pour cette erreur. J'ai transmis votre dossier n°{thread} "
     "au service facturation : réponse sous 2 jours ouvrés. {agent}"),
    ("C'est réglé ?", "fr",
     "Bonjour {customer}, tout fonctionne à nouveau chez vous ? Sinon, répondez ici et nous "
     "reprenons le dossier. {agent}"),
    ("Looking into it", "en",
     "Hi {customer}, thanks for letting us know. I'm looking into it now and will get back "
     "to you here. {agent}"),
    ("Outage in your area", "en",
     "Hi {customer}, we know about the outage in your area and our technicians are on it. "
     "We'll post an update here as soon as it's fixed. {agent}"),
    ("Move to private", "en",
     "Hi {customer}, so we can look at your account safely, please send us a private message "
     "with your customer number. Don't post it here. {agent}"),
    ("Billing", "en",
     "Hi {customer}, sorry about the mix-up. I've passed case #{thread} to our billing team; "
     "you'll hear back within 2 working days. {agent}"),
    ("All sorted?", "en",
     "Hi {customer}, is everything working again on your side? If not, just reply here and "
     "we'll pick it up. {agent}"),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Login:
    person: Person
    password: str


@dataclass(frozen=True, slots=True)
class Access:
    """What the demo prints: the logins, and an API token of its own database."""

    logins: tuple[Login, ...]
    token: str
    token_role: Role


# The token reads threads, their SLA explanations and /metrics (the SLA now, open incidents).
TOKEN_ROLE = Role.OPS


async def seed(
    services: Services, setup: WorkspaceSetup, workspace_id: int, start: datetime
) -> Access:
    """Everything but the messages, for a demo that starts at `start`."""
    logins = tuple(Login(person, secrets.token_urlsafe(9)) for person in PEOPLE)
    for login in logins:
        person = login.person
        await setup.agents.save(
            workspace_id,
            person.email,
            person.name,
            [person.role],
            person.teams,
            password=SecretStr(login.password),
            languages=person.languages,
        )
    # Each team answers in the language its name ends with ("Support FR": French).
    teams = {team for person in PEOPLE for team in person.teams}
    await setup.agents.set_team_languages(workspace_id, {t: [t[-2:].lower()] for t in teams})
    office = {**demo_calendar.office_calendar(start), "on_call": ON_CALL}
    policies: dict[str, object] = {
        "policies": {
            "standard": {"name": "standard", "calendar": "office",
                         "out_of_hours_acknowledgement": True},
            "urgent": {"name": "urgent", "calendar": "office",
                       "targets": {"first_response": 15}},
        },
        "rules": [{"when": {"priorities": ["urgent", "high"]}, "policy": "urgent"}],
        "default": "standard",
    }  # fmt: skip
    await services.sla_settings(workspace_id, {"office": office}, policies)
    await services.routing_settings.save(
        workspace_id,
        {"community": {"enabled": True, "topics": ["app"]}, "reassign_after_minutes": 10},
        {},
        {
            "rules": [
                {"name": "spam", "when": {"kinds": ["other"], "text_contains_any": ["click here"]},
                 "then": {"no_reply_needed": True, "tags": ["spam"]}, "stop": True},
                {"name": "billing", "when": {"topics_any": ["billing"]},
                 "then": {"tags": ["billing"]}},
            ]
        },
    )  # fmt: skip
    await services.canned.replace(
        workspace_id,
        [{"name": name, "language": language, "body": body} for name, language, body in CANNED],
    )
    await setup.accounts.connect(
        workspace_id,
        Network.X,
        demo_day.BRAND_ID,
        demo_day.BRAND,
        {"search_terms": [], "stream": True, "poll_mentions_seconds": 5},
        {k: SecretStr(v) for k, v in demo_day.KEYS.items()},
    )
    token = await services.tokens.issue(workspace_id, "demo", TOKEN_ROLE)
    return Access(logins, token, TOKEN_ROLE)
