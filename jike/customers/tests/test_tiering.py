"""Tiering services: scoring with explanations, scorecard versions, overrides, teams, batch re-tiering."""

from __future__ import annotations

import importlib
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from jike.core.errors import BusinessRuleError
from jike.core.models import AuditLog, Job, JobStatus
from jike.core.roles import Role
from jike.core.testing import make_user
from jike.customers import tiering
from jike.customers.models import Customer, Scorecard, ScorecardStatus, TeamAssignment, TierChange


def seed_default_rules() -> None:
    """Re-run the 0003 seed if a transactional test (e2e) flushed the tables earlier in the session."""
    from django.apps import apps

    importlib.import_module("jike.customers.migrations.0003_default_scorecard").forwards(apps, None)


@pytest.fixture(autouse=True)
def _seeded_rules(db):
    seed_default_rules()


def profile(customer: Customer, **fields: object) -> Customer:
    """Set scored fields directly (member counts are kept by member services elsewhere)."""
    Customer.objects.filter(pk=customer.pk).update(**fields)
    customer.refresh_from_db()
    return customer


def one_criterion_card(actor, points_bands, grades):
    card = tiering.create_draft(actor)
    return tiering.update_draft(
        actor,
        card,
        criteria=[{"key": "monthly_revenue", "weight": 1, "bands": points_bands}],
        grades=grades,
    )


GRADES = [
    {"grade": "A1", "tier": "A", "min_score": 75},
    {"grade": "A2", "tier": "A", "min_score": 60},
    {"grade": "B1", "tier": "B", "min_score": 45},
    {"grade": "C", "tier": "C", "min_score": 0},
]


def test_default_scorecard_is_seeded_and_active(db):
    card = tiering.active_scorecard()
    assert card.version == 1
    assert {c.key for c in card.criteria.all()} == {
        "monthly_revenue",
        "members",
        "unified_share",
        "industry_influence",
        "strategic",
        "employees",
    }
    assert list(card.grades.values_list("grade", flat=True)) == ["A1", "A2", "B1", "B2", "C"]


def test_score_explains_every_criterion(world):
    c = world.customer(monthly_spend=Decimal("3000"), employees=600, industry_influence=3)
    c = profile(c, member_count=50, unified_member_count=30)
    result = tiering.score(c, tiering.active_scorecard())
    rows = {r["key"]: r for r in result.explanation}
    # 3,000 yuan/month is the "major customer" band: 70 points x 40/100
    assert rows["monthly_revenue"] == {
        "key": "monthly_revenue",
        "label": "月收入(元)",
        "value": 3000,
        "points": 70,
        "weight": 40,
        "weighted": 28,
    }
    assert rows["members"]["points"] == 40 and rows["members"]["weighted"] == 6
    assert rows["unified_share"]["value"] == 60 and rows["unified_share"]["weighted"] == 12
    assert rows["industry_influence"]["weighted"] == 5
    assert rows["strategic"]["value"] == 0 and rows["strategic"]["weighted"] == 0
    # > 499 employees is "large"
    assert rows["employees"]["points"] == 80 and rows["employees"]["weighted"] == 8
    assert result.score == Decimal("59.00")
    assert sum(Decimal(str(r["weighted"])) for r in result.explanation) == result.score
    assert (result.grade, result.tier, result.scorecard_version) == ("B1", "B", 1)


def test_small_and_large_customers_fall_in_c_and_a(world):
    small = profile(world.customer(monthly_spend=Decimal("300"), employees=20), member_count=12)
    big = profile(
        world.customer(monthly_spend=Decimal("60000"), employees=3000, industry_influence=5, strategic=True),
        member_count=2500,
        unified_member_count=2400,
    )
    card = tiering.active_scorecard()
    assert tiering.score(small, card).tier == "C"
    big_result = tiering.score(big, card)
    assert (big_result.grade, big_result.score) == ("A1", Decimal("100.00"))


def test_grade_thresholds_are_inclusive_and_bands_pick_highest_reached(world):
    admin = world.users["admin"]
    card = one_criterion_card(
        admin,
        [
            {"min": 0, "points": 0},
            {"min": 100, "points": 44.99},
            {"min": 200, "points": 45},
            {"min": 300, "points": 60},
        ],
        GRADES,
    )
    expected = {
        Decimal("50"): "C",
        Decimal("150"): "C",
        Decimal("200"): "B1",
        Decimal("299.99"): "B1",
        Decimal("300"): "A2",
    }
    for spend, grade in expected.items():
        c = world.customer(monthly_spend=spend)
        assert tiering.score(c, card).grade == grade, spend
    assert tiering.band_points([{"min": 10, "points": 50}], Decimal(5)) == 0


