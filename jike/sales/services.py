"""The one write path for opportunities: stage rules, product lines, position, next steps, influencers.

Every function is atomic and audited with the customer as subject, so the customer's history
page shows the deal's life. Refusals raise BusinessRuleError with a stable code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from jike.core import audit
from jike.core.errors import BusinessRuleError
from jike.core.models import User
from jike.customers import services as customer_services
from jike.customers.models import Customer, KeyPerson
from jike.sales import cache as pipeline_cache
from jike.sales.models import (
    CLOSED_STAGES,
    OPEN_STAGES,
    STAGE_ORDER,
    Campaign,
    Competitor,
    Influencer,
    NextStep,
    Opportunity,
    OpportunityProduct,
    PositionChange,
    Source,
    Stage,
    StageChange,
    StageRule,
)
from jike.sales.numbering import next_number

OPPORTUNITY_FIELDS = [
    "title", "description", "source", "campaign", "estimated_revenue", "probability", "expected_close",
    "stage", "lost_reason", "owner", "main_competitor", "position",
]  # fmt: skip
EDITABLE_FIELDS = [
    "title", "description", "source", "campaign", "estimated_revenue", "probability", "expected_close",
    "owner", "main_competitor",
]  # fmt: skip
DEFAULT_PROBABILITY = {
    Stage.DISCOVERED: 10,
    Stage.QUALIFIED: 20,
    Stage.SOLUTION: 40,
    Stage.PROPOSAL: 60,
    Stage.NEGOTIATION: 80,
    Stage.WON: 100,
    Stage.LOST: 0,
}

LineData = Mapping[str, Any]


def stage_probability(stage: str) -> int:
    rule = StageRule.objects.filter(stage=stage).values_list("probability", flat=True).first()
    return int(rule) if rule is not None else DEFAULT_PROBABILITY[Stage(stage)]


def _forbidden(message: str = "无权修改该商机 / not allowed to change this opportunity") -> BusinessRuleError:
    return BusinessRuleError("forbidden", message, status=403)


def _ensure_customer_writable(actor: User, customer: Customer) -> None:
    if not Customer.objects.restrict(actor, "change").filter(pk=customer.pk).exists():
        raise _forbidden("无权为该客户登记商机 / not allowed to add opportunities for this customer")


def _lock(actor: User, opp: Opportunity) -> Opportunity:
    """Re-read the opportunity FOR UPDATE through the actor's write scope."""
    locked = Opportunity.objects.restrict(actor, "change").select_for_update(of=("self",)).filter(pk=opp.pk).first()
    if locked is None:
        raise _forbidden()
    return locked


def _ensure_open(opp: Opportunity) -> None:
    if not opp.is_open:
        raise BusinessRuleError(
            "closed", "商机已关闭，需经理重新打开后才能修改 / the opportunity is closed", {"stage": opp.stage}
        )


def _check_campaign(actor: User, campaign: Campaign | None) -> None:
    if campaign is not None and not Campaign.objects.restrict(actor).filter(pk=campaign.pk).exists():
        raise ValidationError({"campaign": "营销活动不存在或不可见 / unknown campaign"})


def _snapshot(opp: Opportunity) -> dict[str, Any]:
    return audit.snapshot(opp, OPPORTUNITY_FIELDS)


def _touch(opp: Opportunity, at: dt.datetime | None = None) -> None:
    pipeline_cache.changed()
    opp.last_activity_at = at or timezone.now()
    Opportunity.objects.filter(pk=opp.pk).update(last_activity_at=opp.last_activity_at, updated_at=timezone.now())


def _write_lines(opp: Opportunity, lines: Iterable[LineData]) -> str:
    OpportunityProduct.objects.filter(opportunity=opp).delete()
    seen: set[int] = set()
    rows = []
    for i, line in enumerate(lines):
        product = line["product"]
        if product.pk in seen:
            raise ValidationError({"lines": f"第{i + 1}行：产品重复 / duplicate product"})
        seen.add(product.pk)
        row = OpportunityProduct(
            opportunity=opp,
            product=product,
            quantity=line.get("quantity", 1),
            monthly_revenue=Decimal(str(line.get("monthly_revenue", "0"))),
        )
        row.full_clean(exclude=["opportunity"])
        rows.append(row)
    OpportunityProduct.objects.bulk_create(rows)
    return _lines_text(rows)


