"""Staff roles (DOMAIN.md section 1) and what each may see.

The role matrix is deliberately small and explicit: scope kind (whose records a role sees) and
whether it may see members' personal data unmasked. Organisation-specific rules (tiers, SLAs)
live in tables; who may see what is a security property, so it is code that tests enumerate.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("系统管理员")
    PROVINCE_MANAGER = "province_manager", _("省集团客户部经理")
    CITY_MANAGER = "city_manager", _("市公司大客户部经理")
    COUNTY_LEAD = "county_lead", _("县公司大客户班长")
    CM_JUNIOR = "cm_junior", _("初级客户经理")
    CM_MID = "cm_mid", _("中级客户经理")
    CM_SENIOR = "cm_senior", _("高级客户经理")
    CHIEF_REP = "chief_rep", _("首席客户代表")
    INDUSTRY_MANAGER = "industry_manager", _("行业经理")
    SALES_ENGINEER = "sales_engineer", _("销售工程师")
    PHONE_MANAGER = "phone_manager", _("电话经理")
    ANALYST = "analyst", _("经营分析员")


class Scope(models.TextChoices):
    ALL = "all", _("全省")
    ORG = "org", _("本单位及下级")
    TEAM = "team", _("本人服务团队")


# Roles whose data scope is their org unit's subtree (a province-level unit sees everything).
ORG_SCOPED = {
    Role.ADMIN,
    Role.PROVINCE_MANAGER,
    Role.CITY_MANAGER,
    Role.COUNTY_LEAD,
    Role.INDUSTRY_MANAGER,
    Role.ANALYST,
}
# Front-line roles that see the customers whose service team they are on.
TEAM_SCOPED = {
    Role.CM_JUNIOR,
    Role.CM_MID,
    Role.CM_SENIOR,
    Role.CHIEF_REP,
    Role.SALES_ENGINEER,
    Role.PHONE_MANAGER,
}
# Roles that call members and so need their numbers; everyone else sees 138****5678 (PIPL).
PII_ROLES = {Role.ADMIN, Role.CM_JUNIOR, Role.CM_MID, Role.CM_SENIOR, Role.CHIEF_REP, Role.PHONE_MANAGER}
# Roles allowed to change customer files, run imports and tiering.
WRITE_ROLES = {
    Role.ADMIN,
    Role.PROVINCE_MANAGER,
    Role.CITY_MANAGER,
    Role.COUNTY_LEAD,
    Role.CM_JUNIOR,
    Role.CM_MID,
    Role.CM_SENIOR,
    Role.CHIEF_REP,
    Role.INDUSTRY_MANAGER,
}
# Roles that may import files and run province-wide batch jobs / edit scorecards.
MANAGER_ROLES = {Role.ADMIN, Role.PROVINCE_MANAGER, Role.CITY_MANAGER, Role.COUNTY_LEAD}
CONFIG_ROLES = {Role.ADMIN, Role.PROVINCE_MANAGER}
CUSTOMER_MANAGER_ROLES = {Role.CM_JUNIOR, Role.CM_MID, Role.CM_SENIOR}
