"""Enumerations of the six-step account plan (六步分析法, DOMAIN.md section 6)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审核")
    APPROVED = "approved", _("已批准")
    RETURNED = "returned", _("已退回")


EDITABLE_STATUSES = {PlanStatus.DRAFT, PlanStatus.RETURNED}
OPEN_STATUSES = [PlanStatus.DRAFT, PlanStatus.SUBMITTED, PlanStatus.RETURNED]


class BuyingFactor(models.TextChoices):
    """Key buying factors named in the operators' six-step material."""

    PRICE = "price", _("价格")
    REBATE = "rebate", _("折扣返利")
    SCHEDULING = "scheduling", _("电路调度灵活性")
    SPEED = "speed", _("速度")
    STABILITY = "stability", _("稳定性")
    CONNECTION_RATE = "connection_rate", _("接通率")
    MARKET_POSITION = "market_position", _("市场地位")
    BRAND = "brand", _("品牌")
    CREDIBILITY = "credibility", _("信誉")
    STAFF_QUALITY = "staff_quality", _("人员素质")
    RESPONSE_TIME = "response_time", _("支撑响应时间")
    BILLING_FLEXIBILITY = "billing_flexibility", _("计费灵活性")
    DELIVERY = "delivery", _("交付及时性")
    INTEGRATION = "integration", _("综合解决方案能力")
    PAYMENT_TERMS = "payment_terms", _("付款条件")


class ProductLine(models.TextChoices):
    LOCAL_VOICE = "local_voice", _("本地语音")
    LONG_DISTANCE = "long_distance", _("长途语音")
    MOBILE = "mobile", _("移动通信")
    LOCAL_CIRCUIT = "local_circuit", _("本地2M电路")
    LONG_CIRCUIT = "long_circuit", _("长途2M电路")
    INTERNET = "internet", _("互联网接入")
    DATA_LINE = "data_line", _("数据专线")
    MESSAGING = "messaging", _("短彩信")
    INDUSTRY_APP = "industry_app", _("行业应用")
    OTHER = "other", _("其他")


class Phase(models.TextChoices):
    SHORT = "short", _("短期（6个月内）")
    MID = "mid", _("中期（6-12个月）")
    LONG = "long", _("长期（1年以上）")
