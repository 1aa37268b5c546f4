"""The customer search box: the character index (migration 0007) narrows, ILIKE decides, so
results are exactly those of a plain ILIKE for terms of any length, Chinese or Latin, any case."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.db import connection
from django.http import QueryDict

from jike.customers.filtersets import SEARCH_EXPR, CustomerFilterSet
from jike.customers.models import Customer

pytestmark = pytest.mark.django_db

NAMES = [
    ("合肥市第一人民医院", "一院"),
    ("合肥星河科技有限公司", "星河科技"),
    ("安徽银行合肥分行", ""),
    ("芜湖医药物流有限公司", "芜湖医药"),
    ("医", ""),
    ("HeFei Logistics Co., Ltd.", "HF Logistics"),
    ("hefei software park", ""),
    ("ANHUI 100% Growth", "50_50"),
    ("Back\\slash Trading", "B&S"),
    ("中国移动通信集团安徽有限公司", "安徽移动"),
    ("有限公 司公司", ""),  # every bigram of 有限公司, but not the term itself
    ("司公限有", ""),  # every character of 有限公司, but not the term itself
]
TERMS = [
    # 1 character, 2 characters, 3 and more
    "医", "合", "h", "%", "_", "\\",
    "医院", "合肥", "科技", "HE", "fe", "0%", "0_", "有限",
    "合肥市", "有限公司", "Hefei", "HEFEI LOG", "LOGISTICS", "100%", "50_5", "k\\s", "司 星河", "不存在的词",
]  # fmt: skip


@pytest.fixture
def customers(world):
    return [world.customer(name=name, short_name=short) for name, short in NAMES]


def search(term: str) -> set[str]:
    fs = CustomerFilterSet(QueryDict(urlencode({"q": term})), queryset=Customer.objects.all())
    return set(fs.qs.values_list("name", flat=True))


def plain_ilike(term: str) -> set[str]:
    pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    with connection.cursor() as cur:
        cur.execute(f"SELECT name FROM customers_customer WHERE {SEARCH_EXPR} ILIKE %s", [pattern])
        return {row[0] for row in cur.fetchall()}


@pytest.mark.parametrize("term", TERMS)
def test_search_equals_plain_ilike(customers, term):
    expected = {name for name, short in NAMES if term.lower() in f"{name} {short}".lower()}
    assert plain_ilike(term) == expected
    assert search(term) == expected


def test_characters_of_a_term():
    """What the index holds and what a term asks for: lower-cased characters, each once."""
    with connection.cursor() as cur:
        cur.execute("SELECT string_to_array(lower('合肥医院'), NULL), string_to_array(lower('AbA'), NULL)")
        chinese, latin = cur.fetchone()
    assert chinese == ["合", "肥", "医", "院"]
    assert latin == ["a", "b", "a"]  # GIN keeps each key once


@pytest.mark.parametrize("term", ["医", "医院", "合肥市"])
def test_search_of_any_length_can_use_the_character_index(customers, term):
    fs = CustomerFilterSet(QueryDict(urlencode({"q": term})), queryset=Customer.objects.all())
    sql, params = fs.qs.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cur:
        # A handful of rows: without these the planner rightly scans the table.
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("SET LOCAL enable_indexscan = off")
        cur.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cur.fetchall())
    assert "customer_name_chars" in plan, plan


def test_the_bigram_index_and_its_function_are_gone():
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_proc WHERE proname = 'customers_bigrams'")
        assert cur.fetchone()[0] == 0
        cur.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'customers_customer' AND indexname LIKE '%%name%%'"
        )
        assert {row[0] for row in cur.fetchall()} == {"customer_name_chars", "customer_name_idx"}


@pytest.mark.parametrize("term", ["医院", "有限公司", "合肥", "医", "Hefei"])
def test_team_scope_search_equals_plain_ilike_over_the_team(world, customers, term):
    """A customer manager's search reads his team through the primary key (no character condition):
    the result is still exactly the ILIKE over his team, and nothing outside it."""
    from django.test import RequestFactory

    from jike.customers.models import TeamAssignment

    cm = world.users["hefei_cm"]
    team = customers[::2]
    for customer in team:
        TeamAssignment.objects.create(customer=customer, staff=cm, team_role="cm_mid")
    request = RequestFactory().get("/customers/", {"q": term})
    request.user = cm
    fs = CustomerFilterSet(request.GET, queryset=Customer.objects.restrict(cm), request=request)
    expected = {c.name for c in team if term.lower() in f"{c.name} {c.short_name}".lower()}
    assert set(fs.qs.values_list("name", flat=True)) == expected
    assert fs.qs.count() == len(expected)


def test_team_lookup_sql_reads_every_team_member_on_both_forms(world, customers):
    """The `in_team` lookup's generic form (SQLite, the demo's database) and PostgreSQL's form
    return the whole team: `IN ((SELECT ...))` would compare with the first row only."""
    from jike.customers.models import TeamAssignment
    from jike.customers.querysets import InTeam

    cm = world.users["hefei_cm"]
    for customer in customers[:3]:
        TeamAssignment.objects.create(customer=customer, staff=cm, team_role="cm_mid")
    qs = Customer.objects.filter(pk__in_team=TeamAssignment.objects.filter(staff=cm).order_by().values("customer_id"))
    compiler = qs.query.get_compiler(connection=connection)
    (lookup,) = [child for child in qs.query.where.children if isinstance(child, InTeam)]
    expected = {c.pk for c in customers[:3]}
    for form in (lookup.as_sql, lookup.as_postgresql):
        sql, params = form(compiler, connection)
        assert "((" not in sql, sql
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT id FROM customers_customer WHERE {sql.replace(chr(34) + 'customers_customer' + chr(34) + '.', '')}",
                params,
            )
            assert {row[0] for row in cur.fetchall()} == expected, form
