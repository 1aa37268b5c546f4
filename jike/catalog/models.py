"""Product catalog (集团产品体系, DOMAIN.md section 4), managed as data by the province, and the
holdings (在用产品) of each group customer.

Prices are data: a product has price bands per charging mode (e.g. the short-number fee: 1-500
numbers 2 yuan/number/month, above 500 3 yuan). Bundles list their component products; industry
solutions combine products with partner services.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jike.core.models import OrgUnit
from jike.customers.choices import PaymentMode
from jike.customers.querysets import RestrictedQuerySet


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


# A product only moves forward through its life; a retired product stays retired.
LIFECYCLE_NEXT: dict[str, set[str]] = {
    Lifecycle.PLANNED: {Lifecycle.DEVELOPMENT},
    Lifecycle.DEVELOPMENT: {Lifecycle.LAUNCHED},
    Lifecycle.LAUNCHED: {Lifecycle.RETIRED},
    Lifecycle.RETIRED: set(),
}


class ChargingMode(models.TextChoices):
    MONTHLY = "monthly", _("包月")
    PER_USE = "per_use", _("计次")
    DURATION = "duration", _("时长")
    TRAFFIC = "traffic", _("流量")
    CONTENT = "content", _("内容")


class Tiering(models.TextChoices):
    # volume: the band the whole quantity falls in prices every unit; graduated: each slab at its own price.
    VOLUME = "volume", _("整体按所在档计价")
    GRADUATED = "graduated", _("分档累进计价")


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
    tiering = models.CharField(_("阶梯计价方式"), max_length=16, choices=Tiering.choices, default=Tiering.VOLUME)
    # Empty means sold in the whole province.
    regions = models.ManyToManyField(
        OrgUnit, verbose_name=_("销售区域"), blank=True, related_name="+", limit_choices_to={"level": "city"}
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True, null=True)

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


class PriceBand(models.Model):
    """One price step: quantities from_qty..to_qty (to_qty empty = and above) at unit_price per unit."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="price_bands")
    charging_mode = models.CharField(_("计费方式"), max_length=16, choices=ChargingMode.choices)
    unit = models.CharField(_("计费单位"), max_length=32)
    from_qty = models.PositiveIntegerField(_("起始数量"), default=1)
    to_qty = models.PositiveIntegerField(_("截止数量"), null=True, blank=True)
    unit_price = models.DecimalField(
        _("单价(元)"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )

    class Meta:
        ordering = ["product", "charging_mode", "from_qty"]
        verbose_name = _("价格档")
        constraints = [
            models.CheckConstraint(
                condition=Q(to_qty__isnull=True) | Q(to_qty__gte=models.F("from_qty")), name="priceband_range_ordered"
            ),
            models.UniqueConstraint(fields=["product", "charging_mode", "from_qty"], name="priceband_unique_start"),
        ]

    def __str__(self) -> str:
        upper = self.to_qty if self.to_qty is not None else "∞"
        return f"{self.product_id} {self.charging_mode} {self.from_qty}-{upper}: {self.unit_price}"


class BundleItem(models.Model):
    """A component of a bundle (组合产品), e.g. the SME package's fixed line + broadband + mobile."""

    bundle = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="bundle_items")
    component = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="in_bundles")
    quantity = models.PositiveIntegerField(_("数量"), default=1, validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["bundle", "id"]
        verbose_name = _("组合产品成员")
        constraints = [
            models.UniqueConstraint(fields=["bundle", "component"], name="bundleitem_unique"),
            models.CheckConstraint(condition=~Q(bundle=models.F("component")), name="bundleitem_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.bundle_id}>{self.component_id} x{self.quantity}"


class SolutionComponent(models.Model):
    """Part of an industry solution: one of our products, or a partner's service."""

    solution = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="solution_components")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, null=True, blank=True, related_name="in_solutions")
    partner_service = models.CharField(_("合作伙伴服务"), max_length=128, blank=True)
    partner_name = models.CharField(_("合作伙伴"), max_length=128, blank=True)
    description = models.CharField(_("说明"), max_length=255, blank=True)

    class Meta:
        ordering = ["solution", "id"]
        verbose_name = _("解决方案组成")
        constraints = [
            models.CheckConstraint(
                condition=Q(product__isnull=False) | ~Q(partner_service=""), name="solutioncomponent_has_content"
            )
        ]

    def __str__(self) -> str:
        return self.partner_service or str(self.product_id)


class HoldingQuerySet(RestrictedQuerySet["Holding"]):
    customer_prefix = "customer__"

    def active(self, on: object = None) -> HoldingQuerySet:
        import datetime as dt

        day = on if isinstance(on, dt.date) else dt.date.today()
        return self.filter(Q(end__isnull=True) | Q(end__gte=day), start__lte=day)


class Holding(models.Model):
    """What a group customer has of a product: quantity, period, monthly revenue, who pays."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="holdings")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="holdings")
    quantity = models.PositiveIntegerField(_("数量"), default=1, validators=[MinValueValidator(1)])
    start = models.DateField(_("开始日期"))
    end = models.DateField(_("结束日期"), null=True, blank=True)
    monthly_revenue = models.DecimalField(
        _("月收入(元)"), max_digits=14, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    payment_mode = models.CharField(
        _("付费方式"), max_length=16, choices=PaymentMode.choices, default=PaymentMode.UNIFIED
    )
    notes = models.CharField(_("备注"), max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = HoldingQuerySet.as_manager()

    class Meta:
        ordering = ["customer", "product__code", "-start"]
        verbose_name = _("在用产品")
        indexes = [
            models.Index(fields=["customer", "product"], name="holding_customer_product_idx"),
            models.Index(fields=["product", "end"], name="holding_product_end_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")), name="holding_dates_ordered"
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}:{self.product_id} x{self.quantity}"
