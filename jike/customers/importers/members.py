"""Member import: validate in Python in chunks (no ORM per row), then load in one transaction.

On PostgreSQL valid rows are loaded with COPY (members_pg): straight into customers_member for
groups that had no members, else through a temporary staging table and INSERT ... SELECT ... ON
CONFLICT (customer_id, msisdn) DO UPDATE ... WHERE changed, which also counts created / updated /
unchanged. Other databases (the SQLite demo) use bulk_create/bulk_update.
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import IO, Any

import numpy as np
from django.db import connection, transaction

from jike.core.models import User
from jike.customers import services
from jike.customers.choices import MemberStatus, PaymentMode
from jike.customers.importers import members_pg
from jike.customers.importers.common import (
    FALSE_WORDS,
    TRUE_WORDS,
    CellError,
    Outcome,
    ProgressFn,
    choice_lookup,
    parse_date,
    parse_int,
)
from jike.customers.importers.errors import FileProblem
from jike.customers.importers.groups import GroupResolver
from jike.customers.importers.reading import Table
from jike.customers.models import Member
from jike.customers.validators import MOBILE_RE, normalise_mobile

log = logging.getLogger(__name__)
CHUNK = 20_000
LOOKUP_CHUNK = 10_000  # credit codes per lookup query
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
STATUS = choice_lookup(
    MemberStatus,
    {"正常": "active", "在用": "active", "暂停": "suspended", "欠费停机": "suspended", "拆机": "left", "销户": "left"},
)
PAYMENT = choice_lookup(
    PaymentMode,
    {"统付": "unified", "单位支付": "unified", "单位统付": "unified", "个人": "personal", "个付": "personal"},
)
# Staging/insert column order; the first two identify the row, the rest are member fields.
DATA_FIELDS = ["name", "department", "is_key_person", "join_date", "leave_date", "status", "payment_mode", "unit_share"]
NAME_MAX = 64
NULL = "\\N"
BOOL_MAP = {w: "t" for w in TRUE_WORDS} | {w: "f" for w in FALSE_WORDS}


def _text(value: str) -> str:
    return value.translate(_ESCAPES) if ("\\" in value or "\t" in value or "\n" in value or "\r" in value) else value


def _chunks(rows: Iterator[tuple[int, list[str]]], size: int) -> Iterator[list[tuple[int, list[str]]]]:
    while chunk := list(islice(rows, size)):
        yield chunk


class SeenKeys:
    """(group, number) keys accepted so far -> the row that had them first, for duplicate checks.

    Batches from the Arrow path are kept in one sorted NumPy array (16 bytes a row, merged in
    O(n)); rows checked one by one go to a dict. 5,000,000 keys take 80 MB instead of ~600 MB of
    Python objects, and a batch is checked without building any.
    """

    def __init__(self) -> None:
        self.keys = np.empty(0, np.int64)
        self.rows = np.empty(0, np.int64)
        self.single: dict[int, int] = {}

    def get(self, key: int) -> int | None:
        row = self.single.get(key)
        if row is None and len(self.keys):
            at = int(np.searchsorted(self.keys, key))
            if at < len(self.keys) and self.keys[at] == key:
                row = int(self.rows[at])
        return row

    def __setitem__(self, key: int, row: int) -> None:
        self.single[key] = row

    def add_batch(self, keys: Any, rows: Any) -> bool:
        """Add the batch if no key repeats (within it or with earlier rows); else add nothing, return False."""
        order = np.argsort(keys, kind="stable")
        keys, rows = keys[order], rows[order]
        if len(keys) > 1 and bool(np.any(keys[1:] == keys[:-1])):
            return False
        at = np.searchsorted(self.keys, keys)
        inside = at < len(self.keys)
        if bool(np.any(self.keys[at[inside]] == keys[inside])):
            return False
        if self.single and bool(np.any(np.isin(keys, np.fromiter(self.single, np.int64, len(self.single))))):
            return False
        self.keys = np.insert(self.keys, at, keys)
        self.rows = np.insert(self.rows, at, rows)
        return True


class RowChecker:
    """Validates rows the plain-Python way (the reference rules); shared by the CSV fast path for
    the rows its vectorised checks do not accept outright, so every reject reads the same."""

    def __init__(self, header: list[str], columns: dict[str, int], actor: User | None, outcome: Outcome) -> None:
        self.width = len(header)
        self.col = {name: header[i] for name, i in columns.items()}
        self.columns = columns
        if "unit_share" in columns and "payment_mode" not in columns:
            raise FileProblem(
                "missing_columns", "有“单位承担比例”列时必须同时有“付费方式”列", column=self.col["unit_share"]
            )
        self.groups = GroupResolver(actor)
        self.seen = SeenKeys()
        self.outcome = outcome

    def check(self, chunk: list[tuple[int, list[str]]]) -> list[str]:
        """COPY text lines (tab-separated, \\N null) of the good rows of the chunk; rejects the rest."""
        columns, col, width, outcome, seen = self.columns, self.col, self.width, self.outcome, self.seen
        i_code = columns.get("credit_code", -1)
        i_cid = columns.get("customer_id", -1)
        i_msisdn = columns["msisdn"]
        i_name = columns.get("name", -1)
        i_dept = columns.get("department", -1)
        i_key = columns.get("is_key_person", -1)
        i_join = columns.get("join_date", -1)
        i_leave = columns.get("leave_date", -1)
        i_status = columns.get("status", -1)
        i_pay = columns.get("payment_mode", -1)
        i_share = columns.get("unit_share", -1)
        reject = outcome.reject
        status_map, pay_map = STATUS, PAYMENT
        mobile_match = MOBILE_RE.match
        bool_map = BOOL_MAP
        date_of = parse_date
        for _, cells in chunk:
            if len(cells) < width:
                cells.extend([""] * (width - len(cells)))
        groups = self.groups
        if i_code >= 0:
            groups.load_codes({cells[i_code].strip().upper() for _, cells in chunk})
        if i_cid >= 0:
            groups.load_ids({cells[i_cid].strip() for _, cells in chunk})
        by_code, by_id = groups.by_code, groups.by_id
        lines: list[str] = []
        for row, cells in chunk:
            outcome.total += 1
            bad = False
            # The group: credit code first, else the customer number.
            code = cells[i_code].strip().upper() if i_code >= 0 else ""
            if code:
                group = by_code[code]
                group_col, group_val = col["credit_code"], code
            else:
                raw_id = cells[i_cid].strip() if i_cid >= 0 else ""
                group = by_id[raw_id] if raw_id else "缺少集团（统一社会信用代码或集团编码）"
                group_col, group_val = col.get("customer_id", col.get("credit_code", "")), raw_id
            if isinstance(group, str):
                reject(row, group_col, group_val, group)
                bad = True
            msisdn = cells[i_msisdn].strip()
            if not mobile_match(msisdn):
                msisdn = normalise_mobile(msisdn)
                if not mobile_match(msisdn):
                    reject(row, col["msisdn"], cells[i_msisdn], "手机号码无效（应为11位中国大陆手机号）")
                    bad = True
            name = cells[i_name].strip() if i_name >= 0 else ""
            if len(name) > NAME_MAX:
                reject(row, col["name"], name, f"姓名过长（最多{NAME_MAX}字）")
                bad = True
            dept = cells[i_dept].strip() if i_dept >= 0 else ""
            if len(dept) > NAME_MAX:
                reject(row, col["department"], dept, f"部门过长（最多{NAME_MAX}字）")
                bad = True
            key = "f"
            if i_key >= 0:
                key = bool_map.get(cells[i_key].strip().lower(), "")
                if not key:
                    reject(row, col["is_key_person"], cells[i_key], "关键人应为 是/否")
                    bad = True
            join = leave = ""
            if i_join >= 0 and (join := cells[i_join].strip()):
                try:
                    join = date_of(join)
                except CellError as exc:
                    reject(row, col["join_date"], cells[i_join], str(exc))
                    bad = True
            if i_leave >= 0 and (leave := cells[i_leave].strip()):
                try:
                    leave = date_of(leave)
                except CellError as exc:
                    reject(row, col["leave_date"], cells[i_leave], str(exc))
                    bad = True
            if join and leave and leave < join:
                reject(row, col["leave_date"], leave, "离网日期早于入网日期")
                bad = True
            status = "active"
            if i_status >= 0 and (text := cells[i_status].strip()):
                found = status_map.get(text.lower())
                if found is None:
                    reject(row, col["status"], text, "未知状态（可选：在网/停机/离网）")
                    bad = True
                else:
                    status = found
            pay = "personal"
            if i_pay >= 0 and (text := cells[i_pay].strip()):
                found = pay_map.get(text.lower())
                if found is None:
                    reject(row, col["payment_mode"], text, "未知付费方式（可选：统付/个人/分账）")
                    bad = True
                else:
                    pay = found
            share = NULL
            if pay == "split":
                text = cells[i_share].strip().rstrip("%％") if i_share >= 0 else ""
                try:
                    number = parse_int(text, 1, 99)
                except CellError as exc:
                    reject(row, col.get("unit_share", ""), text, f"单位承担比例{exc}")
                    bad = True
                else:
                    if number is None:
                        reject(
                            row,
                            col.get("unit_share", col.get("payment_mode", "")),
                            text,
                            "分账成员必须填写单位承担比例(1-99)",
                        )
                        bad = True
                    else:
                        share = str(number)
            if bad:
                continue
            assert isinstance(group, int)
            dup_key = group * 100_000_000_000 + int(msisdn)
            first = seen.get(dup_key)
            if first is not None:
                reject(row, col["msisdn"], msisdn, f"与第{first}行重复（同一集团同一号码）")
                continue
            seen[dup_key] = row
            outcome.customer_ids.add(group)
            lines.append(
                f"{row}\t{group}\t{msisdn}\t{_text(name)}\t{_text(dept)}\t{key}\t{join or NULL}\t{leave or NULL}"
                f"\t{status}\t{pay}\t{share}\n"
            )
        return lines


def validate(
    table: Table, columns: dict[str, int], actor: User | None, outcome: Outcome, out: IO[str], progress: ProgressFn
) -> None:
    """Check every row; write the good ones to `out` in COPY text format."""
    checker = RowChecker(table.header, columns, actor, outcome)
    total = table.estimated_rows
    for chunk in _chunks(table.rows, CHUNK):
        out.write("".join(checker.check(chunk)))
        total = max(total, outcome.total)
        progress(outcome.total, total)


def _present(columns: dict[str, int]) -> list[str]:
    fields = [f for f in DATA_FIELDS if f in columns]
    if "payment_mode" in columns and "unit_share" not in fields:
        fields.append("unit_share")  # switching away from split clears the share
    return fields


def write(staged: Staging, columns: dict[str, int], outcome: Outcome) -> None:
    """Load the staged rows; must run inside the caller's transaction."""
    staged.text.seek(0)
    if connection.vendor == "postgresql":
        if staged.loader is not None:
            created, updated = staged.loader.finish(staged.text, staged.csv, _present(columns), outcome.customer_ids)
        else:
            ids = sorted(outcome.customer_ids)
            created, updated = members_pg.write(
                staged.fresh, staged.fresh_rows, staged.text, staged.csv, _present(columns), ids
            )
        outcome.created, outcome.updated = created, updated
        outcome.unchanged = outcome.valid - created - updated
    else:
        _write_orm(staged.text, _present(columns), outcome)
    if not outcome.customer_ids:
        return
    clock = members_pg.Clock()
    services.refresh_member_counts(sorted(outcome.customer_ids))
    clock.lap("member counts")


