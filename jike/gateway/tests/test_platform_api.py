"""The gateway platform API, every response checked against the OpenAPI schema (jike.core.testing.api)."""

from __future__ import annotations

import pytest

from jike.core.testing import api
from jike.customers.models import TeamAssignment
from jike.gateway.models import SmsAccount
from jike.gateway.testing import add_charge, sms_product

pytestmark = pytest.mark.django_db


def body(customer, **extra):
    data = {"customer": customer.pk, "system_id": "api01", "password": "secret01", "signature": "【测试】",
            "product": sms_product().pk, "blacklist": ["+8613800000000"], "allowed_ips": ["10.0.0.0/8"]}  # fmt: skip
    data.update(extra)
    return data


def test_account_lifecycle_through_the_api(world):
    customer = world.customer()
    TeamAssignment.objects.create(customer=customer, staff=world.users["hefei_cm"], team_role="cm_mid")
    client = api(world.users["hefei_cm"])
    r = client.post("/api/v1/gateway/accounts/", body(customer), format="json")
    assert r.status_code == 201, r.content
    data = r.json()
    assert "password" not in data and "password_sha256" not in data
    assert data["blacklist"] == ["13800000000"] and data["enterprise_code"] == customer.credit_code
    pk = data["id"]
    assert data["ordering"] == "destination"
    r = client.patch(f"/api/v1/gateway/accounts/{pk}/", {"rate": 300, "keywords": ["贷款"]}, format="json")
    assert r.status_code == 200 and r.json()["rate"] == 300
    r = client.patch(f"/api/v1/gateway/accounts/{pk}/", {"ordering": "account"}, format="json")
    assert r.status_code == 200 and r.json()["ordering"] == "account"
    assert SmsAccount.objects.get(pk=pk).ordering == "account"
    r = client.post(f"/api/v1/gateway/accounts/{pk}/lists/", {"field": "whitelist", "add": ["13700000000"]},
                    format="json")  # fmt: skip
    assert r.json()["whitelist"] == ["13700000000"]
    r = client.post(f"/api/v1/gateway/accounts/{pk}/suspend/", {"reason": "欠费"}, format="json")
    assert r.json()["status"] == "suspended"
    r = client.post(f"/api/v1/gateway/accounts/{pk}/activate/", format="json")
    assert r.json()["status"] == "active"
    r = client.post(f"/api/v1/gateway/accounts/{pk}/password/", {"password": "newpass1"}, format="json")
    assert r.status_code == 200
    assert client.get("/api/v1/gateway/accounts/", {"q": "api0"}).json()["count"] == 1
    assert client.get("/api/v1/gateway/accounts/", {"status": "suspended"}).json()["count"] == 0


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"allowed_ips": ["999.1.1.1"]}, "allowed_ips"),
        ({"blacklist": ["110"]}, "blacklist"),
        ({"rate": 0}, "rate"),
        ({"signature": "", "signature_mode": "required"}, "signature"),
        ({"password": "123"}, "password"),
        ({"ordering": "sideways"}, "ordering"),
    ],
)
def test_bad_input_answers_400_with_the_field(world, extra, field):
    r = api(world.users["admin"]).post("/api/v1/gateway/accounts/", body(world.customer(), **extra), format="json")
    assert r.status_code == 400, r.content
    assert field in r.json()["details"]


def test_duplicate_system_id_is_400(world):
    client = api(world.users["admin"])
    assert client.post("/api/v1/gateway/accounts/", body(world.customer()), format="json").status_code == 201
    r = client.post("/api/v1/gateway/accounts/", body(world.customer()), format="json")
    assert r.status_code == 400 and "system_id" in r.json()["details"]


