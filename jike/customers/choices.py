"""Enumerations of the customer domain (DOMAIN.md sections 2-3)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Industry(models.TextChoices):
    GOVERNMENT = "government", _("党政军")
    EDUCATION = "education", _("教育")
    HEALTH = "health", _("医疗卫生")
    FINANCE = "finance", _("金融")
    TRANSPORT = "transport", _("交通物流")
    MANUFACTURING = "manufacturing", _("工业制造")
    ENERGY = "energy", _("能源电力")
    CONSTRUCTION = "construction", _("建筑房产")
    RETAIL = "retail", _("商贸零售")
    HOSPITALITY = "hospitality", _("酒店餐饮")
    IT = "it", _("信息技术")
    AGRICULTURE = "agriculture", _("农业")
    MINING = "mining", _("采矿")
    MEDIA = "media", _("文化传媒")
    BUSINESS_SERVICES = "business_services", _("商务服务")
    OTHER = "other", _("其他")


# GB/T 4754-2017 sections (门类) each vertical maps to.
GBT4754_SECTION = {
    Industry.GOVERNMENT: "S",
    Industry.EDUCATION: "P",
    Industry.HEALTH: "Q",
    Industry.FINANCE: "J",
    Industry.TRANSPORT: "G",
    Industry.MANUFACTURING: "C",
    Industry.ENERGY: "D",
    Industry.CONSTRUCTION: "E",
    Industry.RETAIL: "F",
    Industry.HOSPITALITY: "H",
    Industry.IT: "I",
    Industry.AGRICULTURE: "A",
    Industry.MINING: "B",
    Industry.MEDIA: "R",
    Industry.BUSINESS_SERVICES: "L",
    Industry.OTHER: "O",
}


class Ownership(models.TextChoices):
    GOVERNMENT_BODY = "government_body", _("机关事业单位")
    STATE_OWNED = "state_owned", _("国有企业")
    COLLECTIVE = "collective", _("集体企业")
    PRIVATE = "private", _("民营企业")
    JOINT_STOCK = "joint_stock", _("股份制企业")
    FOREIGN = "foreign", _("外资企业")
    HK_MO_TW = "hk_mo_tw", _("港澳台企业")
    SOCIAL_GROUP = "social_group", _("社会团体")
    OTHER = "other", _("其他")


class Lifecycle(models.TextChoices):
    PROSPECT = "prospect", _("潜在")
    SIGNED = "signed", _("已签约")
    ACTIVE = "active", _("在网")
    AT_RISK = "at_risk", _("预警")
    LOST = "lost", _("流失")


class PaymentAbility(models.TextChoices):
    STRONG = "strong", _("强")
    MEDIUM = "medium", _("中")
    WEAK = "weak", _("弱")


class DecisionRole(models.TextChoices):
    ECONOMIC = "economic", _("决策者")
    TECHNICAL = "technical", _("技术把关者")
    USER = "user", _("使用者")
    COACH = "coach", _("内线")


class Influence(models.TextChoices):
    HIGH = "high", _("高")
    MEDIUM = "medium", _("中")
    LOW = "low", _("低")


class Attitude(models.TextChoices):
    A = "A", _("A 推荐")
    B = "B", _("B 支持")
    C = "C", _("C 认可")
    D = "D", _("D 怀疑")
    E = "E", _("E 反对")


class MemberStatus(models.TextChoices):
    ACTIVE = "active", _("在网")
    SUSPENDED = "suspended", _("停机")
    LEFT = "left", _("离网")


class PaymentMode(models.TextChoices):
    UNIFIED = "unified", _("集团统付")
    PERSONAL = "personal", _("个人付费")
    SPLIT = "split", _("分账")


class Tier(models.TextChoices):
    A = "A", _("A类")
    B = "B", _("B类")
    C = "C", _("C类")


class TeamRole(models.TextChoices):
    CHIEF_REP = "chief_rep", _("首席客户代表")
    CM_SENIOR = "cm_senior", _("高级客户经理")
    CM_MID = "cm_mid", _("中级客户经理")
    CM_JUNIOR = "cm_junior", _("初级客户经理")
    INDUSTRY_MANAGER = "industry_manager", _("行业经理")
    SALES_ENGINEER = "sales_engineer", _("销售工程师")
    PHONE_MANAGER = "phone_manager", _("电话经理")


class EventCategory(models.TextChoices):
    CONTRACT = "contract", _("签约/续约")
    PROJECT = "project", _("项目")
    ORGANISATION = "organisation", _("组织变化")
    COMPLAINT = "complaint", _("投诉")
    COMPETITION = "competition", _("竞争")
    OTHER = "other", _("其他")
