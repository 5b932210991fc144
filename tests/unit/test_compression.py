"""Which browsers are sent gzip: the Accept-Encoding header read as HTTP means it."""

from __future__ import annotations

import pytest

from web.compression import accepts_gzip


@pytest.mark.parametrize(
    "header",
    ["gzip", "gzip, deflate, br, zstd", "deflate;q=0.5, GZIP;q=0.8", "*", "br, *;q=0.1", "x-gzip"],
)
def test_a_browser_naming_gzip_or_anything_is_sent_gzip(header: str) -> None:
    assert accepts_gzip(header)


@pytest.mark.parametrize(
    "header", ["", "identity", "br, deflate", "gzip;q=0", "*;q=0", "gzip;q=0, *", "gzip;q=nan!"]
)
def test_a_browser_not_taking_gzip_is_sent_the_page_as_it_is(header: str) -> None:
    assert not accepts_gzip(header)
