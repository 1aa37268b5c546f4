"""Customer pages: scope (404 across cities and teams), masking, edit rights, validation, export."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from jike.core.models import AuditLog, ExportLog
from jike.core.testing import api, client_for, credit_code
from jike.customers import services
from jike.customers.models import AttitudeChange, Customer, KeyPerson, Member, TeamAssignment

pytestmark = pytest.mark.django_db


@pytest.fixture
def hefei(world):
    customer = world.customer(name="合肥星河科技有限公司", short_name="星河科技", monthly_spend=Decimal("12000"))
    TeamAssignment.objects.create(customer=customer, staff=world.users["hefei_cm"], team_role="cm_mid")
    return customer


@pytest.fixture
def wuhu(world):
    return world.customer(grid=world.wuhu_grid, name="芜湖江城物流有限公司")


def test_list_shows_only_scope(world, hefei, wuhu):
    body = client_for(world.users["hefei_city"]).get(reverse("customers:list")).content.decode()
    assert "合肥星河科技有限公司" in body
    assert "芜湖江城物流有限公司" not in body
    assert "共 1 个客户" in body

    body = client_for(world.users["province"]).get(reverse("customers:list")).content.decode()
    assert "合肥星河科技有限公司" in body and "芜湖江城物流有限公司" in body


def test_customer_manager_sees_only_his_team(world, hefei):
    other = world.customer(name="合肥无人服务公司")
    body = client_for(world.users["hefei_cm"]).get(reverse("customers:list")).content.decode()
    assert "合肥星河科技有限公司" in body
    assert "合肥无人服务公司" not in body
    assert client_for(world.users["hefei_cm"]).get(reverse("customers:detail", args=[other.pk])).status_code == 404
    assert (
        client_for(world.users["hefei_cm_other"]).get(reverse("customers:detail", args=[hefei.pk])).status_code == 404
    )


def test_search_filter_sort_and_htmx_partial(world, hefei):
    world.customer(name="合肥银行股份有限公司", industry="finance", monthly_spend=Decimal("90000"))
    world.customer(name="合肥第一中学", industry="education", monthly_spend=Decimal("300"))
    client = client_for(world.users["hefei_city"])
    body = client.get(reverse("customers:list"), {"q": "星河"}).content.decode()
    assert "合肥星河科技有限公司" in body and "合肥银行股份有限公司" not in body
    body = client.get(reverse("customers:list"), {"q": hefei.credit_code}).content.decode()
    assert "共 1 个客户" in body and "合肥星河科技有限公司" in body
    body = client.get(reverse("customers:list"), {"industry": "education"}).content.decode()
    assert "合肥第一中学" in body and "合肥银行股份有限公司" not in body
    body = client.get(reverse("customers:list"), {"ordering": "monthly_spend"}).content.decode()
    assert body.index("合肥第一中学") < body.index("合肥星河科技有限公司") < body.index("合肥银行股份有限公司")

    response = client.get(reverse("customers:list"), {"q": "银行"}, HTTP_HX_REQUEST="true")
    partial = response.content.decode()
    assert "合肥银行股份有限公司" in partial
    assert "<html" not in partial and 'id="customer-filter"' not in partial


def test_list_paginates_with_total_and_bounded_queries(world, django_assert_max_num_queries):
    for n in range(60):
        c = world.customer(name=f"分页客户{n:02d}")
        TeamAssignment.objects.create(customer=c, staff=world.users["hefei_cm"], team_role="cm_mid")
    client = client_for(world.users["hefei_city"])
    with django_assert_max_num_queries(12):
        body = client.get(reverse("customers:list")).content.decode()
    assert "共 60 个客户" in body
    assert body.count('class="customer-link"') == 50
    assert "第 1 / 2 页" in body
    body = client.get(reverse("customers:list"), {"page": 2}).content.decode()
    assert body.count('class="customer-link"') == 10


def test_list_pages_follow_the_ordering_without_gaps(world):
    """Pages are read by id first, then the rows: together they are the ordered list, once each."""
    import re

    for n in range(57):
        world.customer(name=f"排序客户{n:02d}", monthly_spend=Decimal(1000 + (n * 37) % 23))  # ties on spend
    client = client_for(world.users["province"])
    expected = list(Customer.objects.order_by("-monthly_spend", "id").values_list("name", flat=True))
    seen = []
    for page in (1, 2):
        body = client.get(reverse("customers:list"), {"page": page}).content.decode()
        seen += re.findall(r'class="customer-link">([^<]+)</a>', body)
    assert seen == expected
    by_name = list(Customer.objects.order_by("name", "id").values_list("name", flat=True))
    names = re.findall(
        r'class="customer-link">([^<]+)</a>',
        client.get(reverse("customers:list"), {"ordering": "name", "page": 2}).content.decode(),
    )
    assert names == by_name[50:]


def test_list_count_stops_at_the_cap_and_the_api_stays_exact(world, monkeypatch):
    """A broad search is counted up to COUNT_CAP: the list says "more than", pages through the
    first COUNT_CAP matches in order, and the count query stops there. The API counts exactly."""
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from jike.customers import views

    monkeypatch.setattr(views, "COUNT_CAP", 5)
    for n in range(8):
        world.customer(name=f"宽泛客户{n}", monthly_spend=Decimal(100 + n))
    world.customer(name="别的客户")
    client = client_for(world.users["province"])
    with CaptureQueriesContext(connection) as queries:
        body = client.get(reverse("customers:list"), {"q": "宽泛"}).content.decode()
    assert "超过 5 个客户" in body
    assert re.findall(r'class="customer-link">([^<]+)</a>', body) == [f"宽泛客户{n}" for n in (7, 6, 5, 4, 3)]
    (count_sql,) = [q["sql"] for q in queries if "COUNT(*)" in q["sql"] and "customers_customer" in q["sql"]]
    assert "LIMIT 6" in count_sql, count_sql
    english = client.get(reverse("customers:list"), {"q": "宽泛"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "More than 5 customers" in english.content.decode()
    # Under the cap the count is exact, as before.
    assert "共 1 个客户" in client.get(reverse("customers:list"), {"q": "别的"}).content.decode()
    assert api(world.users["province"]).get("/api/v1/customers/", {"q": "宽泛"}).json()["count"] == 8


def test_list_page_rows_are_read_by_id_after_scope_and_search(world):
    """The page's ids come from the scoped, searched query; the rows are then read by primary key
    alone. Across pages a customer manager sees exactly his team's matches, in order."""
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cm = world.users["hefei_cm"]
    for n in range(90):  # 72 match the term, 75 are on his team, 60 are both
        customer = world.customer(name=f"{'星河' if n % 5 else '银河'}客户{n:02d}", monthly_spend=Decimal(5000 - n % 7))
        if n % 6:
            TeamAssignment.objects.create(customer=customer, staff=cm, team_role="cm_mid")
    expected = list(
        Customer.objects.restrict(cm)
        .filter(name__contains="星河")
        .order_by("-monthly_spend", "id")
        .values_list("name", flat=True)
    )
    assert len(expected) == 60
    client = client_for(cm)
    seen = []
    for page in (1, 2):
        with CaptureQueriesContext(connection) as queries:
            body = client.get(reverse("customers:list"), {"q": "星河", "page": page}).content.decode()
        seen += re.findall(r'class="customer-link">([^<]+)</a>', body)
        (rows_sql,) = [q["sql"] for q in queries if '"customers_customer"."name"' in q["sql"].split("FROM")[0]]
        assert "ILIKE" not in rows_sql and "customers_teamassignment" not in rows_sql, rows_sql
    assert seen == expected


