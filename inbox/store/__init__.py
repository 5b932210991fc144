"""The PostgreSQL adapter: the only place that holds SQL and turns rows into models.

Named statements, one convention for every store:
- A statement is an UPPER_CASE string constant at the top of the module that runs it, with a
  comment saying what it decides when its text does not; values are always parameters
  (`$1` the workspace), and an f-string joins fixed fragments only (`# noqa: S608`).
- A module `<aggregate>_sql.py` holds what several stores run or share: `thread_sql` (every
  write of `thread` and the shared predicates: open statuses, owed an answer, snoozed),
  `live_sql` (announcing changes), `presence_sql`. A store whose statements would take it
  past 500 lines keeps them beside it the same way (`ingest_sql`, `incidents_sql`).
- A predicate or fragment used by two statements is named once, in the module of its aggregate,
  and spliced in (`OPEN_STATUSES_SQL`, `latest_inbound`), never spelled again.
"""
