"""Demo gateway configuration, called by `jike demo-data` after the customers and their holdings exist.

Two SMSC connections of the Hefei SMS centre, routes for China Mobile's number segments with failover,
a small global black list and keyword list, and SMS accounts for customers holding an SMS product
(银信通, 校讯通, 集团短信, ...). Passwords are random and not kept (only their SHA-256 is stored):
reset one on the account page to bind a test client.
"""

from __future__ import annotations

import hashlib
import random
import secrets
from typing import Any

from django.db import transaction

from jike.catalog.models import Holding

from .models import Connector, GlobalListEntry, ListKind, Route, SmsAccount
from .services import SMS_PRODUCT_CODES

ACCOUNTS = {"tiny": 10, "small": 40, "medium": 400, "large": 2000}
MOBILE_PREFIXES = ["134", "135", "136", "137", "138", "139", "147", "150", "151", "152", "157", "158", "159",
                   "178", "182", "183", "184", "187", "188", "195", "198"]  # fmt: skip
APP_NAMES = {"YXT": "账户变动提醒", "XXT": "家校通知", "GSMS": "员工通知", "QXT": "客户关怀", "MAS": "OA短信",
             "SXT": "会员营销", "YIXT": "预约提醒", "NXT": "农情播报"}  # fmt: skip


def generate(scale: str, seed: int, stdout: Any = None) -> int:
    if SmsAccount.objects.exists():
        if stdout is not None:
            stdout.write("gateway demo: accounts already present, skipped\n")
        return 0
    rng = random.Random(f"gateway-{seed}")
    with transaction.atomic():
        if not Connector.objects.exists():
            for name, host in (("smsc-hf-1", "10.1.1.10"), ("smsc-hf-2", "10.1.1.11")):
                Connector.objects.create(
                    name=name, host=host, port=2775, system_id="jike", password=secrets.token_hex(4), binds=4,
                    window=256,
                )  # fmt: skip
            Route.objects.create(prefix="", connectors=["smsc-hf-1", "smsc-hf-2"], notes="默认路由")
            for prefix in MOBILE_PREFIXES:
                Route.objects.create(prefix=prefix, connectors=["smsc-hf-1", "smsc-hf-2"], notes="中国移动号段")
            GlobalListEntry.objects.bulk_create(
                [GlobalListEntry(kind=ListKind.BLACKLIST, value=f"1390000{i:04d}", notes="投诉用户") for i in range(20)]
                + [GlobalListEntry(kind=ListKind.KEYWORD, value=w) for w in ("赌博", "代开发票", "套现")]
            )
        holdings = (
            Holding.objects.filter(product__code__in=SMS_PRODUCT_CODES, end__isnull=True)
            .select_related("customer", "product")
            .order_by("customer_id", "product__code")
        )
        rows: list[SmsAccount] = []
        seen: set[int] = set()
        for h in holdings.iterator(chunk_size=2000):
            if h.customer_id in seen:
                continue
            seen.add(h.customer_id)
            short = (h.customer.short_name or h.customer.name)[:8]
            n = len(rows) + 1
            rows.append(
                SmsAccount(
                    customer=h.customer,
                    product=h.product,
                    system_id=f"{h.product.code.lower()[:4]}{n:05d}",
                    password_sha256=hashlib.sha256(secrets.token_hex(4).encode()).hexdigest(),
                    name=APP_NAMES.get(h.product.code, "短信应用"),
                    signature=f"【{short}】",
                    signature_mode=rng.choice(["added", "added", "required"]),
                    rate=rng.choice([20, 50, 100, 200]),
                    daily_quota=rng.choice([0, 10_000, 50_000, 200_000]),
                    max_binds=rng.choice([2, 4]),
                    mo_addresses=[f"106{5000 + n:05d}"],
                    content_class="notification" if h.product.code != "SXT" else "marketing",
                    status="suspended" if rng.random() < 0.05 else "active",
                )
            )
            if len(rows) >= ACCOUNTS.get(scale, 40):
                break
        SmsAccount.objects.bulk_create(rows)
    if stdout is not None:
        stdout.write(f"gateway demo: {len(rows)} SMS accounts, {Route.objects.count()} routes\n")
    return len(rows)
