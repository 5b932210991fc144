"""Every error the inbox raises on purpose shares one root, so an entry point can tell the
project's own refusals (written to be shown) from a bug or a driver's failure."""

from __future__ import annotations

import pytest

from connectors.bluesky.xrpc import AuthenticationFailed, RefusedService
from connectors.common.http_api import ApiError, PermanentApiError, RateLimited, TransientApiError
from connectors.mastodon.api import RefusedInstance
from connectors.meta.graph import GraphError
from inbox.domain.errors import InboxError
from inbox.supervise import PartEndedError
from routing.model import ModelFileError
from sla.calendar import CalendarError
from sla.cases import CaseError


@pytest.mark.parametrize(
    "error",
    [
        ApiError,
        RateLimited,
        TransientApiError,
        PermanentApiError,
        RefusedInstance,
        RefusedService,
        AuthenticationFailed,
        GraphError,
        CalendarError,
        CaseError,
        ModelFileError,
        PartEndedError,
    ],
)
def test_the_connectors_and_decisions_errors_are_inbox_errors(error: type[Exception]) -> None:
    assert issubclass(error, InboxError)


@pytest.mark.parametrize("error", [CalendarError, CaseError, ModelFileError])
def test_errors_about_a_bad_value_are_still_value_errors(error: type[Exception]) -> None:
    assert issubclass(error, ValueError)


def test_a_network_refusal_is_caught_as_an_inbox_error() -> None:
    with pytest.raises(InboxError, match="HTTP 403: suspended"):
        raise PermanentApiError("notifications", 403, "suspended")
