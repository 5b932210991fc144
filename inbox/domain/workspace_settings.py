"""A workspace's settings as its admins edit them: preferences, people, teams.

Everything an admin types is checked here, once, with a message that names the field: the
pages and the JSON API show that message as it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from inbox.domain.egress import is_loopback_host
from inbox.domain.errors import ConfigurationError
from inbox.domain.network import Network
from inbox.domain.people import Role
from inbox.domain.text import is_storable

CRM_ID = "{crm_id}"
LONGEST_URL = 500
# Stands in for the customer's id while the template's address is checked.
_PROBE = "crm-id-probe"


@dataclass(frozen=True, slots=True)
class WorkspacePreferences:
    """How a workspace wants the inbox to behave beyond routing and SLAs.

    `crm_url_template` links a customer to their record in the external CRM (`{crm_id}` is
    replaced by the customer's CRM id, URL-encoded). `agent_comparisons` is off by default:
    when a workspace turns it on, every agent sees about themselves what the lead sees about
    them (per-person figures), and never less.
    """

    crm_url_template: str | None = None
    agent_comparisons: bool = False

    def crm_url(self, crm_id: str | None) -> str | None:
        """The customer's record in the CRM, or None without a template or an id."""
        if self.crm_url_template is None or not crm_id:
            return None
        # Every character but the unreserved ones is encoded, "/" and "?" included: an id
        # can only ever name a record, never another path or another site.
        return self.crm_url_template.replace(CRM_ID, quote(crm_id, safe=""))

    @classmethod
    def checked(cls, crm_url_template: str | None, agent_comparisons: bool) -> WorkspacePreferences:
        return cls(checked_crm_url_template(crm_url_template), bool(agent_comparisons))


def checked_crm_url_template(value: str | None) -> str | None:
    """An https URL holding `{crm_id}` in its path or query (http only on loopback, for a
    CRM on the same machine); empty means no CRM link."""
    text = (value or "").strip()
    if not text:
        return None
    field = "crm_url_template"
    if len(text) > LONGEST_URL:
        raise ConfigurationError(field, f"at most {LONGEST_URL} characters")
    if CRM_ID not in text:
        raise ConfigurationError(field, f"must contain {CRM_ID}, where the customer's id goes")
    if "{" in text.replace(CRM_ID, "") or "}" in text.replace(CRM_ID, ""):
        raise ConfigurationError(field, f"the only placeholder is {CRM_ID}")
    if any(c.isspace() or ord(c) < 32 for c in text) or not is_storable(text):
        raise ConfigurationError(field, "must not contain spaces or control characters")
    parts = urlsplit(text.replace(CRM_ID, _PROBE))
    if _PROBE in parts.netloc or _PROBE in parts.scheme:
        raise ConfigurationError(field, f"{CRM_ID} belongs in the path or query, not the host")
    if not parts.hostname:
        raise ConfigurationError(field, "must be an absolute URL such as https://crm.example.com/")
    if parts.username or parts.password:
        raise ConfigurationError(field, "must not carry a user or password")
    if parts.scheme == "https":
        return text
    if parts.scheme == "http" and is_loopback_host(parts.hostname):
        return text
    raise ConfigurationError(field, "must start with https:// (http:// only on loopback)")


# -- workspaces ------------------------------------------------------------------------------

_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


@dataclass(frozen=True, slots=True)
class WorkspaceSummary:
    workspace_id: int
    slug: str
    name: str
    people: int
    accounts: int


def checked_slug(value: str) -> str:
    slug = value.strip()
    if not _SLUG.fullmatch(slug):
        raise ConfigurationError(
            "slug", "1 to 64 lowercase letters, digits, '-' or '_', starting with a letter or digit"
        )
    return slug


def checked_name(value: str, field: str = "name", longest: int = 100) -> str:
    name = " ".join(value.split())
    if not name or len(name) > longest:
        raise ConfigurationError(field, f"1 to {longest} characters")
    if any(ord(c) < 32 for c in name) or not is_storable(name):
        raise ConfigurationError(field, "must not contain control characters")
    return name


# -- people and teams ------------------------------------------------------------------------

_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")
_LANGUAGE = re.compile(r"[a-z]{2,3}")
LONGEST_LIST = 30
LONGEST_TOPIC = 40
MAX_CAPACITY = 200


@dataclass(frozen=True, slots=True)
class WorkProfile:
    """What routing reads about a person: what they can take and how much."""

    teams: tuple[str, ...] = ()
    capacity: int = 8
    languages: tuple[str, ...] = ()
    networks: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    on_shift: bool = True
    away: bool = False


@dataclass(frozen=True, slots=True)
class NewPerson:
    """Someone an admin adds: checked address, name and roles, their work, their password's
    hash."""

    email: str
    name: str
    roles: frozenset[Role]
    work: WorkProfile
    password_hash: str


@dataclass(frozen=True, slots=True)
class PersonRecord:
    agent_id: int
    email: str
    name: str
    roles: frozenset[Role]
    active: bool
    work: WorkProfile
    has_password: bool


@dataclass(frozen=True, slots=True)
class TeamProfile:
    """A team and what routing sends it: topics (its skills), languages, networks, VIPs."""

    team_id: int
    name: str
    topics: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    networks: tuple[str, ...] = ()
    vip: bool = False
    members: int = 0


def checked_email(value: str) -> str:
    email = value.strip().lower()
    if len(email) > 254 or not _EMAIL.fullmatch(email) or not email.isprintable():
        raise ConfigurationError("email", f"{value.strip()[:60]!r} is not an e-mail address")
    return email


def checked_roles(values: Iterable[str]) -> frozenset[Role]:
    roles = set()
    for value in values:
        try:
            roles.add(Role(value))
        except ValueError as exc:
            known = ", ".join(r.value for r in Role)
            raise ConfigurationError("roles", f"unknown role {value[:20]!r}; use {known}") from exc
    if not roles:
        raise ConfigurationError("roles", "give at least one role")
    return frozenset(roles)


def split_list(text: str) -> list[str]:
    """Items typed as "fr, en" or one per line."""
    return [part.strip() for part in re.split(r"[,\n]", text) if part.strip()]


def checked_languages(values: Iterable[str]) -> tuple[str, ...]:
    found = sorted({v.strip().lower() for v in values if v.strip()})
    for code in found:
        if not _LANGUAGE.fullmatch(code):
            raise ConfigurationError("languages", f"{code[:20]!r} is not a 2 or 3 letter code")
    return _bounded("languages", found)


def checked_networks(values: Iterable[str]) -> tuple[str, ...]:
    found = sorted({v.strip().lower() for v in values if v.strip()})
    known = {n.value for n in Network}
    for name in found:
        if name not in known:
            raise ConfigurationError(
                "networks", f"unknown network {name[:20]!r}; use {', '.join(sorted(known))}"
            )
    return _bounded("networks", found)


def checked_topics(values: Iterable[str], field: str = "topics") -> tuple[str, ...]:
    found = sorted({" ".join(v.split()).lower() for v in values if v.strip()})
    for topic in found:
        if len(topic) > LONGEST_TOPIC or any(ord(c) < 32 for c in topic) or not is_storable(topic):
            raise ConfigurationError(field, f"a topic is 1 to {LONGEST_TOPIC} characters")
    return _bounded(field, found)


def checked_team_names(values: Iterable[str], known: Iterable[str]) -> tuple[str, ...]:
    names = {n.casefold(): n for n in known}
    chosen = []
    for value in values:
        name = names.get(" ".join(value.split()).casefold())
        if name is None:
            raise ConfigurationError("teams", f"no team named {value[:40]!r}; create it first")
        chosen.append(name)
    return tuple(sorted(set(chosen)))


def checked_capacity(value: str | int) -> int:
    try:
        capacity = int(value)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError("capacity", "a whole number of threads") from exc
    if not 0 <= capacity <= MAX_CAPACITY:
        raise ConfigurationError("capacity", f"from 0 to {MAX_CAPACITY} threads at once")
    return capacity


def _bounded(field: str, values: list[str]) -> tuple[str, ...]:
    if len(values) > LONGEST_LIST:
        raise ConfigurationError(field, f"at most {LONGEST_LIST}")
    return tuple(values)
