"""A QR code drawn as inline SVG (no script, no style attribute: the page's CSP allows it), for
the otpauth:// address an authenticator app scans when two-factor sign-in is set up."""

from __future__ import annotations

import io

import segno
from markupsafe import Markup


def qr_svg(text: str, title: str) -> Markup:
    """`text` encoded at medium error correction; dark modules on the light background the
    page's container gives it (apps read dark on light only)."""
    drawn = io.BytesIO()
    segno.make(text, error="m").save(
        drawn, kind="svg", xmldecl=False, svgns=True, scale=5, border=4, title=title, dark="#000"
    )
    # segno escapes the title; the rest is paths of numbers.
    return Markup(drawn.getvalue().decode("utf-8"))  # noqa: S704
