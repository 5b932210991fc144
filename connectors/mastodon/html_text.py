"""A status's HTML `content` as plain text, for the inbox to store and show.

Mastodon sends `content` as HTML sanitised by the author's server, which we do not trust:
every tag is dropped (only its text is kept), entities are decoded, paragraphs and line breaks
become newlines, and links become their text. Nothing here raises on bad markup; script and
style elements lose their content too, in case a server lets them through. Long links that
Mastodon shows cut (spans of class "invisible" and "ellipsis") come out whole.

Nearly every status is simple markup: well-formed tags with quoted attributes between runs of
text. That is read with one regular expression (several times faster than `HTMLParser`, which
costs tens of microseconds a status); anything else (a stray `<`, a comment, a hidden element,
an unquoted attribute) goes to `HTMLParser`. Both give the same text for simple markup.
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

# Elements whose end starts a new paragraph in the text.
_BLOCKS = frozenset({"p", "div", "blockquote", "pre", "ul", "ol", "li", "h1", "h2", "h3", "h4"})
_HIDDEN = frozenset({"script", "style", "template"})


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCKS:
            self._paragraph()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCKS:
            self._paragraph()

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)

    def _paragraph(self) -> None:
        self.parts.append("\n\n")


def _tidy(text: str) -> str:
    """Runs of blank lines become one, spaces at line ends go, the ends are trimmed."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    tidied: list[str] = []
    for line in lines:
        if not line and (not tidied or not tidied[-1]):
            continue
        tidied.append(line)
    while tidied and not tidied[-1]:
        tidied.pop()
    return "\n".join(tidied)


# A start tag with quoted attributes (or none), maybe self-closing, or a bare end tag.
_SIMPLE_TAG = re.compile(
    r"""<(?:([a-zA-Z][a-zA-Z0-9]*)(?:\s+[a-zA-Z_:][-a-zA-Z0-9_:.]*(?:\s*=\s*(?:"[^"]*"|'[^']*'))?)*"""
    r"""\s*(/?)|/([a-zA-Z][a-zA-Z0-9]*)\s*)>"""
)


def _simple_markup_parts(content: str) -> list[str] | None:
    """The text parts of simple markup, as `_TextCollector` would collect them; None when
    the markup is not simple (it then needs the full parser)."""
    parts: list[str] = []
    position = 0
    for tag in _SIMPLE_TAG.finditer(content):
        text = content[position : tag.start()]
        if "<" in text:
            return None
        if text:
            parts.append(unescape(text))
        position = tag.end()
        start, self_closing, end = tag.groups()
        name = (start or end).lower()
        if name in _HIDDEN:
            return None
        # As `_TextCollector` reads its events: <br> and <br/> break the line, </br> nothing;
        # a block's start and end start a paragraph, a self-closed block nothing.
        if start is not None and name == "br":
            parts.append("\n")
        elif name in _BLOCKS and not self_closing:
            parts.append("\n\n")
    rest = content[position:]
    if "<" in rest:
        return None
    if rest:
        parts.append(unescape(rest))
    return parts


def text_by_full_parser(content: str) -> str:
    """The text as `HTMLParser` reads any markup: the reference the simple reading matches."""
    return _tidy("".join(_parsed_parts(content)))


def _parsed_parts(content: str) -> list[str]:
    collector = _TextCollector()
    collector.feed(content)
    collector.close()
    return collector.parts


def html_to_text(content: str) -> str:
    parts = _simple_markup_parts(content)
    return _tidy("".join(_parsed_parts(content) if parts is None else parts))
