"""Tiering API: every response is checked against the OpenAPI schema by jike.core.testing.api."""

from __future__ import annotations

from decimal import Decimal

import pytest

from jike.core.models import Job
from jike.core.roles import Role
from jike.core.testing import api, make_user
from jike.customers import tiering
from jike.customers.models import Customer, Scorecard, ScorecardStatus, TeamAssignment, TierChange
from jike.customers.tests.test_tiering import seed_default_rules


@pytest.fixture(autouse=True)
def _seeded_rules_inline_jobs(settings, db):
    seed_default_rules()
    settings.JIKE_JOBS_INLINE = True


def url(customer: Customer, action: str) -> str:
    return f"/api/v1/customers/{customer.pk}/{action}/"


@pytest.fixture
def hefei_customer(world):
    c = world.customer(monthly_spend=Decimal("3000"), employees=600, industry_influence=3)
    Customer.objects.filter(pk=c.pk).update(member_count=50, unified_member_count=30)
    c.refresh_from_db()
    # customer managers see only customers whose team they are on
    TeamAssignment.objects.create(customer=c, staff=world.users["hefei_cm"], team_role="cm_mid")
    return c


def test_scorecards_list_and_detail_for_any_signed_in_user(world):
    res = api(world.users["hefei_cm"]).get("/api/v1/scorecards/")
    assert res.status_code == 200 and res.json()["count"] == 1
    card = res.json()["results"][0]
    assert card["status"] == "active" and len(card["criteria"]) == 6
    assert card["grades"][0] == {"grade": "A1", "tier": "A", "min_score": 75.0}
    detail = api(world.users["analyst"]).get(f"/api/v1/scorecards/{card['id']}/")
    assert detail.status_code == 200 and detail.json()["version"] == 1
    assert api().get("/api/v1/scorecards/").status_code in (401, 403)


def test_province_creates_edits_and_activates_a_draft(world):
    client = api(world.users["province"])
    res = client.post("/api/v1/scorecards/", {"name": "2025版"}, format="json")
    assert res.status_code == 201, res.content
    draft = res.json()
    assert (draft["version"], draft["status"], draft["name"]) == (2, "draft", "2025版")
    patch = {
        "criteria": [
            {"key": "monthly_revenue", "weight": 60, "bands": [{"min": 0, "points": 0}, {"min": 3000, "points": 100}]},
            {"key": "strategic", "weight": 40, "bands": [{"min": 0, "points": 0}, {"min": 1, "points": 100}]},
        ],
        "grades": [
            {"grade": "A", "tier": "A", "min_score": 80},
            {"grade": "B", "tier": "B", "min_score": 50},
            {"grade": "C", "tier": "C", "min_score": 0},
        ],
    }
    res = client.patch(f"/api/v1/scorecards/{draft['id']}/", patch, format="json")
    assert res.status_code == 200, res.content
    assert [c["key"] for c in res.json()["criteria"]] == ["monthly_revenue", "strategic"]
    assert [g["grade"] for g in res.json()["grades"]] == ["A", "B", "C"]

    res = client.post(f"/api/v1/scorecards/{draft['id']}/activate/")
    assert res.status_code == 200 and res.json()["status"] == "active"
    assert Scorecard.objects.get(version=1).status == ScorecardStatus.RETIRED
    # an active card is no longer editable
    res = client.patch(f"/api/v1/scorecards/{draft['id']}/", {"name": "x"}, format="json")
    assert res.status_code == 409 and res.json()["code"] == "scorecard_not_draft"


@pytest.mark.parametrize("name", ["hefei_city", "analyst", "hefei_cm", "wuhu_city"])
def test_only_configurers_change_scorecards(world, name):
    client = api(world.users[name])
    assert client.post("/api/v1/scorecards/", {}, format="json").status_code == 403
    draft = tiering.create_draft(world.users["province"])
    assert client.patch(f"/api/v1/scorecards/{draft.pk}/", {"name": "x"}, format="json").status_code == 403
    assert client.post(f"/api/v1/scorecards/{draft.pk}/activate/").status_code == 403
    assert Scorecard.objects.get(pk=draft.pk).status == ScorecardStatus.DRAFT


