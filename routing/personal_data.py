"""Personal data a customer exposed in public: e-mail addresses, phone numbers, account,
contract and order numbers, IBANs and payment cards.

Each finding names its kind and a masked form (never the value itself: reasons are shown and
stored), so that the agent can invite the customer to a private message and hide the post.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}(?![\w-])", re.IGNORECASE)
# French (0X XX XX XX XX, +33 X ...), British (07xxx xxxxxx, +44 ...), North American and
# other international numbers written with their + prefix.
PHONE = re.compile(
    r"(?<![\w+])(?:"
    r"(?:\+|00)33[\s.-]?[1-9](?:[\s.-]?\d{2}){4}"
    r"|0[1-9](?:[\s.-]?\d{2}){4}"
    r"|(?:\+|00)44[\s.-]?7\d{3}[\s.-]?\d{6}"
    r"|07\d{3}[\s.-]?\d{6}"
    r"|(?:\+1[\s.-]?)?\(?[2-9]\d{2}\)?[\s.-]\d{3}[\s.-]\d{4}"
    r"|\+[1-9]\d{0,2}(?:[\s.-]?\d){7,12}"
    r")(?!\w)"
)
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,4})?\b")
CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
# A number introduced as an account, customer, contract, order or booking reference.
REFERENCE = re.compile(
    r"\b(?:account|acct|a/c|customer|client|contract|contrat|order|commande|booking|"
    r"reservation|réservation|dossier|ticket|case|ref|reference|référence|policy|police|"
    r"membership|abonné|abonne|numéro|numero|n°|no\.?|nº|#)"
    r"(?:\s+(?:number|no\.?|num|n°|nº|id|#|de|d'|du|client))?"
    r"(?:\s+(?:is|was|est|:))?(?:\s+(?:le|la|the))?"
    # Not `\s*[:#n°º.]?\s*`: two runs of spaces side by side split a long run of spaces in
    # every possible way, and the search grows with the square of its length.
    # Digits may come in groups, as people read them out ("4412 3390").
    r"\s*(?:[:#n°º.]\s*)?([A-Z0-9][A-Z0-9-]{3,}\d[A-Z0-9-]*|\d{5,}|\d{2,}(?: \d{2,}){1,3})",
    re.IGNORECASE,
)


_AT_INSIDE_WORDS = re.compile(r"[\w.+-]@[\w-]")
_DIGIT = re.compile(r"\d")
MIN_DIGITS = 5


@dataclass(frozen=True, slots=True)
class PersonalData:
    kind: str  # email, phone, iban, payment_card, reference
    masked: str


def find_personal_data(text: str) -> list[PersonalData]:
    found: list[PersonalData] = []
    taken: list[tuple[int, int]] = []

    def keep(kind: str, start: int, end: int, value: str) -> None:
        if any(start < t_end and t_start < end for t_start, t_end in taken):
            return  # part of something already found (a card is not also a phone)
        taken.append((start, end))
        found.append(PersonalData(kind, _mask(kind, value)))

    # An address has a word's character on each side of its "@": a handle ("@brand") has
    # not, and most messages that hold an "@" hold only handles.
    if "@" in text and _AT_INSIDE_WORDS.search(text):
        for match in EMAIL.finditer(text):
            keep("email", match.start(), match.end(), match.group())
    if len(_DIGIT.findall(text)) < MIN_DIGITS:
        return found  # every other kind holds at least this many digits
    for match in IBAN.finditer(text):
        if sum(c.isdigit() for c in match.group()) >= 10:
            keep("iban", match.start(), match.end(), match.group())
    for match in CARD.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if 13 <= len(digits) <= 19 and _luhn(digits):
            keep("payment_card", match.start(), match.end(), digits)
    for match in PHONE.finditer(text):
        keep("phone", match.start(), match.end(), match.group())
    for match in REFERENCE.finditer(text):
        keep("reference", match.start(1), match.end(1), match.group(1))
    return found


def _luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _mask(kind: str, value: str) -> str:
    if kind == "email":
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    compact = re.sub(r"[\s.-]", "", value)
    return "*" * max(len(compact) - 2, 3) + compact[-2:]
