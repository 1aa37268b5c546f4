"""Marketing campaigns (营销活动): the write path and the approval rules.

The province plans themes; cities plan local campaigns, and a city campaign marked major needs
the province's approval (province manager or admin) before it may run (DOMAIN.md section 5).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from jike.core import audit
from jike.core.errors import BusinessRuleError
from jike.core.models import OrgLevel, OrgUnit, User
from jike.core.roles import Scope
from jike.sales.models import Campaign, CampaignLevel, CampaignStatus, Opportunity, Stage

CAMPAIGN_FIELDS = [
    "name", "level", "org_unit", "theme", "description", "start_date", "end_date", "target_segments", "major",
    "budget", "status", "approved_by", "approval_note",
]  # fmt: skip
EDITABLE_FIELDS = [
    "name", "org_unit", "theme", "description", "start_date", "end_date", "target_segments", "major", "budget",
]  # fmt: skip
SEGMENT_KEYS = {"tiers", "industries", "cities"}


def _owns_unit(actor: User, unit: OrgUnit) -> bool:
    if not actor.can_manage:
        return False
    if actor.scope == Scope.ALL:
        return True
    return actor.org_unit is not None and unit.path.startswith(actor.org_unit.path)


def _clean_segments(value: Any) -> dict[str, list[Any]]:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict) or set(value) - SEGMENT_KEYS:
        raise ValidationError({"target_segments": "只允许 tiers/industries/cities / only tiers, industries, cities"})
    if not all(isinstance(v, list) for v in value.values()):
        raise ValidationError({"target_segments": "每项必须是列表 / each segment must be a list"})
    return {k: list(v) for k, v in value.items()}


def _place(campaign: Campaign) -> None:
    unit = campaign.org_unit
    if unit.level == OrgLevel.PROVINCE:
        campaign.level = CampaignLevel.PROVINCE
        campaign.major = False  # province themes are the province's own decision
    else:
        city = unit.ancestor_of_level(OrgLevel.CITY)
        if city is None:
            raise ValidationError({"org_unit": "主办单位必须是省公司或市公司 / province or city unit"})
        campaign.org_unit = city
        campaign.level = CampaignLevel.CITY
    campaign.org_path = campaign.org_unit.path


@transaction.atomic
def create_campaign(actor: User, **data: Any) -> Campaign:
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({k: "未知字段 / unknown field" for k in unknown})
    unit = data.get("org_unit") or actor.org_unit
    if unit is None or not _owns_unit(actor, unit):
        raise BusinessRuleError("forbidden", "无权为该单位创建营销活动 / not allowed for this unit", status=403)
    data["org_unit"] = unit
    data["target_segments"] = _clean_segments(data.get("target_segments"))
    campaign = Campaign(created_by=actor, **data)
    _place(campaign)
    campaign.full_clean(exclude=["org_path", "level"])
    campaign.save()
    audit.record(actor, "campaign.create", campaign, audit.diff({}, audit.snapshot(campaign, CAMPAIGN_FIELDS)))
    return campaign


def _lock(actor: User, campaign: Campaign) -> Campaign:
    locked: Campaign | None = (
        Campaign.objects.restrict(actor, "change").select_for_update().filter(pk=campaign.pk).first()
    )
    if locked is None:
        raise BusinessRuleError("forbidden", "无权修改该营销活动 / not allowed to change this campaign", status=403)
    return locked


@transaction.atomic
def update_campaign(actor: User, campaign: Campaign, **data: Any) -> Campaign:
    campaign = _lock(actor, campaign)
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({k: "未知字段 / unknown field" for k in unknown})
    if campaign.status not in (CampaignStatus.DRAFT, CampaignStatus.SUBMITTED):
        raise BusinessRuleError("not_editable", "已审批或进行中的活动不能修改 / approved campaigns are fixed")
    if "org_unit" in data and not _owns_unit(actor, data["org_unit"]):
        raise BusinessRuleError("forbidden", "无权为该单位创建营销活动 / not allowed for this unit", status=403)
    if "target_segments" in data:
        data["target_segments"] = _clean_segments(data["target_segments"])
    before = audit.snapshot(campaign, CAMPAIGN_FIELDS)
    for key, value in data.items():
        setattr(campaign, key, value)
    _place(campaign)
    campaign.full_clean(exclude=["org_path", "level"])
    changes = audit.diff(before, audit.snapshot(campaign, CAMPAIGN_FIELDS))
    if changes:
        campaign.save()
        audit.record(actor, "campaign.update", campaign, changes)
    return campaign


def _transition(actor: User, campaign: Campaign, to: str, action: str, **extra: Any) -> Campaign:
    before = audit.snapshot(campaign, CAMPAIGN_FIELDS)
    campaign.status = to
    for key, value in extra.items():
        setattr(campaign, key, value)
    campaign.save()
    audit.record(actor, action, campaign, audit.diff(before, audit.snapshot(campaign, CAMPAIGN_FIELDS)))
    return campaign


def _refuse(code: str, message: str, campaign: Campaign, status: int = 409) -> BusinessRuleError:
    return BusinessRuleError(code, message, {"status": campaign.status}, status=status)


@transaction.atomic
def submit_campaign(actor: User, campaign: Campaign) -> Campaign:
    campaign = _lock(actor, campaign)
    if campaign.status != CampaignStatus.DRAFT:
        raise _refuse("bad_status", "只有草稿可以提交审批 / only a draft can be submitted", campaign)
    return _transition(actor, campaign, CampaignStatus.SUBMITTED, "campaign.submit", submitted_at=timezone.now())


def _may_approve(actor: User, campaign: Campaign) -> bool:
    if campaign.needs_province_approval:
        return actor.can_configure  # province manager or admin
    return _owns_unit(actor, campaign.org_unit)


@transaction.atomic
def approve_campaign(actor: User, campaign: Campaign, note: str = "", approve: bool = True) -> Campaign:
    """Approve (or send back to draft) a submitted campaign; a major city campaign needs the province."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if not _may_approve(actor, campaign):
        raise _refuse(
            "needs_province_approval" if campaign.needs_province_approval else "forbidden",
            "重大市级活动须由省公司审批 / a major city campaign is approved by the province"
            if campaign.needs_province_approval
            else "无权审批该营销活动 / not allowed to approve this campaign",
            campaign,
            status=403,
        )
    if campaign.status != CampaignStatus.SUBMITTED:
        raise _refuse("bad_status", "只有待审批的活动可以审批 / only a submitted campaign can be approved", campaign)
    if approve:
        return _transition(
            actor,
            campaign,
            CampaignStatus.APPROVED,
            "campaign.approve",
            approved_by=actor,
            approved_at=timezone.now(),
            approval_note=note[:255],
        )
    return _transition(actor, campaign, CampaignStatus.DRAFT, "campaign.reject", approval_note=note[:255])