def _lines_text(rows: Iterable[OpportunityProduct]) -> str:
    """Audit value of the product lines: one readable string (history pages show scalars)."""
    return "、".join(f"{r.product.name}×{r.quantity}（{r.monthly_revenue}元/月）" for r in rows)


def _ids_text(ids: Iterable[int]) -> str:
    return ",".join(str(i) for i in sorted(ids))


@transaction.atomic
def create_opportunity(
    actor: User,
    customer: Customer,
    *,
    title: str,
    expected_close: dt.date,
    owner: User | None = None,
    source: str = Source.VISIT,
    campaign: Campaign | None = None,
    estimated_revenue: Decimal | int | str = Decimal("0"),
    probability: int | None = None,
    description: str = "",
    stage: str = Stage.DISCOVERED,
    lines: Sequence[LineData] = (),
    team: Iterable[User] = (),
    competitors: Iterable[Competitor] = (),
    main_competitor: Competitor | None = None,
    position: int = 0,
) -> Opportunity:
    _ensure_customer_writable(actor, customer)
    _check_campaign(actor, campaign)
    if stage not in OPEN_STAGES:
        raise BusinessRuleError("stage_not_open", "新商机必须处于进行中的阶段 / a new opportunity must be open")
    now = timezone.now()
    opp = Opportunity(
        number=next_number("SJ"),
        customer=customer,
        title=title,
        description=description,
        source=Source.CAMPAIGN if campaign is not None and not source else source,
        campaign=campaign,
        estimated_revenue=Decimal(str(estimated_revenue)),
        probability=stage_probability(stage) if probability is None else probability,
        expected_close=expected_close,
        stage=stage,
        owner=owner or actor,
        main_competitor=main_competitor,
        position=position,
        last_activity_at=now,
        stage_changed_at=now,
    )
    opp.full_clean(exclude=["number", "last_activity_at", "stage_changed_at"])
    opp.save()
    line_data = _write_lines(opp, lines)
    opp.team.set(list(team))
    comps = list(competitors)
    if main_competitor is not None and main_competitor not in comps:
        comps.append(main_competitor)
    opp.competitors.set(comps)
    StageChange.objects.create(opportunity=opp, from_stage="", to_stage=stage, at=now, actor=actor)
    if main_competitor is not None or position:
        PositionChange.objects.create(
            opportunity=opp, competitor=main_competitor, before=None, after=position, actor=actor, note="建档"
        )
    changes = audit.diff({}, _snapshot(opp))
    changes["product_lines"] = [None, line_data]
    audit.record(actor, "opportunity.create", opp, changes, subject=customer)
    pipeline_cache.changed()
    return opp


@transaction.atomic
def update_opportunity(actor: User, opp: Opportunity, **data: Any) -> Opportunity:
    opp = _lock(actor, opp)
    _ensure_open(opp)
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({k: "不可在此修改 / not editable here" for k in unknown})
    if "campaign" in data:
        _check_campaign(actor, data["campaign"])
    before = _snapshot(opp)
    for key, value in data.items():
        setattr(opp, key, value)
    opp.full_clean(exclude=["number"])
    changes = audit.diff(before, _snapshot(opp))
    if changes:
        opp.save()
        if opp.main_competitor is not None:
            opp.competitors.add(opp.main_competitor)
        audit.record(actor, "opportunity.update", opp, changes, subject=opp.customer)
        pipeline_cache.changed()
    return opp


@transaction.atomic
def set_lines(actor: User, opp: Opportunity, lines: Sequence[LineData]) -> Opportunity:
    opp = _lock(actor, opp)
    _ensure_open(opp)
    before = _lines_text(opp.lines.select_related("product"))
    after = _write_lines(opp, lines)
    if before != after:
        audit.record(actor, "opportunity.lines", opp, {"product_lines": [before, after]}, subject=opp.customer)
        Opportunity.objects.filter(pk=opp.pk).update(updated_at=timezone.now())
        pipeline_cache.changed()
    return opp


