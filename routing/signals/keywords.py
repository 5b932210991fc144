"""An incident's keywords: the words its burst says more often than complaints usually do.

The burst's messages are compared with the baseline's (the workspace's complaints over the
days before it) by the log-odds ratio of each word, with an informative Dirichlet prior
(Monroe, Colaresi and Quinn 2008, "Fightin' Words"): a word's z-score is its log-odds in the
burst minus its log-odds in the baseline, over the estimate's standard deviation, the prior
being the word's frequency in both together. A word common everywhere ("internet" in a
telecom's complaints) is not over-represented; a word of one message (a restaurant's
"booking") is not either: a keyword is shared by at least two of the burst's messages.

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
    prior_strength: float = 100.0  # the Dirichlet prior weighs as much as this many words
    min_z: float = 1.96  # over-represented at about the 5% level, one-sided 2.5%
    min_messages: int = 2  # a keyword is shared by at least this many of the burst's messages
    limit: int = 10


def over_represented(
    burst: Counter[str],
    baseline: Counter[str],
    settings: KeywordSettings = KeywordSettings(),
) -> list[tuple[str, float]]:
    """(word, z-score) of the burst's over-represented words, strongest first."""
    burst_total = sum(burst.values())
    baseline_total = sum(baseline.values())
    both_total = burst_total + baseline_total
    if burst_total == 0:
        return []
    prior = settings.prior_strength
    found = []
    for word, in_burst in burst.items():
        if in_burst < settings.min_messages:
            continue
        in_baseline = baseline.get(word, 0)
        alpha = prior * (in_burst + in_baseline) / both_total
        log_odds_burst = math.log((in_burst + alpha) / (burst_total + prior - in_burst - alpha))
        log_odds_baseline = math.log(
            (in_baseline + alpha) / (baseline_total + prior - in_baseline - alpha)
        )
        variance = 1.0 / (in_burst + alpha) + 1.0 / (in_baseline + alpha)
        z = (log_odds_burst - log_odds_baseline) / math.sqrt(variance)
        if z >= settings.min_z:
            found.append((word, z))
    found.sort(key=lambda item: (-item[1], item[0]))
    return found[: settings.limit]


def keywords(
    burst_texts: Iterable[str],
    baseline_texts: Iterable[str],
    settings: KeywordSettings = KeywordSettings(),
) -> list[str]:
    """The burst's keywords against the baseline, strongest first."""
    burst, _ = document_counts(burst_texts)
    baseline, _ = document_counts(baseline_texts)
    return [word for word, _ in over_represented(burst, baseline, settings)]
