"""The one write path for account plans: authoring, the review chain and versions.

Rules (DOMAIN.md section 6 and the issue):
- a user with change scope on the customer authors; only draft and returned versions are editable;
- submitting checks every step is filled and says what is missing;
- an industry manager of the customer's city or of the province (or an admin) approves or returns, never
  his own plan; an approved version is frozen and becomes the customer's current plan;
- a new version starts as a copy of the approved one; one version is in progress at a time.
Everything is audited with the customer as subject.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Max, Sum
from django.utils import timezone

from jike.core import audit
from jike.core.errors import BusinessRuleError
from jike.core.fields import apply_fields
from jike.core.models import OrgLevel, User
from jike.core.roles import Role
from jike.customers.models import Customer
from jike.customers.services import ensure_writable

from .choices import EDITABLE_STATUSES, PlanStatus
from .models import (
    AccountPlan,
    BuyingFactorRow,
    CommunicationPlan,
    CompetitorStrength,
    MarketingPlan,
    ServiceSite,
    SolutionOption,
)
from .models.plan import CONTENT_FIELDS


@dataclass(frozen=True)
class Section:
    key: str
    model: type[models.Model]
    fields: list[str]
    step: int


SECTIONS: dict[str, Section] = {
    s.key: s
    for s in [
        Section("buying_factors", BuyingFactorRow, ["factor", "weight", "our_score", "competitor_score", "note"], 1),
        Section(
            "competitors",
            CompetitorStrength,
            [
                "product_line",
                "competitor",
                "coverage",
                "stability",
                "price",
                "brand",
                "service_quality",
                "operations",
                "note",
            ],
            2,
        ),
        Section(
            "solutions",
            SolutionOption,
            [
                "service_area",
                "current_annual_revenue",
                "competitive_situation",
                "strategy",
                "measures",
                "feasibility",
                "financial_score",
                "technical_score",
                "policy_score",
                "phase",
                "expected_revenue_effect",
            ],
            4,
        ),
        Section("sites", ServiceSite, ["address", "access_point", "fibre", "copper_pairs", "services"], 5),
        Section(
            "marketing_plans",
            MarketingPlan,
            [
                "task",
                "q1",
                "q2",
                "q3",
                "q4",
                "first_responsible",
                "industry_manager",
                "technical_support",
                "marketing_support",
            ],
            6,
        ),
        Section(
            "communication_plans",
            CommunicationPlan,
            ["target_department", "activity", "frequency", "expected_effect"],
            6,
        ),
    ]
}
PLAN_FIELDS = CONTENT_FIELDS
REVIEW_FIELDS = ["status", "is_current", "reviewer", "submitted_at", "reviewed_at", "review_comment"]


def section_for(row: models.Model) -> Section:
    return next(s for s in SECTIONS.values() if isinstance(row, s.model))


def _ensure_editable(actor: User, plan: AccountPlan) -> None:
    ensure_writable(actor, plan.customer)
    if plan.status not in EDITABLE_STATUSES:
        raise BusinessRuleError(
            "plan_frozen",
            f"规划为“{plan.get_status_display()}”状态，不能修改 / only draft or returned plans can be edited",
            {"status": plan.status},
        )


def _lock(plan: AccountPlan) -> AccountPlan:
    return AccountPlan.objects.select_for_update().select_related("customer").get(pk=plan.pk)


# --- pre-filling step 3 from the customer file ------------------------------------------------------------


def customer_file_summary(customer: Customer) -> dict[str, str]:
    """Step 3 text drawn from the customer file and its holdings (the author completes it)."""
    from jike.catalog.models import Holding

    parts = [
        f"客户名称：{customer.name}",
        f"等级：{customer.get_tier_display() or '未定级'}{customer.grade and f'（{customer.grade}）'}",
        f"行业：{customer.get_industry_display()}；所有制：{customer.get_ownership_display()}",
        f"地址：{customer.address or '—'}",
        f"法定代表人：{customer.legal_representative or '—'}；主营业务：{customer.main_business or '—'}",
        f"员工数：{customer.employees or '—'}；集团成员：{customer.member_count}（统付 {customer.unified_member_count}）",
    ]
    if customer.parent_id:
        parts.append(f"上级单位：{customer.parent}")
    persons = list(customer.key_persons.filter(active=True).order_by("-influence", "name")[:8])
    if persons:
        parts.append(
            "关键人："
            + "；".join(
                f"{p.name}（{p.title or p.department}，{p.get_decision_role_display()}，态度{p.attitude}）"
                for p in persons
            )
        )
    holdings = list(Holding.objects.filter(customer=customer).active().select_related("product"))
    network = "；".join(f"{h.product.name} {h.quantity}（月收入 {h.monthly_revenue} 元）" for h in holdings)
    revenue = sum((h.monthly_revenue for h in holdings), start=0)
    return {
        "customer_profile": "\n".join(parts),
        "network_status": f"在用产品：{network}" if network else "",
        "telecom_spend": f"月通信消费 {customer.monthly_spend} 元；在用产品月收入合计 {revenue} 元",
        "decision_process": customer.decision_process,
    }


# --- authoring ----------------------------------------------------------------------------------------


@transaction.atomic
def create_plan(actor: User, customer: Customer, **data: Any) -> AccountPlan:
    ensure_writable(actor, customer)
    if AccountPlan.objects.filter(customer=customer).exists():
        raise BusinessRuleError(
            "plan_exists", "该客户已有规划，请在已批准版本上新建版本 / the customer has a plan: start a new version"
        )
    plan = AccountPlan(customer=customer, author=actor, version=1)
    plan.title = f"{customer.name}客户规划"
    plan.year = timezone.localdate().year
    for key, value in customer_file_summary(customer).items():
        setattr(plan, key, value)
    apply_fields(plan, data, PLAN_FIELDS)
    plan.full_clean(exclude=["customer", "author", "previous", "reviewer"])
    plan.save()
    audit.record(actor, "plan.create", plan, audit.diff({}, audit.snapshot(plan, PLAN_FIELDS)), subject=customer)
    return plan


@transaction.atomic
def update_plan(actor: User, plan: AccountPlan, **data: Any) -> AccountPlan:
    plan = _lock(plan)
    _ensure_editable(actor, plan)
    before = audit.snapshot(plan, PLAN_FIELDS)
    apply_fields(plan, data, PLAN_FIELDS)
    plan.full_clean(exclude=["customer", "author", "previous", "reviewer"])
    changes = audit.diff(before, audit.snapshot(plan, PLAN_FIELDS))
    if changes:
        plan.save()
        audit.record(actor, "plan.update", plan, changes, subject=plan.customer)
    return plan


@transaction.atomic
def add_row(actor: User, plan: AccountPlan, section: str, **data: Any) -> models.Model:
    if section not in SECTIONS:
        raise ValidationError({"section": f"未知章节 / unknown section: {section}"})
    plan = _lock(plan)
    _ensure_editable(actor, plan)
    spec = SECTIONS[section]
    row = spec.model(plan=plan)
    apply_fields(row, data, [*spec.fields, "position"])
    if "position" not in data:
        top = spec.model.objects.filter(plan=plan).aggregate(m=Max("position"))["m"]  # type: ignore[attr-defined]
        row.position = (top or 0) + 1  # type: ignore[attr-defined]
    row.full_clean(exclude=["plan"])
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError as exc:
        raise ValidationError({"__all__": "该条目已存在 / duplicate row"}) from exc
    changes = audit.diff({}, audit.snapshot(row, spec.fields))
    audit.record(actor, f"plan.{section}.add", row, {"plan": plan.pk, **changes}, subject=plan.customer)
    return row


@transaction.atomic
def update_row(actor: User, row: models.Model, **data: Any) -> models.Model:
    spec = section_for(row)
    row = spec.model.objects.select_for_update().get(pk=row.pk)  # type: ignore[attr-defined]
    plan = _lock(row.plan)  # type: ignore[attr-defined]
    _ensure_editable(actor, plan)
    before = audit.snapshot(row, [*spec.fields, "position"])
    apply_fields(row, data, [*spec.fields, "position"])
    row.full_clean(exclude=["plan"])
    changes = audit.diff(before, audit.snapshot(row, [*spec.fields, "position"]))
    if changes:
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError as exc:
            raise ValidationError({"__all__": "该条目已存在 / duplicate row"}) from exc
        audit.record(actor, f"plan.{spec.key}.update", row, changes, subject=plan.customer)
    return row


@transaction.atomic
def delete_row(actor: User, row: models.Model) -> None:
    spec = section_for(row)
    plan = _lock(row.plan)  # type: ignore[attr-defined]
    _ensure_editable(actor, plan)
    before = audit.snapshot(row, spec.fields)
    audit.record(actor, f"plan.{spec.key}.delete", row, audit.diff(before, {}), subject=plan.customer)
    row.delete()


# --- review -------------------------------------------------------------------------------------------


def missing_sections(plan: AccountPlan) -> list[dict[str, Any]]:
    """What a plan still lacks before it can be submitted, step by step."""
    out: list[dict[str, Any]] = []

    def need(step: int, key: str, message: str) -> None:
        out.append({"step": step, "section": key, "message": message})

    weights = plan.buying_factors.aggregate(total=Sum("weight"))["total"] or 0
    if not plan.buying_factors.exists():
        need(1, "buying_factors", "第一步：至少填写一项关键购买因素及权重")
    elif weights != 100:
        need(1, "buying_factors", f"第一步：关键购买因素权重合计应为100%，当前为{weights}%")
    if not plan.industry_key_services.strip():
        need(1, "industry_key_services", "第一步：填写行业重点通信业务")
    if not plan.competitors.exists():
        need(2, "competitors", "第二步：至少填写一个竞争对手的实力评估")
    if not plan.network_status.strip():
        need(3, "network_status", "第三步：填写网络与业务现状")
    if not plan.potential_needs.strip():
        need(3, "potential_needs", "第三步：填写潜在需求")
    if not plan.solutions.exists():
        need(4, "solutions", "第四步：至少填写一个定制化方案")
    if not plan.sites.exists():
        need(5, "sites", "第五步：至少填写一个客户站点的网络资源")
    if not plan.after_sales_capability.strip():
        need(5, "after_sales_capability", "第五步：填写售后服务能力")
    if not plan.marketing_plans.exists():
        need(6, "marketing_plans", "第六步：至少填写一项营销计划")
    if not plan.communication_plans.exists():
        need(6, "communication_plans", "第六步：至少填写一项沟通计划")
    return out


def can_review(user: Any, plan: AccountPlan) -> bool:
    """An admin, or an industry manager of the province or of the customer's city."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser or user.role == Role.ADMIN:
        return True
    if user.role != Role.INDUSTRY_MANAGER or user.org_unit is None:
        return False
    unit = user.org_unit
    return bool(unit.level == OrgLevel.PROVINCE or (unit.level == OrgLevel.CITY and unit.pk == plan.customer.city_id))


