"""Records the cross-app scope test (jike/tests/test_scope_all_endpoints.py) needs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from jike.catalog import services
from jike.catalog.models import Product


def make_scope_fixtures(world: Any, customer: Any) -> None:
    product, _ = Product.objects.get_or_create(
        code="T-SCOPE-ZX",
        defaults={
            "name": "互联网专线(测试)",
            "kind": "basic",
            "platform": "wired_data",
            "purpose": "basic_communication",
        },
    )
    services.add_holding(
        world.users["admin"],
        customer,
        product=product,
        quantity=2,
        monthly_revenue=Decimal("1200"),
        payment_mode="unified",
    )