@transaction.atomic
def set_team(
    actor: User, opp: Opportunity, team: Iterable[User], competitors: Iterable[Competitor] | None = None
) -> None:
    opp = _lock(actor, opp)
    changes: dict[str, Any] = {}
    before_team = _ids_text(opp.team.values_list("pk", flat=True))
    opp.team.set(list(team))
    after_team = _ids_text(opp.team.values_list("pk", flat=True))
    if before_team != after_team:
        changes["team"] = [before_team, after_team]
    if competitors is not None:
        before_c = _ids_text(opp.competitors.values_list("pk", flat=True))
        comps = list(competitors)
        if opp.main_competitor is not None and opp.main_competitor not in comps:
            comps.append(opp.main_competitor)
        opp.competitors.set(comps)
        after_c = _ids_text(opp.competitors.values_list("pk", flat=True))
        if before_c != after_c:
            changes["competitors"] = [before_c, after_c]
    if changes:
        audit.record(actor, "opportunity.team", opp, changes, subject=opp.customer)


def check_transition(actor: User, opp: Opportunity, to_stage: str, lost_reason: str = "") -> None:
    """Raise BusinessRuleError unless `opp` may move to `to_stage` now (the pipeline's rules)."""
    if to_stage not in Stage.values:
        raise ValidationError({"stage": f"未知阶段 / unknown stage {to_stage}"})
    current = opp.stage
    if to_stage == current:
        raise BusinessRuleError("same_stage", "商机已在该阶段 / already in this stage", {"stage": current})
    if current in CLOSED_STAGES:
        if to_stage not in OPEN_STAGES:
            raise BusinessRuleError("closed", "已关闭的商机只能重新打开到进行中的阶段 / reopen to an open stage")
        if not actor.can_manage:
            raise BusinessRuleError(
                "reopen_needs_manager",
                "只有经理可以重新打开已关闭的商机 / only a manager may reopen a closed opportunity",
                {"stage": current},
                status=403,
            )
        return
    if to_stage == Stage.LOST:
        if not lost_reason.strip():
            raise BusinessRuleError("lost_needs_reason", "丢单必须填写原因 / a lost opportunity needs a reason")
        return
    if to_stage == Stage.WON:
        if not OpportunityProduct.objects.filter(opportunity=opp).exists():
            raise BusinessRuleError("won_needs_products", "赢单前必须登记至少一个产品 / won needs at least one product")
        if opp.estimated_revenue <= 0:
            raise BusinessRuleError("won_needs_revenue", "赢单前必须填写预计收入 / won needs an estimated revenue")
        return
    cur_i, to_i = STAGE_ORDER.index(Stage(current)), STAGE_ORDER.index(Stage(to_stage))
    if to_i < cur_i - 1:
        raise BusinessRuleError(
            "stage_transition_not_allowed",
            "只能退回上一个阶段 / an opportunity may only go back one stage",
            {"from": current, "to": to_stage},
        )


@transaction.atomic
def move_stage(
    actor: User,
    opp: Opportunity,
    to_stage: str,
    *,
    lost_reason: str = "",
    note: str = "",
    probability: int | None = None,
) -> Opportunity:
    opp = _lock(actor, opp)
    check_transition(actor, opp, to_stage, lost_reason)
    before = _snapshot(opp)
    now = timezone.now()
    from_stage = opp.stage
    opp.stage = to_stage
    opp.probability = stage_probability(to_stage) if probability is None or to_stage in CLOSED_STAGES else probability
    opp.lost_reason = lost_reason.strip()[:255] if to_stage == Stage.LOST else ""
    opp.closed_at = now if to_stage in CLOSED_STAGES else None
    opp.stage_changed_at = now
    opp.last_activity_at = now
    opp.full_clean(exclude=["number"])
    opp.save()
    StageChange.objects.create(
        opportunity=opp, from_stage=from_stage, to_stage=to_stage, at=now, actor=actor, note=note
    )
    action = "opportunity.reopen" if from_stage in CLOSED_STAGES else "opportunity.stage"
    audit.record(actor, action, opp, audit.diff(before, _snapshot(opp)), subject=opp.customer)
    pipeline_cache.changed()
    return opp


