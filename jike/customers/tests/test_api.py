from __future__ import annotations

import io

import openpyxl
import pytest

from jike.core.models import AuditLog, ExportLog
from jike.core.testing import api, credit_code
from jike.customers import services
from jike.customers.models import Customer, TeamAssignment

pytestmark = pytest.mark.django_db


@pytest.fixture
def hefei(world):
    c = world.customer(name="合肥银行股份有限公司", short_name="合肥银行", industry="finance")
    TeamAssignment.objects.create(customer=c, staff=world.users["hefei_cm"], team_role="cm_mid")
    services.add_member(None, c, msisdn="13812345678", name="张三", payment_mode="unified")
    return c


def test_list_filters_search_and_count(world, hefei):
    world.customer(name="合肥第一中学", industry="education")
    world.customer(name="芜湖港务", grid=world.wuhu_grid, industry="transport")
    client = api(world.users["province"])
    body = client.get("/api/v1/customers/").json()
    assert body["count"] == 3 and body["pages"] == 1
    assert [r["name"] for r in client.get("/api/v1/customers/?q=银行").json()["results"]] == ["合肥银行股份有限公司"]
    assert client.get(f"/api/v1/customers/?q={hefei.credit_code}").json()["count"] == 1
    assert client.get("/api/v1/customers/?industry=education&industry=transport").json()["count"] == 2
    assert client.get(f"/api/v1/customers/?city={world.wuhu.pk}").json()["count"] == 1
    assert client.get(f"/api/v1/customers/?manager={world.users['hefei_cm'].pk}").json()["count"] == 1
    assert client.get("/api/v1/customers/?page_size=1&page=2").json()["page"] == 2


def test_scope_city_and_team(world, hefei):
    world.customer(name="芜湖港务", grid=world.wuhu_grid)
    assert api(world.users["wuhu_city"]).get("/api/v1/customers/").json()["count"] == 1
    assert api(world.users["wuhu_city"]).get(f"/api/v1/customers/{hefei.pk}/").status_code == 404
    assert api(world.users["hefei_cm"]).get("/api/v1/customers/").json()["count"] == 1
    assert api(world.users["hefei_cm_other"]).get("/api/v1/customers/").json()["count"] == 0
    assert api(world.users["hefei_cm_other"]).get(f"/api/v1/customers/{hefei.pk}/members/").status_code == 404


def test_detail_and_patch_audited_with_request_id(world, hefei):
    client = api(world.users["hefei_cm"])
    r = client.patch(
        f"/api/v1/customers/{hefei.pk}/", {"short_name": "合银", "monthly_spend": "8800.00"}, HTTP_X_REQUEST_ID="req-42"
    )
    assert r.status_code == 200, r.content
    assert r.json()["short_name"] == "合银"
    log = AuditLog.objects.get(action="customer.update", object_id=str(hefei.pk))
    assert log.request_id == "req-42" and log.actor == world.users["hefei_cm"]
    hist = client.get(f"/api/v1/customers/{hefei.pk}/history/").json()
    assert hist["results"][0]["changes"]["short_name"] == ["合肥银行", "合银"]


def test_patch_bad_input_gives_error_shape_and_changes_nothing(world, hefei):
    client = api(world.users["hefei_cm"])
    good = credit_code(5)
    bad = good[:-1] + ("1" if good[-1] != "1" else "2")
    r = client.patch(f"/api/v1/customers/{hefei.pk}/", {"credit_code": bad, "name": "改名"})
    assert r.status_code == 400
    assert r.json()["code"] == "invalid"
    assert "credit_code" in r.json()["details"]
    hefei.refresh_from_db()
    assert hefei.name == "合肥银行股份有限公司"
    r = client.patch(f"/api/v1/customers/{hefei.pk}/", {"agreement_start": "2026-06-01", "agreement_end": "2026-01-01"})
    assert r.status_code == 400


def test_read_only_role_cannot_write(world, hefei):
    r = api(world.users["analyst"]).patch(f"/api/v1/customers/{hefei.pk}/", {"short_name": "x"})
    assert r.status_code == 403
    assert r.json()["code"] == "permission_denied"


