from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from jike.catalog import services
from jike.catalog.models import Lifecycle, PriceBand, Product
from jike.core.errors import BusinessRuleError
from jike.core.models import AuditLog
from jike.core.testing import api

pytestmark = pytest.mark.django_db


def test_seeded_catalog_has_the_real_products():
    names = set(Product.objects.values_list("name", flat=True))
    for name in ["V网", "移动总机", "集团专线", "互联网专线", "集团彩铃", "集团短信", "企信通", "移动信息机", "视频监控",
                 "车务通", "校讯通", "农信通", "警务通", "银信通", "商信通", "物管通", "医讯通", "一卡通", "流量红包",
                 "销售管家", "APN专线", "移动800", "IMS融合V网", "IMS融合总机", "IMS一号通"]:  # fmt: skip
        assert name in names, name
    assert Product.objects.get(code="SME588").bundle_items.count() == 3
    sol = Product.objects.get(code="SOL-EDU")
    assert sol.solution_components.filter(product__isnull=True).exclude(partner_service="").exists()
    assert set(Product.objects.values_list("lifecycle", flat=True)) == set(Lifecycle.values)
    modes = set(PriceBand.objects.values_list("charging_mode", flat=True))
    assert modes == {"monthly", "per_use", "duration", "traffic", "content"}


def test_short_number_fee_volume_bands():
    vpmn = Product.objects.get(code="VPMN")
    q = services.price_for(vpmn, 500)
    assert q.total == Decimal("1000.00") and q.lines[0].unit_price == Decimal("2")
    q = services.price_for(vpmn, 600)
    assert q.total == Decimal("1800.00") and q.unit == "元/号码/月"


def test_graduated_sms_bands():
    sms = Product.objects.get(code="GSMS")
    q = services.price_for(sms, 150000)
    assert [line.quantity for line in q.lines] == [100000, 50000]
    assert q.total == Decimal("5000.00") + Decimal("2000.00")


def test_quote_rejects_bad_input():
    vpmn = Product.objects.get(code="VPMN")
    with pytest.raises(ValidationError):
        services.price_for(vpmn, 0)
    with pytest.raises(BusinessRuleError):
        services.price_for(vpmn, 10, "traffic")


def test_price_bands_may_not_overlap(world):
    p = services.create_product(world.users["province"], code="T1", name="测试", kind="basic", platform="voice",
                                purpose="basic_communication")  # fmt: skip
    with pytest.raises(ValidationError):
        services.replace_price_bands(world.users["province"], p, [
            {"charging_mode": "monthly", "unit": "元/月", "from_qty": 1, "to_qty": 100, "unit_price": Decimal(1)},
            {"charging_mode": "monthly", "unit": "元/月", "from_qty": 50, "to_qty": None, "unit_price": Decimal(2)},
        ])  # fmt: skip
    bands = services.replace_price_bands(world.users["province"], p, [
        {"charging_mode": "monthly", "unit": "元/月", "from_qty": 1, "to_qty": 100, "unit_price": Decimal(1)},
        {"charging_mode": "monthly", "unit": "元/月", "from_qty": 101, "to_qty": None, "unit_price": Decimal(2)},
    ])  # fmt: skip
    assert len(bands) == 2
    assert AuditLog.objects.filter(action="product.prices", object_id=str(p.pk)).exists()


def test_lifecycle_moves_forward_only(world):
    admin = world.users["province"]
    p = services.create_product(admin, code="T2", name="新品", kind="basic", platform="voice",
                                purpose="basic_communication")  # fmt: skip
    assert p.lifecycle == Lifecycle.PLANNED
    with pytest.raises(BusinessRuleError):
        services.transition_lifecycle(admin, p, Lifecycle.LAUNCHED)  # must go through development
    services.transition_lifecycle(admin, p, Lifecycle.DEVELOPMENT)
    with pytest.raises(BusinessRuleError) as err:
        services.transition_lifecycle(admin, p, Lifecycle.LAUNCHED)  # no prices yet
    assert err.value.code == "no_price"
    services.replace_price_bands(admin, p, [{"charging_mode": "monthly", "unit": "元/月", "from_qty": 1,
                                             "to_qty": None, "unit_price": Decimal(9)}])  # fmt: skip
    services.transition_lifecycle(admin, p, Lifecycle.LAUNCHED)
    services.transition_lifecycle(admin, p, Lifecycle.RETIRED)
    with pytest.raises(BusinessRuleError):
        services.transition_lifecycle(admin, p, Lifecycle.LAUNCHED)
    assert AuditLog.objects.filter(action="product.lifecycle", object_id=str(p.pk)).count() == 3


