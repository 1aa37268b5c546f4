from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from jike.core.errors import BusinessRuleError
from jike.core.models import AuditLog
from jike.core.testing import api
from jike.customers import services as customer_services
from jike.customers.models import AttitudeChange, Customer
from jike.sales.models import Opportunity
from jike.sales.testing import on_team, opportunity, set_tier
from jike.visits import reports, services
from jike.visits.models import VisitLog, VisitNorm, VisitPlan

pytestmark = pytest.mark.django_db


@pytest.fixture
def cust(world):
    c = set_tier(world.customer(name="合肥供水集团"), "A")
    on_team(c, world.users["hefei_cm"])
    return c


def ago(days):
    return timezone.now() - dt.timedelta(days=days)


def test_plan_then_log_applies_attitudes_and_marks_done(world, cust):
    cm = world.users["hefei_cm"]
    person = customer_services.add_key_person(world.users["admin"], cust, name="赵处长", attitude="D")
    opp = opportunity(world, cust)
    Opportunity.objects.filter(pk=opp.pk).update(last_activity_at=ago(40))
    plan = services.create_plan(
        cm, cust, planned_at=timezone.now() + dt.timedelta(hours=2), objectives="演示视频监控", key_persons=[person],
        method="on_site", cautions="避开午休", opportunity=opp,
    )  # fmt: skip
    assert plan.number.startswith("BF-") and plan.manager == cm
    log = services.record_visit(
        cm, cust, plan=plan, summary="客户认可方案", attitudes=[{"key_person": person, "attitude": "B", "note": "认可"}],
        follow_ups=[{"action": "报价", "due_date": timezone.localdate() + dt.timedelta(days=5)}],
    )  # fmt: skip
    plan.refresh_from_db()
    person.refresh_from_db()
    assert plan.status == "done" and log.opportunity == opp
    assert person.attitude == "B"
    change = AttitudeChange.objects.filter(key_person=person).first()
    assert (change.before, change.after) == ("D", "B") and "拜访" in change.note
    assert log.follow_ups.get().owner == cm
    opp.refresh_from_db()
    assert opp.last_activity_at >= log.visited_at - dt.timedelta(seconds=1)  # the visit revived the deal
    assert AuditLog.objects.filter(action="visit.log", subject_id=str(cust.pk)).exists()
    with pytest.raises(BusinessRuleError) as exc:
        services.record_visit(cm, cust, plan=plan, summary="again")
    assert exc.value.code == "plan_closed"


def test_refusals(world, cust):
    other = world.customer()
    stranger = customer_services.add_key_person(world.users["admin"], other, name="外人")
    cm = world.users["hefei_cm"]
    with pytest.raises(ValidationError):
        services.create_plan(cm, cust, planned_at=timezone.now(), objectives="x", key_persons=[stranger])
    with pytest.raises(ValidationError):
        services.record_visit(cm, cust, summary="x", visited_at=timezone.now() + dt.timedelta(days=2))
    for who in ["wuhu_cm", "hefei_cm_other", "wuhu_city", "analyst"]:
        with pytest.raises(BusinessRuleError):
            services.record_visit(world.users[who], cust, summary="x")


def test_overdue_follows_tier_norms(world, cust):
    b = set_tier(world.customer(name="B客户"), "B")
    c_new = set_tier(world.customer(name="新C客户"), "C")
    Customer.objects.filter(pk__in=[cust.pk, b.pk]).update(created_at=ago(400))
    cm = world.users["hefei_cm"]
    services.record_visit(cm, cust, summary="x", visited_at=ago(31))  # A: 30 days -> overdue
    services.record_visit(world.users["hefei_city"], b, summary="x", visited_at=ago(31))  # B: 60 days -> fine
    names = set(reports.overdue_customers(Customer.objects.all()).values_list("name", flat=True))
    assert names == {"合肥供水集团"}  # the new C customer has its first 90 days
    VisitNorm.objects.update_or_create(tier="B", defaults={"every_days": 30})
    assert set(reports.overdue_customers(Customer.objects.all()).values_list("name", flat=True)) == {
        "合肥供水集团",
        "B客户",
    }
    status = reports.customer_visit_status(cust)
    assert status["overdue"] and status["days_overdue"] == 1 and status["norm_days"] == 30
    assert not reports.customer_visit_status(c_new)["overdue"]


