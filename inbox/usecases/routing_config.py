"""A workspace's routing configuration as the use cases read it: the stored document (settings,
lexicon additions, rules, acknowledgement templates, the classifier's adjustment) checked and
compiled once per version, with defaults should a stored one be unusable.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pydantic import ValidationError

from inbox.domain.errors import ConfigurationError
from inbox.domain.routing import RoutingConfig
from routing.classify import Classifier
from routing.lexicon import LexiconExtension
from routing.model import Adjustment, ModelFileError, shipped_fingerprint
from routing.rules_document import RuleBook, RuleError
from routing.settings import WorkspaceRouting

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ParsedConfig:
    version: int
    settings: WorkspaceRouting
    rules: RuleBook
    classifier: Classifier
    acknowledgements: dict[str, str]


def parse_config(config: RoutingConfig) -> ParsedConfig:
    """Every part checked, the problem named: `ConfigurationError` otherwise."""
    try:
        settings_doc = dict(config.settings)
        acknowledgements = settings_doc.pop("acknowledgements", {})
        if not isinstance(acknowledgements, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and v.strip()
            for k, v in acknowledgements.items()
        ):
            raise ConfigurationError(
                "routing settings", "'acknowledgements' maps template names to texts"
            )
        settings = WorkspaceRouting.model_validate(settings_doc)
        lexicon = LexiconExtension.model_validate(config.lexicon)
        rules = RuleBook.parse(config.rules)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'document'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigurationError("routing settings", problems) from None
    except RuleError as exc:
        raise ConfigurationError("routing rules", str(exc)) from None
    missing = {
        rule.then.auto_acknowledge
        for rule in rules.rules
        if rule.then.auto_acknowledge and rule.then.auto_acknowledge not in acknowledgements
    }
    if missing:
        raise ConfigurationError(
            "routing rules",
            f"acknowledgement templates {sorted(missing)} are not in settings.acknowledgements",
        )
    classifier = Classifier(
        lexicon,
        complaint_threshold=settings.complaint_threshold,
        adjustment=_adjustment(config.adjustment),
    )
    return ParsedConfig(config.version, settings, rules, classifier, dict(acknowledgements))


def _adjustment(document: dict[str, object] | None) -> Adjustment | None:
    """The workspace's adjustment, when it was learned on the model this process ships (one
    learned on another is ignored until the worker relearns it)."""
    if document is None:
        return None
    try:
        adjustment = Adjustment.from_document(document)
    except ModelFileError as error:
        log.error(
            "classifier adjustment unusable; the shipped model alone applies",
            extra={"action": "classifier_adjustment_error", "error": str(error)},
        )
        return None
    return adjustment if adjustment.model == shipped_fingerprint() else None


DEFAULT_CONFIG = parse_config(RoutingConfig())


class RoutingConfigs:
    """Parsed configurations by workspace and version: a workspace's classifier (its lexicon
    compiled, its adjustment read) is built once per version of either, not per batch."""

    def __init__(self) -> None:
        self._parsed: dict[tuple[int, int, int], ParsedConfig] = {}

    def parsed(self, workspace_id: int, config: RoutingConfig | None) -> ParsedConfig:
        if config is None:
            return DEFAULT_CONFIG
        key = (workspace_id, config.version, config.adjustment_version)
        found = self._parsed.get(key)
        if found is None:
            try:
                found = parse_config(config)
            except ConfigurationError as error:
                # Saved settings were checked; should a bad one slip through, messages must
                # still be stored and routed: defaults apply and the error is loud.
                log.error(
                    "routing settings unusable; defaults applied",
                    extra={"action": "routing_config_error", "error": str(error)},
                )
                found = DEFAULT_CONFIG
            self._parsed = {k: v for k, v in self._parsed.items() if k[0] != workspace_id}
            self._parsed[key] = found
        return found
