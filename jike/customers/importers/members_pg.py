"""Loading validated members into PostgreSQL, inside the caller's transaction (see docs/imports.md).

Two streams come from validation (see members.Staging):

- rows of groups that had **no members** when validation looked them up: nothing can match them,
  so they are COPYed straight into customers_member (sorted by group and number within each batch,
  so the B-tree inserts mostly append), while validation goes on (`Loader.write_new`). If a member
  was added to such a group in the meantime with the same number, the unique constraint fails the
  COPY and the whole job rolls back (a database refusal; re-running the import upserts it);
- every other row: COPY into a temporary staging table, then one
  INSERT ... SELECT ... ON CONFLICT (customer_id, msisdn) DO UPDATE ... WHERE changed.

Bulk settings, all `SET LOCAL` (they end with the transaction; the server configuration is not
touched):

- `synchronous_commit` is left on: a job reported done must survive a crash (the commit flushes only
  the tail of the WAL; the walwriter has written the rest while the rows streamed);
- `work_mem` so the transaction's hash aggregates (upsert counts, member counts) stay in memory;
- the foreign key checked once per import instead of once per row: PostgreSQL checks
  customers_member's foreign key with one `SELECT ... FOR KEY SHARE` per inserted row, queued to the
  commit (deferred constraint): about a third of a first load's time. When the role may set
  `session_replication_role` (superuser, or `GRANT SET ON PARAMETER session_replication_role`) and
  customers_member has no trigger besides its foreign key's, the import first locks every group of
  the file with one `SELECT ... FOR KEY SHARE` (none can be deleted until the commit) and checks they
  all exist, then sets `session_replication_role = replica` until its rows are written (it is set
  back before the member counts are refreshed). The guarantee is the one the trigger gives; check
  and unique constraints are not triggers and still apply. Otherwise the triggers run as usual.
"""

from __future__ import annotations

import logging
import time
from contextlib import ExitStack
from typing import IO, Any

from django.db import IntegrityError, connection
from psycopg.copy import QueuedLibpqWriter

from jike.customers.models import Customer, Member

log = logging.getLogger(__name__)
COLUMNS = [
    "customer_id",
    "msisdn",
    "name",
    "department",
    "is_key_person",
    "join_date",
    "leave_date",
    "status",
    "payment_mode",
    "unit_share",
]
BLOCK = 1 << 20
WORK_MEM = "256MB"


def _column(name: str) -> str:
    return str(getattr(Member._meta.get_field(name), "column", name))


def _copy(cur: Any, sql: str, source: IO[Any]) -> None:
    source.seek(0)
    with cur.copy(sql) as copy:
        while block := source.read(BLOCK):
            copy.write(block)


def fk_checked_per_statement(cur: Any) -> bool:
    """May this transaction replace the per-row foreign key trigger by one set-based check?"""
    table = Member._meta.db_table
    cur.execute(
        "SELECT current_setting('is_superuser') = 'on'"
        " OR (current_setting('server_version_num')::int >= 150000"
        "     AND has_parameter_privilege('session_replication_role', 'SET')),"
        " (SELECT count(*) FROM pg_trigger t WHERE t.tgrelid = %s::regclass AND NOT t.tgisinternal),"
        " (SELECT count(*) FROM pg_constraint c WHERE c.conrelid = %s::regclass AND c.contype = 'f')",
        [table, table],
    )
    allowed, user_triggers, foreign_keys = cur.fetchone()
    # Only the one foreign key (to the group) is re-checked by hand: anything else keeps its trigger.
    return bool(allowed) and user_triggers == 0 and foreign_keys == 1


def lock_groups(cur: Any, customer_ids: list[int]) -> None:
    """What the foreign key trigger does per row, once: lock the groups against deletion, check they exist."""
    qn = connection.ops.quote_name
    cur.execute(
        f"WITH locked AS (SELECT id FROM {qn(Customer._meta.db_table)} WHERE id = ANY(%s::bigint[]) FOR KEY SHARE)"
        " SELECT count(*) FROM locked",
        [customer_ids],
    )
    (found,) = cur.fetchone()
    if found != len(customer_ids):
        raise IntegrityError(
            f"{len(customer_ids) - found} 个集团在导入过程中被删除 / groups were deleted during the import"
        )