def test_coverage_per_manager(world, cust):
    cm = world.users["hefei_cm"]
    second = set_tier(world.customer(name="第二客户"), "B")
    on_team(second, cm)
    services.record_visit(cm, cust, summary="x", visited_at=ago(3))
    services.record_visit(cm, second, summary="x", visited_at=ago(70))  # B norm 60: not covered
    rows = {r["manager"]: r for r in reports.coverage(world.users["hefei_city"])}
    assert rows["t-hefei-cm"]["customers"] == 2 and rows["t-hefei-cm"]["covered"] == 1
    assert rows["t-hefei-cm"]["share"] == 0.5
    assert reports.coverage(world.users["wuhu_city"]) == []
    assert [r["manager"] for r in reports.coverage(cm)] == ["t-hefei-cm"]


def test_api_plans_logs_scope_and_reports(world, cust):
    person = customer_services.add_key_person(world.users["admin"], cust, name="钱科长", attitude="C")
    client = api(world.users["hefei_cm"])
    when = (timezone.now() + dt.timedelta(days=1)).isoformat()
    r = client.post(
        "/api/v1/visit-plans/",
        {"customer": cust.pk, "planned_at": when, "objectives": "续约沟通", "key_persons": [person.pk],
         "method": "phone"},
        format="json",
    )  # fmt: skip
    assert r.status_code == 201, r.content
    plan_id = r.json()["id"]
    r = client.post(
        "/api/v1/visit-logs/",
        {"customer": cust.pk, "plan": plan_id, "summary": "同意续约",
         "attitudes": [{"key_person": person.pk, "attitude": "A"}],
         "follow_ups": [{"action": "准备合同", "due_date": (timezone.localdate() + dt.timedelta(days=3)).isoformat()}]},
        format="json",
    )  # fmt: skip
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["attitudes"][0]["before"] == "C" and body["attitudes"][0]["attitude"] == "A"
    assert client.get(f"/api/v1/visit-plans/{plan_id}/").json()["status"] == "done"
    fu = body["follow_ups"][0]["id"]
    assert client.patch(f"/api/v1/visit-follow-ups/{fu}/", {"done": True}, format="json").json()["done"] is True
    # Bad input.
    assert (
        client.post("/api/v1/visit-plans/", {"customer": cust.pk, "planned_at": "x", "objectives": "y"}).status_code
        == 400
    )
    assert client.post("/api/v1/visit-logs/", {"customer": cust.pk}, format="json").status_code == 400
    # Scope: another city or a CM off the team sees none of it.
    for who in ["wuhu_city", "wuhu_cm", "hefei_cm_other", "hefei_se"]:
        other = api(world.users[who])
        assert other.get("/api/v1/visit-plans/").json()["count"] == 0, who
        assert other.get("/api/v1/visit-logs/").json()["count"] == 0, who
        assert other.get(f"/api/v1/visit-plans/{plan_id}/").status_code == 404, who
        assert other.get(f"/api/v1/visit-follow-ups/{fu}/").status_code == 404, who
        assert other.get("/api/v1/visits/overdue/").json()["count"] == 0, who
        r = other.post("/api/v1/visit-logs/", {"customer": cust.pk, "summary": "x"}, format="json")
        assert r.status_code == 400, who
    cov = api(world.users["hefei_city"]).get("/api/v1/visits/coverage/").json()
    assert cov[0]["manager"] == "t-hefei-cm" and cov[0]["covered"] == 1
    Customer.objects.filter(pk=cust.pk).update(created_at=ago(100))
    VisitLog.objects.update(visited_at=ago(45))
    overdue = api(world.users["hefei_city"]).get("/api/v1/visits/overdue/").json()
    assert overdue["count"] == 1 and overdue["results"][0]["days_overdue"] == 15
    ics = client.get("/api/v1/visit-plans/calendar/")
    assert ics.status_code == 200 and b"BEGIN:VCALENDAR" in ics.content
    assert VisitPlan.objects.count() == 1