def _review_snapshot(plan: AccountPlan) -> dict[str, Any]:
    return audit.snapshot(plan, REVIEW_FIELDS)


@transaction.atomic
def submit(actor: User, plan: AccountPlan) -> AccountPlan:
    plan = _lock(plan)
    _ensure_editable(actor, plan)
    missing = missing_sections(plan)
    if missing:
        raise BusinessRuleError(
            "plan_incomplete",
            "规划尚不完整：" + "；".join(m["message"] for m in missing),
            {"missing": missing},
        )
    before = _review_snapshot(plan)
    plan.status = PlanStatus.SUBMITTED
    plan.submitted_at = timezone.now()
    plan.save(update_fields=["status", "submitted_at", "updated_at"])
    audit.record(actor, "plan.submit", plan, audit.diff(before, _review_snapshot(plan)), subject=plan.customer)
    return plan


def _ensure_reviewer(actor: User, plan: AccountPlan) -> None:
    if plan.status != PlanStatus.SUBMITTED:
        raise BusinessRuleError(
            "not_submitted", f"规划为“{plan.get_status_display()}”状态，无需审核 / plan is not awaiting review"
        )
    if not can_review(actor, plan):
        raise BusinessRuleError(
            "forbidden",
            "只有客户所在市或省公司的行业经理可以审核 / only an industry manager of the city or province reviews",
            status=403,
        )
    if actor.pk == plan.author_id:
        raise BusinessRuleError("self_review", "不能审核自己编制的规划 / you cannot review your own plan")


