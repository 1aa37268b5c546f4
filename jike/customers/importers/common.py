"""Shared pieces of the importers: rejects, cell parsers, scope checks."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from jike.core.models import OrgUnit, User
from jike.core.roles import Scope

ProgressFn = Callable[[int, int], None]
# Rejects kept per job: enough to fix any real file; a file that is all wrong is reported by count.
MAX_STORED_REJECTS = 200_000

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_NUMBER_NOISE = re.compile(r"[,，\s元¥￥]|万元$")

TRUE_WORDS = frozenset({"是", "y", "yes", "true", "1", "√", "关键人", "t"})
FALSE_WORDS = frozenset({"否", "n", "no", "false", "0", "", "f", "×"})


class CellError(ValueError):
    """A cell value that cannot be used; the message is the reason shown to the user."""


@dataclass
class Reject:
    row: int
    column: str
    value: str
    reason: str


@dataclass
class Outcome:
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejects: list[Reject] = field(default_factory=list)
    rejected_rows: set[int] = field(default_factory=set)
    customer_ids: set[int] = field(default_factory=set)

    def reject(self, row: int, column: str, value: str, reason: str) -> None:
        self.rejected_rows.add(row)
        if len(self.rejects) < MAX_STORED_REJECTS:
            self.rejects.append(Reject(row, column, value[:255], reason[:255]))

    @property
    def valid(self) -> int:
        return self.total - len(self.rejected_rows)


def parse_date(text: str) -> str:
    """A date as ISO text ("" for an empty cell); accepts 2024-01-31, 2024/1/31, 20240131, 2024年1月31日."""
    if not text:
        return ""
    if _ISO_DATE.match(text):
        return check_iso_date(text)
    m = _DATE.match(text) or _COMPACT_DATE.match(text)
    if not m:
        raise CellError("日期格式错误（应为 YYYY-MM-DD）")
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
    except ValueError as exc:
        raise CellError("日期不存在") from exc


def check_iso_date(text: str) -> str:
    try:
        dt.date.fromisoformat(text)
    except ValueError as exc:
        raise CellError("日期不存在") from exc
    return text


def parse_bool(text: str) -> bool:
    key = text.strip().lower()
    if key in TRUE_WORDS:
        return True
    if key in FALSE_WORDS:
        return False
    raise CellError("应为 是/否")


def parse_int(text: str, low: int | None = None, high: int | None = None) -> int | None:
    if not text:
        return None
    cleaned = _NUMBER_NOISE.sub("", text)
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise CellError("应为整数") from exc
    if value != value.to_integral_value():
        raise CellError("应为整数")
    number = int(value)
    if low is not None and number < low:
        raise CellError(f"不能小于 {low}")
    if high is not None and number > high:
        raise CellError(f"不能大于 {high}")
    return number


def parse_money(text: str, max_digits: int = 14) -> Decimal | None:
    if not text:
        return None
    try:
        value = Decimal(_NUMBER_NOISE.sub("", text)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:
        raise CellError("应为数字") from exc
    if not value.is_finite():
        raise CellError("应为数字")
    if value < 0:
        raise CellError("不能为负数")
    if len(value.as_tuple().digits) > max_digits:
        raise CellError("数值过大")
    return value


def choice_lookup(choices: Any, extra: dict[str, str] | None = None) -> dict[str, str]:
    """{text: value} accepting each choice's value and Chinese label (and extra synonyms)."""
    table: dict[str, str] = {}
    for value, text in choices.choices:
        table[str(value).lower()] = value
        table[str(text).lower()] = value
    for text, value in (extra or {}).items():
        table[text.lower()] = value
    return table


def unit_in_scope(actor: User | None, unit: OrgUnit) -> bool:
    """May the actor place a customer in this unit? (Importers are org-scoped managers.)"""
    if actor is None:
        return True
    scope = actor.scope
    if scope == Scope.ALL:
        return True
    if scope == Scope.ORG and actor.org_unit is not None:
        return unit.path.startswith(actor.org_unit.path)
    return False
