"""Each workspace's classifier learns from its own agents' corrections.

The worker runs `LearnFromCorrections` on a schedule: for every workspace corrected since its
adjustment was last learned, it reads that workspace's corrections (kind and urgency, with
their texts), learns the adjustment on top of the shipped model (routing.adjust) and stores it
for that workspace. The processes that classify pick it up with the workspace's routing
configuration (`RoutingConfigs`). Nothing is shared between workspaces: each adjustment is
learned from one workspace's corrections and applied to that workspace alone.
"""

from __future__ import annotations

import asyncio
import logging

from inbox.domain.routing import StoredCorrection
from inbox.ports.threads import CorrectionStore
from routing.adjust import Correction, learn_adjustment
from routing.classify import Classifier
from routing.model import Adjustment, shipped_model

log = logging.getLogger(__name__)


class LearnFromCorrections:
    def __init__(self, store: CorrectionStore) -> None:
        self._store = store

    async def run_once(self) -> None:
        await self()

    async def __call__(self) -> list[int]:
        """The workspaces whose adjustment was learned anew."""
        learned = []
        for workspace_id in await self._store.workspaces_to_learn():
            corrections = await self._store.corrections(workspace_id)
            if not corrections:
                continue
            # Pure Python arithmetic over a few hundred examples: off the event loop.
            adjustment = await asyncio.to_thread(_learn, corrections)
            await self._store.save_adjustment(
                workspace_id, adjustment.to_document(), max(c.id for c in corrections)
            )
            learned.append(workspace_id)
            log.info(
                "classifier adjustment learned",
                extra={
                    "action": "classifier_adjusted",
                    "workspace_id": workspace_id,
                    "examples": adjustment.examples,
                    "features": len(adjustment.weights),
                },
            )
        return learned


def _learn(corrections: list[StoredCorrection]) -> Adjustment:
    return learn_adjustment(
        [Correction(c.text, c.language, c.field, c.value) for c in corrections],
        model=shipped_model(),
        classifier=Classifier(),
    )
