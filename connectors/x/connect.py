"""The credentials of an X account to connect, read from the environment (never from
arguments: they would show in the process list)."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import SecretStr

from connectors.x.api import XCredentials
from inbox.domain.errors import ConfigurationError

CREDENTIAL_VARIABLES = {
    "bearer_token": "X_BEARER_TOKEN",
    "consumer_key": "X_CONSUMER_KEY",
    "consumer_secret": "X_CONSUMER_SECRET",
    "access_token": "X_ACCESS_TOKEN",
    "access_token_secret": "X_ACCESS_TOKEN_SECRET",
}


def credentials_from_environment(environ: Mapping[str, str]) -> XCredentials:
    """Those set; at least the bearer token, which reads."""
    credentials = XCredentials.from_mapping(
        {
            name: SecretStr(environ[variable])
            for name, variable in CREDENTIAL_VARIABLES.items()
            if environ.get(variable)
        }
    )
    if not credentials.can_read:
        raise ConfigurationError(
            "X credentials",
            "set X_BEARER_TOKEN (reads) and X_CONSUMER_KEY, X_CONSUMER_SECRET, X_ACCESS_TOKEN, "
            "X_ACCESS_TOKEN_SECRET (replies) in the environment",
        )
    return credentials