def _parse_staged(line: str) -> dict[str, Any]:
    parts = [None if p == "\\N" else p for p in line.rstrip("\n").split("\t")]
    unescape = {"\\\\": "\\", "\\t": "\t", "\\n": "\n", "\\r": "\r"}

    def text(value: str | None) -> str:
        return re.sub(r"\\[\\tnr]", lambda m: unescape[m.group(0)], value or "")

    return {
        "customer_id": int(parts[1] or 0),
        "msisdn": parts[2],
        "name": text(parts[3]),
        "department": text(parts[4]),
        "is_key_person": parts[5] == "t",
        "join_date": parts[6],
        "leave_date": parts[7],
        "status": parts[8],
        "payment_mode": parts[9],
        "unit_share": int(parts[10]) if parts[10] else None,
    }


def _write_orm(staged: IO[str], present: list[str], outcome: Outcome) -> None:
    import datetime as dt

    lines = iter(staged)
    while batch := [_parse_staged(line) for line in islice(lines, 2000)]:
        for item in batch:
            for f in ("join_date", "leave_date"):
                item[f] = dt.date.fromisoformat(item[f]) if item[f] else None
        existing = {
            (m.customer_id, m.msisdn): m
            for m in Member.objects.filter(
                customer_id__in={b["customer_id"] for b in batch}, msisdn__in={b["msisdn"] for b in batch}
            )
        }
        new, changed = [], []
        for item in batch:
            member = existing.get((item["customer_id"], item["msisdn"]))
            if member is None:
                new.append(Member(**item))
                continue
            if any(getattr(member, f) != item[f] for f in present):
                for f in present:
                    setattr(member, f, item[f])
                changed.append(member)
        Member.objects.bulk_create(new, batch_size=1000)
        if changed and present:
            Member.objects.bulk_update(changed, present, batch_size=1000)
        outcome.created += len(new)
        outcome.updated += len(changed)
    outcome.unchanged = outcome.valid - outcome.created - outcome.updated


