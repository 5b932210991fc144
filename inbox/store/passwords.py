"""Password hashes: argon2id with the library's current parameters."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from pydantic import SecretStr

# A hash to verify against when the e-mail is unknown, so that a wrong e-mail takes as long
# as a wrong password and does not reveal who has an account.
_HASHER = PasswordHasher()
_DECOY = _HASHER.hash("not a password anyone has")
HASHING_AT_ONCE = 2  # the machines this runs on have two cores or more


class Argon2Passwords:
    """Each hash or check costs a quarter of a second of CPU and 64 MiB on purpose. It runs in
    a worker thread (argon2 releases the interpreter while it works), at most `at_once`
    together: a crowd of logins queues here while the event loop keeps serving pages."""

    def __init__(self, *, at_once: int = HASHING_AT_ONCE) -> None:
        self._turns = asyncio.Semaphore(at_once)

    async def hash(self, password: SecretStr) -> str:
        async with self._turns:
            return await asyncio.to_thread(_HASHER.hash, password.get_secret_value())

    async def verify(self, stored: str | None, password: SecretStr) -> bool:
        async with self._turns:
            return await asyncio.to_thread(_verify, stored, password)


def _verify(stored: str | None, password: SecretStr) -> bool:
    try:
        return _HASHER.verify(stored or _DECOY, password.get_secret_value()) and bool(stored)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
