"""Versioned caching: a result is cached under the data version it was computed from.

The version of a record and of everything that hangs on it (a customer: its members, key persons,
events, holdings, plans, opportunities, visits) is read from the audit trail: every service write
records an audit entry whose *subject* is that record, in the same transaction (jike.core.audit),
so `subject_version` = (number of entries, latest time) of the subjects' entries changes with
every committed write and with nothing else. It is one index-only query, reads what the reader's
transaction sees (its own uncommitted writes included, nobody else's) and needs no write-side
bump that a new service could forget. Bulk jobs that write audit rows directly (re-tiering) are
covered too; writes without an audit entry are not (cache only what audited writes change).

Values are cached in Django's shared cache (files under var/cache by default, Redis with
JIKE_REDIS_URL) for a bounded time; keys are hashed (versions and org paths hold characters some
backends refuse). The sales board (jike/sales/cache.py) keeps its own write counter: it
aggregates a whole scope, not one subject.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from django.core.cache import cache
from django.db.models import Count, Max

from jike.core.models import AuditLog
from jike.core.roles import Scope

T = TypeVar("T")


def subject_version(subject_type: str, ids: Iterable[Any]) -> str:
    """The data version of the records `ids` of `subject_type` ("customers.customer") taken together."""
    agg = AuditLog.objects.filter(subject_type=subject_type, subject_id__in=[str(i) for i in ids]).aggregate(
        n=Count("*"), last=Max("at")
    )
    return f"{agg['n']}@{agg['last'].isoformat() if agg['last'] else '-'}"


def scope_key(user: Any) -> str:
    """Users with the same data scope see the same rows, so they may share cached results."""
    if user.scope == Scope.ALL:
        return "all"
    if user.scope == Scope.ORG and user.org_unit is not None:
        return f"org:{user.org_unit.path}"
    return f"team:{user.pk}"


def cached(parts: Sequence[object], compute: Callable[[], T], ttl: int) -> T:
    """`compute()` cached for `ttl` seconds under `parts`: the data version first, then whatever
    else changes the value (scope, role, language, filters)."""
    raw = "|".join(map(str, parts))
    key = "jike:val:" + hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()
    hit: T | None = cache.get(key)
    if hit is not None:
        return hit
    value = compute()
    cache.set(key, value, ttl)
    return value
