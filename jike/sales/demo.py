"""Demo opportunities and campaigns, called by `jike demo-data` after the customers exist.

Bulk rows through the customers demo sink (PostgreSQL COPY): the large scale writes ~120,000
opportunities with their product lines and stage history in well under a minute. Figures follow
DOMAIN.md: most deals are small standard-product sales, a few are large informatization projects.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from jike.catalog.models import Product
from jike.core.models import OrgLevel, OrgUnit, User
from jike.core.roles import Role
from jike.customers.demo import sink
from jike.customers.models import Customer, TeamAssignment
from jike.sales import cache as pipeline_cache
from jike.sales.models import (
    OPEN_STAGES,
    Campaign,
    CampaignLevel,
    CampaignStatus,
    Competitor,
    Opportunity,
    OpportunityProduct,
    Stage,
    StageChange,
)
from jike.sales.numbering import reserve_block
from jike.sales.services import DEFAULT_PROBABILITY

DEMO_TAG = "[demo]"
PER_CUSTOMER = {"tiny": 1.2, "small": 1.2, "medium": 1.2, "large": 1.25}
STAGE_WEIGHTS = {
    Stage.DISCOVERED: 20, Stage.QUALIFIED: 15, Stage.SOLUTION: 14, Stage.PROPOSAL: 10, Stage.NEGOTIATION: 8,
    Stage.WON: 21, Stage.LOST: 12,
}  # fmt: skip
TITLES = [
    "互联网专线扩容", "集团V网新增短号", "移动总机升级", "视频监控项目", "企信通短信平台", "物联网卡采购",
    "校讯通续约", "车务通车辆管理", "数据专线组网", "IMS融合通信", "云视讯会议", "集团彩铃",
]  # fmt: skip
LOST_REASONS = ["对手低价捆绑（固话+宽带+手机）", "预算取消", "客户选择自建", "技术方案未通过", "对手统一办理优惠"]
OPP_COLUMNS = (
    "number", "customer_id", "title", "description", "source", "campaign_id", "estimated_revenue", "probability",
    "expected_close", "stage", "lost_reason", "owner_id", "main_competitor_id", "position", "last_activity_at",
    "stage_changed_at", "closed_at", "created_at", "updated_at",
)  # fmt: skip


def _campaigns(rng: random.Random, as_of: dt.date) -> list[Campaign]:
    admin = User.objects.filter(role__in=[Role.ADMIN, Role.PROVINCE_MANAGER]).order_by("id").first()
    province = OrgUnit.objects.filter(level=OrgLevel.PROVINCE).first()
    if admin is None or province is None:
        return []
    Campaign.objects.filter(description__startswith=DEMO_TAG).delete()
    rows = [
        Campaign(name="智慧校园推广季", level=CampaignLevel.PROVINCE, org_unit=province, org_path=province.path,
                 theme="校讯通、一卡通、校园专线", target_segments={"industries": ["education"]},
                 start_date=as_of - dt.timedelta(days=90), end_date=as_of + dt.timedelta(days=90),
                 status=CampaignStatus.RUNNING, created_by=admin, description=DEMO_TAG),
        Campaign(name="中小企业上云行动", level=CampaignLevel.PROVINCE, org_unit=province, org_path=province.path,
                 theme="互联网专线+云视讯", target_segments={"tiers": ["B", "C"]},
                 start_date=as_of - dt.timedelta(days=30), end_date=as_of + dt.timedelta(days=150),
                 status=CampaignStatus.RUNNING, created_by=admin, description=DEMO_TAG),
    ]  # fmt: skip
    for i, city in enumerate(OrgUnit.objects.filter(level=OrgLevel.CITY).order_by("code")):
        major = i % 3 == 0
        status = [CampaignStatus.RUNNING, CampaignStatus.SUBMITTED, CampaignStatus.DRAFT][i % 3]
        rows.append(
            Campaign(
                name=f"{city.name.removesuffix('市公司')}政企行业路演",
                level=CampaignLevel.CITY,
                org_unit=city,
                org_path=city.path,
                theme="行业应用现场演示",
                major=major,
                status=status,
                target_segments={"tiers": ["A", "B"]},
                start_date=as_of - dt.timedelta(days=rng.randint(0, 60)),
                end_date=as_of + dt.timedelta(days=rng.randint(30, 120)),
                created_by=admin,
                approved_by=admin if major and status == CampaignStatus.RUNNING else None,
                description=DEMO_TAG,
            )
        )
    return Campaign.objects.bulk_create(rows)


def generate(scale: str, seed: int, stdout: Any) -> None:
    if Opportunity.objects.exists():
        stdout.write("sales demo: opportunities already present, skipped")
        return
    rng = random.Random(seed + 404)
    now = timezone.now()
    as_of = timezone.localdate()
    with transaction.atomic():
        campaigns = _campaigns(rng, as_of)
        running = [c.pk for c in campaigns if c.status == CampaignStatus.RUNNING]
        owners: dict[int, int] = {}
        for cid, sid in TeamAssignment.objects.filter(
            team_role__in=["cm_senior", "cm_mid", "cm_junior", "phone_manager", "chief_rep"]
        ).values_list("customer_id", "staff_id"):
            owners.setdefault(cid, sid)
        customers = list(Customer.objects.values_list("id", "tier", "monthly_spend").order_by("id"))
        fallback = User.objects.filter(role=Role.ADMIN).values_list("id", flat=True).first()
        products = list(Product.objects.values_list("id", flat=True))
        competitors = list(Competitor.objects.values_list("id", flat=True))
        target = int(len(customers) * PER_CUSTOMER.get(scale, 1.2))
        if not customers or fallback is None:
            stdout.write("sales demo: no customers or staff, skipped")
            return
        key, first = reserve_block("SJ", target)
        stages = list(STAGE_WEIGHTS)
        weights = list(STAGE_WEIGHTS.values())
        plan: list[tuple[Any, ...]] = []
        for n in range(target):
            cid, tier, _spend = customers[rng.randrange(len(customers))]
            stage = rng.choices(stages, weights)[0]
            big = tier == "A" and rng.random() < 0.3
            revenue = Decimal(rng.randint(20, 400) * (2500 if big else 100))
            created = now - dt.timedelta(days=rng.randint(5, 300), minutes=rng.randint(0, 1440))
            changed = created + (now - created) * rng.uniform(0.2, 1.0)
            closed = changed if stage in (Stage.WON, Stage.LOST) else None
            close = changed.date() if closed else as_of + dt.timedelta(days=rng.randint(-20, 240))
            camp = rng.choice(running) if running and rng.random() < 0.15 else None
            comp = rng.choice(competitors) if competitors and rng.random() < 0.6 else None
            plan.append((
                f"{key}-{first + n:06d}", cid, f"{rng.choice(TITLES)}", "", "campaign" if camp else
                rng.choice(["visit", "visit", "visit", "partner", "hotline", "inbound"]), camp, revenue,
                DEFAULT_PROBABILITY[Stage(stage)], close, stage,
                rng.choice(LOST_REASONS) if stage == Stage.LOST else "", owners.get(cid, fallback), comp,
                rng.randint(-3, 4) if comp else 0, changed if rng.random() < 0.8 else created, changed, closed,
                created, changed,
            ))  # fmt: skip
        sink.write(Opportunity, OPP_COLUMNS, iter(plan))
        ids = dict(Opportunity.objects.filter(number__startswith=f"{key}-").values_list("number", "id"))
        lines: list[tuple[Any, ...]] = []
        history: list[tuple[Any, ...]] = []
        for row in plan:
            oid, stage, created, changed = ids[row[0]], row[9], row[17], row[15]
            if products and (stage == Stage.WON or rng.random() < 0.7):
                for pid in rng.sample(products, k=min(len(products), rng.choice([1, 1, 2]))):
                    monthly = (row[6] / 12 / 2).quantize(Decimal("0.01"))
                    lines.append((oid, pid, rng.randint(1, 50), monthly))
            history.append((oid, "", Stage.DISCOVERED, created, row[11], ""))
            if stage != Stage.DISCOVERED:
                history.append((oid, Stage.DISCOVERED, stage, changed, row[11], ""))
        sink.write(OpportunityProduct, ("opportunity_id", "product_id", "quantity", "monthly_revenue"), iter(lines))
        sink.write(StageChange, ("opportunity_id", "from_stage", "to_stage", "at", "actor_id", "note"), iter(history))
        pipeline_cache.changed()
    open_count = sum(1 for r in plan if r[9] in OPEN_STAGES)
    stdout.write(
        f"sales demo: {len(plan)} opportunities ({open_count} open), {len(lines)} product lines, "
        f"{len(campaigns)} campaigns"
    )