def test_create_customer_via_api(world):
    client = api(world.users["hefei_city"])
    r = client.post(
        "/api/v1/customers/",
        {"credit_code": credit_code(900), "name": "合肥新建集团", "grid": world.hefei_grid.pk, "industry": "education"},
    )
    assert r.status_code == 201, r.content
    assert r.json()["city"] == world.hefei.pk and r.json()["gbt4754_section"] == "P"
    dup = client.post(
        "/api/v1/customers/", {"credit_code": credit_code(900), "name": "重复", "grid": world.hefei_grid.pk}
    )
    assert dup.status_code == 400 and "credit_code" in dup.json()["details"]
    outside = client.post(
        "/api/v1/customers/", {"credit_code": credit_code(901), "name": "外市", "grid": world.wuhu_grid.pk}
    )
    assert outside.status_code == 403
    assert Customer.objects.filter(name="外市").count() == 0


def test_members_masked_unless_role_needs_pii(world, hefei):
    masked = api(world.users["hefei_city"]).get(f"/api/v1/customers/{hefei.pk}/members/").json()
    assert masked["results"][0]["msisdn"] == "138****5678"
    full = api(world.users["hefei_cm"]).get(f"/api/v1/customers/{hefei.pk}/members/").json()
    assert full["results"][0]["msisdn"] == "13812345678"
    assert api(world.users["hefei_cm"]).get(f"/api/v1/customers/{hefei.pk}/members/?q=1381234").json()["count"] == 1


def test_add_member_and_bad_number(world, hefei):
    client = api(world.users["hefei_cm"])
    r = client.post(
        f"/api/v1/customers/{hefei.pk}/members/",
        {"msisdn": "13900001111", "name": "李四", "payment_mode": "split", "unit_share": 50},
    )
    assert r.status_code == 201, r.content
    bad = client.post(f"/api/v1/customers/{hefei.pk}/members/", {"msisdn": "1234", "name": "坏号"})
    assert bad.status_code == 400 and "msisdn" in bad.json()["details"]
    hefei.refresh_from_db()
    assert hefei.member_count == 2


def test_contacts_attitude_history(world, hefei):
    client = api(world.users["hefei_cm"])
    r = client.post(
        f"/api/v1/customers/{hefei.pk}/contacts/",
        {"name": "赵处长", "title": "科技处处长", "decision_role": "technical", "influence": "high", "attitude": "D"},
    )
    assert r.status_code == 201, r.content
    pid = r.json()["id"]
    r = client.patch(f"/api/v1/key-persons/{pid}/", {"attitude": "B", "note": "方案演示后转变"})
    assert r.status_code == 200, r.content
    hist = r.json()["attitude_history"]
    assert [(h["before"], h["after"]) for h in hist] == [("D", "B"), ("", "D")]
    contacts = client.get(f"/api/v1/customers/{hefei.pk}/contacts/").json()
    assert contacts["results"][0]["attitude"] == "B"
    assert api(world.users["wuhu_cm"]).patch(f"/api/v1/key-persons/{pid}/", {"attitude": "E"}).status_code == 404


def test_events_and_hierarchy(world, hefei):
    client = api(world.users["hefei_city"])
    r = client.post(
        f"/api/v1/customers/{hefei.pk}/events/", {"date": "2026-03-01", "title": "续签专线协议", "category": "contract"}
    )
    assert r.status_code == 201
    branch = world.customer(parent=hefei, name="合肥银行庐阳支行")
    world.customer(parent=hefei, name="合肥银行芜湖分行", grid=world.wuhu_grid)
    h = client.get(f"/api/v1/customers/{hefei.pk}/hierarchy/").json()
    assert [c["name"] for c in h["children"]] == [branch.name]  # the Wuhu branch is outside scope
    assert h["rollup"]["units"] == 3


def test_exports_logged_and_open_in_excel(world, hefei):
    client = api(world.users["hefei_city"])
    r = client.get("/api/v1/customers/export/?file_format=xlsx&q=银行")
    assert r.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    assert sheet["A1"].value == "统一社会信用代码" and sheet["B2"].value == "合肥银行股份有限公司"
    log = ExportLog.objects.get(what="customers")
    assert log.rows == 1 and log.actor == world.users["hefei_city"] and log.filters["q"] == ["银行"]
    r = client.get(f"/api/v1/customers/{hefei.pk}/members/export/?file_format=csv")
    text = r.content.decode("utf-8")
    assert text.startswith("\ufeff手机号码") and "138****5678" in text and "13812345678" not in text
    assert ExportLog.objects.get(what=f"members-{hefei.pk}").pii_unmasked is False
    assert api(world.users["wuhu_city"]).get(f"/api/v1/customers/{hefei.pk}/members/export/").status_code == 404


def test_schema_served(world):
    r = api(world.users["admin"]).get("/api/schema/?format=json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    assert "/api/v1/customers/" in paths and "/api/v1/customers/{id}/members/" in paths
    assert "409" in paths["/api/v1/customers/"]["get"]["responses"]
