"""The routing document as leads edit it: settings, lexicon additions and the ordered rules,
in YAML (or JSON, which YAML reads too), checked before it is stored; a refusal names the rule
and the field. Each rule's firing count is shown beside it."""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from inbox.domain.documents import MAX_DEPTH, check_document
from inbox.domain.errors import ConfigurationError
from inbox.domain.web import WebSession
from inbox.ports.audit import AuditTrail
from inbox.usecases.admin_access import Section, require_section
from inbox.usecases.admin_documents import check_length, check_storable
from inbox.usecases.audit import entry_by
from inbox.usecases.routing import RoutingSettings
from routing.model import shipped_model

PARTS = ("settings", "lexicon", "rules")


@dataclass(frozen=True, slots=True)
class RuleCount:
    name: str
    enabled: bool
    fired: int


@dataclass(frozen=True, slots=True)
class ThresholdRow:
    """What a complaint threshold does on the shipped model's development set."""

    threshold: float
    precision: float
    recall: float
    current: bool


@dataclass(frozen=True, slots=True)
class ComplaintThreshold:
    threshold: float
    workspace_set: bool  # else the model's own, chosen on the development set
    rows: tuple[ThresholdRow, ...]
    development_messages: int
    development_complaints: int
    learned_examples: int  # corrections the workspace's adjustment learned from (0: none)


@dataclass(frozen=True, slots=True)
class RoutingPage:
    document: str
    rules: tuple[RuleCount, ...]
    version: int
    complaints: ComplaintThreshold | None = None


class ManageRouting:
    def __init__(self, routing: RoutingSettings, audit: AuditTrail) -> None:
        self._routing = routing
        self._audit = audit

    async def page(self, session: WebSession) -> RoutingPage:
        require_section(session, Section.ROUTING)
        config = await self._routing.current(session.workspace_id)
        counts = await self._routing.rule_counts(session.workspace_id)
        listed = config.rules.get("rules")
        rules = listed if isinstance(listed, list) else []
        document = {"settings": config.settings, "lexicon": config.lexicon, "rules": rules}
        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
        return RoutingPage(
            text,
            tuple(
                RuleCount(
                    str(rule.get("name", "")),
                    rule.get("enabled", True) is not False,
                    counts.get(str(rule.get("name", "")), 0),
                )
                for rule in rules
                if isinstance(rule, dict)
            ),
            config.version,
            _complaint_threshold(config.settings, config.adjustment),
        )

    async def save(self, session: WebSession, text: str) -> int:
        """The new version; ConfigurationError names the line, or the rule and field."""
        require_section(session, Section.ROUTING)
        parts = routing_document(text)
        before = await self._routing.current(session.workspace_id)
        version = await self._routing.save(
            session.workspace_id, parts["settings"], parts["lexicon"], parts["rules"]
        )
        rules = parts["rules"].get("rules")
        await self._audit.record(
            entry_by(
                session,
                "routing_changed",
                "routing",
                version,
                before_version=before.version,
                after_version=version,
                rules=len(rules) if isinstance(rules, list) else 0,
            )
        )
        return version


def _complaint_threshold(
    settings: dict[str, object], adjustment: dict[str, object] | None
) -> ComplaintThreshold:
    model = shipped_model()
    chosen = settings.get("complaint_threshold")
    threshold, workspace_set = model.threshold, False
    if isinstance(chosen, int | float) and not isinstance(chosen, bool):
        threshold, workspace_set = float(chosen), True
    nearest = model.effect_at(threshold)
    examples = adjustment.get("examples", 0) if adjustment else 0
    return ComplaintThreshold(
        threshold,
        workspace_set,
        # Tenths, and the threshold in effect: enough to see the trade, short enough to read.
        tuple(
            ThresholdRow(e.threshold, e.precision, e.recall, e is nearest)
            for e in model.development
            if e is nearest or round(e.threshold * 100) % 10 == 0
        ),
        model.development_messages,
        model.development_complaints,
        examples if isinstance(examples, int) else 0,
    )


def routing_document(text: str) -> dict[str, dict[str, object]]:
    """The document as typed on the page, in YAML or JSON, split into its parts."""
    check_length(text, "routing document")
    return routing_parts(read_yaml(text, "routing document"))


def read_yaml(text: str, field: str) -> object:
    """The YAML (or JSON) value of `text`, held to `check_document`'s bounds; a syntax error
    names its line."""
    try:
        document = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else field
        problem = getattr(exc, "problem", None) or "not YAML or JSON"
        raise ConfigurationError(where, str(problem)) from exc
    except RecursionError:  # PyYAML builds nested values recursively
        raise ConfigurationError(field, f"nested more than {MAX_DEPTH} levels deep") from None
    check_document(document, field)
    return document


def routing_parts(document: object) -> dict[str, dict[str, object]]:
    """`settings`, `lexicon` and `rules` of a routing document (rules may be given as the
    list alone); each refusal names the part."""
    if not isinstance(document, dict):
        raise ConfigurationError("routing document", "a mapping of settings, lexicon and rules")
    check_storable(document, "routing document")
    unknown = sorted(str(key) for key in set(document) - set(PARTS))
    if unknown:
        raise ConfigurationError("routing document", f"unknown parts {unknown}; use {PARTS}")
    settings = document.get("settings") or {}
    lexicon = document.get("lexicon") or {}
    rules = document.get("rules") or []
    if isinstance(rules, list):
        rules = {"rules": rules}
    for name, value in (("settings", settings), ("lexicon", lexicon), ("rules", rules)):
        if not isinstance(value, dict):
            raise ConfigurationError(name, "a mapping")
    return {"settings": settings, "lexicon": lexicon, "rules": rules}
