"""Opportunities (商机) with their pipeline, key influencers and position, and marketing campaigns.

DOMAIN.md sections 5-6: sales progress management tracks per project the goal, the key
influencers with attitude before/now, our position against the strongest competitor on -5..+5 and
next steps. Stage rules (default probability, stale threshold) are data the province edits.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jike.catalog.models import Product
from jike.core.models import OrgUnit
from jike.customers.choices import Attitude
from jike.sales.querysets import CampaignQuerySet, OpportunityQuerySet, ScopedByOpportunityQuerySet


class Stage(models.TextChoices):
    DISCOVERED = "discovered", _("发现")
    QUALIFIED = "qualified", _("确认")
    SOLUTION = "solution", _("方案")
    PROPOSAL = "proposal", _("投标/建议书")
    NEGOTIATION = "negotiation", _("谈判")
    WON = "won", _("赢单")
    LOST = "lost", _("丢单")


OPEN_STAGES = [Stage.DISCOVERED, Stage.QUALIFIED, Stage.SOLUTION, Stage.PROPOSAL, Stage.NEGOTIATION]
CLOSED_STAGES = [Stage.WON, Stage.LOST]
STAGE_ORDER = [*OPEN_STAGES, Stage.WON]


class Source(models.TextChoices):
    VISIT = "visit", _("客户拜访")
    PARTNER = "partner", _("合作伙伴报备")
    CAMPAIGN = "campaign", _("营销活动")
    HOTLINE = "hotline", _("10086热线")
    INBOUND = "inbound", _("客户来电/来访")


class DealRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("决策者")
    APPROVER = "approver", _("审批者")
    EVALUATOR = "evaluator", _("评估者")
    USER = "user", _("使用者")
    COACH = "coach", _("内线")


class Counter(models.Model):
    """Yearly number sequences (SJ-2026-000123); incremented with one atomic upsert."""

    key = models.CharField(max_length=32, unique=True)
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


class StageRule(models.Model):
    """Per stage: the default win probability and after how many quiet days an opportunity is stale."""

    stage = models.CharField(_("阶段"), max_length=16, choices=Stage.choices, unique=True)
    probability = models.PositiveSmallIntegerField(
        _("默认赢率(%)"), validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    stale_days = models.PositiveSmallIntegerField(_("停滞天数"), null=True, blank=True)

    class Meta:
        verbose_name = _("阶段规则")

    def __str__(self) -> str:
        return f"{self.stage}: {self.probability}% / {self.stale_days}d"


class Competitor(models.Model):
    name = models.CharField(_("竞争对手"), max_length=64, unique=True)
    short_name = models.CharField(_("简称"), max_length=16, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("竞争对手")

    def __str__(self) -> str:
        return self.name


class CampaignLevel(models.TextChoices):
    PROVINCE = "province", _("省公司主题")
    CITY = "city", _("市公司活动")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审批")
    APPROVED = "approved", _("已审批")
    RUNNING = "running", _("进行中")
    CLOSED = "closed", _("已结束")


class Campaign(models.Model):
    """Marketing campaign (信息化推广活动): province themes, city campaigns (major ones approved by the province)."""

    name = models.CharField(_("活动名称"), max_length=128)
    level = models.CharField(_("级别"), max_length=16, choices=CampaignLevel.choices)
    org_unit = models.ForeignKey(OrgUnit, verbose_name=_("主办单位"), on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255, editable=False)
    theme = models.CharField(_("主题"), max_length=255, blank=True)
    description = models.TextField(_("说明"), blank=True)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    # {"tiers": ["A"], "industries": ["education"], "cities": [<org unit id>]}: empty list = any.
    target_segments = models.JSONField(_("目标客户群"), default=dict, blank=True)
    major = models.BooleanField(_("重大活动"), default=False)
    budget = models.DecimalField(_("预算(元)"), max_digits=14, decimal_places=2, default=Decimal("0"))
    status = models.CharField(_("状态"), max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approval_note = models.CharField(_("审批意见"), max_length=255, blank=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "-id"]
        verbose_name = _("营销活动")
        indexes = [models.Index(fields=["org_path"], name="campaign_org_path_idx", opclasses=["varchar_pattern_ops"])]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="campaign_dates_ordered")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def needs_province_approval(self) -> bool:
        return self.level == CampaignLevel.CITY and self.major


class Opportunity(models.Model):
    number = models.CharField(_("商机编号"), max_length=20, unique=True, editable=False)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), on_delete=models.PROTECT, related_name="opportunities"
    )
    title = models.CharField(_("商机名称"), max_length=128)
    description = models.TextField(_("说明"), blank=True)
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices, default=Source.VISIT)
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("营销活动"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="opportunities",
    )
    products: models.ManyToManyField[Product, OpportunityProduct] = models.ManyToManyField(
        Product, through="OpportunityProduct", related_name="opportunities", blank=True
    )
    estimated_revenue = models.DecimalField(
        _("预计收入(元)"), max_digits=14, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    probability = models.PositiveSmallIntegerField(
        _("赢率(%)"), default=10, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    expected_close = models.DateField(_("预计成交日期"))
    stage = models.CharField(_("阶段"), max_length=16, choices=Stage.choices, default=Stage.DISCOVERED)
    lost_reason = models.CharField(_("丢单原因"), max_length=255, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("负责人"), on_delete=models.PROTECT, related_name="opportunities"
    )
    team = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("团队成员"), related_name="+", blank=True)
    competitors = models.ManyToManyField(Competitor, verbose_name=_("竞争对手"), related_name="+", blank=True)
    main_competitor = models.ForeignKey(
        Competitor, verbose_name=_("最强对手"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    position = models.SmallIntegerField(
        _("我方态势(-5..+5)"), default=0, validators=[MinValueValidator(-5), MaxValueValidator(5)]
    )
    # Last stage change or next-step activity: the stale flag compares it with the stage's rule.
    last_activity_at = models.DateTimeField()
    stage_changed_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OpportunityQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("商机")
        indexes = [
            models.Index(fields=["stage", "-estimated_revenue"], name="opp_stage_value_idx"),
            models.Index(fields=["customer", "stage"], name="opp_customer_stage_idx"),
            models.Index(fields=["owner", "stage"], name="opp_owner_stage_idx"),
            models.Index(fields=["expected_close"], name="opp_close_idx"),
            models.Index(fields=["-updated_at", "-id"], name="opp_updated_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(position__gte=-5) & Q(position__lte=5), name="opp_position_range"),
            models.CheckConstraint(
                condition=Q(probability__gte=0) & Q(probability__lte=100), name="opp_probability_range"
            ),
            models.CheckConstraint(condition=~Q(stage="lost") | ~Q(lost_reason=""), name="opp_lost_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES

    @property
    def weighted_revenue(self) -> Decimal:
        return (self.estimated_revenue * self.probability / 100).quantize(Decimal("0.01"))


class OpportunityProduct(models.Model):
    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("catalog.Product", verbose_name=_("产品"), on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("数量"), default=1, validators=[MinValueValidator(1)])
    monthly_revenue = models.DecimalField(
        _("预计月收入(元)"), max_digits=12, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)]
    )

    objects = ScopedByOpportunityQuerySet.as_manager()

    class Meta:
        ordering = ["opportunity", "id"]
        constraints = [models.UniqueConstraint(fields=["opportunity", "product"], name="opp_product_unique")]

    def __str__(self) -> str:
        return f"{self.product_id}×{self.quantity}"


class StageChange(models.Model):
    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="stage_history")
    from_stage = models.CharField(max_length=16, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=16, choices=Stage.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["opportunity", "-at"], name="stagechange_opp_idx")]

    def __str__(self) -> str:
        return f"{self.from_stage or '-'}→{self.to_stage}"


class PositionChange(models.Model):
    """Our position against the strongest competitor over time (-5 clearly behind .. +5 clearly ahead)."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="position_history")
    competitor = models.ForeignKey(Competitor, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    before = models.SmallIntegerField(null=True, blank=True)
    after = models.SmallIntegerField(validators=[MinValueValidator(-5), MaxValueValidator(5)])
    note = models.CharField(_("判断依据"), max_length=255, blank=True)
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.before}→{self.after}"


