"""Customer import: rows are checked with the rules of the customer services, then every good row
goes through `services.create_customer` / `services.update_customer` (the one write path, audited
per customer), each in a savepoint so a refused row becomes a reject instead of a broken batch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from jike.core import audit
from jike.core.errors import BusinessRuleError
from jike.core.models import OrgLevel, OrgUnit, User
from jike.customers import services
from jike.customers.choices import Industry, Lifecycle, Ownership, PaymentAbility
from jike.customers.importers.common import (
    CellError,
    Outcome,
    ProgressFn,
    choice_lookup,
    parse_bool,
    parse_date,
    parse_int,
    parse_money,
    unit_in_scope,
)
from jike.customers.importers.reading import Table
from jike.customers.models import Customer
from jike.customers.validators import normalise_credit_code, validate_credit_code

CHUNK = 2_000
TEXT_LIMITS = {"name": 128, "short_name": 64, "address": 255, "legal_representative": 64, "main_business": 255}
CHOICES = {
    "industry": choice_lookup(Industry),
    "ownership": choice_lookup(Ownership),
    "status": choice_lookup(Lifecycle, {"在用": "active", "正常": "active", "签约": "signed"}),
    "payment_ability": choice_lookup(PaymentAbility),
}


@dataclass
class Planned:
    row: int
    credit_code: str
    data: dict[str, Any]
    existing: Customer | None
    parent_code: str


class Units:
    """Cities by code or name (合肥市公司, 合肥市, 合肥) and grids by code or unique name."""

    def __init__(self) -> None:
        self.cities: dict[str, OrgUnit] = {}
        self.grids: dict[str, OrgUnit] = {}
        ambiguous: set[str] = set()
        units = {u.pk: u for u in OrgUnit.objects.all()}
        for u in units.values():
            if u.parent_id is not None:
                u.parent = units.get(u.parent_id)
        for u in units.values():
            if u.level == OrgLevel.CITY:
                short = u.name.removesuffix("公司").removesuffix("市")
                for key in (u.code, u.name, short, short + "市", u.name_en):
                    if key:
                        self.cities.setdefault(key.lower(), u)
            elif u.level == OrgLevel.GRID:
                self.grids[u.code.lower()] = u
                if u.name.lower() in self.grids and self.grids[u.name.lower()] is not u:
                    ambiguous.add(u.name.lower())
                self.grids.setdefault(u.name.lower(), u)
        for name in ambiguous:
            self.grids.pop(name, None)


def _cell_reader(cells: list[str], columns: dict[str, int]) -> dict[str, str]:
    return {name: cells[i].strip() if i < len(cells) else "" for name, i in columns.items()}


def _parse_row(
    row: int, values: dict[str, str], col: dict[str, str], units: Units, outcome: Outcome
) -> tuple[dict[str, Any], bool]:
    """Field values ready for the services; empty cells are left out (they change nothing)."""
    data: dict[str, Any] = {}
    ok = True

    def bad(field: str, reason: str) -> None:
        nonlocal ok
        ok = False
        outcome.reject(row, col[field], values[field], reason)

    for field, value in values.items():
        if not value or field in ("credit_code", "parent"):
            continue
        try:
            if field in TEXT_LIMITS:
                if len(value) > TEXT_LIMITS[field]:
                    raise CellError(f"过长（最多{TEXT_LIMITS[field]}字）")
                data[field] = value
            elif field in CHOICES:
                found = CHOICES[field].get(value.lower())
                if found is None:
                    raise CellError("取值无效：" + value)
                data[field] = found
            elif field == "city":
                if value.lower() not in units.cities:
                    raise CellError("未知的市公司（填写名称或编码）")
                data["city"] = units.cities[value.lower()]
            elif field == "grid":
                if value.lower() not in units.grids:
                    raise CellError("未知的网格（填写网格编码）")
                data["grid"] = units.grids[value.lower()]
            elif field == "employees":
                data[field] = parse_int(value, 0, 10_000_000)
            elif field in ("registered_capital", "monthly_spend"):
                data[field] = parse_money(value)
            elif field in ("agreement_start", "agreement_end"):
                data[field] = parse_date(value)
            elif field == "strategic":
                data[field] = parse_bool(value)
            elif field == "industry_influence":
                data[field] = parse_int(value, 1, 5)
        except CellError as exc:
            bad(field, str(exc))
    start, end = data.get("agreement_start"), data.get("agreement_end")
    if start and end and end < start:
        bad("agreement_end", "协议到期早于协议开始")
    grid, city = data.get("grid"), data.get("city")
    if grid is not None and city is not None and grid.ancestor_of_level(OrgLevel.CITY) != city:
        bad("grid", "网格不属于所填市公司")
    if grid is not None:
        data["city"] = grid.ancestor_of_level(OrgLevel.CITY)
    return data, ok


def validate(
    table: Table, columns: dict[str, int], actor: User | None, outcome: Outcome, progress: ProgressFn
) -> list[Planned]:
    header = table.header
    col = {name: header[i] for name, i in columns.items()}
    units = Units()
    writable = Customer.objects.restrict(actor, "change") if actor is not None else Customer.objects.all()
    first_row: dict[str, int] = {}
    planned: list[Planned] = []
    rows = list(table.rows)
    total = len(rows)
    for start in range(0, total, CHUNK):
        chunk = [(row, _cell_reader(cells, columns)) for row, cells in rows[start : start + CHUNK]]
        codes = {normalise_credit_code(v["credit_code"]) for _, v in chunk if v["credit_code"]}
        parents = {normalise_credit_code(v.get("parent", "")) for _, v in chunk if v.get("parent")}
        existing = {c.credit_code: c for c in Customer.objects.filter(credit_code__in=codes).select_related("grid")}
        allowed = set(writable.filter(credit_code__in=codes).values_list("credit_code", flat=True))
        known_parents = set(Customer.objects.filter(credit_code__in=parents).values_list("credit_code", flat=True))
        for row, values in chunk:
            outcome.total += 1
            code = normalise_credit_code(values["credit_code"])
            ok = True
            if not code:
                outcome.reject(row, col["credit_code"], "", "统一社会信用代码不能为空")
                ok = False
            else:
                try:
                    validate_credit_code(code)
                except ValidationError as exc:
                    outcome.reject(row, col["credit_code"], values["credit_code"], exc.messages[0])
                    ok = False
            data, fields_ok = _parse_row(row, values, col, units, outcome)
            ok = ok and fields_ok
            current = existing.get(code)
            if ok and current is None and not values.get("name"):
                outcome.reject(row, col["name"], "", "新客户必须填写集团名称")
                ok = False
            if ok and current is not None and code not in allowed:
                outcome.reject(row, col["credit_code"], code, "该客户不在您的数据范围内")
                ok = False
            target = data.get("grid") or data.get("city")
            if ok and current is None and target is None:
                outcome.reject(row, col.get("city", col["credit_code"]), "", "新客户必须填写归属市公司或网格")
                ok = False
            if ok and target is not None and not unit_in_scope(actor, target):
                field = "grid" if "grid" in data else "city"
                outcome.reject(row, col[field], values[field], "不能把客户放到您的数据范围以外的单位")
                ok = False
            parent = normalise_credit_code(values.get("parent", ""))
            if ok and parent:
                if parent == code:
                    outcome.reject(row, col["parent"], parent, "上级单位不能是自己")
                    ok = False
                elif parent not in known_parents and parent not in first_row:
                    outcome.reject(row, col["parent"], parent, "上级单位不存在（须已在系统中或在本文件前面的行）")
                    ok = False
            if code and code in first_row:
                outcome.reject(row, col["credit_code"], code, f"与第{first_row[code]}行重复（同一统一社会信用代码）")
                continue
            if code:
                first_row[code] = row
            if ok:
                moved = "city" in data and "grid" not in data and current is not None and current.grid is not None
                if moved and current.grid.ancestor_of_level(OrgLevel.CITY) != data["city"]:  # type: ignore[union-attr]
                    data["grid"] = None  # moved to another city: the old grid no longer applies
                planned.append(Planned(row, code, data, current, parent))
        progress(outcome.total, total)
    return planned


def _addresses(planned: list[Planned]) -> None:
    """Parse new or changed addresses with cpca in one call (per-row calls are slow)."""
    todo = [
        p for p in planned if "address" in p.data and (p.existing is None or p.existing.address != p.data["address"])
    ]
    if not todo:
        return
    import cpca

    frame = cpca.transform([p.data["address"] for p in todo])
    for p, (_, row) in zip(todo, frame.iterrows(), strict=True):
        p.data.update(
            {
                "addr_province": row.get("省") or "",
                "addr_city": row.get("市") or "",
                "addr_district": row.get("区") or "",
            }
        )


def _messages(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return "；".join(f"{k}: {'，'.join(v)}" for k, v in exc.message_dict.items())
        return "；".join(exc.messages)
    if isinstance(exc, BusinessRuleError):
        return exc.message
    return str(exc)


def write(planned: list[Planned], actor: User | None, outcome: Outcome) -> None:
    """Apply through the services; must run inside the caller's transaction."""
    _addresses(planned)
    by_code: dict[str, Customer] = {}
    for p in planned:
        data = dict(p.data)
        if p.parent_code:
            parent = by_code.get(p.parent_code) or Customer.objects.filter(credit_code=p.parent_code).first()
            if parent is None:
                outcome.reject(p.row, "", p.parent_code, "上级单位未能导入")
                continue
            data["parent"] = parent
        try:
            with transaction.atomic():
                if p.existing is None:
                    customer = services.create_customer(actor, credit_code=p.credit_code, **data)
                    outcome.created += 1
                else:
                    before = audit.snapshot(p.existing, services.CUSTOMER_FIELDS)
                    customer = services.update_customer(actor, p.existing, **data)
                    if audit.diff(before, audit.snapshot(customer, services.CUSTOMER_FIELDS)):
                        outcome.updated += 1
                    else:
                        outcome.unchanged += 1
        except (ValidationError, BusinessRuleError) as exc:
            outcome.reject(p.row, "", p.credit_code, _messages(exc))
            continue
        by_code[p.credit_code] = customer
        outcome.customer_ids.add(customer.pk)