def _binary_file() -> IO[bytes]:
    return tempfile.TemporaryFile(mode="w+b")


@dataclass
class Staging:
    """Good rows waiting for COPY: COPY-text lines from the plain path, CSV from the Arrow path, and
    (Arrow path) CSV of rows whose group had no members, in customers_member's column order."""

    text: IO[str] = field(default_factory=lambda: tempfile.TemporaryFile(mode="w+", encoding="utf-8", newline="\n"))  # noqa: SIM115
    csv: IO[bytes] = field(default_factory=_binary_file)
    fresh: IO[bytes] = field(default_factory=_binary_file)
    fresh_rows: int = 0
    loader: members_pg.Loader | None = None  # set while rows stream into PostgreSQL during validation
    all_or_nothing: bool = False

    def add_new(self, rows: Any) -> None:
        """Rows (an Arrow table in customers_member's column order) of groups that had no members."""
        import pyarrow as pa
        import pyarrow.csv as pacsv

        if self.loader is not None:
            out = pa.BufferOutputStream()
            pacsv.write_csv(rows, out, write_options=pacsv.WriteOptions(include_header=False))
            self.loader.write_new(out.getvalue().to_pybytes(), rows.num_rows)
        else:
            pacsv.write_csv(rows, self.fresh, write_options=pacsv.WriteOptions(include_header=False))
            self.fresh_rows += rows.num_rows

    def reset(self) -> None:
        for fh in (self.text, self.csv, self.fresh):
            fh.seek(0)
            fh.truncate()
        self.fresh_rows = 0

    def close(self) -> None:
        for fh in (self.text, self.csv, self.fresh):
            fh.close()


