"""Incidents: an outage seen in a burst of complaints, the threads it touched, what was said.

An incident is opened by the outage detector (a complaint series crossed the workspace's
threshold) or by hand (ops). It holds the slices that crossed (topics, keyword groups), the
keywords and places its messages share, the time series that explains it, and the threads
linked to it. It closes when volume has been back to baseline for the workspace's quiet period,
or by hand; merged into another, its threads move there.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from inbox.domain.errors import ConfigurationError

STATUS_URL_PLACEHOLDER = "{status_url}"
DEFAULT_ACK_TEMPLATE = (
    "We are aware of a service problem affecting some customers and are working on it. "
    "Updates: {status_url}"
)
DEFAULT_FOLLOWUP_TEMPLATE = (
    "The service problem you told us about is resolved. Thank you for your patience. "
    "Details: {status_url}"
)
MAX_TEMPLATE = 500
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


class IncidentStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    MERGED = "merged"  # its threads moved to `merged_into`


class IncidentSource(StrEnum):
    DETECTOR = "detector"
    MANUAL = "manual"


class BulkMessage(StrEnum):
    """The two messages sent to every linked author, each at most once per author."""

    ACK = "ack"
    FOLLOWUP = "followup"


class IncidentSettings(BaseModel):
    """A workspace's incident settings (one row; defaults until an admin saves one).

    `threshold` is the detector's score in (0, 1] at which a series opens an incident (0.5 is
    the detector's natural level; higher opens fewer). `quiet` is how long every series of an
    incident must have been normal before it closes on its own.
    """

    model_config = ConfigDict(frozen=True)

    threshold: float = Field(default=0.5, gt=0.0, le=1.0)
    quiet: timedelta = timedelta(minutes=15)
    status_url: str = ""
    ack_template: str = DEFAULT_ACK_TEMPLATE
    followup_template: str = DEFAULT_FOLLOWUP_TEMPLATE

    @field_validator("ack_template", "followup_template")
    @classmethod
    def _known_placeholders(cls, value: str) -> str:
        check_template(value)
        return value

    @field_validator("quiet")
    @classmethod
    def _reasonable_quiet(cls, value: timedelta) -> timedelta:
        if not timedelta(minutes=1) <= value <= timedelta(days=1):
            raise ValueError("the quiet period is between one minute and one day")
        return value


def check_template(template: str) -> None:
    """A bulk message: not empty, not too long, and no placeholder but {status_url}."""
    if not template.strip():
        raise ConfigurationError("template", "the message is empty")
    if len(template) > MAX_TEMPLATE:
        raise ConfigurationError("template", f"at most {MAX_TEMPLATE} characters")
    unknown = [name for name in _PLACEHOLDER.findall(template) if name != "status_url"]
    if unknown:
        raise ConfigurationError(
            "template", f"unknown placeholder {{{unknown[0]}}}; only {STATUS_URL_PLACEHOLDER}"
        )


def fill_template(template: str, status_url: str) -> str:
    check_template(template)
    return template.replace(STATUS_URL_PLACEHOLDER, status_url).strip()


def idempotency_key(incident_id: int, message: BulkMessage, customer_id: int) -> str:
    """One message of each kind per author and incident, however often it is asked for."""
    return f"incident:{incident_id}:{message.value}:{customer_id}"


class IncidentPoint(BaseModel):
    """One bucket of the incident's series: its count, what was expected, the score."""

    model_config = ConfigDict(frozen=True)

    bucket: datetime
    observed: float
    expected: float
    score: float


class Incident(BaseModel):
    model_config = ConfigDict(frozen=True)

    workspace_id: int
    id: int
    status: IncidentStatus
    source: IncidentSource
    major: bool
    title: str
    # The slices that crossed the threshold (or that ops named): which complaints it links.
    topics: tuple[str, ...]
    keyword_groups: tuple[str, ...]
    series: tuple[str, ...]  # "kind:value" of each slice that crossed, the charted one first
    # Detected: the words its burst says more than complaints usually do (refreshed while it
    # lasts) and the places whose series burst; declared: the words and places ops named.
    keywords: tuple[str, ...]
    places: tuple[str, ...]
    started_at: datetime
    opened_at: datetime
    closed_at: datetime | None
    explanation: str
    peak_score: float
    merged_into: int | None
    linked: int = 0
    acknowledged: int = 0
    followed_up: int = 0

    @property
    def is_open(self) -> bool:
        return self.status is IncidentStatus.OPEN


class LinkedThread(BaseModel):
    model_config = ConfigDict(frozen=True)

    thread_id: int
    network: str
    status: str
    author: str
    excerpt: str
    linked_at: datetime


class MajorPeriod(BaseModel):
    """From its declaration as major (or its opening as major) until it closed or was no
    longer major; no end while it lasts."""

    model_config = ConfigDict(frozen=True)

    started_at: datetime
    ended_at: datetime | None


class IncidentDetail(BaseModel):
    model_config = ConfigDict(frozen=True)

    incident: Incident
    points: tuple[IncidentPoint, ...]
    threads: tuple[LinkedThread, ...]
    major_periods: tuple[MajorPeriod, ...] = ()
    # Whether the workspace's SLA policies suspend the linked threads' clocks while it is major.
    suspends_clocks: bool = False


class IncidentBanner(BaseModel):
    """What an agent sees on a thread linked to an open incident."""

    model_config = ConfigDict(frozen=True)

    id: int
    title: str
    started_at: datetime
    major: bool
    acknowledged: bool


class ComplaintCount(BaseModel):
    """Complaints of one workspace at one instant (or minute) sharing topics, keyword groups
    and the places they name."""

    model_config = ConfigDict(frozen=True)

    workspace_id: int
    at: datetime
    topics: tuple[str, ...]
    keyword_groups: tuple[str, ...]
    count: int = 1
    regions: tuple[str, ...] = ()


class Detection(BaseModel):
    """The detector's case for opening an incident, as the use case hands it to the store."""

    model_config = ConfigDict(frozen=True)

    title: str
    topics: tuple[str, ...]
    keyword_groups: tuple[str, ...]
    series: tuple[str, ...]  # "kind:value" of each slice that crossed
    started_at: datetime
    opened_at: datetime
    score: float
    regions: tuple[str, ...] = ()  # the places whose series crossed
    explanation: str
    points: tuple[IncidentPoint, ...]


def explanation(expected: float, observed: float, since: datetime, detail: str) -> str:
    """The line ops read first: expected X, observed Y, since T; then the detector's own."""
    return (
        f"expected {expected:.1f}, observed {observed:.0f}, since {since:%Y-%m-%d %H:%M} UTC"
        f" ({detail})"
    )


def title_for(topics: tuple[str, ...], keyword_groups: tuple[str, ...]) -> str:
    if topics and keyword_groups:
        return f"{', '.join(keyword_groups)} · {', '.join(topics)}"
    if topics or keyword_groups:
        return ", ".join(topics or keyword_groups)
    return "complaint burst"
