"""Encryption of stored secrets (network credentials) with the instance's key.

The key comes from INBOX_SECRET_KEY or, when unset, from a key file created on first use
(mode 0600) beside the embedded database. Losing it makes stored credentials unreadable, and
only them: accounts are then reconnected with `inbox connect`.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import SecretStr

from inbox.domain.errors import ConfigurationError


class SecretBox:
    def __init__(self, key: SecretStr) -> None:
        try:
            material = key.get_secret_value().encode("ascii")
            self._fernet = Fernet(material)
        except (ValueError, UnicodeEncodeError) as exc:
            raise ConfigurationError(
                "INBOX_SECRET_KEY",
                "not a key made by `inbox secret-key` (32 url-safe base64 bytes)",
            ) from exc
        self._material = material

    def derived_key(self, purpose: str) -> bytes:
        """A key of its own for another use of the instance key (signing the image proxy's
        links): HKDF-SHA256 keyed by the instance key, with the purpose as its info, so
        that neither key tells anything of the other and every process derives the same."""
        return HKDF(SHA256(), length=32, salt=None, info=purpose.encode()).derive(self._material)

    @staticmethod
    def new_key() -> str:
        return Fernet.generate_key().decode("ascii")

    def seal(self, secret: SecretStr) -> bytes:
        return self._fernet.encrypt(secret.get_secret_value().encode("utf-8"))

    def open(self, sealed: bytes, *, what: str) -> SecretStr:
        try:
            return SecretStr(self._fernet.decrypt(sealed).decode("utf-8"))
        except InvalidToken as exc:
            raise ConfigurationError(
                "INBOX_SECRET_KEY", f"cannot decrypt the stored {what}: the key has changed"
            ) from exc


def load_or_create_key(path: Path) -> SecretStr:
    """The key in `path`, written there first (readable by its owner only) if missing."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as key_file:
            key_file.write(SecretBox.new_key() + "\n")
    return SecretStr(path.read_text(encoding="ascii").strip())
