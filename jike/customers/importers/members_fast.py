"""Vectorised validation of large member CSV files with Arrow (the bulk path).

pyarrow parses the CSV in C++ and checks whole columns at once (regex, set membership, dates,
lengths). Rows that pass every check are written to a CSV staging file by Arrow; the few that do
not go through `RowChecker`, the plain-Python reference rules, so rejects read the same either
way. Row numbers assume one line per row: if the file has blank lines or multi-line cells the
count will not match and the caller falls back to the plain path.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from jike.customers.importers.common import Outcome, ProgressFn
from jike.customers.importers.members import BOOL_MAP, NAME_MAX, PAYMENT, STATUS, RowChecker, Staging
from jike.customers.validators import MOBILE_PATTERN

BLOCK = 8 << 20
MOBILE = MOBILE_PATTERN  # the same rule the validators apply
ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
SHARE = r"^[1-9]\d?$"
NO_HEADER = pacsv.WriteOptions(include_header=False)


class Mismatch(Exception):
    """Arrow's row count differs from the file's line count: row numbers would be wrong."""


def _lookup(values: pa.Array, table: dict[str, str]) -> pa.Array:
    keys = list(table)
    index = pc.index_in(pc.utf8_lower(values), value_set=pa.array(keys, pa.string()))
    return pc.take(pa.array([table[k] for k in keys], pa.string()), index)


def _dates_ok(values: pa.Array) -> Any:
    parsed = pc.strptime(values, format="%Y-%m-%d", unit="s", error_is_null=True)
    return pc.or_(pc.equal(values, ""), pc.and_(pc.match_substring_regex(values, ISO_DATE), pc.is_valid(parsed)))


def validate(
    path: Any,
    encoding: str,
    header: list[str],
    columns: dict[str, int],
    checker: RowChecker,
    lines_in_file: int,
    staged: Staging,
    progress: ProgressFn,
) -> None:
    text_out, csv_out = staged.text, staged.csv
    outcome: Outcome = checker.outcome
    names = [f"c{i}" for i in range(len(header))]
    reader = pacsv.open_csv(
        str(path),
        **_csv_options(path, encoding, names),
        convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False),
    )
    seen = checker.seen
    offset = 0
    total_est = max(lines_in_file - 1, 0)
    for batch in reader:
        n = batch.num_rows
        rows = pa.array(range(offset + 2, offset + 2 + n), pa.int64())
        offset += n
        cols = {name: pc.utf8_trim_whitespace(batch.column(i)) for name, i in columns.items()}
        empty = pc.equal(pc.binary_join_element_wise(*[batch.column(i) for i in range(len(names))], ""), "")
        ok = pc.invert(empty)
        code = pc.utf8_upper(cols["credit_code"])
        unique = [c for c in pc.unique(code).to_pylist() if c]
        checker.groups.load_codes(unique)
        known = [c for c in unique if isinstance(checker.groups.by_code.get(c), int)]
        ids = pa.array([checker.groups.by_code[c] for c in known], pa.int64())
        group = pc.take(ids, pc.index_in(code, value_set=pa.array(known, pa.string())))
        ok = pc.and_(ok, pc.is_valid(group))
        msisdn = cols["msisdn"]
        ok = pc.and_(ok, pc.match_substring_regex(msisdn, MOBILE))
        out: dict[str, Any] = {"row_no": rows, "customer_id": group, "msisdn": msisdn}
        for field in ("name", "department"):
            if field in cols:
                ok = pc.and_(ok, pc.less_equal(pc.utf8_length(cols[field]), NAME_MAX))
                out[field] = cols[field]
            else:
                out[field] = pa.array([""] * n, pa.string())
        if "is_key_person" in cols:
            key = _lookup(cols["is_key_person"], BOOL_MAP)
            ok = pc.and_(ok, pc.is_valid(key))
            out["is_key_person"] = pc.equal(key, "t")
        else:
            out["is_key_person"] = pa.array([False] * n)
        for field in ("join_date", "leave_date"):
            if field in cols:
                ok = pc.and_(ok, _dates_ok(cols[field]))
                out[field] = pc.if_else(pc.equal(cols[field], ""), pa.scalar(None, pa.string()), cols[field])
            else:
                out[field] = pa.nulls(n, pa.string())
        both = pc.and_(pc.is_valid(out["join_date"]), pc.is_valid(out["leave_date"]))
        ok = pc.and_(ok, pc.invert(pc.fill_null(pc.and_(both, pc.less(out["leave_date"], out["join_date"])), False)))
        for field, table, default in (("status", STATUS, "active"), ("payment_mode", PAYMENT, "personal")):
            if field in cols:
                value = pc.if_else(pc.equal(cols[field], ""), default, _lookup(cols[field], table))
                ok = pc.and_(ok, pc.is_valid(value))
                out[field] = value
            else:
                out[field] = pa.array([default] * n, pa.string())
        split = pc.fill_null(pc.equal(out["payment_mode"], "split"), False)
        if "unit_share" in cols:
            share_text = pc.utf8_rtrim(cols["unit_share"], characters="%％")
            share_ok = pc.match_substring_regex(share_text, SHARE)
            ok = pc.and_(ok, pc.or_(pc.invert(split), share_ok))
            out["unit_share"] = pc.if_else(
                pc.and_(split, share_ok), pc.cast(pc.if_else(share_ok, share_text, "0"), pa.int64()), None
            )
        else:
            ok = pc.and_(ok, pc.invert(split))
            out["unit_share"] = pa.nulls(n, pa.int64())
        ok = pc.fill_null(ok, False)
        good = pa.table(out).filter(ok)
        # Duplicates (same group and number) among the good rows, within the file so far.
        keys = pc.add(pc.multiply(good["customer_id"], 100_000_000_000), pc.cast(good["msisdn"], pa.int64()))
        clash = not seen.add_batch(keys.to_numpy(), good["row_no"].to_numpy())
        slow_mask = pc.and_(pc.invert(ok), pc.invert(empty))
        if clash:
            slow_mask = pc.invert(empty)  # let the reference path sort out which row came first
        else:
            outcome.total += good.num_rows
            groups = pc.unique(good["customer_id"]).to_pylist()
            outcome.customer_ids.update(groups)
            populated = [g for g in groups if g in checker.groups.populated]
            old = pc.is_in(good["customer_id"], value_set=pa.array(populated, pa.int64()))
            fresh = good.filter(pc.invert(old)).drop_columns(["row_no"])
            fresh = fresh.sort_by([("customer_id", "ascending"), ("msisdn", "ascending")])
            if not (staged.all_or_nothing and outcome.rejected_rows):  # else all is rolled back: skip the work
                pacsv.write_csv(good.filter(old), csv_out, write_options=NO_HEADER)
                staged.add_new(fresh)
        slow = batch.filter(slow_mask)
        if slow.num_rows:
            slow_rows = pc.filter(rows, slow_mask).to_pylist()
            cells = [list(r) for r in zip(*(slow.column(i).to_pylist() for i in range(len(names))), strict=True)]
            text_out.write("".join(checker.check(list(zip(slow_rows, cells, strict=True)))))
        total_est = max(total_est, offset)
        progress(offset, total_est)
    if offset != lines_in_file - 1:
        raise Mismatch(f"{offset} rows parsed, {lines_in_file - 1} lines")


def credit_codes(path: Any, encoding: str, header: list[str], column: int) -> list[str] | None:
    """Every distinct group code of the file (trimmed, upper-cased as `validate` sees them), read
    ahead so no lookup has to interrupt the COPY that streams while validating; None if Arrow
    cannot read the file as one line per row (the caller then validates before loading)."""
    names = [f"c{i}" for i in range(len(header))]
    try:
        table = pacsv.read_csv(
            str(path),
            **_csv_options(path, encoding, names),
            convert_options=pacsv.ConvertOptions(
                include_columns=[names[column]], column_types={names[column]: pa.string()}, strings_can_be_null=False
            ),
        )
    except (pa.ArrowInvalid, UnicodeError):
        return None
    codes = pc.unique(pc.utf8_upper(pc.utf8_trim_whitespace(table.column(0))))
    return [c for c in codes.to_pylist() if c]


def _csv_options(path: Any, encoding: str, names: list[str]) -> dict[str, Any]:
    """Arrow's read and parse options for an operator export: header skipped, one line per row."""
    return {
        "read_options": pacsv.ReadOptions(
            encoding="utf8" if encoding == "utf-8-sig" else encoding,
            column_names=names,
            skip_rows=1,
            block_size=BLOCK,
        ),
        "parse_options": pacsv.ParseOptions(delimiter=_delimiter(path, encoding), newlines_in_values=False),
    }


def _delimiter(path: Any, encoding: str) -> str:
    from jike.customers.importers.reading import _sniff_delimiter

    with open(path, encoding=encoding, newline="") as fh:
        return _sniff_delimiter(fh.readline())
