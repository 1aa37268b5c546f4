from __future__ import annotations

import pytest
from django.test import RequestFactory

from jike.core.models import ExportLog
from jike.core.testing import client_for
from jike.customers.models import TeamAssignment
from jike.planning import services
from jike.planning.models import AccountPlan, ServiceSite
from jike.planning.views import current_plan_panel

from .helpers import fill

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(world):
    c = world.customer(name="芜湖之外的合肥客户")
    TeamAssignment.objects.create(customer=c, staff=world.users["hefei_cm"], team_role="cm_mid")
    return c


def test_plan_pages_from_creation_to_approval(world, customer):
    cm = client_for(world.users["hefei_cm"])
    r = cm.post(f"/customers/{customer.pk}/plans/new/")
    plan = AccountPlan.objects.get(customer=customer)
    assert r.status_code == 302 and r["Location"] == f"/plans/{plan.pk}/"
    html = cm.get(f"/plans/{plan.pk}/").content.decode()
    for step in ["第一步 行业分析", "第六步 客户规划分析", 'id="plan-missing"', 'id="add-buying_factors"']:
        assert step in html
    r = cm.post(f"/plans/{plan.pk}/rows/sites/add/", {"sites-address": "合肥市政务区1号", "sites-copper_pairs": 10,
                "sites-fibre": "on"}, HTTP_HX_REQUEST="true")  # fmt: skip
    assert r.status_code == 200 and "合肥市政务区1号" in r.content.decode()
    site = ServiceSite.objects.get(plan=plan)
    assert site.fibre and site.copper_pairs == 10
    r = cm.get(f"/plans/{plan.pk}/rows/sites/{site.pk}/edit/")
    assert 'name="sites-address"' in r.content.decode()
    r = cm.post(f"/plans/{plan.pk}/rows/sites/{site.pk}/edit/", {"sites-address": "合肥市政务区2号",
                "sites-copper_pairs": 12})  # fmt: skip
    site.refresh_from_db()
    assert site.address == "合肥市政务区2号" and not site.fibre
    cm.post(f"/plans/{plan.pk}/rows/sites/{site.pk}/delete/")
    assert not ServiceSite.objects.filter(plan=plan).exists()
    r = cm.post(f"/plans/{plan.pk}/text/3/", {"step3-potential_needs": "视频会议", "step3-network_status": "专线"})
    plan.refresh_from_db()
    assert plan.potential_needs == "视频会议"
    fill(world.users["hefei_cm"], plan)
    cm.post(f"/plans/{plan.pk}/submit/")
    plan.refresh_from_db()
    assert plan.status == "submitted"
    im = client_for(world.users["hefei_im"])
    assert 'id="plan-approve"' in im.get(f"/plans/{plan.pk}/").content.decode()
    assert 'id="plan-approve"' not in cm.get(f"/plans/{plan.pk}/").content.decode()
    im.post(f"/plans/{plan.pk}/approve/", {"comment": "同意"})
    plan.refresh_from_db()
    assert plan.status == "approved" and plan.is_current
    r = cm.get(f"/plans/{plan.pk}/export.xlsx")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert ExportLog.objects.filter(what="account_plan", format="xlsx").count() == 1
    r = cm.post(f"/plans/{plan.pk}/new-version/")
    assert AccountPlan.objects.filter(customer=customer, version=2, status="draft").exists()


def test_plan_pages_respect_scope(world, customer):
    plan = services.create_plan(world.users["hefei_cm"], customer)
    wuhu = client_for(world.users["wuhu_cm"])
    assert wuhu.get(f"/plans/{plan.pk}/").status_code == 404
    assert wuhu.get(f"/plans/{plan.pk}/export.pdf").status_code == 404
    assert wuhu.post(f"/plans/{plan.pk}/rows/sites/add/", {"sites-address": "x"}).status_code == 404
    assert wuhu.post(f"/customers/{customer.pk}/plans/new/").status_code == 404
    assert "芜湖之外的合肥客户" not in wuhu.get("/plans/").content.decode()
    assert "芜湖之外的合肥客户" in client_for(world.users["hefei_city"]).get("/plans/").content.decode()


def test_current_plan_panel(world, customer):
    request = RequestFactory().get("/")
    request.user = world.users["hefei_cm"]
    assert current_plan_panel(request, customer) == ""  # untiered customer without a plan: no panel
    plan = fill(world.users["hefei_cm"], services.create_plan(world.users["hefei_cm"], customer, objective="专线翻番"))
    assert 'id="plan-in-progress"' in current_plan_panel(request, customer)
    services.submit(world.users["hefei_cm"], plan)
    services.approve(world.users["hefei_im"], plan)
    html = current_plan_panel(request, customer)
    assert 'id="current-plan-link"' in html and "专线翻番" in html and "互联网专线扩容" in html
    request.user = world.users["wuhu_city"]
    assert current_plan_panel(request, customer) == ""
