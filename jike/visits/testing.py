"""Records the cross-app scope test needs for its Hefei customer (jike/tests/test_scope_all_endpoints.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from jike.customers.models import Customer


def make_scope_fixtures(world: Any, customer: Customer) -> None:
    from jike.visits import services

    admin = world.users["admin"]
    services.create_plan(
        admin, customer, planned_at=timezone.now() + dt.timedelta(days=2), objectives="介绍专线方案",
        manager=world.users["hefei_cm"],
    )  # fmt: skip
    services.record_visit(
        admin, customer, summary="客户关注资费", manager=world.users["hefei_cm"],
        follow_ups=[{"action": "发送资费方案", "due_date": timezone.localdate() + dt.timedelta(days=3)}],
    )  # fmt: skip
