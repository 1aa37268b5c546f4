"""Shared kernel: organisation units, staff, audit log, export log and background jobs."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from jike.core.roles import CONFIG_ROLES, MANAGER_ROLES, ORG_SCOPED, PII_ROLES, WRITE_ROLES, Role, Scope


class OrgLevel(models.TextChoices):
    PROVINCE = "province", _("省公司")
    CITY = "city", _("市公司")
    COUNTY = "county", _("县公司")
    GRID = "grid", _("网格")


class OrgUnit(models.Model):
    """A unit of the operator: province > city > county > grid.

    `path` is the materialised chain of codes ("34/3401/340102/340102-03/") so a subtree is one
    indexed prefix match: this is what data scope filters on.
    """

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    name_en = models.CharField(_("英文名"), max_length=64, blank=True)
    level = models.CharField(_("层级"), max_length=16, choices=OrgLevel.choices)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    path = models.CharField(max_length=255, unique=True, editable=False)

    class Meta:
        ordering = ["path"]
        verbose_name = _("组织单元")
        indexes = [models.Index(fields=["path"], name="orgunit_path_idx", opclasses=["varchar_pattern_ops"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level="province", parent__isnull=True) | ~models.Q(level="province"),
                name="orgunit_province_is_root",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.path = (self.parent.path if self.parent else "") + self.code + "/"
        super().save(*args, **kwargs)

    def ancestor_of_level(self, level: str) -> OrgUnit | None:
        """This unit or the one above it at `level`: one query on the path prefixes (pages ask
        this on every request; walking `parent` cost a query per level)."""
        if self.level == level:
            return self
        parts = self.path.split("/")[:-1]
        prefixes = ["/".join(parts[:i]) + "/" for i in range(1, len(parts))]
        return OrgUnit.objects.filter(level=level, path__in=prefixes).first() if prefixes else None


class User(AbstractUser):
    """A member of staff. Data scope and PII visibility follow from role and org unit."""

    full_name = models.CharField(_("姓名"), max_length=64, blank=True)
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices, default=Role.CM_JUNIOR)
    org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("所属单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
    )
    mobile = models.CharField(_("手机"), max_length=16, blank=True)

    class Meta:
        verbose_name = _("员工")
        indexes = [models.Index(fields=["role", "org_unit"], name="user_role_org_idx")]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def scope(self) -> Scope:
        if self.is_superuser:
            return Scope.ALL
        if self.role in ORG_SCOPED:
            if self.org_unit is None or self.org_unit.level == OrgLevel.PROVINCE:
                return Scope.ALL if self.role in {Role.ADMIN, Role.PROVINCE_MANAGER, Role.ANALYST} else Scope.TEAM
            return Scope.ORG
        return Scope.TEAM

    @property
    def sees_pii(self) -> bool:
        return self.is_superuser or self.role in PII_ROLES

    @property
    def can_write(self) -> bool:
        return self.is_superuser or self.role in WRITE_ROLES

    @property
    def can_manage(self) -> bool:
        return self.is_superuser or self.role in MANAGER_ROLES

    @property
    def can_configure(self) -> bool:
        return self.is_superuser or self.role in CONFIG_ROLES


class AuditLog(models.Model):
    """Who changed what, when, from which request, with before/after values per field."""

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    action = models.CharField(_("操作"), max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200, blank=True)
    # Root object the change belongs to (e.g. the customer of a key person) for history pages.
    subject_type = models.CharField(max_length=64, blank=True)
    subject_id = models.CharField(max_length=64, blank=True)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("审计日志")
        indexes = [
            models.Index(fields=["subject_type", "subject_id", "-at"], name="audit_subject_idx"),
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}:{self.object_id}"


class ExportLog(models.Model):
    """Every export of personal or business data (PIPL): who, what, which filter, how many rows."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    request_id = models.CharField(max_length=64, blank=True)
    what = models.CharField(max_length=64)
    format = models.CharField(max_length=16)
    filters = models.JSONField(default=dict, blank=True)
    rows = models.PositiveIntegerField()
    pii_unmasked = models.BooleanField(default=False)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("导出日志")

    def __str__(self) -> str:
        return f"{self.what} x{self.rows}"


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("进行中")
    SUCCEEDED = "succeeded", _("已完成")
    FAILED = "failed", _("失败")


class Job(models.Model):
    """A long-running task (re-tiering a province, ...) with progress the UI can poll."""

    kind = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    params = models.JSONField(default=dict, blank=True)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(done__lte=models.F("total")) | models.Q(total=0), name="job_done_le_total"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}#{self.pk}"

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else (100 if self.status == JobStatus.SUCCEEDED else 0)
