"""Writing many rows fast: PostgreSQL COPY, elsewhere (SQLite) the ORM's bulk_create."""

from __future__ import annotations

import json
from collections.abc import Iterable
from itertools import islice
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models

BATCH = 2000


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def write(model: type[models.Model], columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> int:
    """Insert rows (tuples in `columns` order, attnames) and return how many were written."""
    count = 0
    if is_postgres():
        json_cols = [i for i, c in enumerate(columns) if isinstance(_field(model, c), models.JSONField)]
        table = connection.ops.quote_name(model._meta.db_table)
        cols = ", ".join(connection.ops.quote_name(_field(model, c).column) for c in columns)
        with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
            for row in rows:
                if json_cols:
                    row = tuple(json.dumps(v, ensure_ascii=False) if i in json_cols else v for i, v in enumerate(row))
                copy.write_row(row)
                count += 1
        return count
    # Elsewhere (SQLite): executemany with each value prepared by its field, as the ORM would.
    fields = [_field(model, c) for c in columns]
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = f"INSERT INTO {table} ({cols}) VALUES ({', '.join(['%s'] * len(fields))})"
    it = iter(rows)
    with connection.cursor() as cursor:
        while chunk := list(islice(it, BATCH)):
            prepared = [
                tuple(v if v is None else f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True))
                for row in chunk
            ]
            cursor.executemany(sql, prepared)
            count += len(chunk)
    return count


def _field(model: type[models.Model], attname: str) -> Any:
    for f in model._meta.concrete_fields:
        if f.attname == attname:
            return f
    raise KeyError(attname)


def reset_sequences(models_: list[type[models.Model]]) -> None:
    """Explicit ids leave PostgreSQL's identity sequences behind; move them past max(id)."""
    statements = connection.ops.sequence_reset_sql(no_style(), models_)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def analyze(models_: list[type[models.Model]]) -> None:
    """Fresh planner statistics, or the first queries on millions of new rows plan blind."""
    with connection.cursor() as cursor:
        for model in models_:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
