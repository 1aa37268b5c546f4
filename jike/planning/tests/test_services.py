from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from jike.catalog import services as catalog
from jike.catalog.models import Product
from jike.core.errors import BusinessRuleError
from jike.core.models import AuditLog
from jike.core.roles import Role
from jike.core.testing import make_user
from jike.customers.models import TeamAssignment
from jike.planning import services
from jike.planning.choices import PlanStatus
from jike.planning.models import AccountPlan, BuyingFactorRow

from .helpers import fill

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(world):
    c = world.customer(name="合肥某银行分行", decision_process="科技部提需求，分管副行长审批，采购部招标")
    TeamAssignment.objects.create(customer=c, staff=world.users["hefei_cm"], team_role="cm_mid")
    catalog.add_holding(world.users["admin"], c, product=Product.objects.get(code="DIA"), quantity=20,
                        start=dt.date(2024, 1, 1), monthly_revenue=Decimal("1600"))  # fmt: skip
    return c


def test_create_prefills_step_three_from_customer_file(world, customer):
    plan = services.create_plan(world.users["hefei_cm"], customer)
    assert plan.version == 1 and plan.status == PlanStatus.DRAFT
    assert "合肥某银行分行" in plan.customer_profile
    assert "互联网专线 20" in plan.network_status
    assert plan.decision_process == customer.decision_process
    with pytest.raises(BusinessRuleError) as err:
        services.create_plan(world.users["hefei_cm"], customer)
    assert err.value.code == "plan_exists"


def test_only_writers_in_scope_author(world, customer):
    for name in ["wuhu_cm", "hefei_cm_other", "analyst", "hefei_se"]:
        with pytest.raises(BusinessRuleError):
            services.create_plan(world.users[name], customer)


def test_submit_says_what_is_missing(world, customer):
    cm = world.users["hefei_cm"]
    plan = services.create_plan(cm, customer)
    with pytest.raises(BusinessRuleError) as err:
        services.submit(cm, plan)
    missing = {m["section"] for m in err.value.details["missing"]}
    assert {"buying_factors", "competitors", "solutions", "sites", "marketing_plans", "communication_plans",
            "potential_needs", "after_sales_capability"} <= missing  # fmt: skip
    fill(cm, plan)
    row = BuyingFactorRow.objects.filter(plan=plan).first()
    row = services.update_row(cm, row, weight=row.weight + 5)
    with pytest.raises(BusinessRuleError) as err:
        services.submit(cm, plan)
    assert [m["section"] for m in err.value.details["missing"]] == ["buying_factors"]
    assert "105" in err.value.message
    services.update_row(cm, row, weight=row.weight - 5)
    assert services.submit(cm, plan).status == PlanStatus.SUBMITTED
    with pytest.raises(BusinessRuleError) as err:  # submitted plans are not editable
        services.update_plan(cm, plan, objective="x")
    assert err.value.code == "plan_frozen"


def test_approval_only_by_industry_manager_of_city_or_province(world, customer):
    cm = world.users["hefei_cm"]
    plan = fill(cm, services.create_plan(cm, customer))
    services.submit(cm, plan)
    for name in ["wuhu_im", "hefei_cm", "hefei_city", "province", "hefei_se"]:
        with pytest.raises(BusinessRuleError) as err:
            services.approve(world.users[name], plan)
        assert err.value.status == 403, name
    province_im = make_user(Role.INDUSTRY_MANAGER, world.province, "t-prov-im")
    assert services.can_review(province_im, plan) and services.can_review(world.users["admin"], plan)
    plan = services.approve(world.users["hefei_im"], plan, "同意")
    assert plan.status == PlanStatus.APPROVED and plan.is_current and plan.reviewer == world.users["hefei_im"]
    assert services.current_plan(customer) == plan
    with pytest.raises(BusinessRuleError):
        services.approve(province_im, plan)  # not awaiting review any more


def test_reviewer_cannot_approve_own_plan(world, customer):
    im = world.users["hefei_im"]
    plan = fill(im, services.create_plan(im, customer))
    services.submit(im, plan)
    with pytest.raises(BusinessRuleError) as err:
        services.approve(im, plan)
    assert err.value.code == "self_review"


def test_return_needs_comment_and_plan_becomes_editable(world, customer):
    cm, im = world.users["hefei_cm"], world.users["hefei_im"]
    plan = fill(cm, services.create_plan(cm, customer))
    services.submit(cm, plan)
    with pytest.raises(ValidationError):
        services.return_plan(im, plan, " ")
    plan = services.return_plan(im, plan, "竞争分析不充分，请补充联通")
    assert plan.status == PlanStatus.RETURNED and not plan.is_current
    services.add_row(cm, plan, "competitors", product_line="mobile", competitor="中国联通")
    services.submit(cm, plan)
    assert services.approve(im, plan).status == PlanStatus.APPROVED


def test_approved_plan_is_frozen_and_new_version_copies_it(world, customer):
    cm, im = world.users["hefei_cm"], world.users["hefei_im"]
    v1 = fill(cm, services.create_plan(cm, customer, objective="三年内专线收入翻番"))
    services.submit(cm, v1)
    services.approve(im, v1)
    for attempt in [
        lambda: services.update_plan(cm, v1, objective="改"),
        lambda: services.add_row(cm, v1, "sites", address="新站点"),
        lambda: services.delete_row(cm, v1.sites.first()),
        lambda: services.update_row(cm, v1.solutions.first(), strategy="改"),
    ]:
        with pytest.raises(BusinessRuleError) as err:
            attempt()
        assert err.value.code == "plan_frozen"
    v2 = services.new_version(cm, v1)
    assert (v2.version, v2.status, v2.previous_id, v2.objective) == (2, PlanStatus.DRAFT, v1.pk, "三年内专线收入翻番")
    for key in services.SECTIONS:
        assert getattr(v2, key).count() == getattr(v1, key).count() > 0
    with pytest.raises(BusinessRuleError):
        services.new_version(cm, v1)  # v2 is already in progress
    services.update_row(cm, v2.sites.first(), copper_pairs=50)
    assert v1.sites.first().copper_pairs == 20  # the approved version is untouched
    assert services.current_plan(customer) == v1
    services.submit(cm, v2)
    services.approve(im, v2)
    v1.refresh_from_db()
    assert services.current_plan(customer) == v2 and not v1.is_current
    assert AccountPlan.objects.filter(customer=customer, is_current=True).count() == 1


def test_everything_is_audited_on_the_customer(world, customer):
    cm, im = world.users["hefei_cm"], world.users["hefei_im"]
    plan = fill(cm, services.create_plan(cm, customer))
    services.submit(cm, plan)
    services.approve(im, plan)
    actions = set(AuditLog.objects.filter(subject_type="customers.customer", subject_id=str(customer.pk))
                  .values_list("action", flat=True))  # fmt: skip
    assert {"plan.create", "plan.update", "plan.buying_factors.add", "plan.sites.add", "plan.submit",
            "plan.approve"} <= actions  # fmt: skip


def test_weighted_score(world, customer):
    cm = world.users["hefei_cm"]
    plan = fill(cm, services.create_plan(cm, customer))
    score = services.weighted_score(plan)
    assert score == {
        "ours": round((30 * 3 + 40 * 5 + 30 * 4) / 100, 2),
        "competitor": round((30 * 4 + 40 * 3 + 30 * 3) / 100, 2),
    }
