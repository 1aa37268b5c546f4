from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from jike.catalog import services
from jike.catalog.models import Holding, Product
from jike.core.errors import BusinessRuleError
from jike.core.models import AuditLog
from jike.core.testing import api
from jike.customers.models import TeamAssignment

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(world):
    """A headquarters in Hefei with a Hefei branch and a Wuhu branch, each holding V网."""
    hq = world.customer(name="安徽某集团总部")
    branch = world.customer(name="安徽某集团合肥分公司", parent=hq)
    wuhu_branch = world.customer(grid=world.wuhu_grid, name="安徽某集团芜湖分公司", parent=hq)
    vpmn = Product.objects.get(code="VPMN")
    admin = world.users["admin"]
    start = dt.date.today() - dt.timedelta(days=30)
    services.add_holding(admin, hq, product=vpmn, quantity=300, start=start, monthly_revenue=Decimal("600"))
    services.add_holding(admin, branch, product=vpmn, quantity=100, start=start, monthly_revenue=Decimal("200"))
    services.add_holding(admin, wuhu_branch, product=vpmn, quantity=50, start=start, monthly_revenue=Decimal("100"))
    services.add_holding(admin, branch, product=Product.objects.get(code="DIA"), quantity=20, start=start,
                         monthly_revenue=Decimal("1600"))  # fmt: skip
    TeamAssignment.objects.create(customer=hq, staff=world.users["hefei_cm"], team_role="cm_mid")
    return hq, branch, wuhu_branch


def test_add_holding_is_audited_on_the_customer(world, group):
    hq = group[0]
    log = AuditLog.objects.filter(action="holding.create", subject_id=str(hq.pk), subject_type="customers.customer")
    assert log.count() == 1


def test_holding_rules(world):
    c = world.customer()
    admin = world.users["admin"]
    with pytest.raises(BusinessRuleError) as err:
        services.add_holding(admin, c, product=Product.objects.get(code="SLT"), quantity=1)  # retired
    assert err.value.code == "not_launched"
    with pytest.raises(BusinessRuleError):  # read-only role
        services.add_holding(world.users["analyst"], c, product=Product.objects.get(code="VPMN"), quantity=1)
    h = services.add_holding(admin, c, product=Product.objects.get(code="VPMN"), quantity=5,
                             start=dt.date(2024, 1, 1))  # fmt: skip
    services.end_holding(admin, h, dt.date(2024, 6, 30))
    assert not Holding.objects.active().filter(pk=h.pk).exists()
    with pytest.raises(BusinessRuleError):
        services.end_holding(admin, h)


def test_product_sold_only_in_its_regions(world):
    admin = world.users["province"]
    p = Product.objects.get(code="NXT")
    services.update_product(admin, p, regions=[world.wuhu])
    with pytest.raises(BusinessRuleError) as err:
        services.add_holding(world.users["admin"], world.customer(), product=p, quantity=10)
    assert err.value.code == "not_sold_here"
    services.add_holding(world.users["admin"], world.customer(grid=world.wuhu_grid), product=p, quantity=10)


def test_rollup_over_the_group_respects_scope(world, group):
    hq = group[0]
    full = services.holdings_rollup(hq, world.users["province"])
    assert full["units"] == 3 and full["hidden_units"] == 0
    vpmn = next(p for p in full["products"] if p["code"] == "VPMN")
    assert vpmn["quantity"] == 450 and vpmn["units"] == 3 and vpmn["monthly_revenue"] == Decimal("900")
    assert full["monthly_revenue"] == Decimal("2500")
    hefei = services.holdings_rollup(hq, world.users["hefei_city"])
    assert hefei["units"] == 2 and hefei["hidden_units"] == 1
    assert next(p for p in hefei["products"] if p["code"] == "VPMN")["quantity"] == 400


def test_holdings_api_scope(world, group):
    hq, branch, wuhu_branch = group
    r = api(world.users["wuhu_cm"]).get("/api/v1/holdings/")
    assert r.status_code == 200 and r.json()["count"] == 0
    r = api(world.users["wuhu_city"]).get("/api/v1/holdings/")
    assert {h["customer"] for h in r.json()["results"]} == {wuhu_branch.pk}
    hefei_h = Holding.objects.filter(customer=branch).first()
    assert api(world.users["wuhu_city"]).get(f"/api/v1/holdings/{hefei_h.pk}/").status_code == 404
    assert api(world.users["wuhu_city"]).get(f"/api/v1/customers/{hq.pk}/holdings-rollup/").status_code == 404
    r = api(world.users["hefei_cm"]).get(f"/api/v1/customers/{hq.pk}/holdings-rollup/")
    assert r.status_code == 200 and r.json()["units"] == 1  # the CM is on the HQ's team only
    r = api(world.users["hefei_cm"]).get("/api/v1/holdings/", {"customer": hq.pk, "active": True})
    assert r.json()["count"] == 1


def test_holdings_api_create_update_end(world, group):
    hq = group[0]
    client = api(world.users["hefei_cm"])
    crbt = Product.objects.get(code="CRBT")
    r = client.post("/api/v1/holdings/", {"customer": hq.pk, "product": crbt.pk, "quantity": 200,
                    "start": "2025-01-01", "monthly_revenue": "800.00", "payment_mode": "unified"}, format="json")  # fmt: skip
    assert r.status_code == 201, r.content
    hid = r.json()["id"]
    r = client.patch(f"/api/v1/holdings/{hid}/", {"quantity": 250}, format="json")
    assert r.status_code == 200 and r.json()["quantity"] == 250
    r = client.post(f"/api/v1/holdings/{hid}/end/", {"end": "2024-01-01"}, format="json")
    assert r.status_code == 400  # before start
    r = client.post(f"/api/v1/holdings/{hid}/end/", {}, format="json")
    assert r.status_code == 200 and r.json()["end"] == dt.date.today().isoformat()
    # a customer outside scope is rejected as unknown
    other = world.customer(grid=world.wuhu_grid)
    r = client.post("/api/v1/holdings/", {"customer": other.pk, "product": crbt.pk, "quantity": 1}, format="json")
    assert r.status_code == 400
    r = api(world.users["analyst"]).post("/api/v1/holdings/", {"customer": hq.pk, "product": crbt.pk,
                                         "quantity": 1}, format="json")  # fmt: skip
    assert r.status_code == 403
