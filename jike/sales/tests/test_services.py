from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from jike.core.errors import BusinessRuleError
from jike.core.models import AuditLog
from jike.customers import services as customer_services
from jike.customers.models import AttitudeChange
from jike.sales import reports, services
from jike.sales.models import Competitor, Opportunity, Stage, StageChange, StageRule
from jike.sales.numbering import next_number
from jike.sales.testing import on_team, opportunity, product, set_tier

pytestmark = pytest.mark.django_db


@pytest.fixture
def cust(world):
    c = set_tier(world.customer(name="合肥市第一中学", industry="education"), "A")
    on_team(c, world.users["hefei_cm"])
    return c


def test_create_sets_number_probability_history_and_audit(world, cust):
    opp = opportunity(world, cust)
    assert opp.number.startswith(f"SJ-{timezone.localdate().year}-")
    assert len(opp.number) == len("SJ-2026-000001")
    assert opp.stage == Stage.DISCOVERED and opp.probability == 10
    assert StageChange.objects.filter(opportunity=opp, to_stage="discovered").count() == 1
    log = AuditLog.objects.get(action="opportunity.create", object_id=str(opp.pk))
    assert log.subject_type == "customers.customer" and log.subject_id == str(cust.pk)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_numbers_are_unique_under_concurrency():
    def take(_):
        try:
            return next_number("ZZ")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(take, range(40)))
    assert len(set(numbers)) == 40
    assert max(numbers).endswith("000040")


def test_forward_moves_update_probability(world, cust):
    opp = opportunity(world, cust)
    actor = world.users["hefei_cm"]
    opp = services.move_stage(actor, opp, Stage.QUALIFIED)
    assert opp.probability == 20
    opp = services.move_stage(actor, opp, Stage.PROPOSAL)  # forward more than one is allowed
    assert opp.probability == 60
    # Stage defaults are data: the province changes them.
    StageRule.objects.update_or_create(stage="negotiation", defaults={"probability": 75, "stale_days": 14})
    opp = services.move_stage(actor, opp, Stage.NEGOTIATION)
    assert opp.probability == 75
    assert list(opp.stage_history.values_list("to_stage", flat=True)) == [
        "negotiation",
        "proposal",
        "qualified",
        "discovered",
    ]


def test_back_only_one_stage(world, cust):
    actor = world.users["hefei_cm"]
    opp = opportunity(world, cust, stage=Stage.NEGOTIATION)
    with pytest.raises(BusinessRuleError) as exc:
        services.move_stage(actor, opp, Stage.QUALIFIED)
    assert exc.value.code == "stage_transition_not_allowed"
    opp = services.move_stage(actor, opp, Stage.PROPOSAL)
    assert opp.stage == Stage.PROPOSAL


def test_won_needs_products_and_revenue(world, cust):
    actor = world.users["hefei_cm"]
    opp = opportunity(world, cust, estimated_revenue=0)
    with pytest.raises(BusinessRuleError) as exc:
        services.move_stage(actor, opp, Stage.WON)
    assert exc.value.code == "won_needs_products"
    services.set_lines(actor, opp, [{"product": product(), "quantity": 2, "monthly_revenue": Decimal("800")}])
    with pytest.raises(BusinessRuleError) as exc:
        services.move_stage(actor, opp, Stage.WON)
    assert exc.value.code == "won_needs_revenue"
    services.update_opportunity(actor, opp, estimated_revenue=Decimal("19200"))
    opp = services.move_stage(actor, opp, Stage.WON)
    assert opp.stage == Stage.WON and opp.probability == 100 and opp.closed_at is not None


def test_lost_needs_reason_and_closed_is_closed(world, cust):
    actor = world.users["hefei_cm"]
    opp = opportunity(world, cust, stage=Stage.SOLUTION)
    with pytest.raises(BusinessRuleError) as exc:
        services.move_stage(actor, opp, Stage.LOST, lost_reason="  ")
    assert exc.value.code == "lost_needs_reason"
    opp = services.move_stage(actor, opp, Stage.LOST, lost_reason="电信低价捆绑")
    assert opp.lost_reason == "电信低价捆绑" and opp.probability == 0
    with pytest.raises(BusinessRuleError) as exc:
        services.update_opportunity(actor, opp, title="改名")
    assert exc.value.code == "closed"
    # Reopening is for managers only.
    with pytest.raises(BusinessRuleError) as exc:
        services.move_stage(actor, opp, Stage.SOLUTION)
    assert exc.value.code == "reopen_needs_manager" and exc.value.status == 403
    opp = services.move_stage(world.users["hefei_city"], opp, Stage.SOLUTION)
    assert opp.stage == Stage.SOLUTION and opp.lost_reason == "" and opp.closed_at is None
    assert AuditLog.objects.filter(action="opportunity.reopen", object_id=str(opp.pk)).exists()


def test_writers_outside_scope_or_read_only_roles_are_refused(world, cust):
    opp = opportunity(world, cust)
    for who in ["wuhu_city", "wuhu_cm", "hefei_cm_other", "hefei_se", "analyst"]:
        with pytest.raises(BusinessRuleError) as exc:
            services.move_stage(world.users[who], opp, Stage.QUALIFIED)
        assert exc.value.status == 403, who
    with pytest.raises(BusinessRuleError):
        opportunity(world, cust, actor=world.users["wuhu_city"])