class NextStep(models.Model):
    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="next_steps")
    action = models.CharField(_("下一步行动"), max_length=255)
    due_date = models.DateField(_("完成期限"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("责任人"), on_delete=models.PROTECT, related_name="+"
    )
    done = models.BooleanField(_("已完成"), default=False)
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedByOpportunityQuerySet.as_manager()

    class Meta:
        ordering = ["done", "due_date", "id"]
        verbose_name = _("下一步行动")

    def __str__(self) -> str:
        return self.action


class Influencer(models.Model):
    """A key person of the customer in this deal. The attitude itself lives on the key person
    (its history is the customer file's one truth); `attitude_at_start` is the baseline when added."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="influencers")
    key_person = models.ForeignKey(
        "customers.KeyPerson", verbose_name=_("关键人"), on_delete=models.PROTECT, related_name="influences"
    )
    deal_role = models.CharField(_("在本项目中的角色"), max_length=16, choices=DealRole.choices)
    attitude_at_start = models.CharField(_("初始态度"), max_length=1, choices=Attitude.choices)
    note = models.CharField(_("备注"), max_length=255, blank=True)
    added_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedByOpportunityQuerySet.as_manager()

    class Meta:
        ordering = ["opportunity", "id"]
        verbose_name = _("关键影响人")
        constraints = [models.UniqueConstraint(fields=["opportunity", "key_person"], name="influencer_unique")]

    def __str__(self) -> str:
        return f"{self.key_person_id}@{self.opportunity_id}"
