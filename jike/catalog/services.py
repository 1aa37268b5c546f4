"""The one write path for the catalog (province configuration) and for customers' holdings.

Catalog changes need `user.can_configure`; holdings need change scope on the customer. Every change
is atomic and audited; holdings are audited with the customer as subject so they show in its history.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Sum

from jike.core import audit
from jike.core.errors import BusinessRuleError
from jike.core.fields import apply_fields
from jike.core.models import OrgLevel, OrgUnit, User
from jike.customers.models import Customer
from jike.customers.services import descendants, ensure_writable

from .models import (
    LIFECYCLE_NEXT,
    BundleItem,
    ChargingMode,
    Holding,
    Lifecycle,
    PriceBand,
    Product,
    ProductKind,
    SolutionComponent,
    Tiering,
)

PRODUCT_FIELDS = ["code", "name", "name_en", "kind", "platform", "purpose", "parent", "description", "tiering"]
HOLDING_FIELDS = ["product", "quantity", "start", "end", "monthly_revenue", "payment_mode", "notes"]
BAND_FIELDS = ["charging_mode", "unit", "from_qty", "to_qty", "unit_price"]


def _ensure_configurer(actor: User | None) -> None:
    if actor is not None and not actor.can_configure:
        raise BusinessRuleError(
            "forbidden", "只有省公司可维护产品目录 / only the province edits the catalog", status=403
        )


def _region_ids(product: Product) -> list[int]:
    return sorted(product.regions.values_list("pk", flat=True))


def _set_regions(product: Product, regions: Iterable[OrgUnit]) -> None:
    regions = list(regions)
    wrong = [r.name for r in regions if r.level != OrgLevel.CITY]
    if wrong:
        raise ValidationError({"regions": f"销售区域必须是市公司 / regions must be cities: {', '.join(wrong)}"})
    product.regions.set(regions)


# --- products -------------------------------------------------------------------------------------------


@transaction.atomic
def create_product(actor: User | None, regions: Iterable[OrgUnit] = (), **data: Any) -> Product:
    _ensure_configurer(actor)
    data.setdefault("lifecycle", Lifecycle.PLANNED)
    lifecycle = data.pop("lifecycle")
    product = Product(lifecycle=lifecycle)
    apply_fields(product, data, PRODUCT_FIELDS)
    product.full_clean()
    product.save()
    _set_regions(product, regions)
    after = {**audit.snapshot(product, [*PRODUCT_FIELDS, "lifecycle"]), "regions": _region_ids(product)}
    audit.record(actor, "product.create", product, audit.diff({}, after))
    return product


@transaction.atomic
def update_product(
    actor: User | None, product: Product, regions: Iterable[OrgUnit] | None = None, **data: Any
) -> Product:
    """Edit descriptive fields and regions; the lifecycle moves only through `transition_lifecycle`."""
    _ensure_configurer(actor)
    product = Product.objects.select_for_update().get(pk=product.pk)
    before = {**audit.snapshot(product, PRODUCT_FIELDS), "regions": _region_ids(product)}
    apply_fields(product, data, PRODUCT_FIELDS)
    if product.parent_id == product.pk:
        raise ValidationError({"parent": "产品不能以自身为上级 / a product cannot be its own parent"})
    product.full_clean()
    product.save()
    if regions is not None:
        _set_regions(product, regions)
    changes = audit.diff(before, {**audit.snapshot(product, PRODUCT_FIELDS), "regions": _region_ids(product)})
    if changes:
        audit.record(actor, "product.update", product, changes)
    return product


@transaction.atomic
def transition_lifecycle(actor: User | None, product: Product, to: str) -> Product:
    _ensure_configurer(actor)
    product = Product.objects.select_for_update().get(pk=product.pk)
    if to not in Lifecycle.values:
        raise ValidationError({"lifecycle": f"未知状态 / unknown state: {to}"})
    if to not in LIFECYCLE_NEXT[product.lifecycle]:
        allowed = sorted(LIFECYCLE_NEXT[product.lifecycle])
        raise BusinessRuleError(
            "lifecycle_transition",
            f"产品不能从“{product.get_lifecycle_display()}”变为“{Lifecycle(to).label}” / transition not allowed",
            {"from": product.lifecycle, "to": to, "allowed": allowed},
        )
    if to == Lifecycle.LAUNCHED and not product.price_bands.exists():
        raise BusinessRuleError("no_price", "上市前必须设置价格档 / a product needs prices before launch")
    before = product.lifecycle
    product.lifecycle = to
    product.save(update_fields=["lifecycle", "updated_at"])
    audit.record(actor, "product.lifecycle", product, {"lifecycle": [before, to]})
    return product


def _check_bands(bands: list[PriceBand]) -> None:
    """Bands of one charging mode must not overlap and only the last may be open-ended."""
    by_mode: dict[str, list[PriceBand]] = {}
    for band in bands:
        by_mode.setdefault(band.charging_mode, []).append(band)
    for mode, rows in by_mode.items():
        rows.sort(key=lambda b: b.from_qty)
        for prev, nxt in itertools.pairwise(rows):
            if prev.to_qty is None or prev.to_qty >= nxt.from_qty:
                raise ValidationError(
                    {"bands": f"计费方式 {mode} 的价格档重叠：{prev.from_qty}- 与 {nxt.from_qty}- / bands overlap"}
                )


@transaction.atomic
def replace_price_bands(actor: User | None, product: Product, bands: list[Mapping[str, Any]]) -> list[PriceBand]:
    _ensure_configurer(actor)
    product = Product.objects.select_for_update().get(pk=product.pk)
    before = [audit.snapshot(b, BAND_FIELDS) for b in product.price_bands.all()]
    rows = []
    for data in bands:
        band = PriceBand(product=product)
        apply_fields(band, data, BAND_FIELDS)
        band.full_clean(exclude=["product"], validate_unique=False)
        rows.append(band)
    _check_bands(rows)
    product.price_bands.all().delete()
    PriceBand.objects.bulk_create(rows)
    after = [audit.snapshot(b, BAND_FIELDS) for b in rows]
    if before != after:
        audit.record(actor, "product.prices", product, {"price_bands": [before, after]})
    return list(product.price_bands.all())


def _component_loop(bundle: Product, component: Product) -> bool:
    """True if the bundle is (transitively) inside the component: a bundle cannot contain itself."""
    frontier, seen = [component.pk], set()
    while frontier:
        if bundle.pk in frontier:
            return True
        seen.update(frontier)
        frontier = [
            pk
            for pk in BundleItem.objects.filter(bundle_id__in=frontier).values_list("component_id", flat=True)
            if pk not in seen
        ]
    return False


@transaction.atomic
def replace_bundle_items(actor: User | None, bundle: Product, items: list[tuple[Product, int]]) -> list[BundleItem]:
    _ensure_configurer(actor)
    bundle = Product.objects.select_for_update().get(pk=bundle.pk)
    if bundle.kind != ProductKind.BUNDLE:
        raise BusinessRuleError("not_a_bundle", "只有组合产品可以包含成员产品 / only bundles have components")
    before = list(bundle.bundle_items.values_list("component_id", "quantity"))
    seen: set[int] = set()
    rows = []
    for component, quantity in items:
        if component.pk in seen:
            raise ValidationError({"items": f"成员产品重复 / duplicate component: {component.name}"})
        if _component_loop(bundle, component):
            raise ValidationError({"items": f"组合产品不能包含自身 / bundle loop via {component.name}"})
        if quantity < 1:
            raise ValidationError({"items": "数量至少为1 / quantity must be at least 1"})
        seen.add(component.pk)
        rows.append(BundleItem(bundle=bundle, component=component, quantity=quantity))
    bundle.bundle_items.all().delete()
    BundleItem.objects.bulk_create(rows)
    after = [(r.component_id, r.quantity) for r in rows]
    if sorted(before) != sorted(after):
        audit.record(actor, "product.bundle", bundle, {"bundle_items": [before, after]})
    return list(bundle.bundle_items.select_related("component"))


@transaction.atomic
def replace_solution_components(
    actor: User | None, solution: Product, components: list[Mapping[str, Any]]
) -> list[SolutionComponent]:
    _ensure_configurer(actor)
    solution = Product.objects.select_for_update().get(pk=solution.pk)
    if solution.kind != ProductKind.SOLUTION:
        raise BusinessRuleError("not_a_solution", "只有解决方案可以组合合作伙伴服务 / only solutions have components")
    fields = ["product", "partner_service", "partner_name", "description"]
    before = [audit.snapshot(c, fields) for c in solution.solution_components.all()]
    rows = []
    for data in components:
        row = SolutionComponent(solution=solution)
        apply_fields(row, data, fields)
        if row.product_id is None and not row.partner_service.strip():
            raise ValidationError({"components": "每项须为本公司产品或合作伙伴服务 / product or partner service"})
        rows.append(row)
    solution.solution_components.all().delete()
    SolutionComponent.objects.bulk_create(rows)
    after = [audit.snapshot(c, fields) for c in rows]
    if before != after:
        audit.record(actor, "product.solution", solution, {"components": [before, after]})
    return list(solution.solution_components.select_related("product"))


# --- quotes ---------------------------------------------------------------------------------------------


@dataclass
class QuoteLine:
    from_qty: int
    to_qty: int | None
    quantity: int
    unit_price: Decimal
    amount: Decimal


@dataclass
class Quote:
    product: Product
    charging_mode: str
    unit: str
    quantity: int
    tiering: str
    total: Decimal = Decimal("0")
    lines: list[QuoteLine] = field(default_factory=list)

    @property
    def average_price(self) -> Decimal:
        return (self.total / self.quantity).quantize(Decimal("0.0001")) if self.quantity else Decimal("0")


def price_for(product: Product, quantity: int, charging_mode: str | None = None) -> Quote:
    """Quote `quantity` units of a product from its price bands.

    Volume tiering prices every unit at the band the whole quantity falls in (1-500 numbers at 2 yuan,
    600 numbers all at 3 yuan); graduated tiering prices each slab at its own band (SMS: the first
    100,000 messages at 0.05, the next at 0.04 ...).
    """
    if quantity < 1:
        raise ValidationError({"quantity": "数量至少为1 / quantity must be at least 1"})
    bands = list(product.price_bands.all())
    if charging_mode is None:
        modes = list(dict.fromkeys(b.charging_mode for b in bands))
        if not modes:
            raise BusinessRuleError("no_price", f"“{product.name}”未设置价格 / product has no prices")
        charging_mode = modes[0]
    elif charging_mode not in ChargingMode.values:
        raise ValidationError({"charging_mode": f"未知计费方式 / unknown charging mode: {charging_mode}"})
    rows = sorted((b for b in bands if b.charging_mode == charging_mode), key=lambda b: b.from_qty)
    if not rows:
        raise BusinessRuleError(
            "no_price", f"“{product.name}”没有该计费方式的价格 / no prices for {charging_mode}", {"mode": charging_mode}
        )
    quote = Quote(product, charging_mode, rows[0].unit, quantity, product.tiering)
    cent = Decimal("0.01")
    if product.tiering == Tiering.GRADUATED:
        remaining = quantity
        for band in rows:
            if remaining <= 0:
                break
            top = band.to_qty if band.to_qty is not None else quantity
            in_band = max(0, min(quantity, top) - band.from_qty + 1)
            in_band = min(in_band, remaining)
            if in_band:
                amount = (band.unit_price * in_band).quantize(cent, ROUND_HALF_UP)
                quote.lines.append(QuoteLine(band.from_qty, band.to_qty, in_band, band.unit_price, amount))
                remaining -= in_band
        if remaining > 0:
            raise BusinessRuleError("no_band", f"数量 {quantity} 超出价格档 / quantity beyond the price bands")
    else:
        band_for = next(
            (b for b in rows if b.from_qty <= quantity and (b.to_qty is None or quantity <= b.to_qty)), None
        )
        if band_for is None:
            raise BusinessRuleError("no_band", f"数量 {quantity} 不在任何价格档内 / no band covers this quantity")
        amount = (band_for.unit_price * quantity).quantize(cent, ROUND_HALF_UP)
        quote.lines.append(QuoteLine(band_for.from_qty, band_for.to_qty, quantity, band_for.unit_price, amount))
    quote.total = sum((line.amount for line in quote.lines), Decimal("0"))
    return quote


# --- holdings -------------------------------------------------------------------------------------------


def _check_sellable(product: Product, customer: Customer) -> None:
    if product.lifecycle != Lifecycle.LAUNCHED:
        raise BusinessRuleError(
            "not_launched",
            f"“{product.name}”当前为“{product.get_lifecycle_display()}”，不能订购 / product is not on sale",
            {"lifecycle": product.lifecycle},
        )
    region_ids = _region_ids(product)
    if region_ids and customer.city_id not in region_ids:
        raise BusinessRuleError(
            "not_sold_here", f"“{product.name}”不在该客户所在市销售 / product not sold in this city", {}
        )


def _clean_holding(holding: Holding) -> None:
    holding.full_clean(exclude=["customer"])
    if holding.end is not None and holding.end < holding.start:
        raise ValidationError({"end": "结束日期不能早于开始日期 / end before start"})


@transaction.atomic
def add_holding(actor: User, customer: Customer, **data: Any) -> Holding:
    ensure_writable(actor, customer)
    holding = Holding(customer=customer)
    data.setdefault("start", dt.date.today())
    apply_fields(holding, data, HOLDING_FIELDS)
    if holding.product_id is None:
        raise ValidationError({"product": "必须选择产品 / product is required"})
    _check_sellable(holding.product, customer)
    _clean_holding(holding)
    holding.save()
    audit.record(
        actor, "holding.create", holding, audit.diff({}, audit.snapshot(holding, HOLDING_FIELDS)), subject=customer
    )
    return holding


@transaction.atomic
def update_holding(actor: User, holding: Holding, **data: Any) -> Holding:
    ensure_writable(actor, holding.customer)
    holding = Holding.objects.select_for_update().select_related("customer", "product").get(pk=holding.pk)
    before = audit.snapshot(holding, HOLDING_FIELDS)
    apply_fields(holding, data, HOLDING_FIELDS)
    if holding.product_id != before["product"]:
        _check_sellable(holding.product, holding.customer)
    _clean_holding(holding)
    changes = audit.diff(before, audit.snapshot(holding, HOLDING_FIELDS))
    if changes:
        holding.save()
        audit.record(actor, "holding.update", holding, changes, subject=holding.customer)
    return holding


@transaction.atomic
def end_holding(actor: User, holding: Holding, end: dt.date | None = None) -> Holding:
    ensure_writable(actor, holding.customer)
    holding = Holding.objects.select_for_update().select_related("customer").get(pk=holding.pk)
    if holding.end is not None and holding.end <= dt.date.today():
        raise BusinessRuleError("already_ended", "该产品已终止 / holding already ended")
    end = end or dt.date.today()
    if end < holding.start:
        raise ValidationError({"end": "结束日期不能早于开始日期 / end before start"})
    before = holding.end
    holding.end = end
    holding.save(update_fields=["end"])
    audit.record(actor, "holding.end", holding, {"end": [before, end]}, subject=holding.customer)
    return holding


def holdings_rollup(customer: Customer, user: Any, on: dt.date | None = None) -> dict[str, Any]:
    """Active holdings of the customer and its whole group subtree, by product, within the user's scope.

    Units outside the user's scope are left out of the figures (and counted as hidden) rather than shown.
    """
    ids = [customer.pk, *descendants(customer)]
    visible = set(Customer.objects.restrict(user).filter(pk__in=ids).values_list("pk", flat=True))
    rows = (
        Holding.objects.active(on)
        .restrict(user)
        .filter(customer_id__in=visible)
        .values("product_id", "product__code", "product__name", "product__platform")
        .annotate(units=Count("customer_id", distinct=True), quantity=Sum("quantity"), revenue=Sum("monthly_revenue"))
        .order_by("-revenue", "product__code")
    )
    products = [
        {
            "product": r["product_id"],
            "code": r["product__code"],
            "name": r["product__name"],
            "platform": r["product__platform"],
            "units": r["units"],
            "quantity": r["quantity"] or 0,
            "monthly_revenue": r["revenue"] or Decimal("0"),
        }
        for r in rows
    ]
    return {
        "customer": customer.pk,
        "units": len(visible),
        "hidden_units": len(ids) - len(visible),
        "monthly_revenue": sum((p["monthly_revenue"] for p in products), Decimal("0")),
        "products": products,
    }
