"""What is checked in a reply's text before it leaves, as pure decisions: a text longer than
its network takes is refused; personal data in a public answer is warned about, the more so
when it repeats what the customer exposed.

Both the community's drafts and their review by staff go through `check_reply`, so that what
a member is told while writing is what the reviewer sees and what posting would meet.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

from routing.personal_data import PersonalData, find_personal_data

# What one post may hold on each network: the reply box counts down from it. Bluesky counts
# graphemes (what a reader sees as one character); the others, Unicode characters.
POST_LIMITS = {
    "x": 280,
    "mastodon": 500,
    "bluesky": 300,
    "facebook": 8000,
    "instagram": 2200,
}
# A network without a limit of its own (a webhook source) gets the longest reply we store.
LONGEST_POST = 5000
NETWORK_NAMES = {
    "x": "X",
    "mastodon": "Mastodon",
    "bluesky": "Bluesky",
    "facebook": "Facebook",
    "instagram": "Instagram",
}
# Each kind of personal data in words, with its article.
PERSONAL_DATA_NAMES = {
    "email": ("an", "e-mail address"),
    "phone": ("a", "phone number"),
    "iban": ("a", "bank account number"),
    "payment_card": ("a", "payment card number"),
    "reference": ("an", "account or order number"),
}
_GRAPHEME = regex.compile(r"\X")


def post_limit(network: str) -> int:
    return POST_LIMITS.get(network, LONGEST_POST)


def post_length(text: str, network: str) -> int:
    """The length the network counts: graphemes on Bluesky, characters elsewhere."""
    if network == "bluesky":
        return len(_GRAPHEME.findall(text))
    return len(text)


@dataclass(frozen=True, slots=True)
class ReplyCheck:
    """`refusals`: why the text cannot be sent as it is; `warnings`: what the writer should
    look at again before sending (sending anyway is their call)."""

    length: int
    limit: int
    refusals: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def left(self) -> int:
        return self.limit - self.length

    @property
    def refused(self) -> bool:
        return bool(self.refusals)


def check_reply(text: str, network: str, customer_texts: tuple[str, ...] = ()) -> ReplyCheck:
    """The checks of a public reply on `network` to a customer who wrote `customer_texts`."""
    stripped = text.strip()
    limit = post_limit(network)
    length = post_length(stripped, network)
    refusals: list[str] = []
    if not stripped:
        refusals.append("the answer is empty")
    elif length > limit:
        where = NETWORK_NAMES.get(network, "this network")
        refusals.append(
            f"the answer is {length} characters; {where} takes {limit}: "
            f"shorten it by {length - limit}"
        )
    warnings = _personal_data_warnings(stripped, customer_texts)
    return ReplyCheck(length, limit, tuple(refusals), warnings)


def _personal_data_warnings(text: str, customer_texts: tuple[str, ...]) -> tuple[str, ...]:
    found = find_personal_data(text)
    if not found:
        return ()
    # Compared in their masked forms: the finder never hands out the values themselves.
    theirs = {(p.kind, p.masked) for t in customer_texts for p in find_personal_data(t)}
    return tuple(_warning(p, (p.kind, p.masked) in theirs) for p in found)


def _warning(data: PersonalData, echoed: bool) -> str:
    article, name = PERSONAL_DATA_NAMES.get(data.kind, ("some", "personal data"))
    if echoed:
        return f"the answer repeats the customer's {name} ({data.masked}) in public: leave it out"
    return f"the answer holds {article} {name} ({data.masked}): a public answer should not"
