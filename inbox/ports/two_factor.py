"""People's second factors (TOTP secrets, recovery codes), the sign-ins waiting for a code,
and whether a workspace requires a second factor."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from pydantic import SecretStr

from inbox.domain.audit import AuditEntry


@dataclass(frozen=True, slots=True)
class SecondFactor:
    secret: SecretStr  # base32, opened from its sealed form
    confirmed: bool  # a first code proved the authenticator has it: sign-in asks for codes
    last_step: int | None  # the last time step accepted: no code at or before it again
    recovery_left: int


@dataclass(frozen=True, slots=True)
class PendingLogin:
    """A sign-in past its password, waiting for a code (or for a factor to be set up)."""

    workspace_id: int
    agent_id: int
    email: str
    address: str


class TwoFactorStore(Protocol):
    async def factor(self, workspace_id: int, agent_id: int) -> SecondFactor | None: ...

    async def begin(
        self, workspace_id: int, agent_id: int, secret: SecretStr, now: datetime
    ) -> None:
        """A new, unconfirmed secret (replacing an unconfirmed one); a confirmed factor is
        left as it is."""
        ...

    async def confirm(
        self,
        workspace_id: int,
        agent_id: int,
        step: int,
        recovery_hashes: Sequence[str],
        now: datetime,
        audit: AuditEntry,
    ) -> bool:
        """Turn the factor on at `step` with these recovery codes; False if there was no
        unconfirmed secret. The audit entry is appended in the same transaction."""
        ...

    async def accept_step(self, workspace_id: int, agent_id: int, step: int) -> bool:
        """Record `step` as used, if it is after the last one: False when a concurrent
        sign-in used it (or a later one) first."""
        ...

    async def unused_recovery_codes(
        self, workspace_id: int, agent_id: int
    ) -> list[tuple[int, str]]:
        """(position, hash) of the codes not used yet."""
        ...

    async def use_recovery_code(
        self, workspace_id: int, agent_id: int, position: int, now: datetime
    ) -> bool:
        """Spend the code; False when it was spent already (by a concurrent sign-in)."""
        ...

    async def replace_recovery_codes(
        self, workspace_id: int, agent_id: int, hashes: Sequence[str], audit: AuditEntry
    ) -> bool: ...

    async def remove(self, workspace_id: int, agent_id: int, audit: AuditEntry) -> bool:
        """The factor and its codes gone; False if the person had none."""
        ...

    async def required(self, workspace_id: int) -> bool: ...

    async def set_required(
        self, workspace_id: int, required: bool, now: datetime, audit: AuditEntry
    ) -> None: ...

    async def add_pending(
        self, token_hash: bytes, pending: PendingLogin, expires_at: datetime
    ) -> None: ...

    async def pending(
        self, workspace_id: int, token_hash: bytes, now: datetime
    ) -> PendingLogin | None: ...

    async def end_pending(self, workspace_id: int, token_hash: bytes) -> None: ...
