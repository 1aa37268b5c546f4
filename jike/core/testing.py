"""Test helpers shared by every app: an org tree, staff of each role, customers, API clients.

`make_world()` builds two cities (Hefei with a county and grid, Wuhu) and staff of every role so
scope tests can ask "does a user of another city or a lower role see this?" in one line.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.test import Client
from rest_framework.test import APIClient

from jike.core.models import OrgLevel, OrgUnit, User
from jike.core.roles import Role

_seq = itertools.count(1)
PASSWORD = "jike-test-pass"


def unit(code: str, name: str, level: str, parent: OrgUnit | None = None) -> OrgUnit:
    obj, _ = OrgUnit.objects.get_or_create(code=code, defaults={"name": name, "level": level, "parent": parent})
    return obj


def make_user(role: str, org_unit: OrgUnit | None, username: str | None = None, **extra: Any) -> User:
    username = username or f"{role}-{next(_seq)}"
    user = User.objects.create_user(username=username, password=PASSWORD, role=role, org_unit=org_unit, **extra)
    return user


class SchemaCheckedClient(APIClient):
    """An APIClient whose every /api/v1/ response is validated against the OpenAPI schema
    (Zulip's contract: a response the tests see that the schema does not describe fails)."""

    def request(self, *args: Any, **kwargs: Any) -> Any:
        response = super().request(*args, **kwargs)
        request = response.wsgi_request
        if request.path.startswith("/api/v1/") and response.get("Content-Type", "").startswith("application/json"):
            validate_against_schema(request, response)
        return response


_openapi: Any = None


def openapi_spec() -> Any:
    global _openapi
    if _openapi is None:
        from drf_spectacular.generators import SchemaGenerator
        from openapi_core import OpenAPI

        schema = SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-untyped-call]
        _openapi = OpenAPI.from_dict(json.loads(json.dumps(schema, default=str)))
    return _openapi


def validate_against_schema(request: Any, response: Any) -> None:
    from openapi_core.contrib.django import DjangoOpenAPIRequest, DjangoOpenAPIResponse

    if request.content_type.startswith("multipart/") and not hasattr(request, "_body"):
        request._body = b""  # the upload stream was consumed; the response is what is checked here

    try:
        openapi_spec().validate_response(DjangoOpenAPIRequest(request), DjangoOpenAPIResponse(response))
    except Exception as exc:
        details = getattr(exc, "__cause__", None) or exc
        extra = getattr(details, "schema_errors", None)
        raise AssertionError(
            f"{request.method} {request.get_full_path()} -> {response.status_code} does not match the OpenAPI schema: "
            f"{exc!r} {details!r} {[str(e) for e in extra] if extra else ''}\nbody: {response.content[:600]!r}"
        ) from exc


def api(user: User | None = None) -> SchemaCheckedClient:
    client = SchemaCheckedClient()
    if user is not None:
        client.force_authenticate(user)
    return client


# Credit codes with valid check digits (computed by stdnum), for fixtures.
def client_for(user: User) -> Client:
    """A UI test client signed in as `user` (no password round trip)."""
    client = Client()
    client.force_login(user)
    return client


def credit_code(n: int) -> str:
    from stdnum.cn import uscc

    body = f"91340100MA{n:07d}"[:17]
    return body + uscc.calc_check_digit(body)


@dataclass
class World:
    province: OrgUnit
    hefei: OrgUnit
    hefei_county: OrgUnit
    hefei_grid: OrgUnit
    wuhu: OrgUnit
    wuhu_grid: OrgUnit
    users: dict[str, User] = field(default_factory=dict)

    def customer(self, grid: OrgUnit | None = None, **data: Any) -> Any:
        from jike.customers import services

        n = next(_seq)
        grid = grid or self.hefei_grid
        defaults: dict[str, Any] = {
            "credit_code": credit_code(n),
            "name": f"测试集团{n}有限公司",
            "grid": grid,
            "city": grid.ancestor_of_level(OrgLevel.CITY),
            "industry": "finance",
            "monthly_spend": Decimal("5000"),
            "status": "active",
            "address": "",
        }
        defaults.update(data)
        return services.create_customer(self.users["admin"], **defaults)


def make_world() -> World:
    province = unit("34", "安徽省公司", OrgLevel.PROVINCE)
    hefei = unit("3401", "合肥市公司", OrgLevel.CITY, province)
    county = unit("340121", "长丰县公司", OrgLevel.COUNTY, hefei)
    grid = unit("340121-01", "长丰县城网格", OrgLevel.GRID, county)
    wuhu = unit("3402", "芜湖市公司", OrgLevel.CITY, province)
    wuhu_county = unit("340221", "湾沚区公司", OrgLevel.COUNTY, wuhu)
    wuhu_grid = unit("340221-01", "湾沚网格", OrgLevel.GRID, wuhu_county)
    world = World(province, hefei, county, grid, wuhu, wuhu_grid)
    u = world.users
    u["admin"] = make_user(Role.ADMIN, province, "t-admin", is_superuser=False)
    u["province"] = make_user(Role.PROVINCE_MANAGER, province, "t-province")
    u["analyst"] = make_user(Role.ANALYST, province, "t-analyst")
    u["hefei_city"] = make_user(Role.CITY_MANAGER, hefei, "t-hefei-city")
    u["hefei_county"] = make_user(Role.COUNTY_LEAD, county, "t-hefei-county")
    u["hefei_cm"] = make_user(Role.CM_MID, grid, "t-hefei-cm")
    u["hefei_cm_other"] = make_user(Role.CM_JUNIOR, grid, "t-hefei-cm2")
    u["hefei_im"] = make_user(Role.INDUSTRY_MANAGER, hefei, "t-hefei-im")
    u["hefei_se"] = make_user(Role.SALES_ENGINEER, hefei, "t-hefei-se")
    u["wuhu_city"] = make_user(Role.CITY_MANAGER, wuhu, "t-wuhu-city")
    u["wuhu_cm"] = make_user(Role.CM_MID, wuhu_grid, "t-wuhu-cm")
    u["wuhu_im"] = make_user(Role.INDUSTRY_MANAGER, wuhu, "t-wuhu-im")
    return world
