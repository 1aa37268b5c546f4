"""Home dashboard: KPI cards and chart data are computed over the user's scope only."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from jike.core.testing import client_for
from jike.customers import services
from jike.customers.models import Customer, TeamAssignment

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(world):
    admin = world.users["admin"]
    a = world.customer(name="合肥甲", industry="finance", monthly_spend=Decimal("10000"))
    b = world.customer(name="合肥乙", industry="education", monthly_spend=Decimal("2000"))
    w = world.customer(grid=world.wuhu_grid, name="芜湖丙", industry="finance", monthly_spend=Decimal("7000"))
    # Tiers are set by the tiering service elsewhere; the dashboard only reads the column.
    Customer.objects.filter(pk=a.pk).update(tier="A", grade="A1")
    Customer.objects.filter(pk=b.pk).update(tier="C", grade="C")
    Customer.objects.filter(pk=w.pk).update(tier="B", grade="B")
    services.add_member(admin, a, msisdn="13800000001", payment_mode="unified")
    services.add_member(admin, a, msisdn="13800000002", payment_mode="unified")
    services.add_member(admin, a, msisdn="13800000003", payment_mode="personal")
    services.add_member(admin, b, msisdn="13800000004", payment_mode="split", unit_share=50)
    services.add_member(admin, w, msisdn="13800000005", payment_mode="unified")
    services.add_member(admin, w, msisdn="13800000006", payment_mode="personal", status="left")
    TeamAssignment.objects.create(customer=b, staff=world.users["hefei_cm"], team_role="cm_mid")
    return a, b, w


def test_anonymous_redirected_to_login():
    assert Client().get(reverse("web:home")).status_code == 302
    assert Client().get(reverse("web:dashboard-data")).status_code == 302


def test_kpis_follow_scope(world, data):
    province = client_for(world.users["province"]).get(reverse("web:home"))
    kpi = dict(province.context["kpi"])
    assert kpi.pop("as_of")
    assert kpi == {
        "customers": 3,
        "tier_a": 1,
        "members": 5,  # the member who left is not counted
        "unified_members": 3,
        "unified_share": 60.0,
        "revenue": Decimal("19000.00"),
    }
    hefei = client_for(world.users["hefei_city"]).get(reverse("web:home"))
    assert hefei.context["kpi"]["customers"] == 2
    assert hefei.context["kpi"]["members"] == 4
    assert hefei.context["kpi"]["unified_share"] == 50.0
    body = hefei.content.decode()
    assert 'id="kpi-customers">2<' in body and "echarts.min.js" in body
    cm = client_for(world.users["hefei_cm"]).get(reverse("web:home"))
    assert cm.context["kpi"]["customers"] == 1 and cm.context["kpi"]["revenue"] == Decimal("2000.00")


def test_chart_data_follows_scope(world, data):
    d = client_for(world.users["province"]).get(reverse("web:dashboard-data")).json()
    assert {t["code"]: t["value"] for t in d["tier"]} == {"A": 1, "B": 1, "C": 1}
    assert {i["code"]: i["value"] for i in d["industry"]} == {"finance": 2, "education": 1}
    assert d["industry"][0]["name"] == "金融"
    assert {c["name"]: c["value"] for c in d["city"]} == {"合肥市公司": 2, "芜湖市公司": 1}
    assert {m["code"]: m["value"] for m in d["payment"]} == {"unified": 3, "personal": 1, "split": 1}

    d = client_for(world.users["wuhu_city"]).get(reverse("web:dashboard-data")).json()
    assert [c["name"] for c in d["city"]] == ["芜湖市公司"]
    assert {m["code"]: m["value"] for m in d["payment"]} == {"unified": 1}
    assert {t["code"]: t["value"] for t in d["tier"]} == {"B": 1}

    d = client_for(world.users["hefei_cm"]).get(reverse("web:dashboard-data")).json()
    assert {i["code"]: i["value"] for i in d["industry"]} == {"education": 1}
    assert {m["code"]: m["value"] for m in d["payment"]} == {"split": 1}


def test_chart_data_is_one_query_per_chart(world, data, django_assert_max_num_queries):
    client = client_for(world.users["province"])
    with django_assert_max_num_queries(8):  # session + user + 4 charts
        client.get(reverse("web:dashboard-data"))


def test_untiered_customers_are_a_slice(world):
    world.customer(name="未定级客户")
    d = client_for(world.users["province"]).get(reverse("web:dashboard-data")).json()
    assert d["tier"] == [{"code": "", "name": "未定级", "value": 1}]


def test_shell_in_english(world, data):
    call_command("compile-translations", verbosity=0)
    translation.trans_real._translations = {}
    translation.trans_real._default = None
    client = client_for(world.users["hefei_city"])
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    body = client.get(reverse("web:home")).content.decode()
    assert "Group customer overview" in body and "Customers by tier" in body and "Log out" in body
    assert 'lang="en"' in body
    d = client.get(reverse("web:dashboard-data")).json()
    assert {i["code"]: i["name"] for i in d["industry"]} == {"finance": "Finance", "education": "Education"}
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "集团客户经营概览" in client.get(reverse("web:home")).content.decode()


def test_login_page_and_login(world):
    client = Client()
    assert 'id="login-form"' in client.get(reverse("web:login")).content.decode()
    response = client.post(reverse("web:login"), {"username": "t-hefei-city", "password": "jike-test-pass"})
    assert response.status_code == 302
    assert 'id="current-user"' in client.get(reverse("web:home")).content.decode()


def test_figures_are_cached_per_scope(world, data, settings, django_assert_max_num_queries):
    from django.core.cache import cache

    settings.JIKE_DASHBOARD_CACHE_SECONDS = 60
    cache.clear()
    hefei = client_for(world.users["hefei_city"])
    first = hefei.get(reverse("web:dashboard-data")).json()
    world.customer(name="合肥新客户", industry="it")
    with django_assert_max_num_queries(3):  # session + user + org unit: no aggregate ran
        again = hefei.get(reverse("web:dashboard-data")).json()
    assert again == first
    # Another scope is computed on its own and sees its own figures.
    wuhu = client_for(world.users["wuhu_city"]).get(reverse("web:dashboard-data")).json()
    assert [c["name"] for c in wuhu["city"]] == ["芜湖市公司"]
    cache.clear()
