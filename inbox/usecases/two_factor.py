"""Two-factor sign-in: a TOTP authenticator (RFC 6238) and ten single-use recovery codes.

Turning it on shows a new secret once (as an otpauth:// address and as text); it is on only
after a first code proves the authenticator has it. Signing in then takes two steps: the
password, which yields no session, only a short-lived pending sign-in; then a code (or a
recovery code). Codes are counted by the same throttle as passwords, and a password's success
clears nothing until the code is accepted, so guessing codes costs what guessing passwords
does. Where the workspace requires a second factor, a person without one sets it up as their
second step. API tokens are not affected.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from pydantic import SecretStr

from inbox.domain import totp
from inbox.domain.audit import COMMAND_LINE, AuditEntry
from inbox.domain.clock import Clock, utc_now
from inbox.domain.errors import ConfigurationError, InboxError, NotFoundError
from inbox.domain.web import AgentLogin, WebSession
from inbox.ports.people import PasswordCheck
from inbox.ports.two_factor import PendingLogin, SecondFactor, TwoFactorStore
from inbox.usecases.admin_access import require_admin
from inbox.usecases.audit import entry_by
from inbox.usecases.web_auth import LoginRefusedError, WebLogins

RECOVERY_CODES = 10
# Where attempts at an e-mail that signs in nowhere are counted (no workspace has this id).
NO_WORKSPACE = 0
PENDING_LIFETIME = timedelta(minutes=10)
# Lower-case letters and digits without the look-alikes (0/o, 1/l/i): 10 of them, 50 bits.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 10


class SecondStep(StrEnum):
    CODE = "code"  # the person has a second factor: a code is asked
    SETUP = "setup"  # the workspace requires one and they have none: they set it up now


class CodeRefusedError(InboxError):
    """A wrong, expired or reused code; the message never says which."""


@dataclass(frozen=True, slots=True)
class SignIn:
    """After the password: a session (`session` set), or a pending sign-in's token for the
    second step's cookie."""

    token: str
    session: WebSession | None
    second_step: SecondStep | None = None
    # The workspace whose sign-in the password was (the pending sign-in is kept there).
    workspace_id: int = 0


@dataclass(frozen=True, slots=True)
class Enrolment:
    """A secret being set up, shown once: its otpauth:// address and the text to type."""

    secret: str
    uri: str


@dataclass(frozen=True, slots=True)
class TwoFactorStatus:
    on: bool
    recovery_left: int
    required: bool  # by the workspace


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def new_recovery_code() -> str:
    letters = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
    return f"{letters[:5]}-{letters[5:]}"


def _typed_recovery_code(typed: str) -> str:
    kept = "".join(c for c in typed.lower() if c.isalnum())
    return f"{kept[:5]}-{kept[5:]}"


