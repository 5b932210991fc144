"""The CSRF token as a page carries it: masked afresh in every response.

Pages are compressed, and a compressed page that reflects text an attacker chose (a search
query) beside a secret that never changes lets the attacker guess the secret from the
compressed sizes (BREACH). So the session's token never appears as itself: each response
carries it XOR-ed with a new random pad, the pad in front; a posted form is unmasked before
the comparison. The plain token is accepted too (it is never in a page, so only its holder
can send it).
"""

from __future__ import annotations

import hmac
import secrets

MASKED_PREFIX = "m."


def masked(token: str) -> str:
    """The token under a fresh pad: `m.<pad hex><token XOR pad hex>`."""
    plain = token.encode()
    pad = secrets.token_bytes(len(plain))
    return MASKED_PREFIX + pad.hex() + bytes(a ^ b for a, b in zip(plain, pad, strict=True)).hex()


def mask_in(html: str, token: str) -> str:
    """The page with every copy of the token masked (one pad for the whole response)."""
    return html.replace(token, masked(token)) if token and token in html else html


def matches(sent: str, token: str) -> bool:
    """Whether a posted value is the token, masked or plain (compared in constant time)."""
    if sent.startswith(MASKED_PREFIX):
        try:
            both = bytes.fromhex(sent.removeprefix(MASKED_PREFIX))
        except ValueError:
            return False
        half = len(both) // 2
        pad, hidden = both[:half], both[half:]
        if len(pad) != len(hidden):
            return False
        sent = bytes(a ^ b for a, b in zip(hidden, pad, strict=True)).decode("utf-8", "replace")
    return hmac.compare_digest(sent.encode(), token.encode())
