"""What the classifier answers about a message: its kind, language, urgency (as the thread's
priority), topics and personal data, with the reasons that made each decision.
"""

from __future__ import annotations

from dataclasses import dataclass

from inbox.domain.thread import Priority, ThreadKind
from routing.personal_data import PersonalData


@dataclass(frozen=True, slots=True)
class Reason:
    decision: str  # kind, language, urgency, topics, personal_data
    cue: str  # what matched (words, a rule)
    effect: str  # what it did, in words an agent reads

    def as_dict(self) -> dict[str, str]:
        return {"decision": self.decision, "cue": self.cue, "effect": self.effect}


@dataclass(frozen=True, slots=True)
class Classification:
    kind: ThreadKind
    language: str | None
    priority: Priority  # the urgency, as the thread's priority
    topics: tuple[str, ...] = ()
    personal_data: tuple[PersonalData, ...] = ()
    reasons: tuple[Reason, ...] = ()

    @property
    def suggest_private_message(self) -> bool:
        return bool(self.personal_data)

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind.value,
            "language": self.language,
            "urgency": self.priority.value,
            "topics": list(self.topics),
            "personal_data": [{"kind": p.kind, "masked": p.masked} for p in self.personal_data],
            "suggest_private_message": self.suggest_private_message,
            "reasons": [r.as_dict() for r in self.reasons],
        }
