"""Gateway pages: account list with filters, create/edit with Chinese validation messages, the province
pages, the snapshot download and the customer 360 panel."""

from __future__ import annotations

import json

import pytest
from django.test import RequestFactory

from jike.core.testing import client_for
from jike.customers.models import TeamAssignment
from jike.gateway import services
from jike.gateway.models import GlobalListEntry, Route, SmsAccount
from jike.gateway.testing import add_charge, sms_product
from jike.gateway.views import customer_panel

pytestmark = pytest.mark.django_db


FORM = {"system_id": "web01", "password": "secret01", "signature": "【网页】", "signature_mode": "added",
        "rate": "100", "daily_quota": "0", "max_binds": "4", "max_priority": "1", "content_class": "notification",
        "blacklist": "13800000000\n+8613800000001", "allowed_ips": "10.1.0.0/16"}  # fmt: skip


def test_create_edit_and_list(world):
    customer = world.customer(name="合肥测试银行")
    TeamAssignment.objects.create(customer=customer, staff=world.users["hefei_cm"], team_role="cm_mid")
    c = client_for(world.users["hefei_cm"])
    html = c.get(f"/gateway/accounts/new/?customer={customer.pk}").content.decode()
    assert customer.credit_code in html
    r = c.post("/gateway/accounts/new/", {**FORM, "customer_code": customer.credit_code,
               "product": sms_product().pk})  # fmt: skip
    assert r.status_code == 302, r.content.decode()[:2000]
    acc = SmsAccount.objects.get(system_id="web01")
    assert acc.blacklist == ["13800000000", "13800000001"] and acc.product == sms_product()
    # Bad input: the messages are Chinese and land on their fields; nothing is written.
    r = c.post("/gateway/accounts/new/", {**FORM, "customer_code": customer.credit_code, "system_id": "web01",
               "blacklist": "12345", "allowed_ips": "1.2.3.999"})  # fmt: skip
    html = r.content.decode()
    assert r.status_code == 200 and "已被使用" in html
    r = c.post("/gateway/accounts/new/", {**FORM, "customer_code": customer.credit_code, "system_id": "web02",
               "blacklist": "12345"})  # fmt: skip
    assert "号码格式错误" in r.content.decode()
    r = c.post("/gateway/accounts/new/", {**FORM, "customer_code": customer.credit_code, "system_id": "web02",
               "allowed_ips": "1.2.3.999"})  # fmt: skip
    assert "IP地址格式错误" in r.content.decode()
    assert SmsAccount.objects.count() == 1
    # Edit, suspend.
    assert acc.ordering == "destination"  # not posted: the default
    r = c.post(f"/gateway/accounts/{acc.pk}/", {**FORM, "rate": "250", "keywords": "贷款\n中奖", "ordering": "account"})
    assert r.status_code == 302
    acc.refresh_from_db()
    assert acc.rate == 250 and acc.keywords == ["贷款", "中奖"] and acc.ordering == "account"
    assert '<option value="account" selected>' in c.get(f"/gateway/accounts/{acc.pk}/").content.decode()
    c.post(f"/gateway/accounts/{acc.pk}/status/", {"status": "suspended", "reason": "测试"})
    acc.refresh_from_db()
    assert acc.status == "suspended"
    html = c.get(f"/gateway/accounts/{acc.pk}/").content.decode()
    assert 'id="account-history"' in html and "sms_account.suspend" in html and 'id="activate"' in html
    # Read-only for those who see it but may not change it.
    a = client_for(world.users["analyst"])
    html = a.get(f"/gateway/accounts/{acc.pk}/").content.decode()
    assert 'id="save"' not in html and "disabled" in html
    assert a.post(f"/gateway/accounts/{acc.pk}/", {**FORM, "rate": "1"}).status_code == 403
    # List: search and filters.
    html = c.get("/gateway/accounts/", {"q": "web"}).content.decode()
    assert 'data-system-id="web01"' in html
    html = c.get("/gateway/accounts/", {"status": "active"}).content.decode()
    assert 'data-system-id="web01"' not in html
    # Outsiders: not in their list, 404 on the page, cannot open for the customer.
    w = client_for(world.users["wuhu_city"])
    assert 'data-system-id="web01"' not in w.get("/gateway/accounts/").content.decode()
    assert w.get(f"/gateway/accounts/{acc.pk}/").status_code == 404
    r = w.post("/gateway/accounts/new/", {**FORM, "customer_code": customer.credit_code, "system_id": "w1"})
    assert "没有找到该客户" in r.content.decode()


def test_province_pages_and_snapshot_download(world):
    p = client_for(world.users["province"])
    r = p.post("/gateway/routes/", {"form": "connector", "name": "smsc-1", "host": "10.0.0.1", "port": "2775",
               "system_id": "jike", "binds": "1", "window": "64"})  # fmt: skip
    assert r.status_code == 302
    r = p.post("/gateway/routes/", {"form": "route", "route_prefix": "139", "connectors": "smsc-1"})
    assert r.status_code == 302 and Route.objects.get(prefix="139").connectors == ["smsc-1"]
    r = p.post("/gateway/routes/", {"form": "route", "route_prefix": "13x", "connectors": "smsc-1"})
    assert "号段前缀只能是0-11位数字" in r.content.decode()
    r = p.post("/gateway/lists/", {"form": "add", "kind": "blacklist", "values": "13900000000\n+8613900000001"})
    assert r.status_code == 302 and GlobalListEntry.objects.count() == 2
    r = p.post("/gateway/lists/", {"form": "add", "kind": "blacklist", "values": "abc"})
    assert "号码格式错误" in r.content.decode()
    r = p.get("/gateway/snapshot.json")
    assert r["Content-Disposition"].startswith("attachment")
    data = json.loads(r.content)
    assert data["routes"] == [{"prefix": "139", "connectors": ["smsc-1"]}]
    for who in ("hefei_city", "hefei_cm", "analyst"):
        c = client_for(world.users[who])
        for path in ("/gateway/routes/", "/gateway/lists/", "/gateway/snapshot.json"):
            assert c.get(path).status_code == 403, (who, path)


def test_customer_panel_shows_accounts_and_charges(world):
    customer = world.customer()
    services.create_account(world.users["admin"], customer, system_id="panel01", password="secret01",
                            signature="【面板】", product=sms_product())  # fmt: skip
    add_charge(customer.credit_code, "2026-09", amount_fen=12345)
    add_charge(customer.credit_code, "2026-10", amount_fen=100)
    request = RequestFactory().get("/")
    request.user = world.users["hefei_city"]
    html = customer_panel(request, customer)
    assert 'data-system-id="panel01"' in html and 'id="sms-account-add"' in html
    assert "123.45" in html and "2026-10" in html and 'id="sms-charges-total">124.45<' in html
    request.user = world.users["analyst"]
    assert 'id="sms-account-add"' not in customer_panel(request, customer)
    other = world.customer()
    request.user = world.users["analyst"]
    assert customer_panel(request, other) == ""  # nothing to show and nothing to do
    html = client_for(world.users["hefei_city"]).get(f"/customers/{customer.pk}/panels/").content.decode()
    assert 'id="panel-sms"' in html  # the 360 page loads its panels from here


def test_pages_in_english(world):
    c = client_for(world.users["province"])
    c.cookies["django_language"] = "en"
    html = c.get("/gateway/accounts/").content.decode()
    assert "Enterprise SMS accounts" in html
