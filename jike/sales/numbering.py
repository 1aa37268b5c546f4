"""Race-free yearly numbers (SJ-2026-000123): one atomic upsert per number, no read-modify-write."""

from __future__ import annotations

from django.db import connection
from django.utils import timezone

from jike.sales.models import Counter


def next_number(prefix: str, width: int = 6) -> str:
    year = timezone.localdate().year
    key = f"{prefix}-{year}"
    table = connection.ops.quote_name(Counter._meta.db_table)
    # INSERT .. ON CONFLICT .. RETURNING is atomic on PostgreSQL and SQLite >= 3.35.
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {table} (key, value) VALUES (%s, 1) "
            f"ON CONFLICT (key) DO UPDATE SET value = {table}.value + 1 RETURNING value",
            [key],
        )
        value = cur.fetchone()[0]
    return f"{key}-{value:0{width}d}"


def reserve_block(prefix: str, count: int) -> tuple[str, int]:
    """Reserve `count` numbers at once (bulk demo loads); returns the key and the first value."""
    year = timezone.localdate().year
    key = f"{prefix}-{year}"
    table = connection.ops.quote_name(Counter._meta.db_table)
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {table} (key, value) VALUES (%s, %s) "
            f"ON CONFLICT (key) DO UPDATE SET value = {table}.value + %s RETURNING value",
            [key, count, count],
        )
        last = cur.fetchone()[0]
    return key, last - count + 1
