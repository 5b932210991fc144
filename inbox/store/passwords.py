"""Password hashes: argon2id with the library's current parameters."""

from __future__ import annotations

import asyncio
import os

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from pydantic import SecretStr

# A hash to verify against when the e-mail is unknown, so that a wrong e-mail takes as long
# as a wrong password and does not reveal who has an account.
_HASHER = PasswordHasher()
_DECOY = _HASHER.hash("not a password anyone has")
# Each hash already works on `parallelism` lanes, a thread each: on two cores, one at a time
# checks 40 logins as fast as two (6 s), and leaves the event loop a core (`/healthz` p99
# 20-50 ms against 60-70 ms with two).
HASHING_AT_ONCE = max(1, (os.cpu_count() or 1) // _HASHER.parallelism)


class Argon2Passwords:
    """Each hash or check costs a tenth of a second of every core and 64 MiB, on purpose. It
    runs in a worker thread (argon2 releases the interpreter while it works), at most
    `at_once` together: a crowd of logins queues here while the event loop keeps serving."""

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
