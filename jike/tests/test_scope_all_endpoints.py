"""Data scope across EVERY API endpoint, found by walking the URL resolver.

A Hefei customer with records of every kind is created. Then, for each /api/v1/ route:
- list routes (GET, no id): users of another city and front-line users not on the customer's team
  must not find the customer's marker text or credit code anywhere in the response;
- detail routes ({pk}): the Hefei object of the route's model must answer 404 to them.
A new endpoint is tested automatically; one whose model cannot be tied to a customer must be
declared in NOT_CUSTOMER_DATA with a reason, so no endpoint can be added without scope.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver

from jike.core.testing import api

pytestmark = pytest.mark.django_db

MARKER = "合肥保密标记集团"

# Routes that serve no customer data, with the reason. Anything else must pass the scope checks.
NOT_CUSTOMER_DATA: dict[str, str] = {
    "auth-token": "login",
    "me": "the caller himself",
    "orgunit-list": "organisation tree, not customer data",
    "orgunit-detail": "organisation tree",
    "staff-list": "staff directory, scoped to the caller's city (tested in core)",
    "staff-detail": "staff directory",
    "job-list": "the caller's own jobs",
    "job-detail": "the caller's own jobs",
    "import-list": "the caller's own import jobs (managers only; tested in customers/tests/test_import_api.py)",
    "import-detail": "the caller's own import jobs",
    "import-rejects": "the caller's own import jobs",
    "import-rejects-download": "the caller's own import jobs",
    "scorecard-list": "tier rules: configuration data",
    "scorecard-detail": "tier rules: configuration data",
    "product-list": "product catalog: reference data",
    "product-detail": "product catalog: reference data",
    "product-quote": "product catalog: reference data",
    "competitor-list": "reference data",
    "competitor-detail": "reference data",
    "stagerule-list": "reference data",
    "visitnorm-list": "reference data",
    "campaign-list": "organisation-scoped, not customer data (tested in sales/tests/test_api.py)",
    "campaign-detail": "organisation-scoped, not customer data",
    "campaign-results": "organisation-scoped, not customer data",
    "gatewayconnector-detail": "gateway connectors: province configuration (gateway/tests/test_platform_api.py)",
    "gatewayroute-detail": "gateway routes: province configuration",
    "gatewaylist-detail": "global black list and keywords: province configuration",
}


def walk(patterns: list[Any], prefix: str = "", ns: str = "") -> list[tuple[str, str, Any]]:
    out = []
    for p in patterns:
        if isinstance(p, URLResolver):
            sub_ns = p.namespace or ns
            out += walk(p.url_patterns, prefix + str(p.pattern), sub_ns)
        elif isinstance(p, URLPattern):
            out.append((prefix + str(p.pattern), p.name or "", p.callback))
    return out


def api_routes() -> list[tuple[str, str, Any]]:
    return [(r, n, cb) for r, n, cb in walk(get_resolver().url_patterns) if r.startswith("api/v1/")]


def to_path(route: str, pk: int | None) -> str:
    path = route.replace("^", "").replace("$", "").replace("\\.", ".")
    path = re.sub(r"\(\?P<format>[^)]*\)", "", path)
    path = re.sub(r"\(\?P<\w+>[^)]*\)|<(?:int:|str:|slug:)?\w+>", str(pk), path)
    return "/" + path.replace("//", "/")


def is_detail(route: str) -> bool:
    return bool(re.search(r"\(\?P<pk>|<(?:int:)?pk>|<(?:int:)?id>", route))


def model_of(callback: Any, user: Any) -> type[models.Model] | None:
    """The model a view serves: from its queryset, as the view itself builds it for a user."""
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if cls is None:
        return None
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    view = cls(**getattr(callback, "initkwargs", {}))
    request = Request(APIRequestFactory().get("/"))
    request.user = user
    view.request, view.args, view.kwargs = request, (), {}
    view.action = "retrieve"
    view.format_kwarg = None
    try:
        return view.get_queryset().model  # type: ignore[no-any-return]
    except Exception:
        serializer = getattr(cls, "serializer_class", None)
        return getattr(getattr(serializer, "Meta", None), "model", None)


def customer_path(model: type[models.Model]) -> str | None:
    """ORM path from the model to its owning customer, up to three hops."""
    from jike.customers.models import Customer

    if model is Customer:
        return ""
    frontier: list[tuple[type[models.Model], str]] = [(model, "")]
    for _ in range(3):
        nxt: list[Any] = []
        for m, path in frontier:
            for f in m._meta.get_fields():
                if f.many_to_one and f.related_model is not None and not f.auto_created:
                    p = f"{path}{f.name}__"
                    if f.related_model is Customer:
                        return p
                    nxt.append((f.related_model, p))
        frontier = nxt
    return None


@pytest.fixture
def hefei_data(world):
    from jike.customers import services

    c = world.customer(name=MARKER, short_name="合肥标记")
    admin = world.users["admin"]
    services.add_member(admin, c, msisdn="13912345678", name="成员甲", payment_mode="unified")
    services.add_key_person(admin, c, name="关键人甲", title="信息中心主任", attitude="C")
    services.add_key_event(admin, c, date="2026-01-05", title="签约集团专线")
    from jike.customers.models import TeamAssignment

    TeamAssignment.objects.create(customer=c, staff=world.users["hefei_cm"], team_role="cm_mid")
    # Other apps add their own customer-owned records for this customer.
    for app in apps.get_app_configs():
        if app.name.startswith("jike."):
            try:
                mod = importlib.import_module(f"{app.name}.testing")
            except ModuleNotFoundError:
                continue
            if hasattr(mod, "make_scope_fixtures"):
                mod.make_scope_fixtures(world, c)
    return c


OUTSIDERS = ["wuhu_city", "wuhu_cm", "wuhu_im", "hefei_cm_other", "hefei_se"]


def test_every_api_route_is_scoped_or_declared(world, hefei_data):
    problems: list[str] = []
    routes = api_routes()
    assert len(routes) > 10
    for route, name, callback in routes:
        if name in NOT_CUSTOMER_DATA or name.endswith("-root"):
            continue
        view_cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        methods = set(getattr(callback, "actions", {}) or {}) or {m for m in ("get", "post") if hasattr(view_cls, m)}
        if "get" not in methods:
            continue  # write-only routes are covered by the detail 404 of their object
        model = model_of(callback, world.users["admin"])
        if is_detail(route) and re.match(r"api/v1/\^?customers/", route):
            # Routes under /customers/{pk}/ take the customer's id whatever rows they serve.
            from jike.customers.models import Customer

            model = Customer
        if is_detail(route):
            if model is None:
                problems.append(f"{name} ({route}): cannot tell its model; declare it or give the view a queryset")
                continue
            cpath = customer_path(model)
            if cpath is None:
                problems.append(f"{name}: model {model.__name__} has no path to a customer: add to NOT_CUSTOMER_DATA")
                continue
            obj = model._default_manager.filter(**{f"{cpath}pk" if cpath else "pk": hefei_data.pk}).first()
            if obj is None:
                problems.append(f"{name}: no {model.__name__} of the Hefei customer: add make_scope_fixtures")
                continue
            path = to_path(route, obj.pk)
            for who in OUTSIDERS:
                r = api(world.users[who]).get(path)
                if r.status_code not in (404, 403):
                    problems.append(f"{name} {path} as {who}: {r.status_code}")
            r = api(world.users["hefei_cm"]).get(path)
            if r.status_code >= 500:
                problems.append(f"{name} {path} as the team CM: {r.status_code}")
        else:
            path = to_path(route, hefei_data.pk)
            for who in OUTSIDERS:
                r = api(world.users[who]).get(path)
                body = r.content.decode("utf-8", "replace")
                if r.status_code == 200 and (MARKER in body or hefei_data.credit_code in body):
                    problems.append(f"{name} {path} as {who}: leaks the Hefei customer")
                elif r.status_code >= 500:
                    problems.append(f"{name} {path} as {who}: {r.status_code}")
    assert not problems, "\n".join(problems)


def test_insiders_do_see_the_customer(world, hefei_data):
    """The check above would pass vacuously if nobody saw anything: prove the insiders do."""
    for who in ["admin", "province", "hefei_city", "hefei_county", "hefei_cm", "hefei_im"]:
        body = api(world.users[who]).get("/api/v1/customers/").content.decode()
        assert MARKER in body, who
    r = api(world.users["hefei_cm"]).get(f"/api/v1/customers/{hefei_data.pk}/members/")
    assert r.status_code == 200 and r.json()["count"] == 1