def staging_file() -> Staging:
    return Staging()


def _fast(table: Table, columns: dict[str, int]) -> bool:
    return (
        connection.vendor == "postgresql"
        and table.path is not None
        and table.encoding != "utf-16"
        and "credit_code" in columns
        and len(set(table.header)) == len(table.header)
    )


def validate_file(
    table: Table, columns: dict[str, int], actor: User | None, outcome: Outcome, staged: Staging, progress: ProgressFn
) -> None:
    """The Arrow path for big CSV files on PostgreSQL, else (or if it cannot number rows) the plain one."""
    if _fast(table, columns):
        from jike.customers.importers import members_fast

        checker = RowChecker(table.header, columns, actor, outcome)
        try:
            members_fast.validate(
                table.path, table.encoding, table.header, columns, checker, table.estimated_rows + 1, staged, progress
            )
            return
        except members_fast.Mismatch:
            log.info("row numbers of %s need the plain path (blank lines or multi-line cells)", table.path)
            outcome.__dict__.update(Outcome().__dict__)
            staged.reset()
    validate(table, columns, actor, outcome, staged.text, progress)


def prepare_stream(table: Table, columns: dict[str, int], actor: User | None, outcome: Outcome) -> RowChecker | None:
    """For `validate_streaming`: look every group of the file up first (outside the transaction).
    None when the file cannot stream (not the Arrow path): validate it with `validate_file` first."""
    if not _fast(table, columns):
        return None
    from jike.customers.importers import members_fast

    codes = members_fast.credit_codes(table.path, table.encoding, table.header, columns["credit_code"])
    if codes is None:
        return None
    checker = RowChecker(table.header, columns, actor, outcome)
    for start in range(0, len(codes), LOOKUP_CHUNK):  # bounded statements for 100,000 groups
        checker.groups.load_codes(codes[start : start + LOOKUP_CHUNK])
    return checker


def validate_streaming(
    checker: RowChecker, table: Table, columns: dict[str, int], staged: Staging, progress: ProgressFn
) -> None:
    """Validate inside the write transaction while rows of groups without members stream into
    customers_member with COPY: PostgreSQL inserts batch N on one core while Arrow checks batch N+1
    on the other. The caller rolls the transaction back if the result must not stand (rejects in
    all-or-nothing mode, dry run). `progress` must not use this connection (a COPY is open on it)."""
    from jike.customers.importers import members_fast

    outcome = checker.outcome
    ids = sorted({g for g in checker.groups.by_code.values() if isinstance(g, int)})
    try:
        with transaction.atomic():  # a savepoint: row numbers that do not match undo the streamed rows
            loader = members_pg.Loader()
            loader.begin(ids)
            staged.loader = loader
            checker.groups.before_query = loader.pause
            try:
                members_fast.validate(
                    table.path, table.encoding, table.header, columns, checker, table.estimated_rows + 1, staged,
                    progress,
                )  # fmt: skip
            except BaseException as exc:
                loader.pause(exc)
                raise
            loader.pause()
            checker.groups.before_query = None
    except members_fast.Mismatch:
        log.info("row numbers of %s need the plain path (blank lines or multi-line cells)", table.path)
        staged.loader = None
        outcome.__dict__.update(Outcome().__dict__)
        staged.reset()
        validate(table, columns, checker.groups.actor, outcome, staged.text, progress)