def test_bundle_cannot_contain_itself(world):
    admin = world.users["province"]
    sme = Product.objects.get(code="SME588")
    outer = services.create_product(admin, code="T3", name="大套餐", kind="bundle", platform="voice",
                                    purpose="basic_communication")  # fmt: skip
    services.replace_bundle_items(admin, outer, [(sme, 1)])
    with pytest.raises(ValidationError):
        services.replace_bundle_items(admin, sme, [(outer, 1)])
    with pytest.raises(BusinessRuleError):
        services.replace_bundle_items(admin, Product.objects.get(code="VPMN"), [(sme, 1)])


def test_only_province_edits_catalog(world):
    with pytest.raises(BusinessRuleError):
        services.create_product(world.users["hefei_city"], code="T4", name="x", kind="basic", platform="voice",
                                purpose="basic_communication")  # fmt: skip
    r = api(world.users["hefei_cm"]).post("/api/v1/products/", {"code": "T5", "name": "x", "kind": "basic",
                                          "platform": "voice", "purpose": "basic_communication"}, format="json")  # fmt: skip
    assert r.status_code == 403


def test_products_api_filters_detail_and_quote(world):
    client = api(world.users["wuhu_cm"])
    r = client.get("/api/v1/products/", {"platform": "industry_app", "lifecycle": "launched", "page_size": 200})
    assert r.status_code == 200
    codes = {p["code"] for p in r.json()["results"]}
    assert "XXT" in codes and "VPMN" not in codes and "SLT" not in codes  # SLT is retired
    vpmn = Product.objects.get(code="VPMN")
    detail = client.get(f"/api/v1/products/{vpmn.pk}/").json()
    assert [b["unit_price"] for b in detail["price_bands"]] == ["2.00", "3.00"]
    sme = client.get(f"/api/v1/products/{Product.objects.get(code='SME588').pk}/").json()
    assert {i["component_code"] for i in sme["bundle_items"]} == {"IMS-FIX", "GBB", "VPMN"}
    q = client.get(f"/api/v1/products/{vpmn.pk}/quote/", {"quantity": 600}).json()
    assert q["total"] == "1800.00"
    assert client.get(f"/api/v1/products/{vpmn.pk}/quote/", {"quantity": 0}).status_code == 400


def test_products_api_region_filter_and_province_edit(world):
    admin = api(world.users["province"])
    r = admin.post("/api/v1/products/", {"code": "LOCAL", "name": "芜湖专属", "kind": "standard", "platform": "voice",
                   "purpose": "basic_communication", "regions": [world.wuhu.pk]}, format="json")  # fmt: skip
    assert r.status_code == 201, r.content
    pid = r.json()["id"]
    assert r.json()["lifecycle"] == "planned"
    r = admin.put(f"/api/v1/products/{pid}/price-bands/", {"bands": [
        {"charging_mode": "monthly", "unit": "元/月", "from_qty": 1, "to_qty": None, "unit_price": "10"}]},
        format="json")  # fmt: skip
    assert r.status_code == 200, r.content
    for step in ["development", "launched"]:
        assert admin.post(f"/api/v1/products/{pid}/lifecycle/", {"to": step}, format="json").status_code == 200
    r = admin.post(f"/api/v1/products/{pid}/lifecycle/", {"to": "planned"}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "lifecycle_transition"
    hefei = {
        p["code"]
        for p in admin.get("/api/v1/products/", {"region": world.hefei.pk, "page_size": 500}).json()["results"]
    }
    wuhu = {
        p["code"] for p in admin.get("/api/v1/products/", {"region": world.wuhu.pk, "page_size": 500}).json()["results"]
    }
    assert "LOCAL" in wuhu and "LOCAL" not in hefei and "VPMN" in hefei
