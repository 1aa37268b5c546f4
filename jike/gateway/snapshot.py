"""The platform -> gateway link: build the configuration snapshot from the database.

`build_snapshot()` returns exactly the JSON structure `jike.gateway.config.parse_snapshot` loads (the
format is documented in docs/gateway.md), and checks it with that very parser before anyone writes it.
`write_snapshot()` writes it atomically (temporary file in the same directory, fsync, rename), so a
running gateway that polls the file or gets SIGHUP / `jike gateway-status --reload` never reads half
a file. The `gateway` block (process settings, not reloaded) is not platform data: it is kept from the
file being replaced, or taken from a base file.

Products: an account names a catalog product; its gateway tariff comes from the catalog's price
bands: 计次 (per_use) -> `per_message` at the first band's price; 包月 (monthly) -> `package` with that
monthly fee, plus the per_use price as overage price when the product has both; 内容 (content) ->
`content_class` at that price. Graduated volume bands are not applied by the gateway (first band).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from jike.catalog.models import PriceBand, Product
from jike.gateway.config import Snapshot, parse_snapshot

from .models import AccountStatus, Connector, GlobalListEntry, ListKind, Route, SmsAccount


def _fen(price: Decimal) -> int:
    return int((price * 100).quantize(Decimal("1"), ROUND_HALF_UP))


def gateway_product(product: Product) -> dict[str, Any] | None:
    """The gateway's rating parameters for a catalog product, or None if it has no SMS price."""
    first: dict[str, PriceBand] = {}
    for band in sorted(product.price_bands.all(), key=lambda b: b.from_qty):
        first.setdefault(band.charging_mode, band)
    per_use, monthly, content = first.get("per_use"), first.get("monthly"), first.get("content")
    if monthly is not None:
        out: dict[str, Any] = {"mode": "package", "monthly_fee_fen": _fen(monthly.unit_price), "allowance": 0}
        out["overage_fen"] = _fen(per_use.unit_price) if per_use is not None else 0
        return out
    if per_use is not None:
        return {"mode": "per_message", "price_fen": _fen(per_use.unit_price)}
    if content is not None:
        return {"mode": "content_class", "price_fen": _fen(content.unit_price), "class_prices_fen": {}}
    return None


def _account(acc: SmsAccount) -> dict[str, Any]:
    return {
        "system_id": acc.system_id,
        "password_sha256": acc.password_sha256,
        "allowed_ips": list(acc.allowed_ips),
        "max_binds": acc.max_binds,
        "signature": acc.signature,
        "signature_mode": acc.signature_mode,
        "blacklist": list(acc.blacklist),
        "whitelist": list(acc.whitelist),
        "whitelist_mode": acc.whitelist_mode,
        "keywords": list(acc.keywords),
        "rate": acc.rate,
        "daily_quota": acc.daily_quota,
        "product": acc.product.code if acc.product is not None else "",
        "content_class": acc.content_class,
        "mo_addresses": list(acc.mo_addresses),
        "enabled": acc.status == AccountStatus.ACTIVE,
        "max_priority": acc.max_priority,
        "ordering": acc.ordering,
    }


def _connector(c: Connector) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": c.name,
        "host": c.host,
        "port": c.port,
        "system_id": c.system_id,
        "password": c.password,
        "binds": c.binds,
        "window": c.window,
        "failover_after_s": c.failover_after_s,
    }
    if c.system_type:
        out["system_type"] = c.system_type
    return out


def build_snapshot(gateway_settings: dict[str, Any] | None = None, now: dt.datetime | None = None) -> dict[str, Any]:
    """The snapshot as a dict (validated by the gateway's own parser; ConfigError if it would refuse it)."""
    accounts = (
        SmsAccount.objects.select_related("customer")
        .prefetch_related(Prefetch("product", queryset=Product.objects.prefetch_related("price_bands")))
        .order_by("customer__credit_code", "system_id")
    )
    enterprises: dict[int, dict[str, Any]] = {}
    products: dict[str, dict[str, Any]] = {}
    for acc in accounts:
        ent = enterprises.setdefault(
            acc.customer_id, {"code": acc.customer.credit_code, "name": acc.customer.name, "accounts": []}
        )
        ent["accounts"].append(_account(acc))
        if acc.product is not None and acc.product.code not in products:
            tariff = gateway_product(acc.product)
            if tariff is not None:
                products[acc.product.code] = tariff
            else:  # a price band was removed since: rate nothing rather than refuse the whole snapshot
                ent["accounts"][-1]["product"] = ""
    lists = GlobalListEntry.objects.order_by("value")
    data: dict[str, Any] = {
        "products": dict(sorted(products.items())),
        "enterprises": list(enterprises.values()),
        "blacklist": [e.value for e in lists if e.kind == ListKind.BLACKLIST],
        "keywords": [e.value for e in lists if e.kind == ListKind.KEYWORD],
        "routes": [
            {"prefix": r.prefix, "connectors": list(r.connectors)}
            for r in sorted(Route.objects.all(), key=lambda r: (-len(r.prefix), r.prefix))
        ],
        "connectors": [_connector(c) for c in Connector.objects.order_by("name")],
    }
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:12]
    stamp = timezone.localtime(now or timezone.now()).strftime("%Y-%m-%dT%H:%M:%S")
    data = {"version": f"{stamp}-{digest}", **data}
    if gateway_settings:
        data["gateway"] = dict(gateway_settings)
    parse_snapshot(data)  # the gateway's own loader: raises ConfigError on anything it would refuse
    return data


def summary(data: dict[str, Any]) -> str:
    snap: Snapshot = parse_snapshot(data)
    enabled = sum(1 for a in snap.accounts.values() if a.enabled)
    return (
        f"version {snap.version}: {len(data['enterprises'])} enterprises, {len(snap.accounts)} accounts "
        f"({enabled} enabled), {len(snap.products)} products, {len(snap.routes)} routes, "
        f"{len(snap.connectors)} connectors, {len(snap.blacklist)} global black-list numbers"
    )


def read_gateway_settings(path: Path) -> dict[str, Any] | None:
    """The `gateway` block of an existing snapshot file, if there is one."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    block = raw.get("gateway") if isinstance(raw, dict) else None
    return dict(block) if isinstance(block, dict) else None


def write_snapshot(data: dict[str, Any], out: Path) -> None:
    """Write atomically: a reader sees the old file or the new one, never a mix."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o640)  # holds password hashes and the SMSC passwords
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(out.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
