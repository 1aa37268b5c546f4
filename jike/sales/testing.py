"""Test helpers for sales: a product, a customer with its service team, an opportunity, and the
records the cross-app scope test needs for its Hefei customer."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from jike.catalog.models import Product
from jike.customers.models import Customer, KeyPerson, TeamAssignment


def product(code: str = "T-ZX", name: str = "互联网专线") -> Product:
    obj, _ = Product.objects.get_or_create(
        code=code,
        defaults={"name": name, "kind": "basic", "platform": "wired_data", "purpose": "basic_communication"},
    )
    return obj


def on_team(customer: Customer, staff: Any, role: str = "cm_mid") -> None:
    # Team assignment is the customers app's business; tests only need the row.
    TeamAssignment.objects.get_or_create(customer=customer, team_role=role, defaults={"staff": staff})


def opportunity(world: Any, customer: Customer, actor: Any = None, **data: Any) -> Any:
    from jike.sales import services

    actor = actor or world.users["hefei_city"]
    defaults: dict[str, Any] = {
        "title": "专线扩容",
        "expected_close": timezone.localdate() + dt.timedelta(days=60),
        "estimated_revenue": Decimal("120000"),
        "owner": world.users["hefei_cm"],
    }
    defaults.update(data)
    return services.create_opportunity(actor, customer, **defaults)


def make_scope_fixtures(world: Any, customer: Customer) -> None:
    """Called by jike/tests/test_scope_all_endpoints.py for its Hefei customer."""
    from jike.customers import services as customer_services
    from jike.sales import campaigns, services

    admin = world.users["admin"]
    opp = opportunity(world, customer, admin, lines=[{"product": product(), "quantity": 1, "monthly_revenue": 1000}])
    person = KeyPerson.objects.filter(customer=customer).first() or customer_services.add_key_person(
        admin, customer, name="关键人乙", attitude="C"
    )
    services.add_influencer(admin, opp, person, deal_role="decision_maker")
    services.add_next_step(admin, opp, action="提交方案", due_date=timezone.localdate() + dt.timedelta(days=7))
    campaigns.create_campaign(
        world.users["hefei_city"],
        name="合肥教育行业路演",
        org_unit=world.hefei,
        start_date=timezone.localdate(),
        end_date=timezone.localdate() + dt.timedelta(days=30),
    )


def set_tier(customer: Customer, tier: str) -> Customer:
    # Tiering runs through the scorecard in the customers app; tests only need the value.
    Customer.objects.filter(pk=customer.pk).update(tier=tier)
    customer.tier = tier
    return customer