@transaction.atomic
def approve(actor: User, plan: AccountPlan, comment: str = "") -> AccountPlan:
    plan = _lock(plan)
    _ensure_reviewer(actor, plan)
    before = _review_snapshot(plan)
    AccountPlan.objects.filter(customer=plan.customer, is_current=True).update(is_current=False)
    plan.status = PlanStatus.APPROVED
    plan.is_current = True
    plan.reviewer = actor
    plan.reviewed_at = timezone.now()
    plan.review_comment = comment
    plan.save(update_fields=[*REVIEW_FIELDS, "updated_at"])
    audit.record(actor, "plan.approve", plan, audit.diff(before, _review_snapshot(plan)), subject=plan.customer)
    return plan


@transaction.atomic
def return_plan(actor: User, plan: AccountPlan, comment: str) -> AccountPlan:
    plan = _lock(plan)
    _ensure_reviewer(actor, plan)
    if not comment.strip():
        raise ValidationError({"comment": "退回时必须填写审核意见 / a returned plan needs a comment"})
    before = _review_snapshot(plan)
    plan.status = PlanStatus.RETURNED
    plan.reviewer = actor
    plan.reviewed_at = timezone.now()
    plan.review_comment = comment
    plan.save(update_fields=[*REVIEW_FIELDS, "updated_at"])
    audit.record(actor, "plan.return", plan, audit.diff(before, _review_snapshot(plan)), subject=plan.customer)
    return plan


