"""Exact caching of the pipeline board and forecast.

Both aggregate every opportunity in a scope (a province: 100,000+ rows), which costs tens of
milliseconds of database time per request. Results are cached per scope and filter under a
pipeline version that every opportunity write bumps (after commit), so a cached answer is never
stale with respect to the data; only the time-dependent stale flags may lag by up to TTL seconds.
The version lives in the database (two index reads per request) so every web process agrees.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django.db import connection, transaction

from jike.core import cache as data_cache
from jike.sales.models import Counter

TTL = 60
VERSION_KEY = "pipeline-version"
T = TypeVar("T")


def _bump() -> None:
    table = connection.ops.quote_name(Counter._meta.db_table)
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {table} (key, value) VALUES (%s, 1) "
            f"ON CONFLICT (key) DO UPDATE SET value = {table}.value + 1",
            [VERSION_KEY],
        )


def changed() -> None:
    """Call from every write that changes what the board or forecast shows."""
    transaction.on_commit(_bump)


def version() -> str:
    """The write counter, plus the latest `updated_at`: the counter alone could repeat after a
    rolled-back transaction (tests), the timestamp alone could miss a late-committing write."""
    from jike.sales.models import Opportunity

    counter = connection.ops.quote_name(Counter._meta.db_table)
    opp = connection.ops.quote_name(Opportunity._meta.db_table)
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT (SELECT value FROM {counter} WHERE key = %s), (SELECT max(updated_at) FROM {opp})", [VERSION_KEY]
        )
        row = cur.fetchone()
    return f"{row[0] if row else 0}-{row[1] if row else ''}"


def cached(kind: str, user: Any, params: Mapping[str, Any], fn: Callable[[], T]) -> T:
    raw = "&".join(f"{k}={v}" for k, v in sorted((k, str(v)) for k, v in params.items()))
    return data_cache.cached([f"sales:{kind}", version(), data_cache.scope_key(user), raw], fn, TTL)