def test_bad_scorecard_edits_get_the_error_shape(world):
    client = api(world.users["province"])
    draft = tiering.create_draft(world.users["province"])
    bad = [
        {"criteria": [{"key": "members", "weight": 0, "bands": [{"min": 0, "points": 0}]}]},
        {"criteria": [{"key": "members", "weight": 1, "bands": [{"min": 5, "points": 0}, {"min": 1, "points": 9}]}]},
        {"criteria": [{"key": "nope", "weight": 1, "bands": [{"min": 0, "points": 0}]}]},
        {"grades": [{"grade": "A", "tier": "A", "min_score": 10}, {"grade": "B", "tier": "B", "min_score": 20}]},
        {"grades": [{"grade": "A", "tier": "A", "min_score": 10}, {"grade": "A", "tier": "C", "min_score": 0}]},
        {"grades": "A1"},
    ]
    for body in bad:
        res = client.patch(f"/api/v1/scorecards/{draft.pk}/", body, format="json")
        assert res.status_code == 400, (body, res.content)
        assert res.json()["code"] == "invalid" and res.json()["message"]
    assert draft.criteria.count() == 6 and draft.grades.count() == 5


def test_compute_tier_is_a_dry_preview_with_explanation(world, hefei_customer):
    for name in ("hefei_cm", "analyst", "hefei_city", "province"):
        res = api(world.users[name]).post(url(hefei_customer, "compute-tier"), {}, format="json")
        assert res.status_code == 200, (name, res.content)
    body = res.json()
    assert (body["grade"], body["tier"], body["score"], body["would_change"]) == ("B1", "B", 59.0, True)
    assert {r["key"] for r in body["explanation"]} >= {"monthly_revenue", "employees"}
    hefei_customer.refresh_from_db()
    assert hefei_customer.tier == "" and not TierChange.objects.exists()


def test_compute_tier_against_a_draft(world, hefei_customer):
    draft = tiering.create_draft(world.users["province"])
    tiering.update_draft(
        world.users["province"],
        draft,
        grades=[{"grade": "TOP", "tier": "A", "min_score": 50}, {"grade": "REST", "tier": "C", "min_score": 0}],
    )
    res = api(world.users["hefei_city"]).post(url(hefei_customer, "compute-tier"), {"scorecard": draft.pk})
    assert res.status_code == 200 and res.json()["grade"] == "TOP" and res.json()["scorecard_version"] == 2
    res = api(world.users["hefei_city"]).post(url(hefei_customer, "compute-tier"), {"scorecard": 99999})
    assert res.status_code == 400


def test_assign_tier_override_and_history(world, hefei_customer):
    cm = api(world.users["hefei_cm"])
    res = cm.post(url(hefei_customer, "assign-tier"), {"reason": "年度定级"}, format="json")
    assert res.status_code == 200, res.content
    body = res.json()
    assert body["changed"] and body["change"]["to_grade"] == "B1" and body["change"]["manual"] is False
    assert body["change"]["actor_name"] == str(world.users["hefei_cm"])
    res = cm.post(url(hefei_customer, "assign-tier"), {"reason": "再算"}, format="json")
    assert res.status_code == 200 and res.json()["changed"] is False and "change" not in res.json()

    res = cm.post(url(hefei_customer, "tier-override"), {"grade": "A1", "reason": "战略合作"}, format="json")
    assert res.status_code == 201, res.content
    assert res.json()["manual"] and res.json()["score"] is None and res.json()["scorecard_version"] is None
    hefei_customer.refresh_from_db()
    assert (hefei_customer.tier, hefei_customer.grade) == ("A", "A1")

    res = api(world.users["analyst"]).get(url(hefei_customer, "tier-history"))
    assert res.status_code == 200
    assert [(r["from_grade"], r["to_grade"]) for r in res.json()["results"]] == [("B1", "A1"), ("", "B1")]