@transaction.atomic
def new_version(actor: User, plan: AccountPlan) -> AccountPlan:
    """Version n+1 as a copy of approved version n (content and every row)."""
    plan = _lock(plan)
    ensure_writable(actor, plan.customer)
    if plan.status != PlanStatus.APPROVED:
        raise BusinessRuleError(
            "not_approved", "只能在已批准的版本上新建版本 / new versions start from an approved one"
        )
    latest = AccountPlan.objects.filter(customer=plan.customer).aggregate(m=Max("version"))["m"] or 0
    if latest != plan.version:
        raise BusinessRuleError("newer_exists", "该客户已有更新的版本 / a newer version exists", {"latest": latest})
    copy = AccountPlan(customer=plan.customer, author=actor, version=plan.version + 1, previous=plan)
    for name in CONTENT_FIELDS:
        setattr(copy, name, getattr(plan, name))
    copy.year = max(plan.year, timezone.localdate().year)
    copy.save()
    for spec in SECTIONS.values():
        rows = list(spec.model.objects.filter(plan=plan))  # type: ignore[attr-defined]
        for row in rows:
            row.pk = None
            row.plan = copy
        spec.model.objects.bulk_create(rows)  # type: ignore[attr-defined]
    audit.record(actor, "plan.new_version", copy, {"version": [plan.version, copy.version]}, subject=plan.customer)
    return copy


def current_plan(customer: Customer) -> AccountPlan | None:
    return AccountPlan.objects.filter(customer=customer, is_current=True).first()


def weighted_score(plan: AccountPlan) -> dict[str, float]:
    """Step 1's weighted key-buying-factor score for us and the main competitor (1-5)."""
    rows = list(plan.buying_factors.all())
    total = sum(r.weight for r in rows)
    if not total:
        return {"ours": 0.0, "competitor": 0.0}
    return {
        "ours": round(sum(r.weight * r.our_score for r in rows) / total, 2),
        "competitor": round(sum(r.weight * r.competitor_score for r in rows) / total, 2),
    }


def today() -> dt.date:
    return timezone.localdate()
