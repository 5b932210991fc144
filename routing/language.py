"""The language a message is written in.

The network's own tag is trusted when it names a language (X tags every post; `und`, `qme`,
`zxx` and friends mean it could not tell). Otherwise lingua decides among the languages
customers of a European brand write in, which keeps it fast and accurate on short texts; when
its confidence is low, the lexicons vote (a "merci" is French even in two words), and with no
vote the language stays unknown rather than guessed.

Most messages say which of the two languages the lexicons know they are written in with their
commonest words ("the", "my", "is"; "le", "je", "pas"): when at least `COMMON_WORDS` of one
language's and none of the other's appear, nor any of the commonest words of the other
languages lingua chooses among, that language is taken without asking lingua, which costs
more than the rest of the classification together. On the recorded customer messages this
first pass decided five in six and agreed with the labels every time (lingua, unsure on short
messages, had left some of them unknown); anything less clear goes to lingua as before.

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

COMMON_WORDS = 3  # of one language, and none of another, for the first pass to decide
# Folded tokens (routing.cues): no accents, elided articles split off ("l'", "j'").


def _listed(words: str) -> frozenset[str]:
    return frozenset(words.split())


_COMMON = {
    "en": _listed(
        "the and is are was were you your my it this that to of for with have has had not but "
        "what why how i me we they be been on at can will do does don't i'm it's please "
        "thanks thank an so just get got from there their would could"
    ),
    "fr": _listed(
        "le les et est je vous mon ma mes pas une des du avec pour sur ce cette elle nous ils "
        "sont avez ai j' l' d' c' qu' n' m' s' au aux mais ou merci bonjour tres deja encore "
        "toujours rien"
    ),
}
# The commonest words of the other candidates that are not common English or French words:
# one of them and the first pass leaves the message to lingua.
_OTHER_COMMON = _listed(
    "el los las por para esta y muy pero como mi tengo del lo se gracias "  # es
    "der die und ist nicht ich das ein eine mit sie auch zu den von es sich auf bei wie mein "
    "kann habe "  # de
    "il che non di sono della questo perche anche ho gli mio molto grazie funziona "  # it
    "nao voce com uma muito obrigado meu minha isso "  # pt
    "het een niet ik van zijn wat maar met voor op dank"  # nl
)
_COMMON_LANGUAGE = {
    **dict.fromkeys(_OTHER_COMMON, "other"),
    **{word: language for language, words in _COMMON.items() for word in words},
}


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


def common_words_language(words: Sequence[str]) -> str | None:
    """English or French when its commonest words say so clearly (see the module's
    docstring); None when lingua must decide."""
    english = french = 0
    for word in words:
        language = _COMMON_LANGUAGE.get(word)
        if language is None:
            continue
        if language == "en":
            english += 1
        elif language == "fr":
            french += 1
        else:
            return None
    if english >= COMMON_WORDS and not french:
        return "en"
    if french >= COMMON_WORDS and not english:
        return "fr"
    return None


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