def test_tier_actions_bad_input(world, hefei_customer):
    client = api(world.users["hefei_city"])
    assert client.post(url(hefei_customer, "assign-tier"), {}, format="json").status_code == 400
    assert client.post(url(hefei_customer, "assign-tier"), {"reason": "  "}, format="json").status_code == 400
    res = client.post(url(hefei_customer, "tier-override"), {"grade": "Z", "reason": "x"}, format="json")
    assert res.status_code == 400 and "grade" in res.json()["details"]
    assert client.post(url(hefei_customer, "tier-override"), {"grade": "A1"}, format="json").status_code == 400
    # no tier yet: the team cannot be built
    res = client.post(url(hefei_customer, "assign-team"))
    assert res.status_code == 409 and res.json()["code"] == "no_tier"
    assert client.post("/api/v1/customers/999999/assign-tier/", {"reason": "x"}, format="json").status_code == 404
    assert not TierChange.objects.exists()


@pytest.mark.parametrize("action", ["compute-tier", "assign-tier", "tier-override", "assign-team", "tier-history"])
def test_scope_other_city_and_off_team_cm_get_404(world, hefei_customer, action):
    body = {"reason": "x", "grade": "A1"}
    for name in ("wuhu_city", "wuhu_cm", "hefei_cm_other", "wuhu_im"):
        client = api(world.users[name])
        res = (
            client.get(url(hefei_customer, action))
            if action == "tier-history"
            else client.post(url(hefei_customer, action), body, format="json")
        )
        assert res.status_code == 404, (name, action, res.status_code)
    assert not TierChange.objects.exists()


@pytest.mark.parametrize("action", ["assign-tier", "tier-override", "assign-team"])
def test_read_only_roles_get_403_on_writes(world, hefei_customer, action):
    hefei_se = world.users["hefei_se"]
    TeamAssignment.objects.create(customer=hefei_customer, staff=hefei_se, team_role="sales_engineer")
    for user in (world.users["analyst"], hefei_se):
        res = api(user).post(url(hefei_customer, action), {"reason": "x", "grade": "A1"}, format="json")
        assert res.status_code == 403, (user.role, action, res.content)
    hefei_customer.refresh_from_db()
    assert hefei_customer.tier == ""


def test_assign_team_returns_filled_and_unfilled(world, hefei_customer):
    tiering.set_tier_manually(None, hefei_customer, "A2", "测试")
    make_user(Role.CM_SENIOR, world.wuhu_grid)  # another city: must not be used
    res = api(world.users["hefei_city"]).post(url(hefei_customer, "assign-team"))
    assert res.status_code == 200, res.content
    body = res.json()
    assert {r["team_role"] for r in body["filled"]} == {"industry_manager", "sales_engineer"}
    assert {r["team_role"] for r in body["unfilled"]} == {"chief_rep", "cm_senior"}
    assert [r["team_role"] for r in body["extra"]] == ["cm_mid"]  # the B-tier CM already on the team stays
    staff_cities = {a.staff.org_unit.path[:8] for a in TeamAssignment.objects.filter(customer=hefei_customer)}
    assert staff_cities == {world.hefei.path}


def test_retier_job_via_api_with_progress(world, hefei_customer):
    world.customer(grid=world.wuhu_grid, monthly_spend=Decimal("90000"))
    res = api(world.users["hefei_city"]).post("/api/v1/retier-jobs/", {"reason": "季度重评"}, format="json")
    assert res.status_code == 202, res.content
    job = res.json()
    assert job["kind"] == "customers.retier" and job["status"] == "succeeded"
    assert (job["total"], job["done"], job["percent"]) == (1, 1, 100)
    assert job["result"]["changed"] == 1
    polled = api(world.users["hefei_city"]).get(f"/api/v1/jobs/{job['id']}/")
    assert polled.status_code == 200 and polled.json()["done"] == 1
    hefei_customer.refresh_from_db()
    assert hefei_customer.grade == "B1"
    assert Customer.objects.filter(city=world.wuhu, tier="").count() == 1


@pytest.mark.parametrize("name", ["analyst", "hefei_cm", "hefei_im"])
def test_retier_refused_for_non_managers(world, name):
    res = api(world.users[name]).post("/api/v1/retier-jobs/", {"reason": "x"}, format="json")
    assert res.status_code == 403
    assert not Job.objects.exists()


def test_retier_needs_reason(world):
    res = api(world.users["province"]).post("/api/v1/retier-jobs/", {}, format="json")
    assert res.status_code == 400 and not Job.objects.exists()
