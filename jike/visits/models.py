"""Customer visits (拜访): plans, logs with observed attitudes and follow-ups, and norms per tier.

DOMAIN.md section 6: a visit plan holds plan no., date, customer manager, customer, situation,
time, method, key persons, visit points and cautions. Norms ("A-class monthly") are data.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from jike.customers.choices import Attitude, Tier
from jike.customers.querysets import RestrictedQuerySet


class VisitQuerySet(RestrictedQuerySet[Any]):
    customer_prefix = "customer__"


class ByLogQuerySet(RestrictedQuerySet[Any]):
    customer_prefix = "log__customer__"


class Method(models.TextChoices):
    ON_SITE = "on_site", _("上门拜访")
    PHONE = "phone", _("电话拜访")
    VIDEO = "video", _("视频会议")
    EVENT = "event", _("活动/会议")


class PlanStatus(models.TextChoices):
    PLANNED = "planned", _("计划中")
    DONE = "done", _("已完成")
    CANCELLED = "cancelled", _("已取消")


class VisitNorm(models.Model):
    """How often a customer of a tier must be visited (A every 30 days, ...)."""

    tier = models.CharField(_("等级"), max_length=1, choices=Tier.choices, unique=True)
    every_days = models.PositiveSmallIntegerField(_("拜访周期(天)"), validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["tier"]
        verbose_name = _("拜访规范")

    def __str__(self) -> str:
        return f"{self.tier}: {self.every_days}d"


class VisitPlan(models.Model):
    number = models.CharField(_("计划编号"), max_length=20, unique=True, editable=False)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), on_delete=models.PROTECT, related_name="visit_plans"
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("客户经理"), on_delete=models.PROTECT, related_name="visit_plans"
    )
    planned_at = models.DateTimeField(_("拜访时间"))
    duration_minutes = models.PositiveSmallIntegerField(_("预计时长(分钟)"), default=60)
    method = models.CharField(_("拜访方式"), max_length=16, choices=Method.choices, default=Method.ON_SITE)
    key_persons = models.ManyToManyField(
        "customers.KeyPerson", verbose_name=_("拜访对象"), related_name="visit_plans", blank=True
    )
    situation = models.TextField(_("客户情况"), blank=True)
    objectives = models.TextField(_("拜访目的"))
    visit_points = models.TextField(_("拜访要点"), blank=True)
    cautions = models.TextField(_("注意事项"), blank=True)
    opportunity = models.ForeignKey(
        "sales.Opportunity",
        verbose_name=_("相关商机"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visit_plans",
    )
    status = models.CharField(_("状态"), max_length=16, choices=PlanStatus.choices, default=PlanStatus.PLANNED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VisitQuerySet.as_manager()

    class Meta:
        ordering = ["planned_at", "id"]
        verbose_name = _("拜访计划")
        indexes = [
            models.Index(fields=["manager", "planned_at"], name="visitplan_manager_idx"),
            models.Index(fields=["customer", "planned_at"], name="visitplan_customer_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class VisitLog(models.Model):
    """What happened at a visit (planned or not)."""

    plan = models.OneToOneField(
        VisitPlan, verbose_name=_("拜访计划"), on_delete=models.SET_NULL, null=True, blank=True, related_name="log"
    )
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), on_delete=models.PROTECT, related_name="visit_logs"
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("客户经理"), on_delete=models.PROTECT, related_name="visit_logs"
    )
    visited_at = models.DateTimeField(_("拜访时间"))
    method = models.CharField(_("拜访方式"), max_length=16, choices=Method.choices, default=Method.ON_SITE)
    summary = models.TextField(_("拜访情况"))
    opportunity = models.ForeignKey(
        "sales.Opportunity",
        verbose_name=_("相关商机"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visit_logs",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VisitQuerySet.as_manager()

    class Meta:
        ordering = ["-visited_at", "-id"]
        verbose_name = _("拜访记录")
        indexes = [
            models.Index(fields=["customer", "-visited_at"], name="visitlog_customer_idx"),
            models.Index(fields=["manager", "-visited_at"], name="visitlog_manager_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}@{self.visited_at:%Y-%m-%d}"


class ObservedAttitude(models.Model):
    """A key person's attitude as observed at the visit; applied to the key person's file."""

    log = models.ForeignKey(VisitLog, on_delete=models.CASCADE, related_name="attitudes")
    key_person = models.ForeignKey("customers.KeyPerson", on_delete=models.PROTECT, related_name="+")
    before = models.CharField(max_length=1, choices=Attitude.choices)
    after = models.CharField(max_length=1, choices=Attitude.choices)
    note = models.CharField(_("说明"), max_length=255, blank=True)

    objects = ByLogQuerySet.as_manager()

    class Meta:
        ordering = ["log", "id"]
        constraints = [models.UniqueConstraint(fields=["log", "key_person"], name="observed_attitude_unique")]

    def __str__(self) -> str:
        return f"{self.key_person_id}: {self.before}→{self.after}"


class FollowUp(models.Model):
    log = models.ForeignKey(VisitLog, on_delete=models.CASCADE, related_name="follow_ups")
    action = models.CharField(_("跟进事项"), max_length=255)
    due_date = models.DateField(_("完成期限"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("责任人"), on_delete=models.PROTECT, related_name="+"
    )
    done = models.BooleanField(_("已完成"), default=False)
    done_at = models.DateTimeField(null=True, blank=True)

    objects = ByLogQuerySet.as_manager()

    class Meta:
        ordering = ["done", "due_date", "id"]
        verbose_name = _("跟进事项")

    def __str__(self) -> str:
        return self.action