def test_draft_copy_edit_and_activate_retires_previous(world):
    province = world.users["province"]
    v1 = tiering.active_scorecard()
    draft = tiering.create_draft(province)
    assert (draft.version, draft.status) == (2, ScorecardStatus.DRAFT)
    assert draft.criteria.count() == v1.criteria.count() and draft.grades.count() == v1.grades.count()
    tiering.update_draft(province, draft, name="2025版", grades=GRADES)
    assert list(draft.grades.values_list("grade", flat=True)) == ["A1", "A2", "B1", "C"]
    assert v1.grades.count() == 5, "editing the draft must not touch the active card"
    tiering.activate(province, draft)
    v1.refresh_from_db()
    draft.refresh_from_db()
    assert (v1.status, draft.status) == (ScorecardStatus.RETIRED, ScorecardStatus.ACTIVE)
    assert Scorecard.objects.filter(status=ScorecardStatus.ACTIVE).count() == 1
    assert tiering.active_scorecard().pk == draft.pk
    actions = set(AuditLog.objects.filter(object_type="customers.scorecard").values_list("action", flat=True))
    assert actions == {"scorecard.create", "scorecard.update", "scorecard.activate", "scorecard.retire"}
    with pytest.raises(BusinessRuleError) as err:
        tiering.update_draft(province, draft, name="x")
    assert err.value.code == "scorecard_not_draft"
    with pytest.raises(BusinessRuleError):
        tiering.activate(province, v1)


def test_only_configurers_edit_scorecards(world):
    for name in ("hefei_city", "analyst", "hefei_cm"):
        with pytest.raises(BusinessRuleError) as err:
            tiering.create_draft(world.users[name])
        assert err.value.status == 403


@pytest.mark.parametrize(
    "criteria",
    [
        [{"key": "monthly_revenue", "weight": 0, "bands": [{"min": 0, "points": 0}]}],
        [{"key": "monthly_revenue", "weight": -1, "bands": [{"min": 0, "points": 0}]}],
        [{"key": "monthly_revenue", "weight": 1, "bands": [{"min": 10, "points": 0}, {"min": 5, "points": 10}]}],
        [{"key": "monthly_revenue", "weight": 1, "bands": [{"min": 0, "points": 0}, {"min": 0, "points": 10}]}],
        [{"key": "monthly_revenue", "weight": 1, "bands": [{"min": 0, "points": 101}]}],
        [{"key": "monthly_revenue", "weight": 1, "bands": []}],
        [{"key": "monthly_revenue", "weight": "abc", "bands": [{"min": 0, "points": 1}]}],
        [{"key": "shoe_size", "weight": 1, "bands": [{"min": 0, "points": 1}]}],
        [
            {"key": "members", "weight": 1, "bands": [{"min": 0, "points": 1}]},
            {"key": "members", "weight": 2, "bands": [{"min": 0, "points": 1}]},
        ],
        [],
    ],
)
def test_bad_criteria_are_refused(world, criteria):
    draft = tiering.create_draft(world.users["province"])
    with pytest.raises(ValidationError):
        tiering.update_draft(world.users["province"], draft, criteria=criteria)
    assert draft.criteria.count() == 6, "a refused edit changes nothing"


@pytest.mark.parametrize(
    "grades",
    [
        [{"grade": "A", "tier": "A", "min_score": 50}, {"grade": "B", "tier": "B", "min_score": 60}],
        [{"grade": "A", "tier": "A", "min_score": 50}, {"grade": "B", "tier": "B", "min_score": 50}],
        [{"grade": "A", "tier": "A", "min_score": 50}, {"grade": "A", "tier": "B", "min_score": 0}],
        [{"grade": "A", "tier": "A", "min_score": 50}, {"grade": "C", "tier": "C", "min_score": 10}],
        [{"grade": "C", "tier": "C", "min_score": 50}, {"grade": "A", "tier": "A", "min_score": 0}],
        [{"grade": "X", "tier": "D", "min_score": 0}],
        [{"grade": "", "tier": "C", "min_score": 0}],
        [],
    ],
)
def test_bad_grades_are_refused(world, grades):
    draft = tiering.create_draft(world.users["province"])
    with pytest.raises(ValidationError):
        tiering.update_draft(world.users["province"], draft, grades=grades)
    assert draft.grades.count() == 5


