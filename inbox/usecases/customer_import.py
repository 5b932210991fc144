"""The CSV import of the customer record: parsing and checking its rows (every bad row named,
nothing half-applied), and what each row changes in a record. `Customers.import_csv` resolves
the rows to customers and applies them."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from inbox.domain.customer_record import (
    BadRow,
    ImportChange,
    ImportRow,
    RecordFields,
    checked_crm_id,
    checked_language,
    checked_tags,
)
from inbox.domain.errors import ConfigurationError, InboxError
from inbox.domain.network import Network

MAX_IMPORT_ROWS = 50_000
IMPORT_COLUMNS = ("network", "handle", "external_id", "crm_id", "vip", "owner", "tags", "language")
TRUE_WORDS = {"yes", "true", "1", "y"}
FALSE_WORDS = {"no", "false", "0", "n"}


class ImportRejected(InboxError):
    """Some rows of an import are wrong: nothing was applied; `bad` names each line."""

    def __init__(self, bad: Sequence[BadRow]) -> None:
        lines = "; ".join(f"line {b.line}: {b.reason}" for b in bad[:20])
        more = f" (and {len(bad) - 20} more)" if len(bad) > 20 else ""
        super().__init__(f"nothing imported, {len(bad)} bad row(s): {lines}{more}")
        self.bad = tuple(bad)


@dataclass(frozen=True, slots=True)
class ImportReport:
    changes: tuple[ImportChange, ...]
    unchanged: int
    applied: bool
    merged: int = 0


def applied_row(before: RecordFields, row: ImportRow, owners: dict[str, int]) -> RecordFields:
    """The record once the row is applied: what it leaves empty stays; tags are added."""
    return RecordFields(
        vip=before.vip if row.vip is None else row.vip,
        owner_agent_id=owners[row.owner_email] if row.owner_email else before.owner_agent_id,
        crm_id=before.crm_id if row.crm_id is None else row.crm_id,
        tags=before.tags if row.tags is None else tuple(dict.fromkeys((*before.tags, *row.tags))),
        language=before.language if row.language is None else row.language,
    )


def differences(before: RecordFields, after: RecordFields) -> dict[str, tuple[object, object]]:
    names = ("vip", "owner_agent_id", "crm_id", "tags", "language")
    return {
        name: (getattr(before, name), getattr(after, name))
        for name in names
        if getattr(before, name) != getattr(after, name)
    }


def parse_import(text: str) -> tuple[list[ImportRow], list[BadRow]]:
    """The rows of an import file, and the lines that are wrong with why. The header names
    the columns (any of IMPORT_COLUMNS, `network` and `handle` or `external_id` required);
    an empty cell leaves the field as it is; tags are separated by `;`."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    unknown = [name for name in header if name not in IMPORT_COLUMNS]
    if unknown or "network" not in header or not {"handle", "external_id"} & set(header):
        raise ConfigurationError(
            "header",
            f"columns among {', '.join(IMPORT_COLUMNS)}, with network and handle or "
            f"external_id" + (f"; unknown: {', '.join(unknown)}" if unknown else ""),
        )
    reader.fieldnames = header
    rows: list[ImportRow] = []
    bad: list[BadRow] = []
    for cells in reader:
        line = reader.line_num
        if len(rows) + len(bad) >= MAX_IMPORT_ROWS:
            raise ConfigurationError("file", f"at most {MAX_IMPORT_ROWS} rows at once")
        if None in cells:
            bad.append(BadRow(line, "more cells than columns"))
            continue
        try:
            rows.append(_row(line, {k: (v or "").strip() for k, v in cells.items()}))
        except ConfigurationError as exc:
            bad.append(BadRow(line, str(exc)))
    return rows, bad


def _row(line: int, cells: dict[str, str]) -> ImportRow:
    network = cells.get("network", "").lower()
    if network not in {n.value for n in Network}:
        raise ConfigurationError("network", f"{network!r} is not one of {', '.join(Network)}")
    handle = cells.get("handle", "").lstrip("@") or None
    external_id = cells.get("external_id") or None
    if handle is None and external_id is None:
        raise ConfigurationError("handle", "a handle or an external_id says who")
    vip_word = cells.get("vip", "").lower()
    if vip_word and vip_word not in TRUE_WORDS | FALSE_WORDS:
        raise ConfigurationError("vip", f"{vip_word!r}: yes or no")
    owner = cells.get("owner", "").lower() or None
    if owner is not None and "@" not in owner:
        raise ConfigurationError("owner", f"{owner!r}: a colleague's e-mail")
    tags = cells.get("tags", "")
    return ImportRow(
        line=line,
        network=network,
        handle=handle,
        external_id=external_id,
        crm_id=checked_crm_id(cells.get("crm_id")),
        vip=None if not vip_word else vip_word in TRUE_WORDS,
        owner_email=owner,
        tags=checked_tags(tags.split(";")) if tags else None,
        language=checked_language(cells.get("language")),
    )
