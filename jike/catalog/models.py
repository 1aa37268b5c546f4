"""Product catalog (集团产品体系, DOMAIN.md section 4), managed as data by the province.

This first migration holds the core Product; the catalog work extends it (bundles, charging
modes and price tiers, regions, holdings) in later migrations.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Platform(models.TextChoices):
    VOICE = "voice", _("语音类")
    WIRELESS_DATA = "wireless_data", _("无线数据类")
    WIRED_DATA = "wired_data", _("有线数据类")
    INDUSTRY_APP = "industry_app", _("行业应用类")


class Purpose(models.TextChoices):
    BASIC_COMMUNICATION = "basic_communication", _("基础通信类")
    SERVICE_MARKETING = "service_marketing", _("服务营销类")
    PRODUCTION_CONTROL = "production_control", _("生产控制类")


class ProductKind(models.TextChoices):
    BASIC = "basic", _("基本产品")
    SUB = "sub", _("子产品")
    BUNDLE = "bundle", _("组合产品")
    STANDARD = "standard", _("标准化产品")
    INDUSTRY_APP = "industry_app", _("行业应用")
    SOLUTION = "solution", _("信息化解决方案")


class Lifecycle(models.TextChoices):
    PLANNED = "planned", _("规划中")
    DEVELOPMENT = "development", _("开发中")
    LAUNCHED = "launched", _("已上市")
    RETIRED = "retired", _("已退市")


class Product(models.Model):
    code = models.CharField(_("产品编码"), max_length=32, unique=True)
    name = models.CharField(_("产品名称"), max_length=64)
    name_en = models.CharField(_("英文名"), max_length=128, blank=True)
    kind = models.CharField(_("产品层级"), max_length=16, choices=ProductKind.choices)
    platform = models.CharField(_("网络平台"), max_length=16, choices=Platform.choices)
    purpose = models.CharField(_("用途"), max_length=32, choices=Purpose.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级产品"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sub_products",
    )
    lifecycle = models.CharField(_("生命周期"), max_length=16, choices=Lifecycle.choices, default=Lifecycle.LAUNCHED)
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["platform", "code"]
        verbose_name = _("产品")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="sub", parent__isnull=False) | ~models.Q(kind="sub"),
                name="product_sub_has_parent",
            )
        ]

    def __str__(self) -> str:
        return self.name