def test_detail_other_city_is_404(world, hefei, wuhu):
    assert client_for(world.users["wuhu_city"]).get(reverse("customers:detail", args=[hefei.pk])).status_code == 404
    assert client_for(world.users["wuhu_cm"]).get(reverse("customers:detail", args=[hefei.pk])).status_code == 404
    assert client_for(world.users["hefei_city"]).get(reverse("customers:detail", args=[wuhu.pk])).status_code == 404
    assert client_for(world.users["hefei_city"]).get(reverse("customers:detail", args=[hefei.pk])).status_code == 200
    assert client_for(world.users["hefei_city"]).get(reverse("customers:members", args=[wuhu.pk])).status_code == 404
    # Edit pages answer 404 too, not 403: no hint that the customer exists.
    assert client_for(world.users["wuhu_city"]).get(reverse("customers:edit", args=[hefei.pk])).status_code == 404


def test_anonymous_is_sent_to_login(hefei):
    response = Client().get(reverse("customers:detail", args=[hefei.pk]))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_members_masked_for_role_without_pii(world, hefei):
    services.add_member(world.users["admin"], hefei, msisdn="13812345678", name="张三", payment_mode="unified")
    analyst = client_for(world.users["analyst"]).get(reverse("customers:detail", args=[hefei.pk])).content.decode()
    assert "138****5678" in analyst and "13812345678" not in analyst
    assert "号码已脱敏" in analyst
    cm = client_for(world.users["hefei_cm"]).get(reverse("customers:detail", args=[hefei.pk])).content.decode()
    assert "13812345678" in cm


