"""The one write path for visits: plans, logs (with attitudes applied to the key persons through the
customers service), follow-ups. Atomic, audited with the customer as subject."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from jike.core import audit
from jike.core.errors import BusinessRuleError
from jike.core.models import User
from jike.customers import services as customer_services
from jike.customers.models import Customer, KeyPerson
from jike.sales import services as sales_services
from jike.sales.models import Opportunity
from jike.sales.numbering import next_number
from jike.visits.models import FollowUp, ObservedAttitude, PlanStatus, VisitLog, VisitPlan

PLAN_FIELDS = [
    "planned_at", "duration_minutes", "method", "situation", "objectives", "visit_points", "cautions",
    "opportunity", "status", "manager",
]  # fmt: skip
EDITABLE_PLAN_FIELDS = [f for f in PLAN_FIELDS if f != "status"]
LOG_FIELDS = ["visited_at", "method", "summary", "opportunity", "manager", "plan"]


def _ensure_writable(actor: User, customer: Customer) -> None:
    if not Customer.objects.restrict(actor, "change").filter(pk=customer.pk).exists():
        raise BusinessRuleError("forbidden", "无权为该客户登记拜访 / not allowed for this customer", status=403)


def _check_people(customer: Customer, key_persons: Iterable[KeyPerson]) -> list[KeyPerson]:
    people = list(key_persons)
    if any(p.customer_id != customer.pk for p in people):
        raise ValidationError({"key_persons": "关键人不属于该客户 / key person of another customer"})
    return people


def _check_opportunity(customer: Customer, opp: Opportunity | None) -> None:
    if opp is not None and opp.customer_id != customer.pk:
        raise ValidationError({"opportunity": "商机不属于该客户 / opportunity of another customer"})


@transaction.atomic
def create_plan(
    actor: User,
    customer: Customer,
    *,
    planned_at: dt.datetime,
    objectives: str,
    manager: User | None = None,
    key_persons: Iterable[KeyPerson] = (),
    **data: Any,
) -> VisitPlan:
    _ensure_writable(actor, customer)
    unknown = set(data) - set(EDITABLE_PLAN_FIELDS)
    if unknown:
        raise ValidationError({k: "未知字段 / unknown field" for k in unknown})
    people = _check_people(customer, key_persons)
    _check_opportunity(customer, data.get("opportunity"))
    plan = VisitPlan(
        number=next_number("BF"),
        customer=customer,
        manager=manager or actor,
        planned_at=planned_at,
        objectives=objectives,
        created_by=actor,
        **data,
    )
    plan.full_clean(exclude=["number"])
    plan.save()
    plan.key_persons.set(people)
    changes = audit.diff({}, audit.snapshot(plan, PLAN_FIELDS))
    changes["key_persons"] = [None, "、".join(p.name for p in people)]
    audit.record(actor, "visit_plan.create", plan, changes, subject=customer)
    return plan


def _lock_plan(actor: User, plan: VisitPlan) -> VisitPlan:
    locked = VisitPlan.objects.restrict(actor, "change").select_for_update(of=("self",)).filter(pk=plan.pk).first()
    if locked is None:
        raise BusinessRuleError("forbidden", "无权修改该拜访计划 / not allowed to change this plan", status=403)
    return locked


@transaction.atomic
def update_plan(
    actor: User, plan: VisitPlan, *, key_persons: Iterable[KeyPerson] | None = None, **data: Any
) -> VisitPlan:
    plan = _lock_plan(actor, plan)
    if plan.status != PlanStatus.PLANNED:
        raise BusinessRuleError("not_editable", "已完成或取消的计划不能修改 / the plan is closed")
    unknown = set(data) - set(EDITABLE_PLAN_FIELDS)
    if unknown:
        raise ValidationError({k: "未知字段 / unknown field" for k in unknown})
    _check_opportunity(plan.customer, data.get("opportunity"))
    before = audit.snapshot(plan, PLAN_FIELDS)
    for key, value in data.items():
        setattr(plan, key, value)
    plan.full_clean(exclude=["number"])
    plan.save()
    changes = audit.diff(before, audit.snapshot(plan, PLAN_FIELDS))
    if key_persons is not None:
        people = _check_people(plan.customer, key_persons)
        old = "、".join(sorted(plan.key_persons.values_list("name", flat=True)))
        plan.key_persons.set(people)
        new = "、".join(sorted(p.name for p in people))
        if old != new:
            changes["key_persons"] = [old, new]
    if changes:
        audit.record(actor, "visit_plan.update", plan, changes, subject=plan.customer)
    return plan


@transaction.atomic
def cancel_plan(actor: User, plan: VisitPlan, reason: str = "") -> VisitPlan:
    plan = _lock_plan(actor, plan)
    if plan.status != PlanStatus.PLANNED:
        raise BusinessRuleError("not_editable", "只能取消计划中的拜访 / only a planned visit can be cancelled")
    plan.status = PlanStatus.CANCELLED
    plan.save(update_fields=["status"])
    audit.record(
        actor,
        "visit_plan.cancel",
        plan,
        {"status": ["planned", "cancelled"], "reason": [None, reason]},
        subject=plan.customer,
    )
    return plan


@transaction.atomic
def record_visit(
    actor: User,
    customer: Customer,
    *,
    summary: str,
    visited_at: dt.datetime | None = None,
    plan: VisitPlan | None = None,
    method: str | None = None,
    manager: User | None = None,
    opportunity: Opportunity | None = None,
    attitudes: Sequence[Mapping[str, Any]] = (),
    follow_ups: Sequence[Mapping[str, Any]] = (),
) -> VisitLog:
    """Log a visit. Observed attitudes ({"key_person", "attitude", "note"}) update the key persons'
    files through the customers service; a planned visit is marked done; a linked opportunity counts
    the visit as activity."""
    _ensure_writable(actor, customer)
    if plan is not None:
        plan = _lock_plan(actor, plan)
        if plan.customer_id != customer.pk:
            raise ValidationError({"plan": "计划不属于该客户 / plan of another customer"})
        if plan.status != PlanStatus.PLANNED:
            raise BusinessRuleError("plan_closed", "该拜访计划已完成或取消 / the plan is already done or cancelled")
    _check_opportunity(customer, opportunity)
    visited_at = visited_at or timezone.now()
    if visited_at > timezone.now() + dt.timedelta(hours=1):
        raise ValidationError({"visited_at": "拜访时间不能在将来 / a visit cannot be logged in the future"})
    log = VisitLog(
        plan=plan,
        customer=customer,
        manager=manager or (plan.manager if plan else actor),
        visited_at=visited_at,
        method=method or (plan.method if plan else "on_site"),
        summary=summary,
        opportunity=opportunity or (plan.opportunity if plan else None),
        created_by=actor,
    )
    log.full_clean()
    log.save()
    seen: set[int] = set()
    observed: list[str] = []
    for item in attitudes:
        person: KeyPerson = item["key_person"]
        if person.customer_id != customer.pk or person.pk in seen:
            raise ValidationError(
                {"attitudes": "关键人不属于该客户或重复 / key person of another customer or repeated"}
            )
        seen.add(person.pk)
        before = person.attitude
        note = str(item.get("note", ""))[:255]
        ObservedAttitude.objects.create(log=log, key_person=person, before=before, after=item["attitude"], note=note)
        if item["attitude"] != before:
            customer_services.update_key_person(
                actor,
                person,
                note=f"拜访 {visited_at:%Y-%m-%d}" + (f"：{note}" if note else ""),
                attitude=item["attitude"],
            )
        observed.append(f"{person.name} {before}→{item['attitude']}")
    rows = []
    for item in follow_ups:
        fu = FollowUp(log=log, action=item["action"], due_date=item["due_date"], owner=item.get("owner") or log.manager)
        fu.full_clean()
        rows.append(fu)
    FollowUp.objects.bulk_create(rows)
    if plan is not None:
        plan.status = PlanStatus.DONE
        plan.save(update_fields=["status"])
    if log.opportunity is not None:
        sales_services.touch_from_visit(log.opportunity, visited_at)
    changes = audit.diff({}, audit.snapshot(log, LOG_FIELDS))
    # History pages show scalar values: lists are written as readable strings.
    changes["observed_attitudes"] = [None, "、".join(observed)]
    changes["follow_up_items"] = [None, "、".join(f"{f.action}（{f.due_date:%Y-%m-%d}）" for f in rows)]
    audit.record(actor, "visit.log", log, changes, subject=customer)
    return log


@transaction.atomic
def complete_follow_up(actor: User, follow_up: FollowUp, done: bool = True) -> FollowUp:
    fu = FollowUp.objects.restrict(actor, "change").select_for_update(of=("self",)).filter(pk=follow_up.pk).first()
    if fu is None:
        raise BusinessRuleError("forbidden", "无权修改该跟进事项 / not allowed", status=403)
    if fu.done != done:
        fu.done = done
        fu.done_at = timezone.now() if done else None
        fu.save(update_fields=["done", "done_at"])
        audit.record(actor, "visit.follow_up_done", fu, {"done": [not done, done]}, subject=fu.log.customer)
    return fu
