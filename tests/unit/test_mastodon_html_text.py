"""Simple markup is read without the full HTML parser, to the very same text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.mastodon.html_text import html_to_text, text_by_full_parser

# What statuses are made of, and what a careless or hostile server could add.
PIECES = [
    "<p>", "</p>", "<P>", "</P >", "<br>", "<br/>", "<br />", "</br>", "<p/>", "<div>", "</div>",
    "<li>", "</li>", "<b>", "</b>", '<span class="h-card" translate="no">', "</span>",
    "<a href=\"https://example.social/@acme?a=1&amp;b=2\" rel='nofollow noopener'>", "</a>",
    '<p\nclass="x">', "</p\n>", '<img src="a"/>', "<h1 id=x>", '<a title="a>b">',
    '<a href="x"title="y">', "<br/ >", "</a b>", "<p class>", "<p a = 'b' c>",
    "<script>", "</script>", "<style>", "<!-- note -->", "<![CDATA[x]]>", "<?pi?>", "<invisible",
    "hello", " world ", "\n", "\r\n", "  ", "x<y", "<", ">", "é😡",
    "&amp;", "&lt;", "&gt;", "&#39;", "&quot;", "&nbsp;", "&", "&am", "&#x1F600;", "&unknown;",
]  # fmt: skip


@given(st.lists(st.sampled_from(PIECES), max_size=14).map("".join))
def test_any_mix_of_markup_reads_as_the_full_parser_reads_it(content: str) -> None:
    assert html_to_text(content) == text_by_full_parser(content)


@given(st.text())
def test_any_text_reads_as_the_full_parser_reads_it(content: str) -> None:
    assert html_to_text(content) == text_by_full_parser(content)


@pytest.mark.parametrize(
    ("content", "text"),
    [
        (
            '<p><span class="h-card" translate="no"><a href="https://example.social/@acme" '
            'class="u-url mention">@<span>acme</span></a></span> fibre down &amp; no TV<br />'
            "since 8</p><p>any news?</p>",
            "@acme fibre down & no TV\nsince 8\n\nany news?",
        ),
        ("<p>a</br>b<p/>c</p>", "abc"),
        ("<p>1 &lt; 2</p><script>x</script>", "1 < 2"),
    ],
)
def test_a_status_reads_as_its_author_wrote_it(content: str, text: str) -> None:
    assert html_to_text(content) == text
