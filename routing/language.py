"""The language a message is written in.

The network's own tag is trusted when it names a language (X tags every post; `und`, `qme`,
`zxx` and friends mean it could not tell). Otherwise lingua decides among the languages
customers of a European brand write in, which keeps it fast and accurate on short texts; when
its confidence is low, the lexicons vote (a "merci" is French even in two words), and with no
vote the language stays unknown rather than guessed.

lingua reads only the first `DETECTION_PREFIX` characters: its cost grows with the square
of a long word (100,000 letters in a row take 1.5 s; four times as many, sixteen times as
long), and a language shows in a few sentences. On long French and English texts the verdict
on the first 300 characters already matched the verdict on 6,000; 1,000 leaves room for a
reply's leading @handles and links and costs about a millisecond whatever the text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

CANDIDATES = {
    Language.ENGLISH: "en",
    Language.FRENCH: "fr",
    Language.SPANISH: "es",
    Language.GERMAN: "de",
    Language.ITALIAN: "it",
    Language.PORTUGUESE: "pt",
    Language.DUTCH: "nl",
}
# X's tags that are not languages: undetermined, media or hashtags only, no linguistic content.
NOT_LANGUAGES = frozenset({"und", "qme", "qht", "qam", "qst", "zxx", "art", "qct"})
CONFIDENT = 0.6
SHORTEST_GUESS = 12  # characters of letters below which lingua alone is not trusted
DETECTION_PREFIX = 1_000  # characters of a text lingua reads (see the module's docstring)
_LETTER = re.compile(r"[^\W\d_]")


@functools.cache
def _detector() -> LanguageDetector:
    return LanguageDetectorBuilder.from_languages(*CANDIDATES).build()


def network_language(tag: str | None) -> str | None:
    if not tag:
        return None
    base = tag.split("-")[0].lower()
    return None if base in NOT_LANGUAGES or len(base) not in (2, 3) else base


Guess = tuple[str, float] | None  # lingua's best language and its confidence


def _letters(text: str) -> int:
    return len(_LETTER.findall(text))


def guess(text: str) -> Guess:
    opening = text[:DETECTION_PREFIX]
    if _letters(opening) < SHORTEST_GUESS:
        return None
    best = _detector().compute_language_confidence_values(opening)[0]
    return CANDIDATES[best.language], best.value


def guess_many(texts: Sequence[str]) -> list[Guess]:
    """`guess` for a batch, on lingua's worker threads."""
    texts = [text[:DETECTION_PREFIX] for text in texts]
    long_enough = [i for i, t in enumerate(texts) if _letters(t) >= SHORTEST_GUESS]
    results: list[Guess] = [None] * len(texts)
    if long_enough:
        values = _detector().compute_language_confidence_values_in_parallel(
            [texts[i] for i in long_enough]
        )
        for index, confidences in zip(long_enough, values, strict=True):
            best = confidences[0]
            results[index] = (CANDIDATES[best.language], best.value)
    return results


def detect(guessed: Guess, lexicon_votes: dict[str, float]) -> tuple[str | None, str]:
    """The language and why: lingua's confident guess, else the lexicon with most cues."""
    if guessed is not None and guessed[1] >= CONFIDENT:
        return guessed[0], f"detected ({guessed[1]:.0%} confident)"
    if lexicon_votes:
        language, votes = max(lexicon_votes.items(), key=lambda item: item[1])
        if votes > 0 and list(lexicon_votes.values()).count(votes) == 1:
            return language, "words of its lexicon"
    return None, "too short or too mixed to tell"


def warm_up(sample: Sequence[str] = ("bonjour", "hello")) -> None:
    """Load the models now (once per process) rather than on the first message."""
    for text in sample:
        _detector().compute_language_confidence_values(text)
