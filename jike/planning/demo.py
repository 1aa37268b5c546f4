"""Demo account plans for the biggest A-tier customers, written through the services (so they are
audited and valid like real ones): most approved, some submitted, some still drafts."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from django.db.models import Q

from jike.core.errors import BusinessRuleError
from jike.core.models import User
from jike.core.roles import WRITE_ROLES, Role
from jike.customers.models import Customer, TeamAssignment

from . import services
from .choices import BuyingFactor, Phase, ProductLine
from .models import AccountPlan

PLANS = {"tiny": 3, "small": 8, "medium": 25, "large": 60}
COMPETITORS = ["中国电信", "中国联通", "中国广电"]
SOLUTION_AREAS = [
    ("互联网专线提速", "以专线+云打包，提供免费提速三个月"),
    ("分支机构组网", "数据专线替换对手MSTP电路，统一运维"),
    ("移动办公", "V网+移动总机统一办理，统付优惠"),
    ("视频监控", "与集成商合作建设营业网点视频监控"),
    ("行业应用", "推广行业应用，提高成员黏性"),
]


def _author(customer: Customer) -> User | None:
    team = (
        TeamAssignment.objects.filter(customer=customer, staff__role__in=list(WRITE_ROLES), staff__is_active=True)
        .select_related("staff")
        .order_by("team_role")
        .first()
    )
    if team is not None:
        staff: User = team.staff
        return staff
    return User.objects.filter(role=Role.CITY_MANAGER, org_unit=customer.city_id).first()


def _reviewer(customer: Customer, author: User) -> User | None:
    return (
        User.objects.filter(role=Role.INDUSTRY_MANAGER, is_active=True)
        .filter(Q(org_unit=customer.city_id) | Q(org_unit__level="province"))
        .exclude(pk=author.pk)
        .order_by("org_unit__level", "id")
        .first()
    )


def _fill(author: User, plan: AccountPlan, rng: random.Random) -> None:
    services.update_plan(
        author,
        plan,
        objective="巩固基础通信份额，提升统付收入与信息化收入",
        industry_revenue_mix="本行业客户群收入以语音和专线为主，信息化收入占比逐年上升",
        industry_key_services="专线、V网、短信平台、视频监控",
        industry_spending_traits="预算按年度审批，重视稳定性与响应速度",
        competition_summary="对手以固网+宽带+手机捆绑和统一办理争夺分支机构",
        network_status=plan.network_status or "总部专线接入，分支机构使用宽带",
        technology_strategy="推进云化与移动办公",
        potential_needs="分支机构组网、视频会议、物联网应用",
        after_sales_capability="7x24小时客服，重要电路挂牌保障，4小时到场",
    )
    factors = rng.sample(list(BuyingFactor), 4)
    for factor, weight in zip(factors, [40, 25, 20, 15], strict=True):
        services.add_row(author, plan, "buying_factors", factor=factor, weight=weight,
                         our_score=rng.randint(3, 5), competitor_score=rng.randint(2, 5))  # fmt: skip
    for line in rng.sample(
        [ProductLine.INTERNET, ProductLine.DATA_LINE, ProductLine.MOBILE, ProductLine.LOCAL_VOICE], 2
    ):
        services.add_row(author, plan, "competitors", product_line=line, competitor=rng.choice(COMPETITORS),
                         **{k: rng.randint(2, 5) for k in ("coverage", "stability", "price", "brand",
                                                          "service_quality", "operations")})  # fmt: skip
    for (area, strategy), phase in zip(rng.sample(SOLUTION_AREAS, 3), list(Phase), strict=True):
        services.add_row(author, plan, "solutions", service_area=area, strategy=strategy, phase=phase,
                         current_annual_revenue=Decimal(rng.randint(5, 80) * 10000),
                         expected_revenue_effect=Decimal(rng.randint(2, 30) * 10000), measures="组建联合项目组",
                         feasibility="资源具备", financial_score=rng.randint(3, 5), technical_score=rng.randint(3, 5),
                         policy_score=rng.randint(3, 5))  # fmt: skip
    services.add_row(author, plan, "sites", address=plan.customer.address or "客户总部", access_point="城区汇聚机房",
                     fibre=True, copper_pairs=rng.randint(0, 50), services="专线、语音、视频监控")  # fmt: skip
    services.add_row(author, plan, "marketing_plans", task="年度专线与V网续约扩容", q1="需求调研", q2="方案交流",
                     q3="签约", q4="交付开通", first_responsible=str(author), industry_manager="行业经理",
                     technical_support="销售工程师", marketing_support="营销支撑")  # fmt: skip
    services.add_row(author, plan, "communication_plans", target_department="信息中心", activity="季度业务交流会",
                     frequency="每季度", expected_effect="关键人态度提升一级")  # fmt: skip


def generate(scale: str, seed: int, stdout: Any = None) -> int:
    rng = random.Random(f"planning-{seed}")
    have = AccountPlan.objects.values_list("customer_id", flat=True)
    customers = list(
        Customer.objects.filter(tier="A")
        .exclude(pk__in=have)
        .select_related("city")
        .order_by("-monthly_spend", "id")[: PLANS.get(scale, 8)]
    )
    made = 0
    for i, customer in enumerate(customers):
        author = _author(customer)
        if author is None:
            continue
        try:
            plan = services.create_plan(author, customer, title=f"{customer.name}客户规划")
            _fill(author, plan, rng)
            if i % 4 != 3:  # three in four get as far as review
                services.submit(author, plan)
                reviewer = _reviewer(customer, author)
                if reviewer is not None and i % 4 != 2:
                    services.approve(reviewer, plan, "同意，按计划推进")
        except BusinessRuleError as exc:  # a demo customer the generated staff cannot serve is skipped
            if stdout is not None:
                stdout.write(f"planning: skipped {customer.pk}: {exc.message}\n")
            continue
        made += 1
    if stdout is not None:
        stdout.write(f"planning: {made} account plans ({scale})\n")
    return made
