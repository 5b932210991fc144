"""The error answer of an XRPC call: an HTTP status and `{"error": ..., "message": ...}`."""

from __future__ import annotations


class XrpcError(Exception):
    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(f"{status} {error}: {message}")
        self.status = status
        self.error = error
        self.message = message

    def body(self) -> dict[str, str]:
        return {"error": self.error, "message": self.message}
