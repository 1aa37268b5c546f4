"""Browser test of the customer pages: log in, search, open a customer, edit it, see the history."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from e2e.fixtures import login
from jike.core.models import AuditLog
from jike.core.testing import PASSWORD, make_world
from jike.customers import services
from jike.customers.models import Customer, TeamAssignment

SHOTS = Path(django_settings.VAR_DIR) / "screenshots"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(settings):
    settings.JIKE_DASHBOARD_CACHE_SECONDS = 0
    w = make_world()
    cm = w.users["hefei_cm"]
    target = w.customer(
        name="合肥星河科技有限公司",
        short_name="星河科技",
        monthly_spend=Decimal("12000"),
        address="安徽省合肥市蜀山区黄山路100号",
        legal_representative="周明",
    )
    other = w.customer(name="合肥蓝天物流有限公司", monthly_spend=Decimal("8000"))
    for c in (target, other):
        TeamAssignment.objects.create(customer=c, staff=cm, team_role="cm_mid")
    admin = w.users["admin"]
    services.add_member(admin, target, msisdn="13812345678", name="张三", department="办公室", payment_mode="unified")
    services.add_member(admin, target, msisdn="13912345679", name="李四", department="财务部", payment_mode="personal")
    person = services.add_key_person(admin, target, name="王主任", title="信息中心主任", attitude="C")
    services.update_key_person(admin, person, attitude="B", note="方案交流后转为支持")
    w.target = target  # type: ignore[attr-defined]
    return w


def test_search_open_edit_and_see_history(page, world):
    SHOTS.mkdir(parents=True, exist_ok=True)
    target = world.target
    login(page, "t-hefei-cm", PASSWORD)

    page.goto("/customers/")
    assert "共 2 个客户" in page.inner_text("#customer-count")
    page.fill("#id_q", "星河")
    page.wait_for_function("document.querySelector('#customer-count').innerText.includes('共 1 个客户')")
    assert "合肥蓝天物流有限公司" not in page.inner_text("#customer-rows")
    assert "q=" in page.url  # HTMX pushed the search into the address bar

    page.click("text=合肥星河科技有限公司")
    page.wait_for_url(f"**/customers/{target.pk}/")
    assert page.inner_text("#customer-name").startswith("合肥星河科技有限公司")
    assert "B 支持" in page.inner_text("#key-persons")
    assert "13812345678" in page.inner_text("#members")  # a customer manager sees full numbers
    page.screenshot(path=str(SHOTS / "customer-360.png"), full_page=True)

    page.click("#edit-customer")
    page.fill("#id_short_name", "星河云")
    page.fill("#id_monthly_spend", "-1")
    page.click("#save")
    assert "is-invalid" in (page.get_attribute("#id_monthly_spend", "class") or "")
    page.fill("#id_monthly_spend", "15800")
    page.click("#save")
    page.wait_for_url(f"**/customers/{target.pk}/#history")
    assert page.inner_text("#customer-short-name") == "星河云"
    history = page.inner_text("#history")
    assert "修改客户档案" in history and "星河科技" in history and "星河云" in history
    assert "12000.00" in history and "15800" in history and "t-hefei-cm" in history
    target.refresh_from_db()
    assert target.short_name == "星河云" and target.monthly_spend == Decimal("15800")
    assert AuditLog.objects.filter(action="customer.update", object_id=str(target.pk)).count() == 1

    page.goto("/")
    page.wait_for_selector("body[data-charts-ready='1']")
    assert page.inner_text("#kpi-customers") == "2"
    assert page.locator("#chart-industry svg").count() == 1
    page.screenshot(path=str(SHOTS / "dashboard.png"), full_page=True)


def test_language_switch_to_english(page, world):
    login(page, "t-hefei-cm", PASSWORD)
    page.goto(f"/customers/{world.target.pk}/")
    page.select_option("#lang-switch select", "en")
    page.wait_for_selector("html[lang='en']")
    assert "Group customers" in page.inner_text("#main-nav")
    assert "Change history" in page.inner_text("#history")
    page.screenshot(path=str(SHOTS / "customer-360-en.png"), full_page=True)


def test_other_city_cannot_open_customer(page, world):
    login(page, "t-wuhu-cm", PASSWORD)
    response = page.goto(f"/customers/{world.target.pk}/")
    assert response is not None and response.status == 404
    page.goto("/customers/")
    assert "共 0 个客户" in page.inner_text("#customer-count")
    assert Customer.objects.count() == 2
