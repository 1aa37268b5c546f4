from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from jike.core.testing import PASSWORD
from jike.customers import services as customer_services
from jike.sales.models import Campaign, Opportunity
from jike.sales.testing import on_team, opportunity, product
from jike.visits.models import VisitLog

pytestmark = pytest.mark.django_db


def client_for(user):
    c = Client()
    assert c.login(username=user.username, password=PASSWORD)
    return c


@pytest.fixture
def cust(world):
    c = world.customer(name="合肥某医院")
    on_team(c, world.users["hefei_cm"])
    return c


def test_board_page_and_drop_target(world, cust):
    opp = opportunity(world, cust, title="院内专网")
    c = client_for(world.users["hefei_cm"])
    page = c.get("/sales/board/")
    assert page.status_code == 200 and "院内专网" in page.content.decode()
    r = c.post(f"/sales/opportunities/{opp.pk}/move/", {"stage": "won"})
    assert r.status_code == 409 and r.json()["code"] == "won_needs_products"
    r = c.post(f"/sales/opportunities/{opp.pk}/move/", {"stage": "solution"})
    assert r.status_code == 200 and r.json() == {"ok": True, "stage": "solution", "probability": 40}
    other = client_for(world.users["wuhu_cm"])
    assert "院内专网" not in other.get("/sales/board/").content.decode()
    assert other.post(f"/sales/opportunities/{opp.pk}/move/", {"stage": "proposal"}).status_code == 404
    assert other.get(f"/sales/opportunities/{opp.pk}/").status_code == 404


def test_detail_forms_and_forecast_page(world, cust):
    person = customer_services.add_key_person(world.users["admin"], cust, name="孙院长", attitude="C")
    opp = opportunity(world, cust, lines=[{"product": product(), "quantity": 1, "monthly_revenue": 500}])
    c = client_for(world.users["hefei_cm"])
    assert c.get(f"/sales/opportunities/{opp.pk}/").status_code == 200
    due = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    c.post(f"/sales/opportunities/{opp.pk}/step/", {"action": "约见院长", "due_date": due})
    c.post(f"/sales/opportunities/{opp.pk}/position/", {"position": "3", "note": "领先"})
    c.post(f"/sales/opportunities/{opp.pk}/influencer/", {"key_person": person.pk, "deal_role": "decision_maker"})
    opp.refresh_from_db()
    assert opp.next_steps.count() == 1 and opp.position == 3 and opp.influencers.count() == 1
    page = c.get("/sales/forecast/?group_by=city").content.decode()
    assert "合肥市公司" in page and "forecast-chart" in page
    r = c.post("/sales/opportunities/new/", {"customer": cust.pk, "title": "新商机", "source": "visit",
               "estimated_revenue": "1000", "expected_close": due})  # fmt: skip
    assert r.status_code == 302 and Opportunity.objects.filter(title="新商机").exists()


def test_campaign_pages(world):
    city = client_for(world.users["hefei_city"])
    start = timezone.localdate().isoformat()
    r = city.post("/sales/campaigns/", {"name": "重大路演", "org_unit": world.hefei.pk, "start_date": start,
                  "end_date": start, "major": "on", "budget": "0"})  # fmt: skip
    assert r.status_code == 302
    camp = Campaign.objects.get(name="重大路演")
    city.post(f"/sales/campaigns/{camp.pk}/", {"action": "submit"})
    city.post(f"/sales/campaigns/{camp.pk}/", {"action": "approve"})
    camp.refresh_from_db()
    assert camp.status == "submitted"  # the city may not approve its own major campaign
    client_for(world.users["province"]).post(f"/sales/campaigns/{camp.pk}/", {"action": "approve"})
    camp.refresh_from_db()
    assert camp.status == "approved"


def test_visit_pages_and_panels(world, cust):
    person = customer_services.add_key_person(world.users["admin"], cust, name="周科长", attitude="D")
    c = client_for(world.users["hefei_cm"])
    when = (timezone.localtime() + dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    r = c.post(f"/visits/customers/{cust.pk}/plan/", {"planned_at": when, "method": "on_site", "objectives": "交流"})
    assert r.status_code == 302
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    r = c.post(f"/visits/customers/{cust.pk}/log/", {"visited_at": now, "method": "phone", "summary": "电话沟通",
               f"attitude_{person.pk}": "C"})  # fmt: skip
    assert r.status_code == 302, r.content.decode()[:2000]
    person.refresh_from_db()
    assert person.attitude == "C" and VisitLog.objects.filter(customer=cust).count() == 1
    assert "电话沟通" not in c.get("/visits/calendar/").content.decode()  # calendar lists customers, not summaries
    assert cust.name in c.get("/visits/calendar/").content.decode()
    assert c.get("/visits/coverage/").status_code == 200
    from django.test import RequestFactory

    from jike.web.registry import render_panels

    request = RequestFactory().get("/")
    request.user = world.users["hefei_cm"]
    panels = dict(render_panels(request, cust))
    assert "电话沟通" in panels["visits"] and "panel-opportunities" in panels["opportunities"]
    assert client_for(world.users["wuhu_cm"]).get(f"/visits/customers/{cust.pk}/log/").status_code == 404


def test_forecast_table_folds_the_long_tail():
    from decimal import Decimal

    from jike.sales.views import FORECAST_ROWS, _top_rows

    rows = [
        {"key": str(i), "label": f"m{i}", "count": 1, "amount": Decimal(i), "weighted": Decimal(i)} for i in range(120)
    ]
    out = _top_rows(rows)
    assert len(out) == FORECAST_ROWS + 1
    assert out[0]["weighted"] == Decimal(119)
    assert out[-1]["key"] == "other" and out[-1]["count"] == 120 - FORECAST_ROWS
    assert sum(r["weighted"] for r in out) == sum(r["weighted"] for r in rows)
    assert _top_rows(rows[:10]) == rows[:10]
