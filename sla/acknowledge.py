"""The out-of-hours acknowledgement: when the team is back, in the customer's language."""

from __future__ import annotations

from datetime import date, datetime

DAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
}
TEXTS = {
    "en": "Thanks for your message. Our team is away right now and will answer {when}.",
    "fr": "Merci pour votre message. Notre équipe est absente et vous répondra {when}.",
}
WHEN = {
    "en": {"today": "today at {time}", "tomorrow": "tomorrow at {time}", "day": "{day} at {time}"},
    "fr": {"today": "aujourd'hui à {time}", "tomorrow": "demain à {time}", "day": "{day} à {time}"},
}


def language_of(code: str | None) -> str:
    """French or English (the default); regional codes count ("fr-CA" is French)."""
    base = (code or "").split("-")[0].lower()
    return base if base in TEXTS else "en"


def acknowledgement(language: str | None, arrived_local: date, back_local: datetime) -> str:
    """The text: 'back Monday at 09:00' as seen from the day the message arrived."""
    lang = language_of(language)
    time_text = back_local.strftime("%H:%M")
    days_ahead = (back_local.date() - arrived_local).days
    if days_ahead <= 0:
        when = WHEN[lang]["today"].format(time=time_text)
    elif days_ahead == 1:
        when = WHEN[lang]["tomorrow"].format(time=time_text)
    else:
        day = DAYS[lang][back_local.weekday()]
        when = WHEN[lang]["day"].format(day=day, time=time_text)
    return TEXTS[lang].format(when=when)