@transaction.atomic
def start_campaign(actor: User, campaign: Campaign) -> Campaign:
    campaign = _lock(actor, campaign)
    allowed = [CampaignStatus.APPROVED]
    if not campaign.needs_province_approval:
        allowed.append(CampaignStatus.DRAFT)
    if campaign.status not in allowed:
        if campaign.needs_province_approval:
            raise _refuse(
                "needs_province_approval", "重大市级活动须经省公司审批后才能开展 / needs province approval", campaign
            )
        raise _refuse("bad_status", "该状态的活动不能开展 / cannot start from this status", campaign)
    return _transition(actor, campaign, CampaignStatus.RUNNING, "campaign.start")


@transaction.atomic
def close_campaign(actor: User, campaign: Campaign) -> Campaign:
    campaign = _lock(actor, campaign)
    if campaign.status != CampaignStatus.RUNNING:
        raise _refuse("bad_status", "只有进行中的活动可以结束 / only a running campaign can be closed", campaign)
    return _transition(actor, campaign, CampaignStatus.CLOSED, "campaign.close")


def campaign_results(user: User, campaign: Campaign) -> dict[str, Any]:
    """Opportunities the campaign produced, as far as the user may see them."""
    agg = (
        Opportunity.objects.restrict(user)
        .filter(campaign=campaign)
        .aggregate(
            opportunities=Count("id"),
            open=Count("id", filter=~Q(stage__in=[Stage.WON, Stage.LOST])),
            won=Count("id", filter=Q(stage=Stage.WON)),
            lost=Count("id", filter=Q(stage=Stage.LOST)),
            pipeline=Sum("estimated_revenue", filter=~Q(stage__in=[Stage.WON, Stage.LOST])),
            won_revenue=Sum("estimated_revenue", filter=Q(stage=Stage.WON)),
        )
    )
    agg["pipeline"] = agg["pipeline"] or Decimal("0")
    agg["won_revenue"] = agg["won_revenue"] or Decimal("0")
    return agg
