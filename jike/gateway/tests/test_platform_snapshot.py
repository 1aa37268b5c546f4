"""The platform -> gateway link: the snapshot built from the database loads with the gateway's own
loader, carries accounts, signatures, lists, products and routes, and is written atomically."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jike.gateway import services
from jike.gateway.config import load_snapshot
from jike.gateway.rating import compute_charges
from jike.gateway.snapshot import build_snapshot
from jike.gateway.testing import sms_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def configured(world):
    province = world.users["province"]
    services.create_connector(province, name="smsc-hf-1", host="10.1.1.10", port=2775, system_id="jike",
                              password="pw1")  # fmt: skip
    services.create_connector(province, name="smsc-hf-2", host="10.1.1.11", port=2776, system_id="jike")
    services.create_route(province, prefix="139", connectors=["smsc-hf-1", "smsc-hf-2"])
    services.create_route(province, prefix="", connectors=["smsc-hf-2"])
    services.add_global_entries(province, "blacklist", ["13900000000"])
    services.add_global_entries(province, "keyword", ["赌博"])
    bank = world.customer(name="某银行合肥分行")
    services.create_account(
        world.users["admin"], bank, system_id="bank01", password="secret01", product=sms_product(),
        signature="【某银行】", signature_mode="added", allowed_ips=["10.20.0.0/16"], blacklist=["13800000000"],
        whitelist=["13700000000"], whitelist_mode=True, keywords=["贷款"], rate=200, daily_quota=500000,
        mo_addresses=["1069001"], max_binds=3, max_priority=2, ordering="account",
    )  # fmt: skip
    off = services.create_account(world.users["admin"], bank, system_id="bank02", password="secret02",
                                  signature_mode="none")  # fmt: skip
    services.suspend_account(world.users["admin"], off)
    return bank


def test_round_trip_through_the_gateway_loader(configured, tmp_path):
    out = tmp_path / "gw" / "snapshot.json"
    call_command("gateway-snapshot", "--out", str(out))
    snap = load_snapshot(out)
    acc = snap.accounts["bank01"]
    assert acc.enterprise_code == configured.credit_code and acc.enterprise_name == "某银行合肥分行"
    assert acc.check_password("secret01") and not acc.check_password("secret02")
    assert (acc.signature, acc.signature_mode) == ("【某银行】", "added")
    assert acc.blacklist == frozenset({"13800000000"}) and acc.whitelist == frozenset({"13700000000"})
    assert acc.whitelist_mode and acc.keyword_re is not None and acc.keyword_re.search("低息贷款")
    assert (acc.rate, acc.daily_quota, acc.max_binds, acc.mo_addresses) == (200, 500000, 3, ("1069001",))
    assert acc.ip_allowed("10.20.3.4") and not acc.ip_allowed("10.21.0.1")
    assert acc.enabled and not snap.accounts["bank02"].enabled
    # priority allowance and upstream ordering; bank02 has the model defaults
    assert (acc.max_priority, acc.ordering) == (2, "account")
    assert (snap.accounts["bank02"].max_priority, snap.accounts["bank02"].ordering) == (1, "destination")
    assert snap.accounts["bank02"].product == ""
    # Product: GSMS is 计次 in the catalog, first band 0.05 yuan -> per_message at 5 fen.
    assert acc.product == "GSMS"
    product = snap.products["GSMS"]
    assert (product.mode, product.price_fen) == ("per_message", 5)
    [charge] = compute_charges("2026-11", [(acc.enterprise_code, "GSMS", "notification", 10, 12)], snap.products)
    assert charge.amount_fen == 60
    # Lists and routes: longest prefix first, failover order kept, default route last.
    assert snap.blacklist == frozenset({"13900000000"})
    assert snap.keyword_re is not None and snap.keyword_re.search("网络赌博")
    assert snap.route("13912345678") == ("smsc-hf-1", "smsc-hf-2")
    assert snap.route("13812345678") == ("smsc-hf-2",)
    assert snap.connectors["smsc-hf-1"].password == "pw1" and snap.connectors["smsc-hf-2"].port == 2776
    assert not list(out.parent.glob(".*.tmp"))  # the temporary file was renamed away
    assert oct(out.stat().st_mode & 0o777) == "0o640"


def test_gateway_block_is_kept_and_version_tracks_content(configured, tmp_path):
    out = tmp_path / "snapshot.json"
    out.write_text(json.dumps({"gateway": {"port": 2999, "data_dir": "var/gw"}, "enterprises": []}))
    call_command("gateway-snapshot", "--out", str(out))
    first = json.loads(out.read_text())
    assert first["gateway"] == {"port": 2999, "data_dir": "var/gw"}
    call_command("gateway-snapshot", "--out", str(out))
    assert json.loads(out.read_text())["version"].split("-")[-1] == first["version"].split("-")[-1]
    services.update_account(_admin(), _acc("bank01"), rate=300)
    call_command("gateway-snapshot", "--out", str(out))
    assert json.loads(out.read_text())["version"].split("-")[-1] != first["version"].split("-")[-1]
    base = tmp_path / "base.json"
    base.write_text(json.dumps({"gateway": {"port": 3000}}))
    call_command("gateway-snapshot", "--out", str(out), "--base", str(base))
    assert json.loads(out.read_text())["gateway"] == {"port": 3000}


def _admin():
    from jike.core.models import User

    return User.objects.get(username="t-admin")


def _acc(system_id):
    from jike.gateway.models import SmsAccount

    return SmsAccount.objects.get(system_id=system_id)


def test_check_writes_nothing_and_reload_failure_is_reported(configured, tmp_path):
    out = tmp_path / "snapshot.json"
    call_command("gateway-snapshot", "--out", str(out), "--check")
    assert not out.exists()
    with pytest.raises(CommandError, match="did not reload"):
        call_command("gateway-snapshot", "--out", str(out), "--reload", "--admin", "http://127.0.0.1:9")
    assert out.exists()  # written before the reload was asked for


def test_empty_platform_gives_a_loadable_snapshot(db):
    data = build_snapshot()
    assert data["enterprises"] == [] and data["routes"] == [] and data["version"]
