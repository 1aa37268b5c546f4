"""The tables of the six steps; each row belongs to one plan version and is scoped like its customer."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeVar

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from jike.customers.querysets import RestrictedQuerySet
from jike.planning.choices import BuyingFactor, Phase, ProductLine

_M = TypeVar("_M", bound=models.Model)


class PlanRowQuerySet(RestrictedQuerySet[_M]):
    """Rows are scoped like the customer of their plan."""

    customer_prefix = "plan__customer__"


class BuyingFactorQuerySet(PlanRowQuerySet["BuyingFactorRow"]):
    pass


class CompetitorQuerySet(PlanRowQuerySet["CompetitorStrength"]):
    pass


class SolutionQuerySet(PlanRowQuerySet["SolutionOption"]):
    pass


class SiteQuerySet(PlanRowQuerySet["ServiceSite"]):
    pass


class MarketingQuerySet(PlanRowQuerySet["MarketingPlan"]):
    pass


class CommunicationQuerySet(PlanRowQuerySet["CommunicationPlan"]):
    pass


def score(label: Any, low: int = 1, high: int = 5) -> models.PositiveSmallIntegerField[int, int]:
    return models.PositiveSmallIntegerField(
        label, default=3, validators=[MinValueValidator(low), MaxValueValidator(high)]
    )


class PlanRow(models.Model):
    plan = models.ForeignKey("planning.AccountPlan", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField(_("序号"), default=0)

    class Meta:
        abstract = True
        ordering = ["plan", "position", "id"]


class BuyingFactorRow(PlanRow):
    """Step 1: a key buying factor of the customer, its weight (%) and how we score on it (1-5)."""

    plan = models.ForeignKey("planning.AccountPlan", on_delete=models.CASCADE, related_name="buying_factors")
    factor = models.CharField(_("关键购买因素"), max_length=32, choices=BuyingFactor.choices)
    weight = models.PositiveSmallIntegerField(_("权重(%)"), validators=[MinValueValidator(1), MaxValueValidator(100)])
    our_score = score(_("我方得分(1-5)"))
    competitor_score = score(_("主要对手得分(1-5)"))
    note = models.CharField(_("说明"), max_length=255, blank=True)

    objects = BuyingFactorQuerySet.as_manager()

    class Meta(PlanRow.Meta):
        verbose_name = _("关键购买因素")
        constraints = [models.UniqueConstraint(fields=["plan", "factor"], name="buyingfactor_unique_per_plan")]

    def __str__(self) -> str:
        return str(self.get_factor_display())


class CompetitorStrength(PlanRow):
    """Step 2: one competitor's strength for this customer in one product line (scores 1-5)."""

    plan = models.ForeignKey("planning.AccountPlan", on_delete=models.CASCADE, related_name="competitors")
    product_line = models.CharField(_("产品线"), max_length=32, choices=ProductLine.choices)
    competitor = models.CharField(_("竞争对手"), max_length=64)
    coverage = score(_("网络覆盖"))
    stability = score(_("稳定性"))
    price = score(_("价格"))
    brand = score(_("品牌"))
    service_quality = score(_("服务质量"))
    operations = score(_("运营能力"))
    note = models.CharField(_("说明"), max_length=255, blank=True)

    objects = CompetitorQuerySet.as_manager()

    class Meta(PlanRow.Meta):
        verbose_name = _("竞争对手实力")

    def __str__(self) -> str:
        return f"{self.competitor} / {self.get_product_line_display()}"

    @property
    def total(self) -> int:
        return self.coverage + self.stability + self.price + self.brand + self.service_quality + self.operations


class SolutionOption(PlanRow):
    """Step 4: a solution option for one service area, evaluated and phased."""

    plan = models.ForeignKey("planning.AccountPlan", on_delete=models.CASCADE, related_name="solutions")
    service_area = models.CharField(_("业务领域"), max_length=64)
    current_annual_revenue = models.DecimalField(
        _("当前年收入(元)"), max_digits=14, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    competitive_situation = models.TextField(_("竞争状况"), blank=True)
    strategy = models.TextField(_("我方策略"))
    measures = models.TextField(_("具体措施"), blank=True)
    feasibility = models.TextField(_("可行性"), blank=True)
    financial_score = score(_("财务效益(1-5)"))
    technical_score = score(_("技术可行性(1-5)"))
    policy_score = score(_("政策可行性(1-5)"))
    phase = models.CharField(_("实施阶段"), max_length=8, choices=Phase.choices, default=Phase.SHORT)
    expected_revenue_effect = models.DecimalField(
        _("预期年收入增量(元)"), max_digits=14, decimal_places=2, default=Decimal("0")
    )

    objects = SolutionQuerySet.as_manager()

    class Meta(PlanRow.Meta):
        verbose_name = _("定制化方案")

    def __str__(self) -> str:
        return str(self.service_area)


class ServiceSite(PlanRow):
    """Step 5: network resources at one customer site: decides what we can promise there."""

    plan = models.ForeignKey("planning.AccountPlan", on_delete=models.CASCADE, related_name="sites")
    address = models.CharField(_("地址"), max_length=255)
    access_point = models.CharField(_("接入点/局所"), max_length=128, blank=True)
    fibre = models.BooleanField(_("光纤到楼"), default=False)
    copper_pairs = models.PositiveIntegerField(_("铜缆对数"), default=0)
    services = models.CharField(_("可承载业务"), max_length=255, blank=True)

    objects = SiteQuerySet.as_manager()

    class Meta(PlanRow.Meta):
        verbose_name = _("客户站点资源")

    def __str__(self) -> str:
        return str(self.address)


class MarketingPlan(PlanRow):
    """Step 6: a marketing task with quarterly milestones and its team."""

    plan = models.ForeignKey("planning.AccountPlan", on_delete=models.CASCADE, related_name="marketing_plans")
    task = models.CharField(_("营销任务"), max_length=255)
    q1 = models.CharField(_("一季度里程碑"), max_length=255, blank=True)
    q2 = models.CharField(_("二季度里程碑"), max_length=255, blank=True)
    q3 = models.CharField(_("三季度里程碑"), max_length=255, blank=True)
    q4 = models.CharField(_("四季度里程碑"), max_length=255, blank=True)
    first_responsible = models.CharField(_("第一责任人"), max_length=64)
    industry_manager = models.CharField(_("行业经理"), max_length=64, blank=True)
    technical_support = models.CharField(_("技术支撑经理"), max_length=64, blank=True)
    marketing_support = models.CharField(_("营销支撑经理"), max_length=64, blank=True)

    objects = MarketingQuerySet.as_manager()

    class Meta(PlanRow.Meta):
        verbose_name = _("营销计划")

    def __str__(self) -> str:
        return str(self.task)


class CommunicationPlan(PlanRow):
    """Step 6: a communication activity: with whom, how often, to what effect."""

    plan = models.ForeignKey("planning.AccountPlan", on_delete=models.CASCADE, related_name="communication_plans")
    target_department = models.CharField(_("对象部门"), max_length=128)
    activity = models.CharField(_("沟通活动"), max_length=255)
    frequency = models.CharField(_("频次"), max_length=64)
    expected_effect = models.CharField(_("预期效果"), max_length=255, blank=True)

    objects = CommunicationQuerySet.as_manager()

    class Meta(PlanRow.Meta):
        verbose_name = _("沟通计划")

    def __str__(self) -> str:
        return str(self.activity)
