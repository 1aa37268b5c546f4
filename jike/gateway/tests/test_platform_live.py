"""The whole link against a running gateway: the platform configures a connector, a route and an
account; `jike gateway-snapshot` writes the file; the gateway (in-process, with the SMSC simulator)
runs on it and smpplib binds with the password the platform set. A suspension made on the platform
reaches the running gateway with `gateway-snapshot --reload`, without a restart."""

from __future__ import annotations

import pytest
import smpplib.exceptions
from django.core.management import call_command

from jike.gateway import pdu, services
from jike.gateway.testing import sms_product
from jike.gateway.tests.helpers import Esme

pytestmark = pytest.mark.django_db


def bind_status(port: int, system_id: str, password: str) -> int:
    esme = Esme(port)
    try:
        esme.bind(system_id, password)
        return 0
    except smpplib.exceptions.PDUError as exc:
        return int(exc.args[1])
    finally:
        esme.close()


def test_platform_configures_a_running_gateway(world, make_env):
    env = make_env()
    province, admin = world.users["province"], world.users["admin"]
    services.create_connector(province, name="smsc-a", host="127.0.0.1", port=env.sim_ports()["smsc-a"],
                              system_id="jike", password="smscpw")  # fmt: skip
    services.create_route(province, prefix="", connectors=["smsc-a"])
    services.add_global_entries(province, "blacklist", ["13800000001"])
    customer = world.customer(name="某银行合肥分行")
    acc = services.create_account(
        admin, customer, system_id="bank", password="bankpw1", product=sms_product(), signature="【某银行】",
        signature_mode="added", blacklist=["13800000002"], keywords=["贷款"], allowed_ips=["127.0.0.0/8"],
    )  # fmt: skip
    call_command("gateway-snapshot", "--out", str(env.config_path))
    env.start()
    assert bind_status(env.port, "bank", "wrongpw") == pdu.ESME_RINVPASWD

    esme = Esme(env.port)
    esme.bind("bank", "bankpw1")
    assert esme.status_of(esme.submit_text("13912345678", "您的账户变动100元", source_addr="1065")) == 0
    [sent] = env.wait_received(1)
    assert sent.data.decode("utf-16-be") == "【某银行】您的账户变动100元"  # the signature the platform set
    assert sent.destination == "13912345678"
    assert esme.status_of(esme.submit_text("13800000001", "【某银行】hi")) == pdu.JIKE_RBLACKLIST
    assert esme.status_of(esme.submit_text("13800000002", "【某银行】hi")) == pdu.JIKE_RBLACKLIST
    assert esme.status_of(esme.submit_text("13912345678", "【某银行】低息贷款")) == pdu.JIKE_RKEYWORD

    # Suspended on the platform -> new snapshot -> reload: new binds are refused, the gateway kept running.
    services.suspend_account(admin, acc, "欠费")
    admin_url = f"http://127.0.0.1:{env.gw.admin_port}"
    call_command("gateway-snapshot", "--out", str(env.config_path), "--reload", "--admin", admin_url)
    assert bind_status(env.port, "bank", "bankpw1") == pdu.ESME_RBINDFAIL
    esme.close()
