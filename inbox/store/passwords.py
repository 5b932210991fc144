"""Password hashes: argon2id with the library's current parameters."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from pydantic import SecretStr

# A hash to verify against when the e-mail is unknown, so that a wrong e-mail takes as long
# as a wrong password and does not reveal who has an account.
_HASHER = PasswordHasher()
_DECOY = _HASHER.hash("not a password anyone has")


class Argon2Passwords:
    def hash(self, password: SecretStr) -> str:
        return _HASHER.hash(password.get_secret_value())

    def verify(self, stored: str | None, password: SecretStr) -> bool:
        try:
            return _HASHER.verify(stored or _DECOY, password.get_secret_value()) and bool(stored)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
