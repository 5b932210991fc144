"""A status's HTML `content` as plain text, for the inbox to store and show.

Mastodon sends `content` as HTML sanitised by the author's server, which we do not trust:
every tag is dropped (only its text is kept), entities are decoded, paragraphs and line breaks
become newlines, and links become their text. Nothing here raises on bad markup; script and
style elements lose their content too, in case a server lets them through. Long links that
Mastodon shows cut (spans of class "invisible" and "ellipsis") come out whole.
"""

from __future__ import annotations

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


def html_to_text(content: str) -> str:
    collector = _TextCollector()
    collector.feed(content)
    collector.close()
    return _tidy("".join(collector.parts))
