"""Finding lexicon cues in a message: folding, tokens, phrase matching.

Text is folded (case, accents, curly apostrophes, English contractions written without their
apostrophe, French elisions split off) so that a lexicon entry written once matches the ways
people type it on a phone. A cue is a phrase of tokens; a last token ending in `*` matches any
word starting with it (`rembours*`). Matching is one pass over the tokens, walking a tree of
the phrases' words from each token as far as the text follows one: the cost grows with the
text, not with the lexicon.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})
_NO_APOSTROPHE = {
    "dont": "don't", "doesnt": "doesn't", "didnt": "didn't", "cant": "can't",
    "wont": "won't", "isnt": "isn't", "arent": "aren't", "wasnt": "wasn't",
    "werent": "weren't", "havent": "haven't", "hasnt": "hasn't", "hadnt": "hadn't",
    "couldnt": "couldn't", "shouldnt": "shouldn't", "wouldnt": "wouldn't", "aint": "ain't",
    "im": "i'm", "ive": "i've", "youre": "you're", "theyre": "they're", "thats": "that's",
}  # fmt: skip
# French elided articles and pronouns become words of their own: "l'appli" -> "l' appli".
_ELISION = re.compile(r"\b(l|d|j|n|c|qu|s|m|t|jusqu|lorsqu|puisqu)'(?=\w)")
_MENTION_OR_LINK = re.compile(r"https?://\S+|www\.\S+|(?<!\w)@\w+")
_TOKEN = re.compile(
    r"\w+(?:'\w+)*'?"  # words, with inner apostrophes (don't) or an elision mark (l')
    r"|[?!.,;:£$€]"
    r"|[\u2600-\u27bf\U0001f300-\U0001faff]"  # pictographs and emoji
)


def _accent_table() -> dict[int, str]:
    """Latin letters with diacritics to their base letters (é -> e, ç -> c, œ -> oe)."""
    table: dict[int, str] = {ord("œ"): "oe", ord("æ"): "ae", ord("ß"): "ss"}
    for code in range(0xC0, 0x250):
        base = "".join(
            c for c in unicodedata.normalize("NFKD", chr(code)) if not unicodedata.combining(c)
        )
        if base != chr(code) and base.isascii():
            table[code] = base
    return table


_FOLD = str.maketrans(_accent_table())


WORD_CACHE_SIZE = 100_000


def fold(text: str) -> str:
    """Lower case without accents, straight apostrophes; links and @handles removed (a
    handle says who is addressed, not what is said)."""
    text = _MENTION_OR_LINK.sub(" ", text.translate(_APOSTROPHES))
    return text.casefold().translate(_FOLD)


def tokens(folded: str) -> list[str]:
    split = _ELISION.sub(r"\1' ", folded) if "'" in folded else folded
    found = _TOKEN.findall(split)
    get = _NO_APOSTROPHE.get
    return [get(t, t) for t in found]


@dataclass(frozen=True, slots=True)
class Cue:
    phrase: str
    group: str  # what it signals: "complaint", "question", "outage", "topic:billing" ...
    weight: float = 1.0


# Not frozen: one is made for every cue found in every message, a frozen dataclass costs
# three times as much to build, and nothing changes a hit once found.
@dataclass(slots=True, eq=False)
class Hit:
    cue: Cue
    start: int  # token index
    end: int  # one past the last token
    words: str  # the tokens matched, for the reasons an agent reads


@dataclass(frozen=True, slots=True)
class _Compiled:
    words: tuple[str, ...]
    prefix_last: bool
    cue: Cue
    # Where it is tried among the phrases that start on one word: longest first, then those
    # keyed on the whole first word before the one-word prefixes, then the lexicon's order.
    rank: int


class _Node:
    """The phrases reached by a run of words: those that end here, those whose last word is
    a prefix of the next word, and the longer ones by their next word."""

    __slots__ = ("ends", "following", "prefixes")

    def __init__(self) -> None:
        self.ends: list[_Compiled] = []
        self.prefixes: list[_Compiled] = []
        self.following: dict[str, _Node] = {}


# A word on which no phrase starts: most words.
_NO_START: tuple[_Node | None, tuple[_Compiled, ...]] = (None, ())


class CueIndex:
    """The cues as a tree of words (one walk from each word finds every phrase starting on
    it, however many phrases share its first word) and the one-word prefixes by their first
    three letters."""

    def __init__(self, cues: Iterable[Cue]) -> None:
        keyed: list[tuple[tuple[str, ...], bool, Cue]] = []
        prefixed: list[tuple[tuple[str, ...], bool, Cue]] = []  # one word, itself a prefix
        for cue in cues:
            words = tuple(tokens(fold(cue.phrase.rstrip("*"))))
            if not words:
                continue
            prefix_last = cue.phrase.endswith("*")
            (prefixed if prefix_last and len(words) == 1 else keyed).append(
                (words, prefix_last, cue)
            )
        ranked = sorted(
            [(0, n, c) for n, c in enumerate(keyed)] + [(1, n, c) for n, c in enumerate(prefixed)],
            key=lambda item: (-len(item[2][0]), item[0], item[1]),
        )
        self._roots: dict[str, _Node] = {}
        self._prefixed: dict[str, list[_Compiled]] = {}
        for rank, (source, _, (words, prefix_last, cue)) in enumerate(ranked):
            compiled = _Compiled(words, prefix_last, cue, rank)
            if source == 1:
                self._prefixed.setdefault(words[0][:3], []).append(compiled)
                continue
            node = self._roots.setdefault(words[0], _Node())
            for word in words[1:-1] if prefix_last else words[1:]:
                node = node.following.setdefault(word, _Node())
            (node.prefixes if prefix_last else node.ends).append(compiled)
        # Per word seen, its node and the one-word prefixes it starts with. Bounded: a
        # long-running worker meets new words forever.
        self._starting: dict[str, tuple[_Node | None, tuple[_Compiled, ...]]] = {}

    def _start(self, word: str) -> tuple[_Node | None, tuple[_Compiled, ...]]:
        prefixed = tuple(c for c in self._prefixed.get(word[:3], ()) if word.startswith(c.words[0]))
        node = self._roots.get(word)
        found = _NO_START if node is None and not prefixed else (node, prefixed)
        if len(self._starting) >= WORD_CACHE_SIZE:
            self._starting.clear()
        self._starting[word] = found
        return found

    def find(self, words: Sequence[str]) -> list[Hit]:
        """Every cue present; where phrases of one group overlap, the longest wins."""
        hits: list[Hit] = []
        taken: dict[str, int] = {}  # group -> index up to which its tokens are used
        starting = self._starting
        count = len(words)
        get, start = starting.get, self._start
        # The words on which a phrase may start, found first: most words start none.
        starts = [
            (index, word, begun)
            for index, word in enumerate(words)
            if (begun := get(word) or start(word)) is not _NO_START
        ]
        for index, word, (node, prefixed) in starts:
            if node is None:
                found = list(prefixed)
            else:
                found = node.ends + list(prefixed) if prefixed else node.ends.copy()
                following = index + 1
                while following < count:
                    ahead = words[following]
                    if node.prefixes:
                        found.extend(c for c in node.prefixes if ahead.startswith(c.words[-1]))
                    next_node = node.following.get(ahead)
                    if next_node is None:
                        break
                    node = next_node
                    if node.ends:
                        found.extend(node.ends)
                    following += 1
                if len(found) > 1:
                    found.sort(key=_rank)
            for compiled in found:
                group = compiled.cue.group
                if taken.get(group, 0) > index:
                    continue
                end = index + len(compiled.words)
                hits.append(
                    Hit(
                        compiled.cue,
                        index,
                        end,
                        word if end == index + 1 else " ".join(words[index:end]),
                    )
                )
                taken[group] = end
        return hits


def _rank(compiled: _Compiled) -> int:
    return compiled.rank
