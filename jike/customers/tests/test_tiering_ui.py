"""Tiering screens: scorecard pages, batch re-tiering with progress, and the customer tier panel."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template.loader import render_to_string

from jike.core.models import Job
from jike.core.testing import client_for
from jike.customers import tiering
from jike.customers.models import Customer, Scorecard, ScorecardStatus, TeamAssignment, TierChange
from jike.customers.tests.test_tiering import seed_default_rules


@pytest.fixture(autouse=True)
def _fast(settings, db):
    seed_default_rules()
    settings.JIKE_JOBS_INLINE = True


def test_scorecard_pages_read_for_all_edit_for_province(world):
    cm = client_for(world.users["hefei_cm"])
    page = cm.get("/tiering/scorecards/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "v1" in html and 'id="new-draft"' not in html
    detail = cm.get(f"/tiering/scorecards/{tiering.active_scorecard().pk}/").content.decode()
    assert "A1" in detail and 'id="edit-form"' not in detail
    assert cm.post("/tiering/scorecards/new/").status_code == 403
    assert client_for(world.users["hefei_city"]).post("/tiering/scorecards/new/").status_code == 403

    province = client_for(world.users["province"])
    assert 'id="new-draft"' in province.get("/tiering/scorecards/").content.decode()
    res = province.post("/tiering/scorecards/new/")
    draft = Scorecard.objects.get(status=ScorecardStatus.DRAFT)
    assert res.status_code == 302 and res["Location"] == f"/tiering/scorecards/{draft.pk}/"
    assert 'id="edit-form"' in province.get(res["Location"]).content.decode()


def _form(**over):
    data = {
        "name": "2025版",
        "note": "",
        "weight_monthly_revenue": "70",
        "bands_monthly_revenue": "0:0, 3000:70，10000:100",
        "weight_strategic": "30",
        "bands_strategic": "0:0, 1:100",
        "grades": "A A 60\nB B 30\nC C 0",
    }
    data.update(over)
    return data


def test_edit_draft_through_the_form_and_activate(world):
    province = client_for(world.users["province"])
    draft = tiering.create_draft(world.users["province"])
    res = province.post(f"/tiering/scorecards/{draft.pk}/", _form())
    assert res.status_code == 302
    assert sorted(draft.criteria.values_list("key", flat=True)) == ["monthly_revenue", "strategic"]
    assert list(draft.grades.values_list("grade", flat=True)) == ["A", "B", "C"]
    assert draft.criteria.get(key="monthly_revenue").bands[-1] == {"min": 10000, "points": 100}

    bad = province.post(f"/tiering/scorecards/{draft.pk}/", _form(bands_strategic="1:100, 0:0"))
    assert bad.status_code == 400 and 'id="edit-error"' in bad.content.decode()
    bad = province.post(f"/tiering/scorecards/{draft.pk}/", _form(grades="A A 60\nB B 70\nC C 0"))
    assert bad.status_code == 400
    assert draft.grades.get(grade="B").min_score == 30, "refused edits change nothing"

    assert client_for(world.users["hefei_city"]).post(f"/tiering/scorecards/{draft.pk}/activate/").status_code == 403
    res = province.post(f"/tiering/scorecards/{draft.pk}/activate/", follow=True)
    assert res.status_code == 200 and tiering.active_scorecard().pk == draft.pk
    # active cards are read-only
    assert province.post(f"/tiering/scorecards/{draft.pk}/", _form()).status_code == 403


def test_retier_page_starts_job_and_polls_progress(world):
    c = world.customer(monthly_spend=Decimal("3000"))
    world.customer(grid=world.wuhu_grid, monthly_spend=Decimal("3000"))
    assert client_for(world.users["analyst"]).get("/tiering/retier/").status_code == 403
    assert client_for(world.users["hefei_cm"]).post("/tiering/retier/", {"reason": "x"}).status_code == 403

    boss = client_for(world.users["hefei_city"])
    assert boss.get("/tiering/retier/").status_code == 200
    res = boss.post("/tiering/retier/", {"reason": "年度重新定级"})
    job = Job.objects.get(kind="customers.retier")
    assert res.status_code == 302 and res["Location"].endswith(f"?job={job.pk}")
    page = boss.get(res["Location"]).content.decode()
    assert 'id="retier-job"' in page and 'data-status="succeeded"' in page
    partial = boss.get(f"/tiering/retier/jobs/{job.pk}/").content.decode()
    assert "100%" in partial and 'id="retier-changed">1<' in partial
    assert "hx-trigger" not in partial, "a finished job stops polling"
    c.refresh_from_db()
    assert c.tier and TierChange.objects.filter(customer=c, reason="年度重新定级").exists()
    # other users cannot poll someone else's job
    assert client_for(world.users["wuhu_city"]).get(f"/tiering/retier/jobs/{job.pk}/").status_code == 404


def test_running_job_partial_keeps_polling(world):
    job = Job.objects.create(kind="customers.retier", created_by=world.users["province"], status="running", total=10)
    Job.objects.filter(pk=job.pk).update(done=4)
    html = client_for(world.users["province"]).get(f"/tiering/retier/jobs/{job.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in html and "40%" in html


@pytest.fixture
def customer(world):
    c = world.customer(monthly_spend=Decimal("3000"), employees=600)
    TeamAssignment.objects.create(customer=c, staff=world.users["hefei_cm"], team_role="cm_mid")
    return c


def test_panel_include_with_customer_only_loads_itself(world, customer):
    html = render_to_string("customers/tiering/_customer_tier.html", {"customer": customer})
    assert f'hx-get="/tiering/customers/{customer.pk}/panel/"' in html


def test_customer_panel_scope_and_actions(world, customer):
    assert client_for(world.users["wuhu_city"]).get(f"/tiering/customers/{customer.pk}/panel/").status_code == 404
    assert client_for(world.users["hefei_cm_other"]).get(f"/tiering/customers/{customer.pk}/panel/").status_code == 404
    analyst = client_for(world.users["analyst"])
    assert analyst.get(f"/tiering/customers/{customer.pk}/panel/").status_code == 200
    assert analyst.post(f"/tiering/customers/{customer.pk}/recompute/", {"reason": "x"}).status_code == 403
    assert analyst.post(f"/tiering/customers/{customer.pk}/assign-team/").status_code == 403
    assert client_for(world.users["wuhu_city"]).post(f"/tiering/customers/{customer.pk}/recompute/").status_code == 404

    cm = client_for(world.users["hefei_cm"])
    html = cm.get(f"/tiering/customers/{customer.pk}/panel/").content.decode()
    assert "未定级" in html and 'id="tier-recompute"' in html
    html = cm.post(f"/tiering/customers/{customer.pk}/recompute/", {"reason": "客户页面重新定级"}).content.decode()
    customer.refresh_from_db()
    assert customer.grade and 'id="tier-notice"' in html and 'id="tier-explanation"' in html
    assert f"· {customer.grade}" in html
    html = cm.post(f"/tiering/customers/{customer.pk}/recompute/", {"reason": ""}).content.decode()
    assert 'id="tier-error"' in html
    html = cm.post(f"/tiering/customers/{customer.pk}/assign-team/").content.decode()
    assert 'id="team-report"' in html
    assert Customer.objects.get(pk=customer.pk).team.count() >= 1