@transaction.atomic
def update_position(
    actor: User, opp: Opportunity, position: int, *, competitor: Competitor | None = None, note: str = ""
) -> PositionChange:
    opp = _lock(actor, opp)
    _ensure_open(opp)
    if not -5 <= position <= 5:
        raise ValidationError({"position": "态势取值 -5 到 +5 / position must be within -5..+5"})
    before = _snapshot(opp)
    competitor = competitor or opp.main_competitor
    change = PositionChange.objects.create(
        opportunity=opp, competitor=competitor, before=opp.position, after=position, actor=actor, note=note[:255]
    )
    opp.position = position
    opp.main_competitor = competitor
    opp.save(update_fields=["position", "main_competitor", "updated_at"])
    if competitor is not None:
        opp.competitors.add(competitor)
    audit.record(actor, "opportunity.position", opp, audit.diff(before, _snapshot(opp)), subject=opp.customer)
    return change


@transaction.atomic
def add_next_step(
    actor: User, opp: Opportunity, *, action: str, due_date: dt.date, owner: User | None = None
) -> NextStep:
    opp = _lock(actor, opp)
    _ensure_open(opp)
    step = NextStep(opportunity=opp, action=action, due_date=due_date, owner=owner or opp.owner)
    step.full_clean()
    step.save()
    _touch(opp)
    audit.record(
        actor,
        "opportunity.next_step",
        step,
        {"action": [None, action], "due_date": [None, due_date.isoformat()], "owner": [None, step.owner_id]},
        subject=opp.customer,
    )
    return step


@transaction.atomic
def complete_next_step(actor: User, step: NextStep, done: bool = True) -> NextStep:
    opp = _lock(actor, step.opportunity)
    step = NextStep.objects.select_for_update().get(pk=step.pk)
    if step.done != done:
        step.done = done
        step.done_at = timezone.now() if done else None
        step.save(update_fields=["done", "done_at"])
        _touch(opp)
        audit.record(actor, "opportunity.next_step_done", step, {"done": [not done, done]}, subject=opp.customer)
    return step


@transaction.atomic
def add_influencer(
    actor: User, opp: Opportunity, key_person: KeyPerson, *, deal_role: str, note: str = ""
) -> Influencer:
    opp = _lock(actor, opp)
    if key_person.customer_id != opp.customer_id:
        raise ValidationError({"key_person": "关键人不属于该客户 / the key person belongs to another customer"})
    if Influencer.objects.filter(opportunity=opp, key_person=key_person).exists():
        raise BusinessRuleError("duplicate", "该关键人已在本商机中 / already an influencer of this opportunity")
    inf = Influencer(
        opportunity=opp, key_person=key_person, deal_role=deal_role, attitude_at_start=key_person.attitude, note=note
    )
    inf.full_clean()
    inf.save()
    audit.record(
        actor,
        "opportunity.influencer",
        inf,
        {"key_person": [None, key_person.pk], "deal_role": [None, deal_role], "attitude": [None, key_person.attitude]},
        subject=opp.customer,
    )
    return inf


@transaction.atomic
def update_influencer(
    actor: User,
    inf: Influencer,
    *,
    attitude: str | None = None,
    deal_role: str | None = None,
    note: str = "",
) -> Influencer:
    """A new attitude is written to the key person through the customers service, so the customer
    file's attitude history stays the one truth; the deal role is this opportunity's own."""
    opp = _lock(actor, inf.opportunity)
    inf = Influencer.objects.select_related("key_person").get(pk=inf.pk)
    if deal_role is not None and deal_role != inf.deal_role:
        before = inf.deal_role
        inf.deal_role = deal_role
        inf.full_clean()
        inf.save(update_fields=["deal_role"])
        audit.record(
            actor, "opportunity.influencer_role", inf, {"deal_role": [before, deal_role]}, subject=opp.customer
        )
    if attitude is not None and attitude != inf.key_person.attitude:
        customer_services.update_key_person(
            actor,
            inf.key_person,
            note=(f"商机 {opp.number}：{note}" if note else f"商机 {opp.number}"),
            attitude=attitude,
        )
        inf.key_person.refresh_from_db()
    return inf


@transaction.atomic
def remove_influencer(actor: User, inf: Influencer) -> None:
    opp = _lock(actor, inf.opportunity)
    audit.record(
        actor, "opportunity.influencer_remove", inf, {"key_person": [inf.key_person_id, None]}, subject=opp.customer
    )
    inf.delete()


def touch_from_visit(opp: Opportunity, at: dt.datetime) -> None:
    """A logged visit on the deal counts as activity for the stale flag (called inside the visit service)."""
    if opp.is_open and opp.last_activity_at < at:
        _touch(opp, at)
