"""Meta webhook deliveries: the signature check and the mentions they carry.

Instagram @mention notifications name a comment or a caption without its text; each is looked
up on the Graph API with the source's Page access token while the delivery is handled, and a
look-up that fails quarantines that change with the reason (its ids are kept, so nothing is
lost). Meta waits up to 20 s for an answer; look-ups run concurrently within that.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime

import aiohttp
from pydantic import ValidationError

from connectors.meta.graph import GRAPH_URL, GraphApi, GraphError
from connectors.meta.normalise import (
    MentionLookup,
    describe,
    looked_up_mention,
    normalise_notification,
    rejected_lookup,
)
from inbox.domain.inbound_webhooks import (
    META_SIGNATURE_HEADER,
    InboundSource,
    ParsedDelivery,
    header,
    verify_meta_signature,
)
from inbox.domain.ingestion import RejectedPayload
from inbox.domain.mention import Mention

# Beyond this many look-ups in one delivery, the rest are quarantined for a later replay.
MAX_LOOKUPS = 20


class MetaFormat:
    """The InboundFormat of Meta sources (Facebook Page and Instagram notifications)."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    def verify(
        self, source: InboundSource, body: bytes, headers: Mapping[str, str], now: datetime
    ) -> None:
        verify_meta_signature(source.secret, body, header(headers, META_SIGNATURE_HEADER))

    async def parse(self, source: InboundSource, body: bytes) -> ParsedDelivery:
        found = normalise_notification(body, source=source.name)
        mentions, rejected = list(found.mentions), list(found.rejected)
        if found.lookups:
            looked_up = await self._look_up(source, found.lookups)
            mentions += [item for item in looked_up if isinstance(item, Mention)]
            rejected += [item for item in looked_up if isinstance(item, RejectedPayload)]
        return ParsedDelivery(mentions, rejected, found.ignored)

    async def _look_up(
        self, source: InboundSource, lookups: list[MentionLookup]
    ) -> list[Mention | RejectedPayload]:
        origin = f"meta:{source.name}"
        if source.access_token is None:
            reason = "no Page access token is configured to look up the mention's text"
            return [rejected_lookup(lookup, origin, reason) for lookup in lookups]
        api = GraphApi(
            self._session, str(source.settings.get("graph_url") or GRAPH_URL), source.access_token
        )
        now, later = lookups[:MAX_LOOKUPS], lookups[MAX_LOOKUPS:]
        results = list(await asyncio.gather(*(_one(api, lookup, origin) for lookup in now)))
        reason = f"more than {MAX_LOOKUPS} mentions in one delivery; not looked up"
        return results + [rejected_lookup(lookup, origin, reason) for lookup in later]


async def _one(api: GraphApi, lookup: MentionLookup, origin: str) -> Mention | RejectedPayload:
    try:
        answer = await api.mentioned(lookup.instagram_id, lookup.media_id, lookup.comment_id)
        return looked_up_mention(lookup, answer)
    except GraphError as error:
        return rejected_lookup(lookup, origin, f"look-up failed: {error.reason}")
    except ValidationError as error:
        return rejected_lookup(lookup, origin, f"look-up answer: {describe(error, 'answer')}")
