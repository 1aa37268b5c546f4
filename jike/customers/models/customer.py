"""Group customers (集团客户), their members, key persons, key events and service teams."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jike.core.models import OrgUnit
from jike.customers.choices import (
    Attitude,
    DecisionRole,
    EventCategory,
    Industry,
    Influence,
    Lifecycle,
    MemberStatus,
    Ownership,
    PaymentAbility,
    PaymentMode,
    TeamRole,
    Tier,
)
from jike.customers.querysets import CustomerQuerySet, ScopedByCustomerQuerySet
from jike.customers.validators import validate_credit_code, validate_mobile


class Customer(models.Model):
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True, validators=[validate_credit_code])
    name = models.CharField(_("客户名称"), max_length=128)
    short_name = models.CharField(_("简称"), max_length=64, blank=True)
    industry = models.CharField(_("行业"), max_length=32, choices=Industry.choices, default=Industry.OTHER)
    ownership = models.CharField(_("所有制性质"), max_length=32, choices=Ownership.choices, default=Ownership.OTHER)
    address = models.CharField(_("地址"), max_length=255, blank=True)
    addr_province = models.CharField(_("省"), max_length=32, blank=True)
    addr_city = models.CharField(_("市"), max_length=32, blank=True)
    addr_district = models.CharField(_("区县"), max_length=32, blank=True)
    # Serving units: city and county are denormalised from the grid for scope and filters.
    city = models.ForeignKey(OrgUnit, verbose_name=_("归属市公司"), on_delete=models.PROTECT, related_name="+")
    county = models.ForeignKey(
        OrgUnit,
        verbose_name=_("归属县公司"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    grid = models.ForeignKey(
        OrgUnit, verbose_name=_("网格"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    org_path = models.CharField(max_length=255, editable=False)
    legal_representative = models.CharField(_("法定代表人"), max_length=64, blank=True)
    main_business = models.CharField(_("主营业务"), max_length=255, blank=True)
    employees = models.PositiveIntegerField(_("员工数"), null=True, blank=True)
    registered_capital = models.DecimalField(
        _("注册资本(万元)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    monthly_spend = models.DecimalField(
        _("月通信消费(元)"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0)],
    )
    payment_ability = models.CharField(
        _("支付能力"), max_length=16, choices=PaymentAbility.choices, default=PaymentAbility.MEDIUM
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    status = models.CharField(_("状态"), max_length=16, choices=Lifecycle.choices, default=Lifecycle.PROSPECT)
    agreement_start = models.DateField(_("协议开始"), null=True, blank=True)
    agreement_end = models.DateField(_("协议到期"), null=True, blank=True)
    decision_process = models.TextField(_("采购决策流程"), blank=True)
    strategic = models.BooleanField(_("战略客户"), default=False)
    industry_influence = models.PositiveSmallIntegerField(
        _("行业影响力(1-5)"), default=1, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    tier = models.CharField(_("等级"), max_length=1, choices=Tier.choices, blank=True)
    grade = models.CharField(_("细分等级"), max_length=8, blank=True)
    # Member counts are kept by the member services and imports so lists need no aggregation.
    member_count = models.PositiveIntegerField(_("成员数"), default=0)
    unified_member_count = models.PositiveIntegerField(_("统付成员数"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["-monthly_spend", "id"]
        verbose_name = _("集团客户")
        indexes = [
            models.Index(fields=["org_path"], name="customer_org_path_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["city", "tier"], name="customer_city_tier_idx"),
            models.Index(fields=["industry"], name="customer_industry_idx"),
            models.Index(fields=["status"], name="customer_status_idx"),
            models.Index(fields=["tier", "grade"], name="customer_tier_idx"),
            models.Index(fields=["-monthly_spend", "id"], name="customer_spend_idx"),
            models.Index(fields=["name", "id"], name="customer_name_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(agreement_end__isnull=True)
                | Q(agreement_start__isnull=True)
                | Q(agreement_end__gte=models.F("agreement_start")),
                name="customer_agreement_dates_ordered",
            ),
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="customer_not_own_parent"),
            models.CheckConstraint(
                condition=Q(unified_member_count__lte=models.F("member_count")),
                name="customer_unified_le_members",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def unified_share(self) -> float:
        return self.unified_member_count / self.member_count if self.member_count else 0.0


class KeyEvent(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="key_events")
    date = models.DateField(_("日期"))
    category = models.CharField(_("类别"), max_length=16, choices=EventCategory.choices, default=EventCategory.OTHER)
    title = models.CharField(_("事件"), max_length=128)
    description = models.TextField(_("说明"), blank=True)

    objects = ScopedByCustomerQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("大事记")

    def __str__(self) -> str:
        return self.title


class KeyPerson(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="key_persons")
    name = models.CharField(_("姓名"), max_length=64)
    title = models.CharField(_("职务"), max_length=64, blank=True)
    department = models.CharField(_("部门"), max_length=64, blank=True)
    decision_role = models.CharField(
        _("决策角色"), max_length=16, choices=DecisionRole.choices, default=DecisionRole.USER
    )
    influence = models.CharField(_("影响力"), max_length=8, choices=Influence.choices, default=Influence.MEDIUM)
    attitude = models.CharField(_("态度"), max_length=1, choices=Attitude.choices, default=Attitude.C)
    mobile = models.CharField(_("手机"), max_length=11, blank=True, validators=[validate_mobile])
    notes = models.TextField(_("备注"), blank=True)
    active = models.BooleanField(_("在任"), default=True)

    objects = ScopedByCustomerQuerySet.as_manager()

    class Meta:
        ordering = ["customer", "-influence", "name"]
        verbose_name = _("关键人")

    def __str__(self) -> str:
        return f"{self.name}（{self.title}）" if self.title else self.name


class AttitudeChange(models.Model):
    """The attitude history of a key person: was C, now B."""

    key_person = models.ForeignKey(KeyPerson, on_delete=models.CASCADE, related_name="attitude_history")
    before = models.CharField(max_length=1, choices=Attitude.choices, blank=True)
    after = models.CharField(max_length=1, choices=Attitude.choices)
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.before or '-'}→{self.after}"


class Member(models.Model):
    # No index of its own: member_unique_per_customer (customer, msisdn) serves every lookup by customer.
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="members", db_index=False)
    msisdn = models.CharField(_("手机号码"), max_length=11, validators=[validate_mobile])
    name = models.CharField(_("姓名"), max_length=64, blank=True)
    department = models.CharField(_("部门"), max_length=64, blank=True)
    is_key_person = models.BooleanField(_("关键人"), default=False)
    join_date = models.DateField(_("入网日期"), null=True, blank=True)
    leave_date = models.DateField(_("离网日期"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=MemberStatus.choices, default=MemberStatus.ACTIVE)
    payment_mode = models.CharField(
        _("付费方式"), max_length=16, choices=PaymentMode.choices, default=PaymentMode.PERSONAL
    )
    unit_share = models.PositiveSmallIntegerField(
        _("单位承担比例(%)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(99)]
    )

    objects = ScopedByCustomerQuerySet.as_manager()

    class Meta:
        ordering = ["customer", "msisdn"]
        verbose_name = _("集团成员")
        constraints = [
            models.UniqueConstraint(fields=["customer", "msisdn"], name="member_unique_per_customer"),
            models.CheckConstraint(
                condition=(Q(payment_mode="split") & Q(unit_share__isnull=False))
                | (~Q(payment_mode="split") & Q(unit_share__isnull=True)),
                name="member_split_has_unit_share",
            ),
            models.CheckConstraint(
                condition=Q(leave_date__isnull=True)
                | Q(join_date__isnull=True)
                | Q(leave_date__gte=models.F("join_date")),
                name="member_dates_ordered",
            ),
        ]
        indexes = [models.Index(fields=["msisdn"], name="member_msisdn_idx")]

    def __str__(self) -> str:
        return self.msisdn


class TeamAssignment(models.Model):
    """A member of a customer's service team (服务团队)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="team")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments")
    team_role = models.CharField(_("团队角色"), max_length=32, choices=TeamRole.choices)
    assigned_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedByCustomerQuerySet.as_manager()

    class Meta:
        ordering = ["customer", "team_role"]
        constraints = [models.UniqueConstraint(fields=["customer", "team_role"], name="team_one_staff_per_role")]
        indexes = [models.Index(fields=["staff", "customer"], name="team_staff_customer_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id}:{self.team_role}"