class Loader:
    """One import's load into customers_member, inside the caller's transaction.

    `begin` applies the bulk settings and locks the groups; `write_new` streams CSV rows of groups
    that had no members into an open COPY (psycopg's queued writer sends them from a worker thread,
    so the caller validates the next batch while PostgreSQL inserts this one); `pause` ends the COPY
    when the connection is needed for a query; `finish` upserts the other rows.
    """

    def __init__(self) -> None:
        self.qn = connection.ops.quote_name
        self.table = self.qn(Member._meta.db_table)
        self.db_cols = ", ".join(self.qn(_column(c)) for c in COLUMNS)
        self.by_statement = False
        self.locked: set[int] = set()
        self.new_rows = 0
        self._copy: ExitStack | None = None
        self._copy_obj: Any = None
        self.clock = Clock()

    def begin(self, customer_ids: list[int]) -> None:
        with connection.cursor() as cur:
            cur.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
            self.by_statement = fk_checked_per_statement(cur)
            if self.by_statement:
                lock_groups(cur, customer_ids)
                self.locked.update(customer_ids)
                cur.execute("SET LOCAL session_replication_role = replica")
        self.clock.lap("lock groups")

    def write_new(self, data: bytes, rows: int) -> None:
        if self._copy is None:
            stack = ExitStack()
            cur = stack.enter_context(connection.cursor())
            raw = cur.cursor  # psycopg's cursor under Django's wrapper
            sql = f"COPY {self.table} ({self.db_cols}) FROM STDIN WITH (FORMAT csv)"
            self._copy_obj = stack.enter_context(raw.copy(sql, writer=QueuedLibpqWriter(raw)))
            self._copy = stack
        self._copy_obj.write(data)
        self.new_rows += rows

    def pause(self, exc: BaseException | None = None) -> None:
        """End the open COPY (waits until PostgreSQL has taken every row); with `exc`, abort it."""
        stack, self._copy, self._copy_obj = self._copy, None, None
        if stack is not None:
            if exc is None:
                stack.close()
            else:
                stack.__exit__(type(exc), exc, exc.__traceback__)

    def finish(self, text: IO[str], csv: IO[bytes], present: list[str], customer_ids: set[int]) -> tuple[int, int]:
        """Upsert the staged rows; returns (created, updated) including the rows streamed before.
        `customer_ids`: every group written to (any not locked by `begin` is locked and checked now)."""
        self.pause()
        self.clock.lap("COPY new groups (with validation when streaming)")
        created, updated = self.new_rows, 0
        with connection.cursor() as cur:
            if self.by_statement and (late := customer_ids - self.locked):
                lock_groups(cur, sorted(late))  # groups first looked up while streaming
                self.locked.update(late)
            text.seek(0, 2)
            csv.seek(0, 2)
            if text.tell() or csv.tell():
                upserted, updated = _upsert(cur, self.table, self.db_cols, text, csv, present)
                created += upserted
                self.clock.lap("upsert")
            if self.by_statement:
                cur.execute("SET LOCAL session_replication_role = DEFAULT")
        return created, updated


def write(
    fresh: IO[bytes], fresh_rows: int, text: IO[str], csv: IO[bytes], present: list[str], customer_ids: list[int]
) -> tuple[int, int]:
    """Load validated files (no streaming); returns (created, updated). Inside the caller's transaction."""
    loader = Loader()
    loader.begin(customer_ids)
    if fresh_rows:
        fresh.seek(0)
        while block := fresh.read(BLOCK):
            loader.write_new(block, 0)
        loader.new_rows = fresh_rows
    return loader.finish(text, csv, present, set(customer_ids))


class Clock:
    """Step timings at DEBUG level (logger jike.customers.importers.members_pg)."""

    def __init__(self) -> None:
        self.last = time.perf_counter()

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        log.debug("%s: %.2f s", step, now - self.last)
        self.last = now


def _upsert(cur: Any, table: str, db_cols: str, text: IO[str], csv: IO[bytes], present: list[str]) -> tuple[int, int]:
    qn = connection.ops.quote_name
    cur.execute(
        "CREATE TEMP TABLE jike_stage_members (row_no integer, customer_id bigint, msisdn varchar(11),"
        " name varchar(64), department varchar(64), is_key_person boolean, join_date date, leave_date date,"
        " status varchar(16), payment_mode varchar(16), unit_share smallint) ON COMMIT DROP"
    )
    _copy(cur, "COPY jike_stage_members FROM STDIN", text)
    _copy(cur, "COPY jike_stage_members FROM STDIN WITH (FORMAT csv)", csv)
    select = ", ".join(COLUMNS)
    if present:
        upd = [qn(_column(c)) for c in present]
        sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in upd)
        old = ", ".join(f"m.{c}" for c in upd)
        new = ", ".join(f"EXCLUDED.{c}" for c in upd)
        action = f"DO UPDATE SET {sets} WHERE ({old}, 0) IS DISTINCT FROM ({new}, 0)"
    else:
        action = "DO NOTHING"
    cur.execute(
        f"WITH up AS (INSERT INTO {table} AS m ({db_cols}) SELECT {select} FROM jike_stage_members"
        f" ON CONFLICT ({qn('customer_id')}, {qn('msisdn')}) {action} RETURNING (m.xmax = 0) AS inserted)"
        " SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up"
    )
    created, updated = cur.fetchone()
    cur.execute("DROP TABLE jike_stage_members")
    return int(created), int(updated)