def test_scope_across_cities_and_roles(world):
    hefei = world.customer()
    TeamAssignment.objects.create(customer=hefei, staff=world.users["hefei_cm"], team_role="cm_mid")
    r = api(world.users["admin"]).post("/api/v1/gateway/accounts/", body(hefei), format="json")
    pk = r.json()["id"]
    for who in ("wuhu_city", "wuhu_cm", "hefei_cm_other"):
        client = api(world.users[who])
        assert client.get(f"/api/v1/gateway/accounts/{pk}/").status_code == 404
        assert client.get("/api/v1/gateway/accounts/").json()["count"] == 0
        assert client.patch(f"/api/v1/gateway/accounts/{pk}/", {"rate": 1}, format="json").status_code == 404
        r = client.post("/api/v1/gateway/accounts/", body(hefei, system_id="x1"), format="json")
        assert r.status_code == 400 and "customer" in r.json()["details"]  # not a customer they can choose
    # The analyst sees the province but cannot write.
    analyst = api(world.users["analyst"])
    assert analyst.get(f"/api/v1/gateway/accounts/{pk}/").status_code == 200
    assert analyst.post(f"/api/v1/gateway/accounts/{pk}/suspend/", {}, format="json").status_code == 403
    for who in ("hefei_city", "hefei_county", "hefei_cm", "province"):
        assert api(world.users[who]).get(f"/api/v1/gateway/accounts/{pk}/").status_code == 200, who
    assert SmsAccount.objects.get(pk=pk).status == "active"


def test_province_configuration_endpoints(world):
    province = api(world.users["province"])
    r = province.post("/api/v1/gateway/connectors/", {"name": "smsc-1", "host": "10.0.0.1", "port": 2775,
                      "system_id": "jike", "password": "pw"}, format="json")  # fmt: skip
    assert r.status_code == 201 and "password" not in r.json()
    r = province.post("/api/v1/gateway/routes/", {"prefix": "139", "connectors": ["smsc-1"]}, format="json")
    assert r.status_code == 201
    route = r.json()["id"]
    r = province.post("/api/v1/gateway/routes/", {"prefix": "138", "connectors": ["nope"]}, format="json")
    assert r.status_code == 400 and "connectors" in r.json()["details"]
    assert province.delete("/api/v1/gateway/connectors/1/").status_code in (404, 409)
    r = province.post("/api/v1/gateway/global-lists/", {"kind": "blacklist", "value": "+8613900000000"},
                      format="json")  # fmt: skip
    assert r.status_code == 201 and r.json()["value"] == "13900000000"
    snap = province.get("/api/v1/gateway/snapshot/").json()
    assert snap["routes"] == [{"prefix": "139", "connectors": ["smsc-1"]}] and snap["blacklist"] == ["13900000000"]
    assert province.delete(f"/api/v1/gateway/routes/{route}/").status_code == 204
    for who in ("hefei_city", "hefei_cm", "analyst", "wuhu_city"):
        client = api(world.users[who])
        for path in ("/api/v1/gateway/routes/", "/api/v1/gateway/connectors/", "/api/v1/gateway/global-lists/",
                     "/api/v1/gateway/snapshot/"):  # fmt: skip
            assert client.get(path).status_code == 403, (who, path)
        r = client.post("/api/v1/gateway/routes/", {"prefix": "", "connectors": ["smsc-1"]}, format="json")
        assert r.status_code == 403


def test_charges_are_scoped_by_customer(world):
    hefei, wuhu = world.customer(), world.customer(grid=world.wuhu_grid)
    add_charge(hefei.credit_code, "2026-10", amount_fen=50000)
    add_charge(wuhu.credit_code, "2026-10", amount_fen=7000)
    rows = api(world.users["hefei_city"]).get("/api/v1/gateway/charges/", {"month": "2026-10"}).json()["results"]
    assert [(r["enterprise_code"], r["amount_yuan"]) for r in rows] == [(hefei.credit_code, "500.00")]
    assert api(world.users["province"]).get("/api/v1/gateway/charges/").json()["count"] == 2
    r = api(world.users["province"]).get("/api/v1/gateway/charges/", {"customer": wuhu.pk})
    assert [x["enterprise_code"] for x in r.json()["results"]] == [wuhu.credit_code]
