"""Read-side Django models over the tables the gateway process writes with psycopg.

The gateway owns these tables (``jike gateway init-db`` creates them; the hot path writes CDRs with
``COPY``), so the models are unmanaged: the platform reads CDRs and monthly charges through the ORM
without ever writing them.  Enterprises are referenced by their unified social credit code, not by
a foreign key: CDRs and charges name the enterprise the way the gateway knows it.

Below them, the managed platform side: enterprise SMS accounts, connectors, routes and global lists,
edited through jike/gateway/services.py and exported as the gateway's snapshot.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jike.customers.querysets import RestrictedQuerySet


class Cdr(models.Model):
    message_id = models.TextField(primary_key=True)
    message_type = models.CharField(max_length=4)
    enterprise_code = models.CharField(max_length=32)
    system_id = models.CharField(max_length=16)
    product = models.CharField(max_length=64)
    content_class = models.CharField(max_length=32)
    source_addr = models.CharField(max_length=21)
    destination_addr = models.CharField(max_length=21)
    segments = models.IntegerField()
    priority = models.SmallIntegerField()
    route = models.CharField(max_length=64)
    smsc_message_id = models.CharField(max_length=65)
    accepted_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True)
    done_at = models.DateTimeField(null=True)
    status = models.CharField(max_length=16)
    error_code = models.IntegerField()
    reason = models.CharField(max_length=32)
    billable = models.BooleanField()

    class Meta:
        managed = False
        db_table = "gateway_cdr"
        verbose_name = "CDR"

    def __str__(self) -> str:
        return f"{self.message_id} {self.status}"


class MonthlyCharge(models.Model):
    # the table's key is (month, enterprise_code, product); Django needs one column to call pk
    pk = models.CompositePrimaryKey("month", "enterprise_code", "product")
    month = models.CharField(max_length=7)
    enterprise_code = models.CharField(max_length=32)
    product = models.CharField(max_length=64)
    charging_mode = models.CharField(max_length=16)
    messages = models.IntegerField()
    segments = models.IntegerField()
    amount_fen = models.BigIntegerField()
    detail = models.JSONField()
    rated_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "gateway_charge"
        verbose_name = "monthly charge"

    def __str__(self) -> str:
        return f"{self.month} {self.enterprise_code} {self.product}: {self.amount_yuan}"

    @property
    def amount_yuan(self) -> str:
        return f"{Decimal(self.amount_fen) / 100:.2f}"


# --- platform side: what the province configures and the snapshot exports -----------------------------
#
# Managed models (migration 0002).  The gateway never reads them: `jike gateway-snapshot` turns them
# into the JSON snapshot `jike.gateway.config` loads (see jike/gateway/snapshot.py).

SYSTEM_ID_RE = r"^[A-Za-z0-9_.-]{1,15}$"  # SMPP 3.4 system_id: at most 15 octets
CONNECTOR_NAME_RE = r"^[A-Za-z0-9_.-]{1,64}$"
PREFIX_RE = r"^\d{0,11}$"  # a number segment (号段) prefix; "" is the default route


class AccountStatus(models.TextChoices):
    ACTIVE = "active", _("正常")
    SUSPENDED = "suspended", _("暂停")


class SignatureMode(models.TextChoices):
    NONE = "none", _("不校验签名")
    REQUIRED = "required", _("必须携带签名")
    ADDED = "added", _("自动添加签名")


class ContentClass(models.TextChoices):
    NOTIFICATION = "notification", _("通知类")
    VERIFICATION = "verification", _("验证码类")
    MARKETING = "marketing", _("营销类")


class Ordering(models.TextChoices):
    DESTINATION = "destination", _("按号码保序")
    ACCOUNT = "account", _("整个账号保序")


class Priority(models.IntegerChoices):
    BULK = 0, _("批量")
    NORMAL = 1, _("普通")
    URGENT = 2, _("紧急")
    EMERGENCY = 3, _("最高")


class SmsAccountQuerySet(RestrictedQuerySet["SmsAccount"]):
    customer_prefix = "customer__"


class SmsAccount(models.Model):
    """An enterprise SMS account (行业短信账号): how one application of a group customer binds to the
    gateway, with its signature, lists, keywords, flow control and the product that rates its CDRs."""

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("集团客户"), on_delete=models.CASCADE, related_name="sms_accounts"
    )
    product = models.ForeignKey(
        "catalog.Product",
        verbose_name=_("短信产品"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("决定计费方式；为空则话单不计费"),
    )
    system_id = models.CharField(
        _("账号(system_id)"),
        max_length=15,
        unique=True,
        validators=[RegexValidator(SYSTEM_ID_RE, _("账号只能包含字母、数字、下划线、点和连字符，最长15位"))],
    )
    # Only the SHA-256 of the SMPP password is kept: it is what the gateway's snapshot checks.
    password_sha256 = models.CharField(max_length=64, editable=False)
    name = models.CharField(_("应用名称"), max_length=64, blank=True)
    allowed_ips = models.JSONField(_("允许的源IP"), default=list, blank=True)
    max_binds = models.PositiveSmallIntegerField(
        _("最大连接数"), default=4, validators=[MinValueValidator(1), MaxValueValidator(64)]
    )
    signature = models.CharField(_("企业签名"), max_length=24, blank=True)
    signature_mode = models.CharField(
        _("签名方式"), max_length=16, choices=SignatureMode.choices, default=SignatureMode.ADDED
    )
    whitelist_mode = models.BooleanField(_("白名单模式"), default=False)
    blacklist = models.JSONField(_("黑名单号码"), default=list, blank=True)
    whitelist = models.JSONField(_("白名单号码"), default=list, blank=True)
    keywords = models.JSONField(_("敏感词"), default=list, blank=True)
    rate = models.PositiveIntegerField(
        _("流速(条/秒)"), default=50, validators=[MinValueValidator(1), MaxValueValidator(5000)]
    )
    daily_quota = models.PositiveIntegerField(_("日限额(条，0为不限)"), default=0)
    max_priority = models.PositiveSmallIntegerField(_("最高优先级"), choices=Priority.choices, default=Priority.NORMAL)
    ordering = models.CharField(
        _("下发顺序"),
        max_length=16,
        choices=Ordering.choices,
        default=Ordering.DESTINATION,
        help_text=_(
            "按号码保序：同一号码的短信按提交顺序下发；整个账号保序：账号的全部短信按提交顺序逐条下发（仅适合低流量账号）"
        ),
    )
    content_class = models.CharField(
        _("默认内容类别"), max_length=32, choices=ContentClass.choices, default=ContentClass.NOTIFICATION
    )
    mo_addresses = models.JSONField(_("服务号码"), default=list, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=AccountStatus.choices, default=AccountStatus.ACTIVE)
    notes = models.CharField(_("备注"), max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SmsAccountQuerySet.as_manager()

    class Meta:
        ordering = ["system_id"]
        verbose_name = _("行业短信账号")
        indexes = [models.Index(fields=["customer", "status"], name="smsaccount_customer_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(rate__gt=0), name="smsaccount_rate_positive"),
            models.CheckConstraint(condition=Q(max_binds__gte=1), name="smsaccount_binds_positive"),
            models.CheckConstraint(condition=Q(max_priority__lte=3), name="smsaccount_priority_range"),
            models.CheckConstraint(
                condition=Q(signature_mode="none") | ~Q(signature=""), name="smsaccount_signature_needed"
            ),
            models.CheckConstraint(condition=~Q(password_sha256=""), name="smsaccount_has_password"),
        ]

    def __str__(self) -> str:
        return self.system_id


class Connector(models.Model):
    """An upstream SMSC connection (短信中心连接) the routes send to; managed by the province."""

    name = models.CharField(
        _("名称"),
        max_length=64,
        unique=True,
        validators=[RegexValidator(CONNECTOR_NAME_RE, _("名称只能包含字母、数字、下划线、点和连字符"))],
    )
    host = models.CharField(_("地址"), max_length=255)
    port = models.PositiveIntegerField(_("端口"), validators=[MinValueValidator(1), MaxValueValidator(65535)])
    system_id = models.CharField(_("登录账号"), max_length=15)
    # The SMPP bind needs the password itself; it lives in the database, never in the repository,
    # and the API never returns it.
    password = models.CharField(_("登录密码"), max_length=8, blank=True)
    system_type = models.CharField(_("系统类型"), max_length=12, blank=True)
    binds = models.PositiveSmallIntegerField(
        _("连接数"), default=1, validators=[MinValueValidator(1), MaxValueValidator(64)]
    )
    window = models.PositiveSmallIntegerField(
        _("窗口"), default=64, validators=[MinValueValidator(1), MaxValueValidator(4096)]
    )
    failover_after_s = models.FloatField(_("故障切换等待(秒)"), default=1.0, validators=[MinValueValidator(0)])
    notes = models.CharField(_("备注"), max_length=255, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("短信中心连接")
        constraints = [
            models.CheckConstraint(condition=Q(port__gte=1, port__lte=65535), name="connector_port_range"),
            models.CheckConstraint(condition=Q(binds__gte=1), name="connector_binds_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class Route(models.Model):
    """A number segment (号段) prefix and the connectors it goes to, in failover order."""

    prefix = models.CharField(
        _("号段前缀"),
        max_length=11,
        unique=True,
        blank=True,
        validators=[RegexValidator(PREFIX_RE, _("号段前缀只能是0-11位数字"))],
    )
    connectors = models.JSONField(_("连接（按切换顺序）"), default=list)
    notes = models.CharField(_("备注"), max_length=255, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-prefix"]
        verbose_name = _("路由")

    def __str__(self) -> str:
        return self.prefix or "*"


class ListKind(models.TextChoices):
    BLACKLIST = "blacklist", _("全局黑名单")
    KEYWORD = "keyword", _("全局敏感词")


class GlobalListEntry(models.Model):
    """One number on the province's black list or one word on its keyword list."""

    kind = models.CharField(_("类别"), max_length=16, choices=ListKind.choices)
    value = models.CharField(_("号码或词语"), max_length=64)
    notes = models.CharField(_("备注"), max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "value"]
        verbose_name = _("全局名单")
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="globallist_unique")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"
