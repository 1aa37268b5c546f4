"""An account plan (客户规划) of one key customer, by the six-step analysis.

The plan row holds the single-valued parts of each step (industry analysis text, the personalised
needs drawn from the customer file, after-sales capability); the tables of each step are row models
in `sections.py`. Plans are versioned: version n+1 starts as a copy of version n; an approved version
is frozen and the latest approved one is the customer's current plan.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jike.customers.querysets import RestrictedQuerySet
from jike.planning.choices import OPEN_STATUSES, PlanStatus


class AccountPlanQuerySet(RestrictedQuerySet["AccountPlan"]):
    customer_prefix = "customer__"


# Fields of the plan row that belong to the plan's content (copied into a new version).
CONTENT_FIELDS = [
    "title",
    "year",
    "objective",
    "industry_revenue_mix",
    "industry_key_services",
    "industry_spending_traits",
    "competition_summary",
    "customer_profile",
    "network_status",
    "technology_strategy",
    "telecom_spend",
    "decision_process",
    "potential_needs",
    "solution_summary",
    "after_sales_capability",
    "planning_summary",
]


class AccountPlan(models.Model):
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="account_plans")
    version = models.PositiveIntegerField(_("版本"), default=1)
    previous = models.ForeignKey(
        "self", verbose_name=_("上一版本"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(_("状态"), max_length=16, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    is_current = models.BooleanField(_("当前有效"), default=False)
    title = models.CharField(_("规划名称"), max_length=128)
    year = models.PositiveIntegerField(_("规划年度"))
    objective = models.TextField(_("总体目标"), blank=True)
    # Step 1 industry analysis (the weighted key buying factors are rows).
    industry_revenue_mix = models.TextField(_("客户群行业收入结构"), blank=True)
    industry_key_services = models.TextField(_("行业重点通信业务"), blank=True)
    industry_spending_traits = models.TextField(_("行业消费特点"), blank=True)
    # Step 2 competitive analysis (the strength matrix is rows).
    competition_summary = models.TextField(_("竞争态势小结"), blank=True)
    # Step 3 personalised needs: pre-filled from the customer file when the plan is created.
    customer_profile = models.TextField(_("客户档案概要"), blank=True)
    network_status = models.TextField(_("网络与业务现状"), blank=True)
    technology_strategy = models.TextField(_("技术策略"), blank=True)
    telecom_spend = models.TextField(_("通信消费"), blank=True)
    decision_process = models.TextField(_("各层级决策流程"), blank=True)
    potential_needs = models.TextField(_("潜在需求"), blank=True)
    # Step 4 customised solutions (options are rows).
    solution_summary = models.TextField(_("方案评估小结"), blank=True)
    # Step 5 service support (sites are rows).
    after_sales_capability = models.TextField(_("售后服务能力"), blank=True)
    # Step 6 customer planning (marketing and communication plans are rows).
    planning_summary = models.TextField(_("规划小结"), blank=True)

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("编制人"), on_delete=models.PROTECT, related_name="+"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_comment = models.TextField(_("审核意见"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AccountPlanQuerySet.as_manager()

    class Meta:
        ordering = ["customer", "-version"]
        verbose_name = _("客户规划")
        constraints = [
            models.UniqueConstraint(fields=["customer", "version"], name="accountplan_unique_version"),
            models.UniqueConstraint(fields=["customer"], condition=Q(is_current=True), name="accountplan_one_current"),
            # One version in progress at a time: a new version starts only from an approved one.
            models.UniqueConstraint(
                fields=["customer"], condition=Q(status__in=OPEN_STATUSES), name="accountplan_one_open"
            ),
            models.CheckConstraint(
                condition=Q(is_current=False) | Q(status=PlanStatus.APPROVED), name="accountplan_current_is_approved"
            ),
        ]
        indexes = [models.Index(fields=["status"], name="accountplan_status_idx")]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"
