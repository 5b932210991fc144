"""The project's exceptions: one root, specific subclasses that carry what went wrong."""

from __future__ import annotations


class InboxError(Exception):
    """Root of every error the inbox raises on purpose."""


class ConfigurationError(InboxError):
    """A setting is missing or malformed; the message names the setting."""

    def __init__(self, setting: str, reason: str) -> None:
        super().__init__(f"{setting}: {reason}")
        self.setting = setting
        self.reason = reason


class DatabaseUnavailableError(InboxError):
    """The PostgreSQL server cannot be reached or refused us."""


class NormalisationError(InboxError):
    """A network payload cannot become a mention; `field` names the offending part."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class NotFoundError(InboxError):
    """A referenced entity does not exist in the workspace."""

    def __init__(self, kind: str, key: object) -> None:
        super().__init__(f"{kind} {key!r} not found")
        self.kind = kind
        self.key = key


class ConflictError(InboxError):
    """The action does not fit the entity's current state; the message says why."""


class AuthenticationError(InboxError):
    """The caller is not who they claim, or did not say."""


class PermissionDeniedError(InboxError):
    """The caller is known but lacks the role the action needs."""


class WorkerLostError(InboxError):
    """A worker process ended before answering (killed, out of memory): its work is not done
    and may be done again elsewhere."""
