"""Tier rules as data (分层分级): versioned scorecards the province edits, and tier history."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jike.core.roles import Role
from jike.customers.choices import TeamRole, Tier
from jike.customers.models.customer import Customer


class ScorecardStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ACTIVE = "active", _("生效")
    RETIRED = "retired", _("已停用")


class CriterionKey(models.TextChoices):
    """Measures a criterion can score; each is read off the customer file."""

    MONTHLY_REVENUE = "monthly_revenue", _("月收入(元)")
    MEMBERS = "members", _("成员数")
    UNIFIED_SHARE = "unified_share", _("统付占比(%)")
    INDUSTRY_INFLUENCE = "industry_influence", _("行业影响力(1-5)")
    STRATEGIC = "strategic", _("战略客户(0/1)")
    EMPLOYEES = "employees", _("员工数")


class Scorecard(models.Model):
    version = models.PositiveIntegerField(_("版本"), unique=True)
    name = models.CharField(_("名称"), max_length=128)
    status = models.CharField(_("状态"), max_length=16, choices=ScorecardStatus.choices, default=ScorecardStatus.DRAFT)
    note = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["-version"]
        verbose_name = _("分级评分卡")
        constraints = [
            models.UniqueConstraint(fields=["status"], condition=Q(status="active"), name="one_active_scorecard")
        ]

    def __str__(self) -> str:
        return f"v{self.version} {self.name}"


class Criterion(models.Model):
    """A weighted criterion: the measured value falls in a band that gives points (0-100)."""

    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="criteria")
    key = models.CharField(_("指标"), max_length=32, choices=CriterionKey.choices)
    weight = models.DecimalField(_("权重"), max_digits=5, decimal_places=2, validators=[MinValueValidator(0)])
    # [{"min": 0, "points": 0}, {"min": 3000, "points": 60}, ...]: highest band whose min <= value wins.
    bands = models.JSONField(_("分档"), default=list)

    class Meta:
        ordering = ["scorecard", "id"]
        constraints = [models.UniqueConstraint(fields=["scorecard", "key"], name="criterion_unique_key")]

    def __str__(self) -> str:
        return f"{self.key}×{self.weight}"


class GradeThreshold(models.Model):
    """Weighted score at or above `min_score` gives `grade` (A1, A2, B, C ...) within `tier`."""

    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="grades")
    grade = models.CharField(_("细分等级"), max_length=8)
    tier = models.CharField(_("等级"), max_length=1, choices=Tier.choices)
    min_score = models.DecimalField(_("最低分"), max_digits=6, decimal_places=2)

    class Meta:
        ordering = ["scorecard", "-min_score"]
        constraints = [models.UniqueConstraint(fields=["scorecard", "grade"], name="grade_unique_per_scorecard")]

    def __str__(self) -> str:
        return f"{self.grade}≥{self.min_score}"


class TierChange(models.Model):
    """Every tier assignment with the explanation that produced it and why it was made."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="tier_history")
    scorecard = models.ForeignKey(Scorecard, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    from_grade = models.CharField(max_length=8, blank=True)
    to_grade = models.CharField(max_length=8)
    to_tier = models.CharField(max_length=1, choices=Tier.choices)
    score = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    # [{"key", "label", "value", "points", "weight", "weighted"}]
    explanation = models.JSONField(default=list)
    reason = models.CharField(_("原因"), max_length=255)
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["customer", "-at"], name="tierchange_customer_idx")]

    def __str__(self) -> str:
        return f"{self.from_grade or '-'}→{self.to_grade}"


class TeamSlot(models.Model):
    """Service-team template per tier: which team roles, filled from which staff roles, in order."""

    tier = models.CharField(_("等级"), max_length=1, choices=Tier.choices)
    team_role = models.CharField(_("团队角色"), max_length=32, choices=TeamRole.choices)
    # Staff roles acceptable for the slot, in preference order (e.g. C: cm_junior then phone_manager).
    staff_roles = models.JSONField(default=list)
    # Where to look for staff: the customer's grid first, then county, then city ("grid"),
    # or straight at city level ("city") for specialists such as industry managers.
    search_from = models.CharField(max_length=8, choices=[("grid", _("网格")), ("city", _("市公司"))], default="grid")
    required = models.BooleanField(default=True)

    class Meta:
        ordering = ["tier", "id"]
        constraints = [models.UniqueConstraint(fields=["tier", "team_role"], name="teamslot_unique")]

    def __str__(self) -> str:
        return f"{self.tier}:{self.team_role}"

    def roles(self) -> list[str]:
        return [r for r in self.staff_roles if r in Role.values]
