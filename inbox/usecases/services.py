"""Everything the entry points may call, assembled by the composition root."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from inbox.domain.clock import Clock
from inbox.domain.replica import ReplicaState
from inbox.usecases.admin import AdminServices
from inbox.usecases.admin_preferences import ManageWorkspacePreferences
from inbox.usecases.adoption import Adoption
from inbox.usecases.assignment import ClaimNext
from inbox.usecases.audit import AuditLog
from inbox.usecases.bulk import BulkActions
from inbox.usecases.canned import CannedResponses
from inbox.usecases.channels import ListChannels
from inbox.usecases.customer_rights import CustomerRights
from inbox.usecases.customers import Customers
from inbox.usecases.exports import Exports
from inbox.usecases.health import CheckHealth
from inbox.usecases.incident_pages import IncidentPages
from inbox.usecases.incidents import Incidents
from inbox.usecases.ingest import IngestMentions
from inbox.usecases.live import LiveUpdates
from inbox.usecases.media import MediaProxy
from inbox.usecases.replies import CommunityAnswers, Replies
from inbox.usecases.retention import ManageRetention
from inbox.usecases.routing import CorrectClassification, RoutingSettings, SetStatus
from inbox.usecases.sla_close import CloseWithoutReply
from inbox.usecases.sla_explain import ExplainThreadSla
from inbox.usecases.sla_reports import SlaNow, SlaReport
from inbox.usecases.sla_settings import SaveSlaSettings
from inbox.usecases.thread_detail import ThreadDetails
from inbox.usecases.threads import ListThreads
from inbox.usecases.tokens import ApiTokens
from inbox.usecases.two_factor import TwoFactor
from inbox.usecases.web_auth import WebLogins
from inbox.usecases.web_pages import InboxPages


@dataclass(frozen=True, slots=True)
class Services:
    ingest: IngestMentions
    list_threads: ListThreads
    tokens: ApiTokens
    health: CheckHealth
    list_channels: ListChannels
    sla_report: SlaReport
    sla_now: SlaNow
    explain_sla: ExplainThreadSla
    sla_settings: SaveSlaSettings
    close_without_reply: CloseWithoutReply
    correct_classification: CorrectClassification
    claim_next: ClaimNext
    routing_settings: RoutingSettings
    replies: Replies
    community_answers: CommunityAnswers
    web_logins: WebLogins
    inbox_pages: InboxPages
    live: LiveUpdates
    canned: CannedResponses
    # What an admin set for the workspace: the CRM link, per-person comparisons.
    workspace_preferences: ManageWorkspacePreferences
    # The admin pages' use cases (workspaces, people, teams, calendars, SLA, routing...).
    admin: AdminServices
    # Outage incidents: the pages' use case, over this process's complaint watcher.
    incidents: Incidents
    # Messages' pictures, through the image proxy's signed links.
    media: MediaProxy
    # What the incident pages read besides: history from the database, shared facts, rows.
    incident_pages: IncidentPages
    # The adoption panel: people active per week by team, answers through the inbox.
    adoption: Adoption
    # The time as the use cases read it: what an entry point shows "now" against.
    clock: Clock
    # The agent's flow: several threads at once, and the status they set themselves.
    bulk: BulkActions
    set_status: SetStatus
    # Sign-in's second factor: TOTP and recovery codes, and the workspace's requirement.
    two_factor: TwoFactor
    # Who changed what: written by the admin use cases, read by admins.
    audit: AuditLog
    # The customer record: edits, search, history, suggestions, merge, split, import.
    customers: Customers
    # A customer's access and erasure requests (admins).
    customer_rights: CustomerRights
    # A thread with its messages, notes and assignments for the API; CSV exports for leads.
    thread_details: ThreadDetails
    exports: Exports
    # How long raw payloads, closed threads' texts and quarantined payloads are kept.
    retention: ManageRetention
    # The read replica's lag and where reads that may be a moment behind go (for /metrics);
    # None without a replica.
    replica: Callable[[], Awaitable[ReplicaState]] | None = None