def test_assign_tier_records_history_with_explanation_and_is_idempotent(world):
    cm = world.users["hefei_city"]
    c = world.customer(monthly_spend=Decimal("3000"), employees=600, industry_influence=3)
    outcome = tiering.assign_tier(cm, c, "年度定级")
    c.refresh_from_db()
    assert outcome.changed and (c.tier, c.grade) == (outcome.result.tier, outcome.result.grade)
    change = TierChange.objects.get(customer=c)
    assert change.reason == "年度定级" and change.actor == cm and change.scorecard.version == 1
    assert change.from_grade == "" and change.to_grade == c.grade and change.score == outcome.result.score
    assert [r["key"] for r in change.explanation] == [r["key"] for r in outcome.result.explanation]
    log = AuditLog.objects.get(action="customer.tier_assign", object_id=str(c.pk))
    assert log.changes["grade"] == ["", c.grade] and log.changes["reason"] == [None, "年度定级"]

    again = tiering.assign_tier(cm, c, "再算一次")
    assert not again.changed and again.change is None
    assert TierChange.objects.filter(customer=c).count() == 1
    forced = tiering.assign_tier(cm, c, "强制", force=True)
    assert forced.changed and TierChange.objects.filter(customer=c).count() == 2
    with pytest.raises(ValidationError):
        tiering.assign_tier(cm, c, "   ")


def test_tier_follows_the_data_on_change(world):
    c = world.customer(monthly_spend=Decimal("100"))
    tiering.assign_tier(None, c, "建档定级")
    c.refresh_from_db()
    assert c.tier == "C"
    profile(c, monthly_spend=Decimal("80000"), strategic=True, industry_influence=5, employees=5000, member_count=3000)
    outcome = tiering.assign_tier(None, c, "收入上升")
    c.refresh_from_db()
    assert outcome.changed and c.tier == "A"
    assert list(TierChange.objects.filter(customer=c).values_list("from_grade", "to_grade")) == [
        ("C", c.grade),
        ("", "C"),
    ]


def test_manual_override_needs_known_grade_and_reason(world):
    user = world.users["hefei_city"]
    c = world.customer(monthly_spend=Decimal("100"))
    with pytest.raises(ValidationError):
        tiering.set_tier_manually(user, c, "Z9", "战略合作")
    with pytest.raises(ValidationError):
        tiering.set_tier_manually(user, c, "A1", "")
    change = tiering.set_tier_manually(user, c, "A1", "省政府战略合作单位")
    c.refresh_from_db()
    assert (c.tier, c.grade) == ("A", "A1")
    assert change.score is None and change.scorecard is None and tiering.is_manual(change)
    assert change.reason == "省政府战略合作单位"
    assert AuditLog.objects.filter(action="customer.tier_override", object_id=str(c.pk)).exists()
    # the computed grade (C) only replaces the override when asked for explicitly
    assert tiering.assign_tier(user, c, "重新计算").changed
    c.refresh_from_db()
    assert c.tier == "C"


# ---------------------------------------------------------------- teams


def test_assign_team_fills_from_city_and_reports_unfilled(world):
    c = world.customer(monthly_spend=Decimal("100"))
    tiering.set_tier_manually(world.users["province"], c, "A1", "测试")
    # a senior CM and a chief rep exist, but in another city: never used
    make_user(Role.CM_SENIOR, world.wuhu_grid)
    make_user(Role.CHIEF_REP, world.wuhu)
    report = tiering.assign_team(world.users["hefei_city"], c)
    filled = {r["team_role"]: r["staff_id"] for r in report["filled"]}
    assert filled == {
        "industry_manager": world.users["hefei_im"].pk,
        "sales_engineer": world.users["hefei_se"].pk,
    }
    assert {r["team_role"] for r in report["unfilled"]} == {"chief_rep", "cm_senior"}
    assert all(r["reason"] for r in report["unfilled"])
    assert set(TeamAssignment.objects.filter(customer=c).values_list("team_role", flat=True)) == set(filled)
    assert AuditLog.objects.filter(action="team.assign", subject_id=str(c.pk)).count() == 2

    # a senior CM at city level fills the grid slot (grid -> county -> city), kept ones stay
    senior = make_user(Role.CM_SENIOR, world.hefei)
    report = tiering.assign_team(world.users["hefei_city"], c)
    assert [(r["team_role"], r["staff_id"]) for r in report["filled"]] == [("cm_senior", senior.pk)]
    assert {r["team_role"] for r in report["kept"]} == {"industry_manager", "sales_engineer"}
    assert [r["team_role"] for r in report["unfilled"]] == ["chief_rep"]


