"""Rating: CDRs of a month -> charges per enterprise and product, by the product's charging mode.

* ``package``        monthly fee with an allowance of segments, overage price per segment beyond it
* ``per_message``    a price per billed segment
* ``content_class``  a price per segment by content class (notification, marketing, ...),
                     falling back to ``price_fen``

Amounts are integer fen (0.01 yuan).  Only billable MT CDRs count (accepted by the gateway and
not refused upstream); the month is the Asia/Shanghai calendar month of ``accepted_at``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from jike.gateway.config import Product, load_snapshot


@dataclass(slots=True)
class Charge:
    month: str
    enterprise_code: str
    product: str
    charging_mode: str
    messages: int = 0
    segments: int = 0
    amount_fen: int = 0
    detail: dict[str, Any] = field(default_factory=dict)


def compute_charges(
    month: str, usage: Iterable[tuple[str, str, str, int, int]], products: dict[str, Product]
) -> list[Charge]:
    """usage rows: (enterprise_code, product, content_class, messages, segments)."""
    grouped: dict[tuple[str, str], dict[str, list[int]]] = {}
    for ent, prod, cls, messages, segments in usage:
        by_class = grouped.setdefault((ent, prod), {})
        acc = by_class.setdefault(cls, [0, 0])
        acc[0] += messages
        acc[1] += segments
    charges = []
    for (ent, code), by_class in sorted(grouped.items()):
        product = products.get(code)
        messages = sum(v[0] for v in by_class.values())
        segments = sum(v[1] for v in by_class.values())
        mode = product.mode if product else "unrated"
        ch = Charge(month, ent, code, mode, messages, segments)
        ch.detail["by_class"] = {k: {"messages": v[0], "segments": v[1]} for k, v in sorted(by_class.items())}
        if product is None:
            ch.detail["note"] = "no product configured; not rated"
        elif product.mode == "package":
            overage = max(0, segments - product.allowance)
            ch.amount_fen = product.monthly_fee_fen + overage * product.overage_fen
            ch.detail.update(
                monthly_fee_fen=product.monthly_fee_fen,
                allowance=product.allowance,
                overage_segments=overage,
                overage_fen=product.overage_fen,
            )
        elif product.mode == "per_message":
            ch.amount_fen = segments * product.price_fen
            ch.detail["price_fen"] = product.price_fen
        else:
            amount = 0
            prices = {}
            for cls, (_, segs) in by_class.items():
                price = product.class_prices_fen.get(cls, product.price_fen)
                prices[cls] = price
                amount += segs * price
            ch.amount_fen = amount
            ch.detail["class_prices_fen"] = prices
        charges.append(ch)
    return charges


_USAGE_SQL = """
SELECT enterprise_code, product, content_class, count(*), sum(segments)
FROM gateway_cdr
WHERE message_type = 'MT' AND billable
  AND accepted_at >= (%(month)s || '-01')::timestamp AT TIME ZONE 'Asia/Shanghai'
  AND accepted_at < ((%(month)s || '-01')::date + interval '1 month')::timestamp AT TIME ZONE 'Asia/Shanghai'
GROUP BY 1, 2, 3
"""

_UPSERT_SQL = """
INSERT INTO gateway_charge (month, enterprise_code, product, charging_mode, messages, segments, amount_fen,
                            detail, rated_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, now())
ON CONFLICT (month, enterprise_code, product) DO UPDATE SET
  charging_mode = EXCLUDED.charging_mode, messages = EXCLUDED.messages, segments = EXCLUDED.segments,
  amount_fen = EXCLUDED.amount_fen, detail = EXCLUDED.detail, rated_at = now()
"""


def rate_month(dsn: str, month: str, products: dict[str, Product]) -> list[Charge]:
    import psycopg

    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise ValueError(f"month must be YYYY-MM, got {month!r}")
    with psycopg.connect(dsn) as conn:
        usage = [(r[0], r[1], r[2], int(r[3]), int(r[4])) for r in conn.execute(_USAGE_SQL, {"month": month})]
        charges = compute_charges(month, usage, products)
        with conn.transaction(), conn.cursor() as cur:
            cur.execute("DELETE FROM gateway_charge WHERE month = %s", (month,))
            cur.executemany(
                _UPSERT_SQL,
                [
                    (
                        c.month,
                        c.enterprise_code,
                        c.product,
                        c.charging_mode,
                        c.messages,
                        c.segments,
                        c.amount_fen,
                        json.dumps(c.detail, ensure_ascii=False),
                    )
                    for c in charges
                ],
            )
    return charges


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="jike gateway rate", description="Rate a month of gateway CDRs")
    p.add_argument("--month", required=True, help="YYYY-MM (Asia/Shanghai)")
    p.add_argument("--config", required=True, help="snapshot with the products")
    p.add_argument("--dsn", help="PostgreSQL DSN (default: the snapshot's gateway.cdr_dsn)")
    a = p.parse_args(argv)
    snap = load_snapshot(a.config)
    dsn = a.dsn or snap.raw.get("gateway", {}).get("cdr_dsn", "")
    if not dsn:
        print("no DSN: pass --dsn or set gateway.cdr_dsn", file=sys.stderr)
        return 2
    charges = rate_month(dsn, a.month, snap.products)
    for c in charges:
        print(
            f"{c.month} {c.enterprise_code:<20} {c.product:<12} {c.charging_mode:<14} "
            f"msgs={c.messages} segs={c.segments} amount={c.amount_fen / 100:.2f} CNY"
        )
    print(f"{len(charges)} charges written for {a.month}")
    return 0
