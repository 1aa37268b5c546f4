"""Finding the group (customer) a member row belongs to, within the importer's data scope."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Exists, OuterRef, Q
from django.db.models.expressions import RawSQL
from stdnum.cn import uscc

from jike.core.models import User
from jike.customers.models import Customer, Member
from jike.customers.validators import validate_credit_code

NOT_FOUND = "集团不存在（请先导入集团客户）"
OUT_OF_SCOPE = "该集团不在您的数据范围内"


def _among(column: str, values: set[Any]) -> Any:
    """`column IN values`; on PostgreSQL as `= ANY(%s)` with one array parameter: for 10,000 codes
    about 3 times faster than Django's IN list of 10,000 literals (quoted, parsed, planned)."""
    if connection.vendor != "postgresql" or not values:
        return Q(**{f"{column}__in": values})
    table = connection.ops.quote_name(Customer._meta.db_table)
    cast = "bigint[]" if column == "id" else "text[]"
    sql = f"{table}.{connection.ops.quote_name(column)} = ANY(%s::{cast})"
    return RawSQL(sql, [sorted(values)], output_field=BooleanField())


class GroupResolver:
    """Caches credit code / customer number -> customer id, or the reason it cannot be used.

    Lookups happen per chunk of rows (one query for all new keys), never per row.
    """

    def __init__(self, actor: User | None) -> None:
        self.actor = actor
        self.by_code: dict[str, int | str] = {}
        self.by_id: dict[str, int | str] = {}
        # Groups that had members when first seen: their rows may match existing ones (upsert); the
        # others are loaded with a plain COPY (see members_pg). Only a hint: the unique constraint
        # still guards against a member added meanwhile.
        self.populated: set[int] = set()
        self.before_query: Callable[[], None] | None = None  # e.g. end a COPY running on the connection

    def _writable(self) -> object:
        # order_by(): no need for the model's default ordering (a sort, or a scan of another index)
        qs = Customer.objects.restrict(self.actor, "change") if self.actor is not None else Customer.objects.all()
        return qs.order_by()

    def load_codes(self, raw_codes: Iterable[str]) -> None:
        new = {c for c in raw_codes if c and c not in self.by_code}
        if not new:
            return
        if self.before_query is not None:
            self.before_query()
        # stdnum's compact() strips separators and upper-cases (callers pass upper-cased codes);
        # a plain ASCII alphanumeric code has nothing to strip, and calling it costs ~20 µs a code.
        compact = {c: c if c.isascii() and c.isalnum() else uscc.compact(c) for c in new}
        wanted = set(compact.values())
        writable = self._writable()
        found = dict(writable.filter(_among("credit_code", wanted)).values_list("credit_code", "id"))  # type: ignore[attr-defined]
        missing = wanted - set(found)
        exists = set(
            Customer.objects.filter(_among("credit_code", missing)).order_by().values_list("credit_code", flat=True)
        )
        self._load_populated(found.values())
        for raw, code in compact.items():
            if code in found:
                self.by_code[raw] = found[code]
            elif code in exists:
                self.by_code[raw] = OUT_OF_SCOPE
            else:
                self.by_code[raw] = self._why_not_found(code)

    def _load_populated(self, ids: Iterable[int]) -> None:
        wanted = set(ids)
        if wanted:
            has_members = Exists(Member.objects.filter(customer=OuterRef("pk")))
            self.populated.update(
                Customer.objects.filter(_among("id", wanted))
                .filter(has_members)
                .order_by()
                .values_list("pk", flat=True)
            )

    @staticmethod
    def _why_not_found(code: str) -> str:
        try:
            validate_credit_code(code)
        except Exception as exc:
            return str(getattr(exc, "messages", [exc])[0])
        return NOT_FOUND

    def load_ids(self, raw_ids: Iterable[str]) -> None:
        new = {c for c in raw_ids if c and c not in self.by_id}
        if not new:
            return
        if self.before_query is not None:
            self.before_query()
        numbers = {c: int(c) for c in new if c.isdigit() and len(c) < 19}
        found = set(self._writable().filter(pk__in=set(numbers.values())).values_list("id", flat=True))  # type: ignore[attr-defined]
        exists = set(
            Customer.objects.filter(pk__in=set(numbers.values()) - found).order_by().values_list("id", flat=True)
        )
        self._load_populated(found)
        for raw in new:
            number = numbers.get(raw)
            if number is None:
                self.by_id[raw] = "集团编码应为数字"
            elif number in found:
                self.by_id[raw] = number
            else:
                self.by_id[raw] = OUT_OF_SCOPE if number in exists else NOT_FOUND
