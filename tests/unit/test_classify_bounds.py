"""The classifier is safe whatever a payload holds: a huge text is read up to a bound, the
language on its opening, and hostile runs of characters go through every pattern."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from routing import personal_data
from routing.classify import READ_AT_MOST, Classifier
from routing.cues import fold, tokens
from routing.language import DETECTION_PREFIX, Guess, guess, guess_many
from routing.lexicon import MAX_ADDED_PHRASES, MAX_PHRASE_CHARACTERS, LexiconExtension

CLASSIFIER = Classifier()
FRENCH = "Bonjour, toujours pas de connexion depuis trois jours dans tout le quartier. "
HUGE = 400_000


def same_verdict(first: Guess, second: Guess) -> bool:
    """The same language, as confident (lingua's sums vary in their last digits)."""
    if first is None or second is None:
        return first is second
    return first[0] == second[0] and first[1] == pytest.approx(second[1])


@pytest.mark.parametrize(
    "text",
    [
        (FRENCH * (HUGE // len(FRENCH) + 1))[:HUGE],
        "a" * HUGE,  # one endless word: what makes lingua slow
        "@acme " + "https://example.com/x " * (HUGE // 22),
    ],
    ids=["sentences", "one-word", "links"],
)
def test_the_language_of_a_huge_text_is_the_language_of_its_opening(text: str) -> None:
    opening = text[:DETECTION_PREFIX]
    assert same_verdict(guess(text), guess(opening))
    assert same_verdict(guess_many([text, "merci beaucoup"])[0], guess(opening))
    assert CLASSIFIER.classify(text).language == CLASSIFIER.classify(opening).language


def test_a_long_french_text_is_still_french() -> None:
    assert CLASSIFIER.classify(FRENCH * 10_000).language == "fr"


def test_a_text_beyond_the_bound_is_classified_on_what_is_read() -> None:
    text = ("rien à signaler " * (READ_AT_MOST // 16 + 1))[:READ_AT_MOST]
    beyond = text + " scandaleux, remboursez-moi, jean@example.com, 06 12 34 56 78"
    assert CLASSIFIER.classify(beyond) == CLASSIFIER.classify(text)


PATTERNS = {
    "email": personal_data.EMAIL,
    "phone": personal_data.PHONE,
    "iban": personal_data.IBAN,
    "card": personal_data.CARD,
    "reference": personal_data.REFERENCE,
}
RUN = 50_000
# Runs of one character (or two) after the words that open each pattern: what makes a
# pattern with overlapping repetitions try every way of splitting the run.
HOSTILE = [
    prefix + unit * (RUN // len(unit)) + end
    for prefix in ("", "account", "order no.", "n°", "#", "+33", "FR12", "x@", "http://", "l'")
    for unit in (" ", "\n", "1", "1 ", "a", "A1-", ".", "@", "+", "'", "-")
    for end in ("", "!")
]


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_hostile_runs_of_characters_go_through_every_pattern(name: str) -> None:
    pattern: re.Pattern[str] = PATTERNS[name]
    for text in HOSTILE:
        for _ in pattern.finditer(text):
            pass


def test_hostile_runs_of_characters_are_folded_and_split_into_words() -> None:
    for text in HOSTILE:
        assert isinstance(tokens(fold(text)), list)


def test_hostile_runs_of_characters_are_classified() -> None:
    for text in HOSTILE[::7]:
        CLASSIFIER.classify(text)


def test_many_cues_in_one_long_clause_are_classified_like_a_few() -> None:
    """Conditionals, negators and overlapping opinions by the thousand: each cue is weighed
    against its neighbours, not against every other cue of the text."""

    def kind(text: str, language: str) -> str:
        return CLASSIFIER.classify(text, language=language).kind.value

    assert kind("si " * 5_000 + "la box est en panne ?", "fr") == "question"
    assert kind("not great " * 2_000, "en") == "complaint"
    assert kind("not bad. " * 2_000, "en") == kind("not bad.", "en") == "praise"


def test_a_workspace_lexicon_is_bounded() -> None:
    with pytest.raises(ValidationError, match="at most 100 characters"):
        LexiconExtension.model_validate(
            {"topics": {"roaming": ["x" * (MAX_PHRASE_CHARACTERS + 1)]}}
        )
    with pytest.raises(ValidationError, match=f"at most {MAX_ADDED_PHRASES}"):
        LexiconExtension.model_validate(
            {"topics": {"roaming": [f"word{n}" for n in range(MAX_ADDED_PHRASES + 1)]}}
        )
    with pytest.raises(ValidationError, match="finite number"):
        LexiconExtension.model_validate({"cues": {"fr": {"complaint": {"c'est nul": "nan"}}}})
    LexiconExtension.model_validate({"cues": {"fr": {"complaint": {"c'est nul": 3}}}})
