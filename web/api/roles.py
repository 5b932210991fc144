"""The groups of roles the API's endpoints let in (the OpenAPI document lists them too)."""

from __future__ import annotations

from inbox.domain.people import Role

STAFF = (Role.AGENT, Role.LEAD, Role.OPS, Role.ADMIN)
# Who may change a thread: ops watch and read.
EDITORS = (Role.AGENT, Role.LEAD, Role.ADMIN)
MONITORS = (Role.LEAD, Role.OPS, Role.ADMIN)
LEADS = (Role.LEAD, Role.ADMIN)
