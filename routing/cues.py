"""Finding lexicon cues in a message: folding, tokens, phrase matching.

Text is folded (case, accents, curly apostrophes, English contractions written without their
apostrophe, French elisions split off) so that a lexicon entry written once matches the ways
people type it on a phone. A cue is a phrase of tokens; a last token ending in `*` matches any
word starting with it (`rembours*`). Matching is one pass over the tokens with a dictionary
keyed on the first token: the cost grows with the text, not with the lexicon.
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


@dataclass(frozen=True, slots=True)
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


class CueIndex:
    def __init__(self, cues: Iterable[Cue]) -> None:
        self._exact: dict[str, list[_Compiled]] = {}
        self._prefixed: dict[str, list[_Compiled]] = {}  # first token itself a prefix
        for cue in cues:
            words = tokens(fold(cue.phrase.rstrip("*")))
            if not words:
                continue
            compiled = _Compiled(tuple(words), cue.phrase.endswith("*"), cue)
            if compiled.prefix_last and len(words) == 1:
                self._prefixed.setdefault(words[0][:3], []).append(compiled)
            else:
                self._exact.setdefault(words[0], []).append(compiled)
        # Per word seen, the phrases that may start on it (exact and prefix cues together),
        # longest first. Bounded: a long-running worker meets new words forever.
        self._starting: dict[str, tuple[_Compiled, ...]] = {}

    def _candidates(self, word: str) -> tuple[_Compiled, ...]:
        found = self._starting.get(word)
        if found is None:
            prefixed = [c for c in self._prefixed.get(word[:3], ()) if word.startswith(c.words[0])]
            found = tuple(
                sorted([*self._exact.get(word, ()), *prefixed], key=lambda c: -len(c.words))
            )
            if len(self._starting) >= WORD_CACHE_SIZE:
                self._starting.clear()
            self._starting[word] = found
        return found

    def find(self, words: Sequence[str]) -> list[Hit]:
        """Every cue present; where phrases of one group overlap, the longest wins."""
        hits: list[Hit] = []
        taken: dict[str, int] = {}  # group -> index up to which its tokens are used
        for index, word in enumerate(words):
            candidates = self._starting.get(word)
            if candidates is None:
                candidates = self._candidates(word)
            for compiled in candidates:
                group = compiled.cue.group
                if taken.get(group, 0) > index:
                    continue
                length = len(compiled.words)
                if length == 1:
                    # The word itself was the key (or starts with the prefix): it matches.
                    hits.append(Hit(compiled.cue, index, index + 1, word))
                    taken[group] = index + 1
                    continue
                end = index + length
                if end > len(words) or not _matches(compiled, words, index):
                    continue
                hits.append(Hit(compiled.cue, index, end, " ".join(words[index:end])))
                taken[group] = end
        return hits


def _matches(compiled: _Compiled, words: Sequence[str], start: int) -> bool:
    last = len(compiled.words) - 1
    for offset, expected in enumerate(compiled.words):
        actual = words[start + offset]
        if offset == last and compiled.prefix_last:
            if not actual.startswith(expected):
                return False
        elif actual != expected:
            return False
    return True
