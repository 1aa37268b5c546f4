"""Records the cross-app scope test (jike/tests/test_scope_all_endpoints.py) needs."""

from __future__ import annotations

from typing import Any

from jike.planning import services


def make_scope_fixtures(world: Any, customer: Any) -> None:
    from jike.planning.tests.helpers import fill

    plan = services.create_plan(world.users["admin"], customer)
    fill(world.users["admin"], plan)  # type: ignore[no-untyped-call]