def test_members_search_and_pages(world, hefei):
    for n in range(25):
        services.add_member(world.users["admin"], hefei, msisdn=f"1390000{n:04d}", name=f"成员{n}")
    services.add_member(world.users["admin"], hefei, msisdn="13700001111", name="李四", department="财务部")
    client = client_for(world.users["hefei_cm"])
    body = client.get(reverse("customers:members", args=[hefei.pk]), {"q": "财务"}).content.decode()
    assert "13700001111" in body and "13900000001" not in body and "共 1 名成员" in body
    body = client.get(reverse("customers:members", args=[hefei.pk]), {"page": 2}).content.decode()
    assert "共 26 名成员" in body and body.count("member-msisdn") == 6


def test_detail_queries_do_not_grow_with_data(world, hefei):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    admin = world.users["admin"]
    small = world.customer(name="小客户")
    services.add_member(admin, small, msisdn="13700000000")
    services.add_key_person(admin, small, name="甲", attitude="C")
    services.add_key_event(admin, small, date=date(2024, 1, 1), title="事件")
    world.customer(name="小客户分部", parent=small)
    for n in range(40):
        services.add_member(admin, hefei, msisdn=f"1380000{n:04d}")
    for n in range(6):
        person = services.add_key_person(admin, hefei, name=f"关键人{n}", attitude="C")
        services.update_key_person(admin, person, attitude="B", note="拜访后转为支持")
    for n in range(5):
        services.add_key_event(admin, hefei, date=date(2024, 1, n + 1), title=f"事件{n}")
    for n in range(3):
        child = world.customer(name=f"星河科技分公司{n}", parent=hefei)
    world.customer(name="星河科技长丰分部", parent=child)
    client = client_for(world.users["hefei_city"])
    client.get(reverse("customers:detail", args=[small.pk]))  # warm caches (content types, templates)
    cache.clear()  # both pages uncached (the page cache has its own tests: test_page_cache.py)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("customers:detail", args=[small.pk]))
    with CaptureQueriesContext(connection) as many:
        body = client.get(reverse("customers:detail", args=[hefei.pk])).content.decode()
    # The group below and the chain above are one recursive query each, at any depth.
    assert len(many) <= len(few), [q["sql"][:80] for q in many.captured_queries]
    assert "星河科技分公司0" in body
    assert 'id="rollup"' in body
    assert body.count("member-msisdn") == 20  # first page of members only
    # The panels the page loads after it (products, plan, opportunities, visits, SMS) likewise.
    cache.clear()
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("customers:panels", args=[small.pk])).status_code == 200
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse("customers:panels", args=[hefei.pk])).status_code == 200
    assert len(many) <= len(few), [q["sql"][:80] for q in many.captured_queries]


def test_list_rows_escape_what_users_typed(world):
    world.customer(name="<b>粗体</b>&有限公司", short_name="<i>简称</i>")
    body = client_for(world.users["province"]).get(reverse("customers:list")).content.decode()
    assert "&lt;b&gt;粗体&lt;/b&gt;&amp;有限公司" in body and "&lt;i&gt;简称&lt;/i&gt;" in body
    assert "<b>粗体" not in body and "<i>简称" not in body


def test_filter_dropdowns_mark_the_chosen_option(world, hefei):
    client = client_for(world.users["province"])
    grid = world.hefei_grid
    body = client.get(reverse("customers:list"), {"city": world.hefei.pk}).content.decode()
    assert f'<option value="{grid.pk}">' in body and f'<option value="{grid.pk}" selected>' not in body
    body = client.get(reverse("customers:list"), {"city": world.hefei.pk, "grid": grid.pk}).content.decode()
    assert f'<option value="{grid.pk}" selected>' in body  # same cached options, this one chosen
    assert "合肥星河科技有限公司" in body


def test_read_only_roles_cannot_edit(world, hefei):
    analyst = client_for(world.users["analyst"])
    page = analyst.get(reverse("customers:detail", args=[hefei.pk])).content.decode()
    assert 'id="edit-customer"' not in page
    assert analyst.get(reverse("customers:edit", args=[hefei.pk])).status_code == 403
    response = analyst.post(reverse("customers:edit", args=[hefei.pk]), {"name": "改名"})
    assert response.status_code == 403
    assert analyst.post(reverse("customers:member-add", args=[hefei.pk]), {"msisdn": "13800000000"}).status_code == 403
    hefei.refresh_from_db()
    assert hefei.name == "合肥星河科技有限公司"

    page = client_for(world.users["hefei_cm"]).get(reverse("customers:detail", args=[hefei.pk])).content.decode()
    assert 'id="edit-customer"' in page


