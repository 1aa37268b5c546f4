"""Records the cross-app scope test (jike/tests/test_scope_all_endpoints.py) needs, and small helpers
for the gateway's platform tests."""

from __future__ import annotations

from typing import Any

from django.db import connection

from jike.catalog.models import Product


def sms_product() -> Product:
    return Product.objects.get(code="GSMS")


def add_charge(enterprise_code: str, month: str = "2026-10", product: str = "GSMS", amount_fen: int = 12345) -> None:
    """A rated month in gateway_charge, as `jike gateway rate` writes it (PostgreSQL only)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO gateway_charge (month, enterprise_code, product, charging_mode, messages, segments,"
            " amount_fen, detail) VALUES (%s, %s, %s, 'per_message', 2469, 2469, %s, '{}')",
            [month, enterprise_code, product, amount_fen],
        )


def make_scope_fixtures(world: Any, customer: Any) -> None:
    from jike.gateway import services

    services.create_account(
        world.users["admin"],
        customer,
        system_id="hfscope01",
        password="scope123",
        name="合肥标记短信",
        product=sms_product(),
        signature="【合肥标记】",
        signature_mode="added",
        blacklist=["13900000001"],
    )
    add_charge(customer.credit_code)
