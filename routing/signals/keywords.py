"""An incident's keywords: the words its burst says more often than complaints usually do.

The burst's messages are compared with the baseline's (the workspace's complaints over the
days before it) word by word with Dunning's log-likelihood ratio (G², "Accurate methods for the
statistics of surprise and coincidence", 1993), the keyness statistic of corpus linguistics:
how unlikely the share of the burst's messages that say a word is, had they said it as
often as the baseline's. It holds for small counts, where a chi-square does not. A word common
everywhere ("internet" in a telecom's complaints) is not over-represented; a word of one
message (a restaurant's "booking") is no keyword either: a keyword is shared by at least two
of the burst's messages. Without a baseline (a new workspace) the burst's most shared words
are its keywords.

Each message counts a word once. Stop words (English and French lists of the `stop-words`
package), handles, links and anything holding a digit ("250000", "4g", "7e") are left out.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from stop_words import get_stop_words

# A letter, then letters, apostrophes inside, hyphens inside ("re-boot", "aujourd'hui").
_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['’-](?=[^\W\d_]))*")
_NOT_WORDS = re.compile(r"(?:https?://|www\.)\S+|[@#]?\w*\d\w*|@\w+")
_ELISION = re.compile(r"^(?:[ldjmnstcq]|qu|jusqu|lorsqu|puisqu)['’]")
MIN_LENGTH = 3


@cache
def stop_words() -> frozenset[str]:
    return frozenset(w for lang in ("en", "fr") for w in get_stop_words(lang))


def words(text: str) -> set[str]:
    """The distinct words of a message worth counting, lower-cased."""
    found = set()
    for match in _WORD.finditer(_NOT_WORDS.sub(" ", text.lower())):
        word = _ELISION.sub("", match.group())
        if len(word) >= MIN_LENGTH and word not in stop_words():
            found.add(word)
    return found


def document_counts(texts: Iterable[str]) -> tuple[Counter[str], int]:
    """How many messages hold each word, and how many messages there were."""
    counts: Counter[str] = Counter()
    messages = 0
    for text in texts:
        counts.update(words(text))
        messages += 1
    return counts, messages


@dataclass(frozen=True, slots=True)
class KeywordSettings:
    min_g2: float = 6.63  # over-represented at the 1% level (chi-square, one degree of freedom)
    min_messages: int = 2  # a keyword is shared by at least this many of the burst's messages
    limit: int = 10


def over_represented(
    burst: Counter[str],
    burst_messages: int,
    baseline: Counter[str],
    baseline_messages: int,
    settings: KeywordSettings = KeywordSettings(),
) -> list[tuple[str, float]]:
    """(word, G²) of the burst's over-represented words, strongest first; without a baseline,
    (word, messages saying it) of its most shared words."""
    shared = [(w, n) for w, n in burst.items() if n >= settings.min_messages]
    if baseline_messages == 0:
        ranked = sorted(((w, float(n)) for w, n in shared), key=lambda item: (-item[1], item[0]))
        return ranked[: settings.limit]
    found = []
    for word, in_burst in shared:
        in_baseline = baseline.get(word, 0)
        if in_burst * baseline_messages <= in_baseline * burst_messages:
            continue  # not said more often in the burst
        g2 = _g2(in_burst, burst_messages, in_baseline, baseline_messages)
        if g2 >= settings.min_g2:
            found.append((word, g2))
    found.sort(key=lambda item: (-item[1], item[0]))
    return found[: settings.limit]


def _g2(in_burst: int, burst: int, in_baseline: int, baseline: int) -> float:
    """Dunning's G² of the 2x2 table (says the word or not, burst or baseline)."""
    total = burst + baseline
    saying = in_burst + in_baseline
    cells = (
        (in_burst, burst * saying / total),
        (burst - in_burst, burst * (total - saying) / total),
        (in_baseline, baseline * saying / total),
        (baseline - in_baseline, baseline * (total - saying) / total),
    )
    return 2.0 * sum(o * math.log(o / e) for o, e in cells if o > 0)


def keywords(
    burst_texts: Iterable[str],
    baseline_texts: Iterable[str],
    settings: KeywordSettings = KeywordSettings(),
) -> list[str]:
    """The burst's keywords against the baseline, strongest first."""
    burst, burst_messages = document_counts(burst_texts)
    baseline, baseline_messages = document_counts(baseline_texts)
    found = over_represented(burst, burst_messages, baseline, baseline_messages, settings)
    return [word for word, _ in found]