def profile_post(customer: Customer, **changes) -> dict[str, str]:
    data = {
        "name": customer.name,
        "short_name": customer.short_name,
        "credit_code": customer.credit_code,
        "industry": customer.industry,
        "ownership": customer.ownership,
        "status": customer.status,
        "address": customer.address,
        "legal_representative": "",
        "main_business": "",
        "employees": "",
        "registered_capital": "",
        "monthly_spend": str(customer.monthly_spend),
        "payment_ability": customer.payment_ability,
        "parent": "",
        "agreement_start": "",
        "agreement_end": "",
        "decision_process": "",
        "industry_influence": "1",
    }
    data.update(changes)
    return data


def test_edit_goes_through_service_and_appears_in_history(world, hefei):
    client = client_for(world.users["hefei_cm"])
    url = reverse("customers:edit", args=[hefei.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, profile_post(hefei, short_name="星河", monthly_spend="15800.50"))
    assert response.status_code == 302
    hefei.refresh_from_db()
    assert hefei.short_name == "星河" and hefei.monthly_spend == Decimal("15800.50")
    log = AuditLog.objects.get(action="customer.update", object_id=str(hefei.pk))
    assert log.actor == world.users["hefei_cm"]
    assert log.changes == {"short_name": ["星河科技", "星河"], "monthly_spend": ["12000.00", "15800.50"]}
    body = client.get(reverse("customers:detail", args=[hefei.pk])).content.decode()
    history = body[body.index('id="history"') :]
    assert "修改客户档案" in history and "星河科技" in history and "15800.50" in history
    assert log.request_id and log.request_id[:10] in history


def test_validation_errors_are_shown_next_to_fields(world, hefei):
    client = client_for(world.users["hefei_city"])
    url = reverse("customers:edit", args=[hefei.pk])
    bad_check_digit = hefei.credit_code[:17] + ("0" if hefei.credit_code[17] != "0" else "1")
    response = client.post(
        url,
        profile_post(
            hefei,
            credit_code=bad_check_digit,
            agreement_start="2025-06-01",
            agreement_end="2025-01-01",
            monthly_spend="-5",
        ),
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "统一社会信用代码校验位错误" in body
    assert "协议到期日期不能早于协议开始日期" in body
    assert "is-invalid" in body
    form = response.context["form"]
    assert set(form.errors) >= {"credit_code", "agreement_end", "monthly_spend"}
    hefei.refresh_from_db()
    assert hefei.agreement_start is None and not AuditLog.objects.filter(action="customer.update").exists()


def test_duplicate_credit_code_refused(world, hefei):
    other = world.customer(name="另一家公司")
    response = client_for(world.users["hefei_city"]).post(
        reverse("customers:edit", args=[other.pk]), profile_post(other, credit_code=hefei.credit_code)
    )
    assert response.status_code == 400
    assert "credit_code" in response.context["form"].errors


def test_parent_must_be_visible_and_not_self(world, hefei, wuhu):
    client = client_for(world.users["hefei_city"])
    url = reverse("customers:edit", args=[hefei.pk])
    response = client.post(url, profile_post(hefei, parent=str(wuhu.pk)))
    assert response.status_code == 400 and "parent" in response.context["form"].errors
    response = client.post(url, profile_post(hefei, parent=str(hefei.pk)))
    assert response.status_code == 400 and "parent" in response.context["form"].errors
    group = world.customer(name="星河集团总部")
    assert client.post(url, profile_post(hefei, parent=str(group.pk))).status_code == 302
    hefei.refresh_from_db()
    assert hefei.parent_id == group.pk


def test_key_person_attitude_change_recorded_with_note(world, hefei):
    client = client_for(world.users["hefei_cm"])
    response = client.post(
        reverse("customers:key-person-add", args=[hefei.pk]),
        {"name": "王局长", "title": "信息中心主任", "decision_role": "economic", "influence": "high", "attitude": "C",
         "mobile": "13912345678", "active": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    person = KeyPerson.objects.get(customer=hefei)
    url = reverse("customers:key-person-edit", args=[hefei.pk, person.pk])
    response = client.post(
        url,
        {"name": "王局长", "title": "信息中心主任", "decision_role": "economic", "influence": "high", "attitude": "B",
         "mobile": "13912345678", "active": "on", "note": "方案交流后转为支持"},
    )  # fmt: skip
    assert response.status_code == 302
    change = AttitudeChange.objects.filter(key_person=person).order_by("-id").first()
    assert (change.before, change.after, change.note) == ("C", "B", "方案交流后转为支持")
    body = client.get(reverse("customers:detail", args=[hefei.pk])).content.decode()
    section = body[body.index('id="key-persons"') : body.index('id="members"')]
    assert "C 认可" in section and "B 支持" in section and "方案交流后转为支持" in section

    # A role without PII sees the key person's number masked and cannot overwrite it.
    city = client_for(world.users["hefei_city"])
    body = city.get(reverse("customers:detail", args=[hefei.pk])).content.decode()
    assert "139****5678" in body and "13912345678" not in body
    form_page = city.get(url).content.decode()
    assert "13912345678" not in form_page


def test_add_member_validates_and_saves(world, hefei):
    client = client_for(world.users["hefei_cm"])
    url = reverse("customers:member-add", args=[hefei.pk])
    response = client.post(url, {"msisdn": "12345", "status": "active", "payment_mode": "split"})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "手机号码无效" in str(errors["msisdn"]) and "unit_share" in errors
    response = client.post(
        url, {"msisdn": "+86 138-1234-0000", "status": "active", "payment_mode": "split", "unit_share": "60"}
    )
    assert response.status_code == 302
    member = Member.objects.get(customer=hefei)
    assert member.msisdn == "13812340000" and member.unit_share == 60
    hefei.refresh_from_db()
    assert hefei.member_count == 1
    response = client.post(url, {"msisdn": "13812340000", "status": "active", "payment_mode": "personal"})
    assert response.status_code == 400  # already a member of this customer


def test_add_key_event(world, hefei):
    client = client_for(world.users["hefei_cm"])
    url = reverse("customers:event-add", args=[hefei.pk])
    assert client.post(url, {"category": "contract", "title": ""}).status_code == 400
    response = client.post(url, {"date": "2025-03-01", "category": "contract", "title": "续签三年专线协议"})
    assert response.status_code == 302
    body = client.get(reverse("customers:detail", args=[hefei.pk])).content.decode()
    events = body[body.index('id="events"') : body.index('id="history"')]
    assert "续签三年专线协议" in events and "2025-03-01" in events


def test_export_xlsx_scoped_and_logged(world, hefei, wuhu):
    world.customer(name="合肥第二公司", industry="education")
    user = world.users["hefei_city"]
    response = client_for(user).get(reverse("customers:export"), {"industry": "finance"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][:4] == ("客户编号", "客户名称", "简称", "统一社会信用代码")
    assert [r[1] for r in rows[1:]] == ["合肥星河科技有限公司"]
    assert rows[1][6] == "金融" and rows[1][16] == 12000
    log = ExportLog.objects.get(actor=user)
    assert (log.what, log.format, log.rows, log.pii_unmasked) == ("customers", "xlsx", 1, False)
    assert log.filters == {"industry": ["finance"]}


def test_credit_code_fixture_is_valid():
    # The validation test above relies on the fixture codes having a correct check digit.
    from stdnum.cn import uscc

    assert uscc.is_valid(credit_code(7))


def test_english_labels(world, hefei):
    call_command("compile-translations", verbosity=0)
    translation.trans_real._translations = {}
    translation.trans_real._default = None
    client = client_for(world.users["hefei_city"])
    client.cookies["django_language"] = "en"
    body = client.get(reverse("customers:detail", args=[hefei.pk])).content.decode()
    assert "Key person" in body and "Key events" in body and "Change history" in body and "Group hierarchy" in body
    body = client.get(reverse("customers:list")).content.decode()
    assert "Group customers" in body and "Export to Excel" in body
    client.cookies["django_language"] = "zh-hans"
    body = client.get(reverse("customers:list")).content.decode()
    assert "集团客户" in body and "导出 Excel" in body


def test_edit_rights_after_the_scope_check_equal_restrict_change(world):
    """The 360 page and its panels take `can_change` from the scope check they just made
    (registry.seen_in_scope) instead of querying `restrict(user, "change")`: for every role, on a
    customer it sees, both answers must agree."""
    from django.test import RequestFactory

    from jike.web.registry import can_change, seen_in_scope

    customer = world.customer()
    TeamAssignment.objects.create(customer=customer, staff=world.users["hefei_cm"], team_role="cm_mid")
    answers = {}
    for name, user in world.users.items():
        if not Customer.objects.restrict(user).filter(pk=customer.pk).exists():
            continue
        request = RequestFactory().get("/")
        request.user = user
        seen_in_scope(request, customer)
        expected = Customer.objects.restrict(user, "change").filter(pk=customer.pk).exists()
        answers[name] = can_change(request, customer)
        assert answers[name] is expected, name
    assert answers["hefei_cm"] is True and answers["analyst"] is False  # both answers occur
    assert "wuhu_city" not in answers and "hefei_cm_other" not in answers