def test_position_history_and_competitors(world, cust):
    actor = world.users["hefei_cm"]
    telecom, _ = Competitor.objects.get_or_create(name="中国电信")
    opp = opportunity(world, cust)
    services.update_position(actor, opp, -2, competitor=telecom, note="对手报价低")
    services.update_position(actor, opp, 1, note="方案演示后客户倾向我方")
    opp.refresh_from_db()
    assert opp.position == 1 and opp.main_competitor == telecom
    assert list(opp.competitors.all()) == [telecom]
    assert [(c.before, c.after) for c in opp.position_history.order_by("at", "id")] == [(0, -2), (-2, 1)]
    with pytest.raises(ValidationError):
        services.update_position(actor, opp, 6)


def test_influencer_attitude_goes_through_the_customer_file(world, cust):
    actor = world.users["hefei_cm"]
    person = customer_services.add_key_person(world.users["admin"], cust, name="王主任", attitude="C")
    opp = opportunity(world, cust)
    inf = services.add_influencer(actor, opp, person, deal_role="decision_maker")
    assert inf.attitude_at_start == "C"
    services.update_influencer(actor, inf, attitude="B", note="参观机房后转为支持")
    person.refresh_from_db()
    assert person.attitude == "B"
    change = AttitudeChange.objects.filter(key_person=person).first()
    assert (change.before, change.after) == ("C", "B")
    assert opp.number in change.note
    other = world.customer()
    stranger = customer_services.add_key_person(world.users["admin"], other, name="外人")
    with pytest.raises(ValidationError):
        services.add_influencer(actor, opp, stranger, deal_role="user")


def test_stale_flags(world, cust):
    actor = world.users["hefei_cm"]
    opportunity(world, cust, title="新鲜")
    quiet = opportunity(world, cust, title="停滞")
    opportunity(world, cust, title="逾期", expected_close=timezone.localdate() - dt.timedelta(days=1))
    won = opportunity(world, cust, title="已赢", lines=[{"product": product(), "quantity": 1, "monthly_revenue": 1}])
    services.move_stage(actor, won, Stage.WON)
    old = timezone.now() - dt.timedelta(days=31)  # discovered allows 30 quiet days
    Opportunity.objects.filter(pk__in=[quiet.pk, won.pk]).update(last_activity_at=old)
    flags = dict(reports.with_stale(Opportunity.objects.all()).values_list("title", "stale"))
    assert flags == {"新鲜": False, "停滞": True, "逾期": True, "已赢": False}
    # Activity on a next step clears the flag.
    services.add_next_step(actor, quiet, action="电话回访", due_date=timezone.localdate())
    assert not reports.with_stale(Opportunity.objects.filter(pk=quiet.pk)).get().stale


def test_forecast_figures(world, cust):
    wuhu_cust = world.customer(grid=world.wuhu_grid, industry="finance")
    opportunity(world, cust, estimated_revenue=Decimal("100000"), stage=Stage.QUALIFIED)  # 20%
    opportunity(world, cust, estimated_revenue=Decimal("50000"), stage=Stage.NEGOTIATION)  # 80%
    opportunity(world, wuhu_cust, actor=world.users["wuhu_city"], owner=world.users["wuhu_cm"],
                estimated_revenue=Decimal("10000"), stage=Stage.PROPOSAL)  # fmt: skip
    lost = opportunity(world, cust, estimated_revenue=Decimal("999999"))
    services.move_stage(world.users["hefei_city"], lost, Stage.LOST, lost_reason="预算取消")
    rows = {r["key"]: r for r in reports.forecast(Opportunity.objects.all(), "industry")}
    assert rows["education"]["weighted"] == Decimal("60000.00")
    assert rows["education"]["amount"] == Decimal("150000") and rows["education"]["count"] == 2
    assert rows["finance"]["weighted"] == Decimal("6000.00")
    by_city = {r["label"]: r["weighted"] for r in reports.forecast(Opportunity.objects.all(), "city")}
    assert by_city == {"合肥市公司": Decimal("60000.00"), "芜湖市公司": Decimal("6000.00")}
    hefei_only = reports.forecast(Opportunity.objects.restrict(world.users["hefei_city"]), "manager")
    assert [(r["label"], r["weighted"]) for r in hefei_only] == [("t-hefei-cm", Decimal("60000.00"))]
    month = timezone.localdate() + dt.timedelta(days=60)
    by_month = reports.forecast(Opportunity.objects.all(), "month")
    assert by_month == [
        {"key": month.strftime("%Y-%m"), "label": month.strftime("%Y-%m"), "count": 3,
         "amount": Decimal("160000"), "weighted": Decimal("66000.00")},
    ]  # fmt: skip


def test_board_totals_and_cards(world, cust):
    for i in range(3):
        opportunity(world, cust, title=f"卡片{i}", estimated_revenue=Decimal(1000 * (i + 1)))
    columns = {c["stage"]: c for c in reports.board(Opportunity.objects.all(), cards=2)}
    d = columns["discovered"]
    assert d["count"] == 3 and d["amount"] == Decimal("6000") and d["weighted"] == Decimal("600.00")
    assert [c.title for c in d["cards"]] == ["卡片2", "卡片1"]
    assert columns["won"]["count"] == 0 and columns["won"]["cards"] == []


def test_board_cache_is_invalidated_by_writes(world, cust):
    from jike.sales import cache as pipeline_cache

    user = world.users["hefei_city"]
    opp = opportunity(world, cust, estimated_revenue=Decimal("1000"))

    def totals():
        cols = pipeline_cache.cached("t", user, {}, lambda: reports.board(Opportunity.objects.restrict(user)))
        return {c["stage"]: c["count"] for c in cols if c["count"]}

    assert totals() == {"discovered": 1}
    services.move_stage(world.users["hefei_cm"], opp, Stage.QUALIFIED)
    # on_commit does not fire inside the test transaction; updated_at still moves the version.
    assert totals() == {"qualified": 1}