def test_assign_team_prefers_grid_then_least_loaded(world):
    c = world.customer(monthly_spend=Decimal("100"))
    tiering.set_tier_manually(None, c, "B1", "测试")
    # the county CM is nearer in rank than the city one, but the grid CM (hefei_cm, cm_mid) wins
    make_user(Role.CM_MID, world.hefei_county)
    report = tiering.assign_team(None, c)
    assert {r["team_role"]: r["staff_id"] for r in report["filled"]}["cm_mid"] == world.users["hefei_cm"].pk

    busy, idle = world.users["hefei_cm"], make_user(Role.CM_MID, world.hefei_grid)
    d = world.customer(monthly_spend=Decimal("100"))
    tiering.set_tier_manually(None, d, "B2", "测试")
    report = tiering.assign_team(None, d)
    assert {r["team_role"]: r["staff_id"] for r in report["filled"]}["cm_mid"] == idle.pk != busy.pk


def test_c_tier_falls_back_to_phone_manager_and_no_tier_is_refused(world):
    untiered = world.customer()
    with pytest.raises(BusinessRuleError) as err:
        tiering.assign_team(None, untiered)
    assert err.value.code == "no_tier"
    c = world.customer(grid=world.wuhu_grid, monthly_spend=Decimal("10"))
    tiering.assign_tier(None, c, "定级")
    report = tiering.assign_team(None, c)
    assert report["unfilled"] and report["unfilled"][0]["team_role"] == "cm_junior"
    phone = make_user(Role.PHONE_MANAGER, world.wuhu)
    report = tiering.assign_team(None, c)
    assert report["filled"][0]["staff_id"] == phone.pk


# ---------------------------------------------------------------- batch


def test_retier_job_scores_only_the_scope_and_reports_progress(world, settings):
    settings.JIKE_JOBS_INLINE = True
    hefei = [world.customer(monthly_spend=Decimal(s)) for s in ("100", "3000", "80000")]
    wuhu = world.customer(grid=world.wuhu_grid, monthly_spend=Decimal("80000"))
    overridden = world.customer(monthly_spend=Decimal("100"))
    tiering.set_tier_manually(None, overridden, "A1", "战略")
    boss = world.users["hefei_city"]
    job = tiering.retier(boss, boss, "年度重新定级")
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert (job.total, job.done, job.percent) == (3, 3, 100)
    assert job.result["changed"] == 3 and job.result["skipped_manual"] == 1
    assert sum(job.result["by_grade"].values()) == 3
    for c in hefei:
        c.refresh_from_db()
        assert c.grade and TierChange.objects.get(customer=c).reason == "年度重新定级"
        assert AuditLog.objects.filter(action="customer.tier_assign", object_id=str(c.pk), request_id=f"job-{job.pk}")
    wuhu.refresh_from_db()
    overridden.refresh_from_db()
    assert wuhu.tier == "" and overridden.grade == "A1"

    again = tiering.retier(boss, boss, "再次")
    assert again.result["changed"] == 0 and again.result["unchanged"] == 3
    assert TierChange.objects.filter(customer__in=hefei).count() == 3


def test_retier_needs_manager_and_active_card(world, settings):
    settings.JIKE_JOBS_INLINE = True
    for name in ("hefei_cm", "analyst", "hefei_im"):
        with pytest.raises(BusinessRuleError):
            tiering.retier(world.users[name], world.users[name], "x")
    Scorecard.objects.update(status=ScorecardStatus.RETIRED)
    with pytest.raises(BusinessRuleError) as err:
        tiering.retier(world.users["province"], world.users["province"], "x")
    assert err.value.code == "no_active_scorecard"
    assert not Job.objects.exists()


def test_tier_panel_context(world):
    c = world.customer(monthly_spend=Decimal("3000"))
    tiering.assign_tier(None, c, "定级")
    tiering.assign_team(None, c)
    c.refresh_from_db()
    ctx = tiering.tier_panel_context(c)
    assert ctx["tier_latest"].to_grade == c.grade
    assert ctx["tier_explanation"] and not ctx["tier_manual"]
    # 3,000 yuan and nothing else scores 28 -> C, whose template is one junior CM (hefei_cm_other)
    assert c.tier == "C" and [a.staff for a in ctx["tier_team"]] == [world.users["hefei_cm_other"]]
    assert ctx["tier_missing_roles"] == []
