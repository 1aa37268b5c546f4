"""Finding the group (customer) a member row belongs to, within the importer's data scope."""

from __future__ import annotations

from collections.abc import Iterable

from stdnum.cn import uscc

from jike.core.models import User
from jike.customers.models import Customer
from jike.customers.validators import validate_credit_code

NOT_FOUND = "集团不存在（请先导入集团客户）"
OUT_OF_SCOPE = "该集团不在您的数据范围内"


class GroupResolver:
    """Caches credit code / customer number -> customer id, or the reason it cannot be used.

    Lookups happen per chunk of rows (one query for all new keys), never per row.
    """

    def __init__(self, actor: User | None) -> None:
        self.actor = actor
        self.by_code: dict[str, int | str] = {}
        self.by_id: dict[str, int | str] = {}

    def _writable(self) -> object:
        return Customer.objects.restrict(self.actor, "change") if self.actor is not None else Customer.objects.all()

    def load_codes(self, raw_codes: Iterable[str]) -> None:
        new = {c for c in raw_codes if c and c not in self.by_code}
        if not new:
            return
        compact = {c: uscc.compact(c) for c in new}
        wanted = set(compact.values())
        writable = self._writable()
        found = dict(writable.filter(credit_code__in=wanted).values_list("credit_code", "id"))  # type: ignore[attr-defined]
        exists = set(Customer.objects.filter(credit_code__in=wanted - set(found)).values_list("credit_code", flat=True))
        for raw, code in compact.items():
            if code in found:
                self.by_code[raw] = found[code]
            elif code in exists:
                self.by_code[raw] = OUT_OF_SCOPE
            else:
                self.by_code[raw] = self._why_not_found(code)

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
        numbers = {c: int(c) for c in new if c.isdigit() and len(c) < 19}
        found = set(self._writable().filter(pk__in=set(numbers.values())).values_list("id", flat=True))  # type: ignore[attr-defined]
        exists = set(Customer.objects.filter(pk__in=set(numbers.values()) - found).values_list("id", flat=True))
        for raw in new:
            number = numbers.get(raw)
            if number is None:
                self.by_id[raw] = "集团编码应为数字"
            elif number in found:
                self.by_id[raw] = number
            else:
                self.by_id[raw] = OUT_OF_SCOPE if number in exists else NOT_FOUND
