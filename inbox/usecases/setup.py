"""What the command line and the demo set a workspace up with, beside `Services`."""

from __future__ import annotations

from dataclasses import dataclass

from inbox.usecases.accounts import ConnectAccounts
from inbox.usecases.file_import import ImportBatches
from inbox.usecases.people import SaveAgents


@dataclass(frozen=True, slots=True)
class WorkspaceSetup:
    accounts: ConnectAccounts
    agents: SaveAgents
    imports: ImportBatches
