"""Benchmark: member import into PostgreSQL vs a bare COPY of the same file, in the same run.

    JIKE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/jike_import_bench .venv/bin/python -m bench.import_members [--rows N]

Generates a member export (default 5,000,000 rows across 100,000 groups), creates the groups with
COPY, then times (1) a bare COPY of the file into a plain text table (the baseline), (2) the full
import (decode, validate every row, load with COPY / upsert, refresh member counts, audit, commit),
(3) for reference, a plain COPY of the rows the import wrote into a copy of customers_member (same
indexes, checks and foreign key) and (4) a re-import of the same file (all rows unchanged).
With --index-costs it also times that plain COPY into each shape of the table (heap only, + the
unique key, + the primary key, + the msisdn index): the least any import into it can take.
The database is created if missing; its customer and member tables are emptied first, so point it
at a benchmark database of your own (never the demo database).
"""

from __future__ import annotations

import argparse
import csv
import logging
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HEADER = [
    "统一社会信用代码",
    "手机号码",
    "姓名",
    "部门",
    "关键人",
    "入网日期",
    "离网日期",
    "状态",
    "付费方式",
    "单位承担比例",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚"
DEPTS = ["办公室", "财务部", "人力资源部", "市场部", "技术部", "生产部", "后勤保障部", "销售部"]


def ensure_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    base, _, name = url.rpartition("/")
    name = name.split("?")[0]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


def credit_codes(n: int) -> list[str]:
    from stdnum.cn import uscc

    out = []
    for i in range(n):
        body = f"91340100MB{i:07d}"
        out.append(body + uscc.calc_check_digit(body))
    return out


def setup_world(groups: int) -> tuple[object, list[str]]:
    from django.db import connection

    from jike.core.models import OrgLevel, OrgUnit, User
    from jike.core.roles import Role

    with connection.cursor() as cur:
        cur.execute("TRUNCATE customers_member, customers_importreject, customers_importjob RESTART IDENTITY CASCADE")
        cur.execute("TRUNCATE customers_customer RESTART IDENTITY CASCADE")
    province, _ = OrgUnit.objects.get_or_create(code="34", defaults={"name": "安徽省公司", "level": OrgLevel.PROVINCE})
    city, _ = OrgUnit.objects.get_or_create(
        code="3401", defaults={"name": "合肥市公司", "level": OrgLevel.CITY, "parent": province}
    )
    admin, _ = User.objects.get_or_create(
        username="bench-admin", defaults={"role": Role.ADMIN, "org_unit": province, "is_superuser": True}
    )
    codes = credit_codes(groups)
    started = time.perf_counter()
    cols = (
        "credit_code, name, short_name, industry, ownership, address, addr_province, addr_city, addr_district,"
        " city_id, org_path, legal_representative, main_business, monthly_spend, payment_ability, status,"
        " decision_process, strategic, industry_influence, tier, grade, member_count, unified_member_count,"
        " created_at, updated_at"
    )
    with connection.cursor() as cur, cur.copy(f"COPY customers_customer ({cols}) FROM STDIN") as copy:
        for i, code in enumerate(codes):
            copy.write_row(
                [code, f"基准测试集团{i}有限公司", "", "other", "other", "", "", "", "", city.pk, city.path, "", "",
                 "0", "medium", "active", "", False, 1, "", "", 0, 0, "now", "now"]
            )  # fmt: skip
    with connection.cursor() as cur:
        cur.execute("ANALYZE customers_customer")  # a live database has statistics; a fresh COPY has none
    print(f"created {groups:,} groups with COPY in {time.perf_counter() - started:.1f}s")
    return admin, codes


def write_file(path: Path, rows: int, codes: list[str]) -> None:
    rng = random.Random(42)
    per_group = rows // len(codes)
    extra = rows - per_group * len(codes)
    started = time.perf_counter()
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(HEADER)
        number = 13_000_000_000
        for g, code in enumerate(codes):
            batch = []
            for _ in range(per_group + (1 if g < extra else 0)):
                number += rng.randint(1, 40)
                pay = rng.random()
                mode, share = (
                    ("统付", "") if pay < 0.5 else ("个人", "") if pay < 0.9 else ("分账", str(rng.randint(10, 90)))
                )
                batch.append(
                    [code, str(number), rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN), rng.choice(DEPTS),
                     "是" if rng.random() < 0.02 else "否", f"20{rng.randint(10, 24)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                     "", "在网" if rng.random() < 0.95 else "停机", mode, share]
                )  # fmt: skip
            writer.writerows(batch)
    size = path.stat().st_size / 1e6
    print(f"wrote {rows:,} member rows ({size:,.0f} MB) in {time.perf_counter() - started:.1f}s")


def copy_file(cur: Any, sql: str, path: Path) -> None:
    """Stream a file into `COPY ... FROM STDIN` in 1 MiB blocks."""
    with cur.copy(sql) as copy, path.open("rb") as fh:
        while block := fh.read(1 << 20):
            copy.write(block)


def bare_copy(path: Path) -> float:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_bare_copy")
        cur.execute("CREATE TABLE bench_bare_copy (" + ", ".join(f"c{i} text" for i in range(len(HEADER))) + ")")
    started = time.perf_counter()
    with connection.cursor() as cur:
        copy_file(cur, "COPY bench_bare_copy FROM STDIN WITH (FORMAT csv, HEADER true)", path)
    elapsed = time.perf_counter() - started
    with connection.cursor() as cur:
        cur.execute("DROP TABLE bench_bare_copy")
    return elapsed


MEMBER_COLUMNS = (
    "customer_id, msisdn, name, department, is_key_person, join_date, leave_date, status, payment_mode, unit_share"
)


def export_validated(tmp: Path) -> Path:
    """The rows the import wrote (validated, customers_member's column types) as a COPY text file."""
    from django.db import connection

    rows = tmp / "validated.txt"
    sql = f"COPY (SELECT {MEMBER_COLUMNS} FROM customers_member) TO STDOUT"
    with connection.cursor() as cur, rows.open("wb") as fh, cur.copy(sql) as out:
        for block in out:
            fh.write(block)
    return rows


def timed_copy(rows: Path, setup: list[str]) -> float:
    """COPY `rows` into bench_floor (customers_member's columns, defaults, identity and checks; no
    index until `setup` adds them) in one committed transaction; returns the seconds it took."""
    from django.db import connection, transaction

    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_floor")
        cur.execute(
            "CREATE TABLE bench_floor (LIKE customers_member INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS)"
        )
        for statement in setup:
            cur.execute(statement)
        cur.execute("CHECKPOINT")  # each variant starts from the same WAL state
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        copy_file(cur, f"COPY bench_floor ({MEMBER_COLUMNS}) FROM STDIN", rows)
    elapsed = time.perf_counter() - started
    with connection.cursor() as cur:
        cur.execute("DROP TABLE bench_floor")
    return elapsed


FOREIGN_KEY = "ALTER TABLE bench_floor ADD FOREIGN KEY (customer_id) REFERENCES customers_customer (id) DEFERRABLE INITIALLY DEFERRED"
PRIMARY_KEY = "ALTER TABLE bench_floor ADD PRIMARY KEY (id)"
UNIQUE = "CREATE UNIQUE INDEX ON bench_floor (customer_id, msisdn)"
MSISDN = "CREATE INDEX ON bench_floor (msisdn)"
# What each part of customers_member costs a plain COPY of already validated rows (--index-costs):
# the least any import into this table can take, whatever its validation costs.
TABLE_SHAPES = {
    "heap only (no index, no foreign key)": [],
    "+ unique (customer, msisdn), the upsert's key": [UNIQUE],
    "+ primary key (id)": [UNIQUE, PRIMARY_KEY],
    "+ msisdn index = customers_member's indexes": [UNIQUE, PRIMARY_KEY, MSISDN],
    "(customer, msisdn) as the primary key, no id column": [
        "ALTER TABLE bench_floor DROP COLUMN id",
        "ALTER TABLE bench_floor ADD PRIMARY KEY (customer_id, msisdn)",
    ],
}


def floor_copy(rows: Path) -> float:
    """Reference only: COPY the validated rows into a copy of customers_member with its indexes,
    checks and foreign key (checked per row, as PostgreSQL does), and commit."""
    return timed_copy(rows, [UNIQUE, PRIMARY_KEY, MSISDN, FOREIGN_KEY])


def full_import(admin: object, path: Path) -> tuple[float, object]:
    from jike.customers import importers

    validated = [0.0]

    def progress(done: int, total: int) -> None:
        validated[0] = time.perf_counter()

    steps: list[str] = []

    class Steps(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            steps.append(record.getMessage())

    logger = logging.getLogger("jike.customers.importers.members_pg")
    handler = Steps()
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    started = time.perf_counter()
    job = importers.create_job(admin, "members", path=path)  # type: ignore[arg-type]
    job = importers.run_job(job, path=path, progress=progress)
    elapsed = time.perf_counter() - started
    logger.removeHandler(handler)
    print(
        f"  import: read+validate {validated[0] - started:.2f}s, COPY+upsert+counts {elapsed - validated[0] + started:.2f}s"
        f" ({'; '.join(steps)})"
    )
    return elapsed, job


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--groups", type=int, default=100_000)
    parser.add_argument("--keep-file", help="write the generated file here and keep it")
    parser.add_argument(
        "--index-costs", action="store_true", help="also time a plain COPY of the validated rows into each table shape"
    )
    args = parser.parse_args()
    url = os.environ.get("JIKE_DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("set JIKE_DATABASE_URL to a PostgreSQL database (it is created if missing)")
    ensure_database(url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jike.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    groups = min(args.groups, args.rows)
    admin, codes = setup_world(groups)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.keep_file) if args.keep_file else Path(tmp) / "members.csv"
        write_file(path, args.rows, codes)
        load = [os.getloadavg()[0]]
        copy_before = bare_copy(path)
        import_s, job = full_import(admin, path)
        load.append(os.getloadavg()[0])
        validated = export_validated(Path(tmp))
        floor_s = floor_copy(validated)
        shapes = (
            {label: timed_copy(validated, setup) for label, setup in TABLE_SHAPES.items()} if args.index_costs else {}
        )
        validated.unlink()
        copy_after = bare_copy(path)  # again after, so a change in machine load shows up
        again_s, again = full_import(admin, path)
        load.append(os.getloadavg()[0])
    copy_s = min(copy_before, copy_after)
    rows = args.rows
    print()
    print(f"rows: {rows:,} across {groups:,} groups")
    print(
        f"machine load average (1 min) before/after import/after re-import: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}"
    )
    print(f"bare COPY before / after the import: {copy_before:.2f} s / {copy_after:.2f} s (best is used below)")
    print(f"bare COPY into a plain text table: {copy_s:8.2f} s  {rows / copy_s:12,.0f} rows/s")
    print(
        f"full import (validate + upsert):   {import_s:8.2f} s  {rows / import_s:12,.0f} rows/s"
        f"  [{job.status}: created {job.created_count:,}, rejected {job.rejected_count:,}]"  # type: ignore[attr-defined]
    )
    print(f"ratio import / bare COPY speed:    {copy_s / import_s:8.2f}")
    print(
        f"reference, COPY of the validated rows into a copy of customers_member (3 indexes, checks, FK), committed:"
        f" {floor_s:.2f} s  {rows / floor_s:,.0f} rows/s; import / this: {floor_s / import_s:.2f}"
    )
    for label, seconds in shapes.items():
        print(f"  COPY of the validated rows, {label}: {seconds:.2f} s, {copy_s / seconds:.2f} x bare COPY speed")
    print(
        f"re-import, same file (no changes): {again_s:8.2f} s  {rows / again_s:12,.0f} rows/s"
        f"  [{again.status}: unchanged {again.unchanged_count:,}, created {again.created_count:,}]"  # type: ignore[attr-defined]
    )


if __name__ == "__main__":
    main()
