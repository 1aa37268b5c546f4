"""Filling a plan so it can be submitted, shared by the service and API tests."""

from __future__ import annotations

from decimal import Decimal

from jike.planning import services

ROWS = {
    "buying_factors": [
        {"factor": "price", "weight": 30, "our_score": 3, "competitor_score": 4},
        {"factor": "stability", "weight": 40, "our_score": 5, "competitor_score": 3},
        {"factor": "response_time", "weight": 30, "our_score": 4, "competitor_score": 3, "note": "4小时到场"},
    ],
    "competitors": [
        {
            "product_line": "internet",
            "competitor": "中国电信",
            "coverage": 5,
            "stability": 4,
            "price": 4,
            "brand": 4,
            "service_quality": 3,
            "operations": 4,
            "note": "固网优势明显",
        },
    ],
    "solutions": [
        {
            "service_area": "互联网专线扩容",
            "current_annual_revenue": Decimal("120000"),
            "strategy": "以专线+云打包",
            "measures": "免费提速三个月",
            "feasibility": "局端资源充足",
            "financial_score": 4,
            "technical_score": 5,
            "policy_score": 4,
            "phase": "short",
            "expected_revenue_effect": Decimal("60000"),
        },
    ],
    "sites": [
        {
            "address": "合肥市蜀山区长江西路100号",
            "access_point": "蜀山局",
            "fibre": True,
            "copper_pairs": 20,
            "services": "专线、语音、视频监控",
        },
    ],
    "marketing_plans": [
        {
            "task": "总部专线扩容签约",
            "q1": "需求确认",
            "q2": "方案交流",
            "q3": "签约",
            "q4": "开通",
            "first_responsible": "张经理",
            "industry_manager": "李行业",
            "technical_support": "王工",
            "marketing_support": "赵支撑",
        },
    ],
    "communication_plans": [
        {
            "target_department": "信息中心",
            "activity": "季度业务交流会",
            "frequency": "每季度",
            "expected_effect": "态度由C提升到B",
        },
    ],
}
TEXT = {
    "industry_key_services": "专线、视频会议、移动办公",
    "potential_needs": "分支机构组网、视频监控",
    "network_status": "总部互联网专线20M，分支采用宽带",
    "after_sales_capability": "7x24小时客服，重要电路挂牌保障",
}


def fill(actor, plan):
    services.update_plan(actor, plan, **TEXT)
    for section, rows in ROWS.items():
        for data in rows:
            services.add_row(actor, plan, section, **data)
    return plan
