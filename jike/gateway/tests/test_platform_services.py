"""SMS accounts, routes and global lists through the services: validation, normalisation, audit, scope."""

from __future__ import annotations

import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from jike.core.audit import history
from jike.core.errors import BusinessRuleError
from jike.customers.models import TeamAssignment
from jike.gateway import services
from jike.gateway.models import Connector, GlobalListEntry, Route, SmsAccount
from jike.gateway.testing import sms_product

pytestmark = pytest.mark.django_db


def account(world, customer=None, **data):
    customer = customer or world.customer()
    defaults = {"system_id": "bank01", "password": "secret01", "signature": "【某银行】", "product": sms_product()}
    defaults.update(data)
    return services.create_account(world.users["admin"], customer, **defaults)


def test_create_normalises_hashes_and_audits(world):
    acc = account(
        world,
        allowed_ips=["10.20.1.7/16", "192.168.1.5"],
        blacklist=["+8613800000000", "8613800000001", "138 0000 0000"],
        keywords=[" 贷款 ", "贷款", "中奖"],
        mo_addresses=["1065001"],
    )
    acc.refresh_from_db()
    assert acc.password_sha256 == hashlib.sha256(b"secret01").hexdigest()
    assert acc.allowed_ips == ["10.20.0.0/16", "192.168.1.5/32"]
    assert acc.blacklist == ["13800000000", "13800000001"]
    assert acc.keywords == ["贷款", "中奖"]
    entry = history(acc.customer).get(action="sms_account.create")
    assert entry.changes["system_id"] == [None, "bank01"]
    assert "secret01" not in str(entry.changes) and acc.password_sha256 not in str(entry.changes)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"allowed_ips": ["10.0.0.300"]}, "allowed_ips"),
        ({"blacklist": ["12345"]}, "blacklist"),
        ({"whitelist": ["1380000000a"]}, "whitelist"),
        ({"rate": 0}, "rate"),
        ({"signature": ""}, "signature"),
        ({"signature": "某银行"}, "signature"),
        ({"password": "abc"}, "password"),
        ({"password": "toolongpw"}, "password"),
        ({"system_id": "has space"}, "system_id"),
        ({"system_id": "x" * 16}, "system_id"),
        ({"whitelist_mode": True, "whitelist": []}, "whitelist"),
        ({"mo_addresses": ["10a6"]}, "mo_addresses"),
        ({"max_binds": 0}, "max_binds"),
    ],
)
def test_bad_input_is_refused_with_the_field(world, data, field):
    with pytest.raises(ValidationError) as exc:
        account(world, **data)
    assert field in exc.value.message_dict
    assert SmsAccount.objects.count() == 0


def test_duplicate_system_id(world):
    account(world)
    with pytest.raises(ValidationError) as exc:
        account(world, customer=world.customer())
    assert "已被使用" in exc.value.message_dict["system_id"][0]


def test_database_constraints_hold_without_the_service(world):
    acc = account(world)
    for field, value in (("rate", 0), ("max_binds", 0), ("max_priority", 7)):
        with pytest.raises(IntegrityError), transaction.atomic():
            SmsAccount.objects.filter(pk=acc.pk).update(**{field: value})
    with pytest.raises(IntegrityError), transaction.atomic():
        SmsAccount.objects.filter(pk=acc.pk).update(signature="", signature_mode="required")


def test_update_suspend_lists_and_password_are_audited(world):
    acc = account(world)
    admin = world.users["admin"]
    services.update_account(admin, acc, rate=200, daily_quota=100000, signature_mode="required")
    services.edit_account_list(admin, acc, "blacklist", add=["13900000009", "+8613900000008"])
    services.edit_account_list(admin, acc, "blacklist", remove=["13900000009"])
    services.suspend_account(admin, acc, "欠费")
    services.set_password(admin, acc, "newpass1")
    acc.refresh_from_db()
    assert (acc.rate, acc.daily_quota, acc.signature_mode, acc.status) == (200, 100000, "required", "suspended")
    assert acc.blacklist == ["13900000008"]
    assert acc.password_sha256 == hashlib.sha256(b"newpass1").hexdigest()
    actions = list(history(acc.customer).order_by("id").values_list("action", flat=True))
    assert actions[-5:] == [
        "sms_account.update", "sms_account.update", "sms_account.update", "sms_account.suspend",
        "sms_account.password",
    ]  # fmt: skip
    services.activate_account(admin, acc)
    acc.refresh_from_db()
    assert acc.status == "active"
    with pytest.raises(ValidationError):
        services.update_account(admin, acc, system_id="other")  # fixed once created


