"""What every network's outbound channel shares."""

from __future__ import annotations

from collections.abc import Collection

from connectors.common.http_api import ApiError, PermanentApiError
from inbox.domain.outbox import DeliveryError


def delivery_error(error: ApiError, *, retried: Collection[int] = ()) -> DeliveryError:
    """A failed post as the outbox sees it: given up when the network refused it for good
    (unless its status is one the network means as "try again", `retried`), else tried
    again later."""
    permanent = isinstance(error, PermanentApiError) and error.status not in retried
    return DeliveryError(str(error), permanent=permanent)
