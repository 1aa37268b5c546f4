"""Demo holdings, called by `jike demo-data` after the customers exist.

Every customer in service gets a few products consistent with its tier and industry (C: voice and
standard products; B adds data lines and an industry application; A a broad portfolio), with
quantities from its member count and monthly revenue from the catalog's own price bands. Rows go
through the customers demo sink (PostgreSQL COPY): the large scale (100,000 customers) writes
~300,000 holdings in seconds.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction

from jike.customers.demo import sink
from jike.customers.models import Customer

from .models import Holding, Lifecycle, PriceBand, Product, Tiering

DEMO_NOTE = "[demo]"
BASE_C = ["VPMN", "CRBT", "QXT", "GBB", "SME588", "IMS-FIX"]
BASE_B = ["VPMN", "CRBT", "GSMS", "DIA", "PBX", "MAS", "GDL", "IMS-ONE", "M800"]
BASE_A = ["VPMN", "PBX", "DIA", "GDL", "GSMS", "CRBT", "MAS", "APN", "CONF", "VPMN-IMS", "PBX-IMS", "SPJK"]
BY_INDUSTRY = {
    "education": ["XXT", "YKT", "SOL-EDU"],
    "health": ["YIXT", "SPJK"],
    "finance": ["YXT", "GDL"],
    "government": ["JWT", "CGT", "SJB"],
    "transport": ["CWT", "APN", "SOL-LOG"],
    "agriculture": ["NXT"],
    "construction": ["WGT", "SPJK"],
    "retail": ["SXT", "XSGJ", "LLHB"],
    "hospitality": ["SXT", "LLHB"],
    "manufacturing": ["IOT", "SPJK", "XSGJ"],
    "energy": ["APN", "IOT", "SPJK"],
    "it": ["DIA", "LLHB"],
    "media": ["SJB", "LLHB"],
}
COUNT = {"A": (4, 7), "B": (2, 4), "C": (1, 2), "": (1, 2)}
PAYMENT = [("unified", 6), ("personal", 2), ("split", 2)]
COLUMNS = (
    "customer_id", "product_id", "quantity", "start", "end", "monthly_revenue", "payment_mode", "notes", "created_at",
)  # fmt: skip


class PriceBook:
    """The catalog's first charging mode per product, in memory, so millions of quotes need no query."""

    def __init__(self) -> None:
        self.products = {
            p.code: p for p in Product.objects.filter(lifecycle=Lifecycle.LAUNCHED).only("id", "code", "tiering")
        }
        self.bands: dict[int, list[PriceBand]] = {}
        for band in PriceBand.objects.order_by("product_id", "charging_mode", "from_qty"):
            rows = self.bands.setdefault(band.product_id, [])
            if not rows or rows[0].charging_mode == band.charging_mode:
                rows.append(band)

    def monthly(self, product: Product, quantity: int) -> Decimal:
        rows = self.bands.get(product.pk, [])
        if not rows:
            return Decimal("0")
        if product.tiering == Tiering.GRADUATED:
            total, left = Decimal("0"), quantity
            for b in rows:
                top = b.to_qty if b.to_qty is not None else quantity
                n = min(left, max(0, min(quantity, top) - b.from_qty + 1))
                total += b.unit_price * n
                left -= n
            return total.quantize(Decimal("0.01"), ROUND_HALF_UP)
        band = next(
            (b for b in rows if b.from_qty <= quantity and (b.to_qty is None or quantity <= b.to_qty)), rows[-1]
        )
        return (band.unit_price * quantity).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _quantity(code: str, members: int, rng: random.Random) -> int:
    people = max(5, members)
    if code in {"VPMN", "CRBT", "VPMN-IMS", "IMS-ONE", "XXT", "YIXT", "NXT", "SXT", "XSGJ", "WGT", "MAIL", "YKT"}:
        return max(1, int(people * rng.uniform(0.4, 1.0)))
    if code in {"PBX", "PBX-IMS"}:
        return max(5, int(people * rng.uniform(0.1, 0.4)))
    if code in {"GSMS", "QXT", "YXT", "GMMS"}:
        return int(people * rng.uniform(20, 200))  # messages a month
    if code in {"LLHB", "APN"}:
        return rng.randint(10, 500) if code == "LLHB" else rng.randint(1, 6)
    if code == "DIA":
        return rng.choice([10, 20, 50, 100, 200])  # Mbps
    if code in {"CWT", "SPJK", "JWT", "CGT", "IOT"}:
        return rng.randint(5, 120)
    if code in {"M800", "CONF"}:
        return rng.randint(500, 20000)  # minutes
    if code == "IMS-FIX":
        return rng.randint(1, 20)
    return rng.randint(1, 3)


def _customers() -> list[tuple[Any, ...]]:
    return list(
        Customer.objects.exclude(status__in=["prospect", "lost"])
        .order_by("id")
        .values_list("id", "tier", "industry", "member_count", "agreement_start")
    )


def _rows(
    customers: list[tuple[Any, ...]], book: PriceBook, rng: random.Random, as_of: dt.date
) -> Iterator[tuple[Any, ...]]:
    now = dt.datetime.combine(as_of, dt.time(9), tzinfo=dt.UTC)
    modes, weights = zip(*PAYMENT, strict=True)
    for cid, tier, industry, members, agreement_start in customers:
        base = BASE_A if tier == "A" else BASE_B if tier == "B" else BASE_C
        pool = list(dict.fromkeys(base + (BY_INDUSTRY.get(industry, []) if tier in ("A", "B") else [])))
        lo, hi = COUNT.get(tier or "", (1, 2))
        codes = rng.sample(pool, min(len(pool), rng.randint(lo, hi)))
        if tier in ("A", "B") and industry in BY_INDUSTRY and not set(codes) & set(BY_INDUSTRY[industry]):
            codes.append(BY_INDUSTRY[industry][0])
        for code in codes:
            product = book.products.get(code)
            if product is None:
                continue
            qty = _quantity(code, members, rng)
            start = agreement_start or (as_of - dt.timedelta(days=rng.randint(30, 2000)))
            ended = rng.random() < 0.05
            end = (
                as_of - dt.timedelta(days=rng.randint(1, 25))
                if ended and start < as_of - dt.timedelta(days=30)
                else None
            )
            revenue = (book.monthly(product, qty) * Decimal(str(round(rng.uniform(0.7, 1.0), 2)))).quantize(
                Decimal("0.01")
            )
            payment = rng.choices(modes, weights)[0]
            yield (cid, product.pk, qty, start, end, revenue, payment, DEMO_NOTE, now)


def generate(scale: str, seed: int, stdout: Any = None, as_of: dt.date | None = None) -> int:
    rng = random.Random(f"catalog-{seed}")
    as_of = as_of or dt.date.today()
    book = PriceBook()
    with transaction.atomic():
        Holding.objects.filter(notes=DEMO_NOTE).delete()
        # Customers are read before COPY starts: the connection cannot query while it copies.
        written = sink.write(Holding, COLUMNS, _rows(_customers(), book, rng, as_of))
    if sink.is_postgres():
        sink.analyze([Holding])
    if stdout is not None:
        stdout.write(f"catalog: {written} holdings ({scale})\n")
    return written