def test_scope_city_and_customer_managers(world):
    hefei = world.customer()
    wuhu = world.customer(grid=world.wuhu_grid)
    TeamAssignment.objects.create(customer=hefei, staff=world.users["hefei_cm"], team_role="cm_mid")
    acc = services.create_account(world.users["hefei_cm"], hefei, system_id="hf01", password="secret01",
                                  signature="【合肥】")  # fmt: skip
    services.create_account(world.users["hefei_city"], hefei, system_id="hf02", password="secret01",
                            signature_mode="none")  # fmt: skip
    for who in ("wuhu_city", "wuhu_cm", "hefei_cm_other", "analyst", "hefei_se"):
        with pytest.raises(BusinessRuleError):
            services.create_account(world.users[who], hefei, system_id=f"x{who[:10]}", password="secret01",
                                    signature_mode="none")  # fmt: skip
        with pytest.raises(BusinessRuleError):
            services.update_account(world.users[who], acc, rate=1)
        with pytest.raises(BusinessRuleError):
            services.suspend_account(world.users[who], acc)
    with pytest.raises(BusinessRuleError):
        services.create_account(world.users["hefei_city"], wuhu, system_id="wh01", password="secret01",
                                signature_mode="none")  # fmt: skip
    assert set(SmsAccount.objects.restrict(world.users["hefei_cm"]).values_list("system_id", flat=True)) == {
        "hf01", "hf02",
    }  # fmt: skip
    assert not SmsAccount.objects.restrict(world.users["wuhu_city"]).exists()
    assert SmsAccount.objects.restrict(world.users["province"]).count() == 2


def test_routes_connectors_and_lists_are_province_only(world):
    province = world.users["province"]
    for who in ("hefei_city", "hefei_cm", "analyst", "wuhu_city"):
        with pytest.raises(BusinessRuleError):
            services.create_connector(world.users[who], name="c1", host="h", port=2775, system_id="jike")
        with pytest.raises(BusinessRuleError):
            services.add_global_entries(world.users[who], "blacklist", ["13900000000"])
    c1 = services.create_connector(province, name="smsc-1", host="10.0.0.1", port=2775, system_id="jike",
                                   password="pw")  # fmt: skip
    services.create_connector(province, name="smsc-2", host="10.0.0.2", port=2775, system_id="jike")
    route = services.create_route(province, prefix="139", connectors="smsc-1, smsc-2")
    assert route.connectors == ["smsc-1", "smsc-2"]
    with pytest.raises(ValidationError) as exc:
        services.create_route(province, prefix="139", connectors=["smsc-1"])
    assert "prefix" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.create_route(province, prefix="13a", connectors=["smsc-1"])
    assert "prefix" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.create_route(province, prefix="138", connectors=["nope"])
    assert "connectors" in exc.value.message_dict
    with pytest.raises(BusinessRuleError):
        services.delete_connector(province, c1)  # still routed to
    services.update_connector(province, c1, name="smsc-hf-1")
    route.refresh_from_db()
    assert route.connectors == ["smsc-hf-1", "smsc-2"]
    services.update_route(province, route, connectors=["smsc-2"])
    services.delete_route(province, route)
    assert not Route.objects.exists()
    assert Connector.objects.count() == 2
    added = services.add_global_entries(province, "blacklist", ["+8613900000000", "13900000000", "13900000001"])
    assert [e.value for e in added] == ["13900000000", "13900000001"]
    with pytest.raises(ValidationError):
        services.add_global_entries(province, "blacklist", ["110"])
    services.add_global_entries(province, "keyword", ["赌博"])
    services.remove_global_entry(province, GlobalListEntry.objects.get(value="赌博"))
    assert GlobalListEntry.objects.count() == 2
