"""Member import: validate in Python in chunks (no ORM per row), then load in one transaction.

On PostgreSQL valid rows are streamed with COPY into a temporary staging table and upserted with
INSERT ... SELECT ... ON CONFLICT (customer_id, msisdn) DO UPDATE ... WHERE changed, which also
counts created / updated / unchanged. Other databases (the SQLite demo) use bulk_create/bulk_update.
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import IO, Any

from django.db import connection

from jike.core.models import User
from jike.customers import services
from jike.customers.choices import MemberStatus, PaymentMode
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
        self.seen: dict[int, int] = {}
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
    staged.csv.seek(0)
    if connection.vendor == "postgresql":
        _write_postgresql(staged, _present(columns), outcome)
    else:
        _write_orm(staged.text, _present(columns), outcome)
    if not outcome.customer_ids:
        return
    services.refresh_member_counts(sorted(outcome.customer_ids))


def _column(name: str) -> str:
    return str(getattr(Member._meta.get_field(name), "column", name))


def _write_postgresql(staged: Staging, present: list[str], outcome: Outcome) -> None:
    qn = connection.ops.quote_name
    table = qn(Member._meta.db_table)
    cols = ["customer_id", "msisdn", *DATA_FIELDS]
    db_cols = [qn(_column(c)) for c in cols]
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE jike_stage_members (row_no integer, customer_id bigint, msisdn varchar(11),"
            " name varchar(64), department varchar(64), is_key_person boolean, join_date date, leave_date date,"
            " status varchar(16), payment_mode varchar(16), unit_share smallint) ON COMMIT DROP"
        )
        with cur.copy("COPY jike_stage_members FROM STDIN") as copy:
            while block := staged.text.read(1 << 20):
                copy.write(block)
        with cur.copy("COPY jike_stage_members FROM STDIN WITH (FORMAT csv)") as copy:
            while data := staged.csv.read(1 << 20):
                copy.write(data)
        select = ", ".join(cols)
        if present:
            upd = [qn(_column(c)) for c in present]
            sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in upd)
            old = ", ".join(f"m.{c}" for c in upd)
            new = ", ".join(f"EXCLUDED.{c}" for c in upd)
            action = f"DO UPDATE SET {sets} WHERE ({old}, 0) IS DISTINCT FROM ({new}, 0)"
        else:
            action = "DO NOTHING"
        cur.execute(
            f"WITH up AS (INSERT INTO {table} AS m ({', '.join(db_cols)}) SELECT {select} FROM jike_stage_members"
            f" ON CONFLICT ({qn('customer_id')}, {qn('msisdn')}) {action} RETURNING (m.xmax = 0) AS inserted)"
            " SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up"
        )
        created, updated = cur.fetchone()
        cur.execute("DROP TABLE jike_stage_members")
    outcome.created, outcome.updated = created, updated
    outcome.unchanged = outcome.valid - created - updated


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


@dataclass
class Staging:
    """Good rows waiting for COPY: COPY-text lines from the plain path, CSV from the Arrow path."""

    text: IO[str] = field(default_factory=lambda: tempfile.TemporaryFile(mode="w+", encoding="utf-8", newline="\n"))  # noqa: SIM115
    csv: IO[bytes] = field(default_factory=lambda: tempfile.TemporaryFile(mode="w+b"))  # noqa: SIM115

    def reset(self) -> None:
        for fh in (self.text, self.csv):
            fh.seek(0)
            fh.truncate()

    def close(self) -> None:
        self.text.close()
        self.csv.close()


def staging_file() -> Staging:
    return Staging()


def validate_file(
    table: Table, columns: dict[str, int], actor: User | None, outcome: Outcome, staged: Staging, progress: ProgressFn
) -> None:
    """The Arrow path for big CSV files on PostgreSQL, else (or if it cannot number rows) the plain one."""
    fast = (
        connection.vendor == "postgresql"
        and table.path is not None
        and table.encoding != "utf-16"
        and "credit_code" in columns
        and len(set(table.header)) == len(table.header)
    )
    if fast:
        from jike.customers.importers import members_fast

        checker = RowChecker(table.header, columns, actor, outcome)
        try:
            members_fast.validate(
                table.path, table.encoding, table.header, columns, checker,
                table.estimated_rows + 1, staged.text, staged.csv, progress,
            )  # fmt: skip
            return
        except members_fast.Mismatch:
            log.info("row numbers of %s need the plain path (blank lines or multi-line cells)", table.path)
            outcome.__dict__.update(Outcome().__dict__)
            staged.reset()
    validate(table, columns, actor, outcome, staged.text, progress)
