"""File imports of operator exports (customers, members) with per-row rejects."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    CUSTOMERS = "customers", _("集团客户")
    MEMBERS = "members", _("集团成员")


class ImportMode(models.TextChoices):
    ALL_OR_NOTHING = "all_or_nothing", _("全部成功才导入")
    PARTIAL = "partial", _("导入正确行，报告错误行")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("进行中")
    SUCCEEDED = "succeeded", _("已完成")
    REJECTED = "rejected", _("有错误未导入")
    FAILED = "failed", _("失败")


class ImportJob(models.Model):
    kind = models.CharField(_("类型"), max_length=16, choices=ImportKind.choices)
    mode = models.CharField(_("模式"), max_length=16, choices=ImportMode.choices, default=ImportMode.ALL_OR_NOTHING)
    dry_run = models.BooleanField(_("试运行"), default=False)
    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255)
    encoding = models.CharField(max_length=16, blank=True)
    mapping = models.JSONField(_("列映射"), default=dict, blank=True)
    status = models.CharField(max_length=16, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("导入任务")

    def __str__(self) -> str:
        return f"{self.kind} {self.original_name}"

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status in (ImportStatus.SUCCEEDED, ImportStatus.REJECTED) else 0
        return int(100 * self.processed_rows / self.total_rows)


class ImportReject(models.Model):
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rejects")
    row_number = models.PositiveIntegerField(_("行号"))
    column = models.CharField(_("列"), max_length=64, blank=True)
    value = models.CharField(_("值"), max_length=255, blank=True)
    reason = models.CharField(_("原因"), max_length=255)

    class Meta:
        ordering = ["job", "row_number", "id"]

    def __str__(self) -> str:
        return f"row {self.row_number}: {self.reason}"
