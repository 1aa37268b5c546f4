"""A customer manager opens an SMS account for a customer from the customer page, finds it in the account
list, and the province downloads the gateway snapshot that carries it (loadable by the gateway)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from e2e.fixtures import login
from jike.core.testing import PASSWORD, make_world
from jike.gateway.config import parse_snapshot
from jike.sales.testing import on_team

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_open_account_list_it_and_download_the_snapshot(page, browser, live_server):
    world = make_world()
    cm = world.users["hefei_cm"]
    cust = world.customer(name="合肥市某商业银行")
    on_team(cust, cm)

    login(page, cm.username, PASSWORD)
    page.goto(f"/customers/{cust.pk}/")
    page.click("#sms-account-add")
    assert page.input_value("#id_customer_code") == cust.credit_code
    page.fill("#id_system_id", "hfbank01")
    page.fill("#id_password", "pw12345")
    page.fill("#id_signature", "某银行")  # without 【】: refused with a Chinese message
    page.select_option("#id_product", label="GSMS · 集团短信")
    page.fill("#id_blacklist", "13800000000\n+8613800000001")
    page.click("#save")
    page.wait_for_selector('.field-error[data-field="signature"]')
    assert "【签名】" in page.locator('.field-error[data-field="signature"]').inner_text()
    page.fill("#id_password", "pw12345")  # password inputs are not re-rendered
    page.fill("#id_signature", "【某银行】")
    page.click("#save")
    page.wait_for_selector("#account-status")
    assert "hfbank01" in page.locator(".page-title").inner_text()

    page.goto("/gateway/accounts/")
    page.fill("#id_q", "hfbank")
    page.click("#account-filter button[type=submit]")
    row = page.locator('.account-row[data-system-id="hfbank01"]')
    assert row.count() == 1 and "合肥市某商业银行" in row.inner_text()

    # The province downloads the snapshot from the UI; it is what the gateway loads.
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", accept_downloads=True)
    province = context.new_page()
    login(province, world.users["province"].username, PASSWORD)
    province.goto("/gateway/accounts/")
    with province.expect_download() as info:
        province.click("#snapshot-download")
    data = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    context.close()
    snap = parse_snapshot(data)
    acc = snap.accounts["hfbank01"]
    assert acc.enterprise_code == cust.credit_code and acc.signature == "【某银行】"
    assert acc.check_password("pw12345") and acc.blacklist == {"13800000000", "13800000001"}
    assert snap.products["GSMS"].mode == "per_message"
