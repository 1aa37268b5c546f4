from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from jike.core.testing import api
from jike.customers import services as customer_services
from jike.sales.models import Opportunity
from jike.sales.testing import on_team, opportunity, product

pytestmark = pytest.mark.django_db
BASE = "/api/v1/opportunities/"


@pytest.fixture
def cust(world):
    c = world.customer(name="合肥轨道交通集团", industry="transport")
    on_team(c, world.users["hefei_cm"])
    return c


def close_date(days=30):
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def test_create_move_and_read_back(world, cust):
    cm = api(world.users["hefei_cm"])
    p = product()
    r = cm.post(
        BASE,
        {
            "customer": cust.pk,
            "title": "调度专线",
            "source": "visit",
            "expected_close": close_date(),
            "estimated_revenue": "240000.00",
            "lines": [{"product": p.pk, "quantity": 4, "monthly_revenue": "5000.00"}],
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["number"].startswith("SJ-") and body["probability"] == 10 and body["stage"] == "discovered"
    assert body["owner"] == world.users["hefei_cm"].pk and body["lines"][0]["product_name"] == p.name
    pk = body["id"]
    r = cm.post(f"{BASE}{pk}/move-stage/", {"stage": "negotiation"}, format="json")
    assert r.status_code == 200 and r.json()["probability"] == 80
    r = cm.post(f"{BASE}{pk}/move-stage/", {"stage": "lost"}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "lost_needs_reason"
    r = cm.post(f"{BASE}{pk}/move-stage/", {"stage": "won"}, format="json")
    assert r.status_code == 200 and r.json()["stage"] == "won"
    history = cm.get(f"{BASE}{pk}/history/").json()
    assert [h["to_stage"] for h in history["stages"]] == ["won", "negotiation", "discovered"]


def test_won_without_products_is_refused_with_reason(world, cust):
    opp = opportunity(world, cust)
    r = api(world.users["hefei_cm"]).post(f"{BASE}{opp.pk}/move-stage/", {"stage": "won"}, format="json")
    assert r.status_code == 409
    assert r.json()["code"] == "won_needs_products" and "产品" in r.json()["message"]
    assert Opportunity.objects.get(pk=opp.pk).stage == "discovered"


def test_bad_input(world, cust):
    cm = api(world.users["hefei_cm"])
    r = cm.post(BASE, {"customer": cust.pk, "title": "x", "expected_close": "not-a-date"}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "invalid"
    r = cm.post(BASE, {"customer": cust.pk, "title": "x", "expected_close": close_date(), "probability": 150})
    assert r.status_code == 400
    opp = opportunity(world, cust)
    r = cm.post(f"{BASE}{opp.pk}/move-stage/", {"stage": "bogus"}, format="json")
    assert r.status_code == 400
    r = cm.post(f"{BASE}{opp.pk}/position/", {"position": 9}, format="json")
    assert r.status_code == 400
    r = cm.get(f"{BASE}forecast/?group_by=weather")
    assert r.status_code == 400


def test_scope_other_city_and_cm_off_team_see_nothing(world, cust):
    opp = opportunity(world, cust, lines=[{"product": product(), "quantity": 1, "monthly_revenue": 10}])
    for who in ["wuhu_city", "wuhu_cm", "wuhu_im", "hefei_cm_other", "hefei_se"]:
        client = api(world.users[who])
        assert client.get(BASE).json()["count"] == 0, who
        assert client.get(f"{BASE}{opp.pk}/").status_code == 404, who
        assert client.post(f"{BASE}{opp.pk}/move-stage/", {"stage": "qualified"}).status_code == 404, who
        board = client.get(f"{BASE}board/").json()
        assert sum(c["count"] for c in board["columns"]) == 0, who
        assert client.get(f"{BASE}forecast/?group_by=city").json()["rows"] == [], who
        r = client.post(BASE, {"customer": cust.pk, "title": "x", "expected_close": close_date()}, format="json")
        assert r.status_code == 400, who  # the customer is not even a valid choice
    for who in ["admin", "province", "hefei_city", "hefei_county", "hefei_cm", "hefei_im", "analyst"]:
        assert api(world.users[who]).get(BASE).json()["count"] == 1, who
    # Read-only roles in scope see it but cannot change it.
    r = api(world.users["analyst"]).post(f"{BASE}{opp.pk}/move-stage/", {"stage": "qualified"}, format="json")
    assert r.status_code == 403


def test_board_and_forecast_endpoints(world, cust):
    opportunity(world, cust, estimated_revenue="100000", stage="solution")
    opportunity(
        world,
        cust,
        estimated_revenue="50000",
        stage="solution",
        expected_close=timezone.localdate() - dt.timedelta(days=3),
    )
    client = api(world.users["hefei_city"])
    cols = {c["stage"]: c for c in client.get(f"{BASE}board/").json()["columns"]}
    assert cols["solution"]["count"] == 2 and cols["solution"]["amount"] == "150000.00"
    assert cols["solution"]["weighted"] == "60000.00" and cols["solution"]["stale"] == 1
    assert [c["stale"] for c in cols["solution"]["cards"]] == [False, True]
    data = client.get(f"{BASE}forecast/?group_by=industry").json()
    assert data["rows"] == [
        {"key": "transport", "label": "交通物流", "count": 2, "amount": "150000.00", "weighted": "60000.00"}
    ]
    assert data["total_weighted"] == "60000.00"
    stale = client.get(f"{BASE}?stale=true").json()
    assert stale["count"] == 1 and stale["results"][0]["stale"] is True


def test_influencers_next_steps_and_position(world, cust):
    person = customer_services.add_key_person(world.users["admin"], cust, name="李总", title="副总经理", attitude="D")
    opp = opportunity(world, cust)
    cm = api(world.users["hefei_cm"])
    r = cm.post(f"{BASE}{opp.pk}/influencers/", {"key_person": person.pk, "deal_role": "decision_maker"}, format="json")
    assert r.status_code == 201, r.content
    inf = r.json()
    assert inf["attitude_now"] == "D" and inf["attitude_at_start"] == "D"
    r = cm.patch(f"/api/v1/opportunity-influencers/{inf['id']}/", {"attitude": "B", "note": "高层拜访"}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["attitude_now"] == "B" and r.json()["attitude_before"] == "D"
    rows = cm.get(f"{BASE}{opp.pk}/influencers/").json()
    assert rows[0]["name"] == "李总" and rows[0]["attitude_now"] == "B"
    r = cm.post(f"{BASE}{opp.pk}/next-steps/", {"action": "提交技术方案", "due_date": close_date(7)}, format="json")
    assert r.status_code == 201 and r.json()["owner"] == world.users["hefei_cm"].pk
    step_id = r.json()["id"]
    r = cm.patch(f"/api/v1/opportunity-next-steps/{step_id}/", {"done": True}, format="json")
    assert r.status_code == 200 and r.json()["done"] is True
    r = cm.post(f"{BASE}{opp.pk}/position/", {"position": 2, "note": "演示成功"}, format="json")
    assert r.status_code == 201 and r.json()["after"] == 2
    assert cm.get(f"{BASE}{opp.pk}/").json()["position"] == 2
    # Other city cannot reach the sub-resources either.
    wuhu = api(world.users["wuhu_cm"])
    assert wuhu.get(f"/api/v1/opportunity-influencers/{inf['id']}/").status_code == 404
    assert wuhu.patch(f"/api/v1/opportunity-next-steps/{step_id}/", {"done": False}).status_code == 404


def test_campaign_approval_flow_via_api(world):
    city = api(world.users["hefei_city"])
    r = city.post(
        "/api/v1/campaigns/",
        {"name": "合肥智慧校园路演", "org_unit": world.hefei.pk, "major": True, "start_date": close_date(1),
         "end_date": close_date(30), "target_segments": {"tiers": ["A", "B"], "industries": ["education"]}},
        format="json",
    )  # fmt: skip
    assert r.status_code == 201, r.content
    c = r.json()
    assert c["level"] == "city" and c["needs_province_approval"] is True
    assert city.post(f"/api/v1/campaigns/{c['id']}/start/").json()["code"] == "needs_province_approval"
    assert city.post(f"/api/v1/campaigns/{c['id']}/submit/").json()["status"] == "submitted"
    r = city.post(f"/api/v1/campaigns/{c['id']}/approve/", {"note": "自批"}, format="json")
    assert r.status_code == 403 and r.json()["code"] == "needs_province_approval"
    r = api(world.users["province"]).post(f"/api/v1/campaigns/{c['id']}/approve/", {"note": "同意"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert city.post(f"/api/v1/campaigns/{c['id']}/start/").json()["status"] == "running"
    assert api(world.users["wuhu_city"]).get(f"/api/v1/campaigns/{c['id']}/").status_code == 404
    r = city.get(f"/api/v1/campaigns/{c['id']}/results/")
    assert r.status_code == 200 and r.json()["opportunities"] == 0
    r = city.post("/api/v1/campaigns/", {"name": "x", "org_unit": world.wuhu.pk, "start_date": close_date(1),
                                          "end_date": close_date(2)}, format="json")  # fmt: skip
    assert r.status_code == 403
    r = city.post("/api/v1/campaigns/", {"name": "x", "start_date": close_date(5), "end_date": close_date(2)})
    assert r.status_code == 400