class TwoFactor:
    def __init__(
        self,
        store: TwoFactorStore,
        logins: WebLogins,
        passwords: PasswordCheck,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self._logins = logins
        self._passwords = passwords  # argon2: recovery codes are kept as hashes
        self._clock = clock

    # Signing in.

    async def sign_in_by_email(self, email: str, password: SecretStr, address: str) -> SignIn:
        """The sign-in form's first step, before any workspace is known: the password is
        checked where the e-mail has a sign-in of its own. An unknown e-mail is checked (and
        counted) all the same, against no workspace, so that the answer and its time say
        nothing of whether it exists."""
        workspaces = await self._logins.sign_in_workspaces(email) or [NO_WORKSPACE]
        for workspace_id in workspaces[:-1]:
            try:
                return await self.sign_in(workspace_id, email, password, address)
            except LoginRefusedError:
                continue  # a sign-in of the same e-mail made apart, with its own password
        return await self.sign_in(workspaces[-1], email, password, address)

    async def sign_in(
        self, workspace_id: int, email: str, password: SecretStr, address: str
    ) -> SignIn:
        login = await self._logins.check_password(workspace_id, email, password, address)
        factor = await self._store.factor(login.workspace_id, login.agent_id)
        step: SecondStep | None = None
        if factor is not None and factor.confirmed:
            step = SecondStep.CODE
        elif await self._store.required(login.workspace_id):
            step = SecondStep.SETUP
        if step is None:
            token, session = await self._logins.open_session(login, email, address)
            return SignIn(token, session, workspace_id=login.workspace_id)
        token = secrets.token_urlsafe(32)
        pending = PendingLogin(login.workspace_id, login.agent_id, email, address)
        await self._store.add_pending(_digest(token), pending, self._clock() + PENDING_LIFETIME)
        return SignIn(token, None, step, login.workspace_id)

    async def pending_step(self, workspace_id: int, token: str) -> SecondStep | None:
        """What the pending sign-in waits for; None when there is none (expired, unknown)."""
        pending = await self._pending(workspace_id, token)
        if pending is None:
            return None
        factor = await self._store.factor(workspace_id, pending.agent_id)
        return SecondStep.CODE if factor is not None and factor.confirmed else SecondStep.SETUP

    async def enrolment_for_pending(self, workspace_id: int, token: str) -> Enrolment:
        """The secret a pending sign-in sets up: the one it was shown already, if any (the
        page shown again must not change what the person's authenticator has scanned)."""
        pending = await self._required_pending(workspace_id, token)
        factor = await self._store.factor(workspace_id, pending.agent_id)
        if factor is not None and not factor.confirmed:
            secret = factor.secret.get_secret_value()
            return Enrolment(secret, totp.provisioning_uri(secret, pending.email))
        return await self._begin(workspace_id, pending.agent_id, pending.email)

    async def finish_with_code(
        self, workspace_id: int, token: str, code: str, address: str
    ) -> tuple[str, WebSession]:
        """The session, for the right code or an unused recovery code (then spent)."""
        pending = await self._required_pending(workspace_id, token)
        await self._logins.count_attempt(workspace_id, pending.email, address)
        factor = await self._store.factor(workspace_id, pending.agent_id)
        if factor is None or not factor.confirmed:
            raise CodeRefusedError("no second factor is set up: sign in again")
        await self._check_code(workspace_id, pending.agent_id, factor, code)
        return await self._open(workspace_id, token, pending, address)

    async def finish_with_setup(
        self, workspace_id: int, token: str, code: str, address: str
    ) -> tuple[str, WebSession, list[str]]:
        """The session and the recovery codes (to show once), for a first code of the
        secret `enrolment_for_pending` gave."""
        pending = await self._required_pending(workspace_id, token)
        await self._logins.count_attempt(workspace_id, pending.email, address)
        login = await self._person(pending)
        session_like = _acting(login, address)
        codes = await self._confirm(session_like, code)
        token_out, session = await self._open(workspace_id, token, pending, address)
        return token_out, session, codes

    # The person's own settings (/me).

    async def status(self, session: WebSession) -> TwoFactorStatus:
        factor = await self._store.factor(*session.sign_in_row)
        on = factor is not None and factor.confirmed
        return TwoFactorStatus(
            on=on,
            recovery_left=factor.recovery_left if factor is not None and on else 0,
            required=await self._store.required(session.workspace_id),
        )

    async def start(self, session: WebSession, account: str) -> Enrolment:
        """A new secret to add to an authenticator; refused while a factor is on."""
        factor = await self._store.factor(*session.sign_in_row)
        if factor is not None and factor.confirmed:
            raise ConfigurationError("code", "two-factor sign-in is on already: turn it off first")
        return await self._begin(*session.sign_in_row, account)

    async def waiting(self, session: WebSession, account: str) -> Enrolment | None:
        """The secret started and not confirmed yet (shown again beside a refused code)."""
        factor = await self._store.factor(*session.sign_in_row)
        if factor is None or factor.confirmed:
            return None
        secret = factor.secret.get_secret_value()
        return Enrolment(secret, totp.provisioning_uri(secret, account))

    async def confirm(self, session: WebSession, code: str) -> list[str]:
        """Turn it on with a first code; the recovery codes, to show once."""
        return await self._confirm(session, code)

    async def turn_off(self, session: WebSession, code: str) -> None:
        """With a code (or a recovery code); refused where the workspace requires it."""
        if await self._store.required(session.workspace_id):
            raise ConfigurationError(
                "code", "this workspace requires two-factor sign-in: it stays on"
            )
        factor = await self._confirmed(session)
        await self._check_code(*session.sign_in_row, factor, code)
        entry = entry_by(session, "two_factor_off", "person", session.agent_id)
        await self._store.remove(*session.sign_in_row, entry)

    async def new_recovery_codes(self, session: WebSession, code: str) -> list[str]:
        """Ten new codes replacing the old, for a current code."""
        factor = await self._confirmed(session)
        await self._check_code(*session.sign_in_row, factor, code)
        codes, hashes = await self._recovery_codes()
        entry = entry_by(session, "recovery_codes_renewed", "person", session.agent_id)
        await self._store.replace_recovery_codes(*session.sign_in_row, hashes, entry)
        return codes

    # Choosing a workspace.

    async def switch(
        self, token: str, session: WebSession, workspace_id: int
    ) -> tuple[str, WebSession]:
        """A session in another of the person's workspaces (see WebLogins.switch), refused
        where that workspace requires a second factor and their sign-in has none: a
        workspace's requirement holds for its members from elsewhere too."""
        if await self._store.required(workspace_id) and workspace_id in dict(session.workspaces):
            factor = await self._store.factor(*session.sign_in_row)
            if factor is None or not factor.confirmed:
                raise ConfigurationError(
                    "workspace",
                    "that workspace requires two-factor sign-in: turn it on on your page (Me) "
                    "first",
                )
        return await self._logins.switch(token, session, workspace_id)

    # Admins.

    async def reset(self, session: WebSession, agent_id: int) -> None:
        """Take a person's second factor away (a lost phone and lost codes): they sign in
        with their password and set one up again where the workspace requires it."""
        require_admin(session, "resetting a second factor")
        entry = entry_by(session, "two_factor_reset", "person", agent_id)
        if not await self._store.remove(session.workspace_id, agent_id, entry):
            raise NotFoundError("second factor of person", agent_id)

    async def reset_by_command_line(self, workspace_id: int, email: str) -> None:
        """The same, by whoever runs the command on the instance: the way back in for a
        workspace's last admin who lost their authenticator and their codes."""
        login = await self._logins.person(workspace_id, email)
        if login is None:
            raise NotFoundError("person", email)
        entry = AuditEntry(
            workspace_id, COMMAND_LINE, "two_factor_reset", "person", str(login.agent_id)
        )
        if not await self._store.remove(workspace_id, login.agent_id, entry):
            raise NotFoundError("second factor of person", email)

    async def required(self, session: WebSession) -> bool:
        return await self._store.required(session.workspace_id)

    async def set_required(self, session: WebSession, required: bool) -> None:
        require_admin(session, "requiring two-factor sign-in")
        before = await self._store.required(session.workspace_id)
        entry = entry_by(
            session,
            "two_factor_requirement_changed",
            "workspace",
            session.workspace_id,
            before=before,
            after=required,
        )
        await self._store.set_required(session.workspace_id, required, self._clock(), entry)

    async def has_factor(self, session: WebSession, agent_id: int) -> bool:
        require_admin(session, "reading who has a second factor")
        factor = await self._store.factor(session.workspace_id, agent_id)
        return factor is not None and factor.confirmed

    # Shared steps.

    async def _begin(self, workspace_id: int, agent_id: int, account: str) -> Enrolment:
        secret = totp.new_secret()
        await self._store.begin(workspace_id, agent_id, SecretStr(secret), self._clock())
        return Enrolment(secret, totp.provisioning_uri(secret, account))

    async def _confirm(self, session: WebSession, code: str) -> list[str]:
        factor = await self._store.factor(*session.sign_in_row)
        if factor is None or factor.confirmed:
            raise ConfigurationError("code", "start again: no new secret is waiting")
        step = totp.matching_step(
            factor.secret.get_secret_value(), code, self._clock(), factor.last_step
        )
        if step is None:
            raise ConfigurationError(
                "code", "not the code your authenticator shows now: check its clock and retry"
            )
        codes, hashes = await self._recovery_codes()
        entry = entry_by(session, "two_factor_on", "person", session.agent_id)
        if not await self._store.confirm(*session.sign_in_row, step, hashes, self._clock(), entry):
            raise ConfigurationError("code", "start again: no new secret is waiting")
        return codes

    async def _check_code(
        self, workspace_id: int, agent_id: int, factor: SecondFactor, code: str
    ) -> None:
        typed = "".join(code.split())
        if typed.isdigit():
            step = totp.matching_step(
                factor.secret.get_secret_value(), typed, self._clock(), factor.last_step
            )
            if step is not None and await self._store.accept_step(workspace_id, agent_id, step):
                return
            raise CodeRefusedError("wrong or expired code")
        wanted = _typed_recovery_code(typed)
        for position, stored in await self._store.unused_recovery_codes(workspace_id, agent_id):
            if await self._passwords.verify(stored, SecretStr(wanted)):
                if await self._store.use_recovery_code(
                    workspace_id, agent_id, position, self._clock()
                ):
                    return
                break
        raise CodeRefusedError("wrong or expired code")

    async def _recovery_codes(self) -> tuple[list[str], list[str]]:
        codes = [new_recovery_code() for _ in range(RECOVERY_CODES)]
        return codes, [await self._passwords.hash(SecretStr(code)) for code in codes]

    async def _confirmed(self, session: WebSession) -> SecondFactor:
        factor = await self._store.factor(*session.sign_in_row)
        if factor is None or not factor.confirmed:
            raise ConfigurationError("code", "two-factor sign-in is not on")
        return factor

    async def _pending(self, workspace_id: int, token: str) -> PendingLogin | None:
        if not token or len(token) > 100:
            return None
        return await self._store.pending(workspace_id, _digest(token), self._clock())

    async def _required_pending(self, workspace_id: int, token: str) -> PendingLogin:
        pending = await self._pending(workspace_id, token)
        if pending is None:
            raise LoginRefusedError("the sign-in has expired: enter your password again")
        return pending

    async def _person(self, pending: PendingLogin) -> AgentLogin:
        login = await self._logins.person(pending.workspace_id, pending.email)
        if login is None or login.agent_id != pending.agent_id:
            raise LoginRefusedError("the sign-in has expired: enter your password again")
        return login

    async def _open(
        self, workspace_id: int, token: str, pending: PendingLogin, address: str
    ) -> tuple[str, WebSession]:
        login = await self._person(pending)
        await self._store.end_pending(workspace_id, _digest(token))
        return await self._logins.open_session(login, pending.email, address)


def _acting(login: AgentLogin, address: str) -> WebSession:
    """The person of a pending sign-in as the audit trail and `_confirm` see them: not a
    session (it has no token and opens nothing)."""
    return WebSession(
        login.workspace_id, login.agent_id, login.name, login.roles, "", address=address
    )
