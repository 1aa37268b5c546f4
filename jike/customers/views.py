"""Server-rendered customer pages: list (HTMX table, XLSX export), the 360 page and edit forms.

Every read goes through `restrict(user)` (404 outside scope); every write goes through services.
Queries are bounded per page (no N+1): the list and the 360 page are benchmarked at 100,000 customers.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Exists, Model, OuterRef, Prefetch
from django.db.models.sql.where import WhereNode
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from jike.core import audit
from jike.core import cache as data_cache
from jike.core.errors import BusinessRuleError
from jike.core.http import staff as _request_user
from jike.core.masking import phone_for
from jike.core.middleware import current_request_id
from jike.core.models import AuditLog, ExportLog, OrgLevel, OrgUnit, User
from jike.core.roles import TEAM_SCOPED, Role, Scope
from jike.customers import services, tiering
from jike.customers.choices import Industry, Lifecycle, MemberStatus, Ownership, PaymentMode, TeamRole, Tier
from jike.customers.filtersets import CustomerFilterSet, MemberFilterSet
from jike.customers.forms import CustomerForm, KeyEventForm, KeyPersonForm, MemberForm, apply_service_error
from jike.customers.models import AttitudeChange, Customer, KeyEvent, KeyPerson, Member, TeamAssignment
from jike.web.registry import PANEL_TTL, can_change, panel_fragments, render_panels, seen_in_scope, vary

PAGE_SIZE = 50
COUNT_CAP = 10_000  # the customer list counts matches up to this many (IdFirstPaginator)
MEMBER_PAGE_SIZE = 20
HISTORY_LIMIT = 30
CHILDREN_LIMIT = 20
# The customer-manager roles shown in the list's "manager" column, most senior first.
CM_TEAM_ROLES = [TeamRole.CHIEF_REP, TeamRole.CM_SENIOR, TeamRole.CM_MID, TeamRole.CM_JUNIOR, TeamRole.PHONE_MANAGER]

ACTION_LABELS = {
    "customer.create": gettext_lazy("新建客户档案"),
    "customer.update": gettext_lazy("修改客户档案"),
    "member.create": gettext_lazy("新增成员"),
    "member.update": gettext_lazy("修改成员"),
    "key_person.create": gettext_lazy("新增关键人"),
    "key_person.update": gettext_lazy("修改关键人"),
    "key_event.create": gettext_lazy("新增大事记"),
}


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"


# ---------------------------------------------------------------------------------------------- list


def _user_city(user: User) -> OrgUnit | None:
    return user.org_unit.ancestor_of_level(OrgLevel.CITY) if user.org_unit else None


def _scoped_filterset(request: HttpRequest, user: User) -> CustomerFilterSet:
    """The shared CustomerFilterSet over the user's scope, with dropdowns limited to that scope."""
    base = Customer.objects.restrict(user).select_related("city", "grid")
    fs = CustomerFilterSet(request.GET, queryset=base, request=request)
    cities = OrgUnit.objects.filter(level=OrgLevel.CITY)
    grids = OrgUnit.objects.filter(level=OrgLevel.GRID)
    staff = User.objects.filter(is_active=True, role__in=[*TEAM_SCOPED, Role.INDUSTRY_MANAGER])
    if user.scope == Scope.ORG and user.org_unit is not None:
        city = _user_city(user)
        cities = cities.filter(pk=city.pk) if city else cities.none()
        grids = grids.filter(path__startswith=user.org_unit.path)
        staff = staff.filter(org_unit__path__startswith=user.org_unit.path)
    elif user.scope == Scope.TEAM:
        city = _user_city(user)
        cities = cities.filter(pk=city.pk) if city else cities.none()
        grids = grids.filter(path__startswith=city.path) if city else grids.none()
        staff = staff.filter(pk=user.pk)
    chosen_city = request.GET.get("city", "")
    if chosen_city.isdigit():
        city_unit = cities.filter(pk=int(chosen_city)).first()
        if city_unit is not None:
            grids = grids.filter(path__startswith=city_unit.path)
    fs.filters["city"].queryset = cities.order_by("code")
    fs.filters["grid"].queryset = grids.order_by("path")
    fs.filters["manager"].queryset = staff.order_by("full_name", "username")
    fs.filters.pop("county", None)  # the grid filter already narrows below the city
    return fs


@login_required
@require_GET
def customer_list(request: HttpRequest) -> HttpResponse:
    user = _request_user(request)
    fs = _scoped_filterset(request, user)
    qs = fs.qs.only(*LIST_FIELDS).prefetch_related(
        Prefetch(
            "team",
            queryset=TeamAssignment.objects.filter(team_role__in=CM_TEAM_ROLES)
            .select_related("staff")
            .only("customer_id", "team_role", "staff__id", "staff__full_name", "staff__username"),
            to_attr="cm_team",
        )
    )
    page = IdFirstPaginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = _list_rows(page.object_list)
    context = {"filter": fs, "page": page, "rows": rows, "export_query": _export_query(request)}
    if _is_htmx(request):
        return render(request, "customers/_table.html", context)
    return render(request, "customers/list.html", context)


class IdFirstPaginator(Paginator):  # type: ignore[type-arg]
    """Pages a queryset by id first (a deferred join): the OFFSET then skips index entries only,
    and just the page's rows are read with their joins and prefetches. Page 199 of the province
    list: 17 -> ~3 ms of SQL (the plain OFFSET joined 9,950 skipped rows with their org units).

    The count stops at COUNT_CAP: a broad search (有限公司 matches 57 % of the province) no longer
    counts every match (63-73 ms); the list then says "more than 10,000" and pages through the
    first 10,000, which is as deep as anyone pages before narrowing the search. The API and the
    export keep exact counts."""

    capped = False  # more than COUNT_CAP matched (known once `count` has run)

    @cached_property
    def count(self) -> int:
        counted = int(self.object_list.order_by()[: COUNT_CAP + 1].count())  # type: ignore[attr-defined]
        self.capped = counted > COUNT_CAP
        return min(counted, COUNT_CAP)

    def page(self, number: Any) -> Any:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])  # type: ignore[attr-defined]
        # The ids already passed the scope, filters and search: the rows are read by primary key
        # alone (the team scope's array and a search's ILIKE again cost 6-8 ms for 50 rows).
        rows = self.object_list.order_by()  # type: ignore[attr-defined]
        rows.query.where = WhereNode()
        by_id = {obj.pk: obj for obj in rows.filter(pk__in=ids)}
        return Page([by_id[pk] for pk in ids if pk in by_id], number, self)


# What a table row shows (views.ListRow, customer_rows): the list loads 50 customers of 34
# columns, with their city and grid, per page.
LIST_FIELDS = ("name", "short_name", "tier", "grade", "industry", "status", "member_count", "unified_member_count",
               "monthly_spend", "updated_at", "city__name", "grid__name")  # fmt: skip


@dataclass(frozen=True)
class ListRow:
    """One row of the customer table, formatted here: 50 rows x 10 cells of template filters
    (get_FOO_display rebuilds the choice list per call, intcomma, floatformat, date) cost more
    than the rest of the page."""

    customer: Customer
    url: str
    manager: User | None
    industry: str
    status: str
    members: str
    unified_share: str
    spend: str
    updated: str


def _list_rows(customers: Iterable[Customer]) -> list[ListRow]:
    industries, statuses = dict(Industry.choices), dict(Lifecycle.choices)
    base = reverse("customers:detail", args=[0])[:-2]  # "/customers/0/" -> "/customers/"
    return [
        ListRow(
            customer=c,
            url=f"{base}{c.pk}/",
            manager=_main_manager(c),
            industry=str(industries.get(c.industry, c.industry)),
            status=str(statuses.get(c.status, c.status)),
            members=number_format(c.member_count, force_grouping=True),  # as |intcomma
            # as {% widthratio unified members 100 %}
            unified_share=f"{round(c.unified_member_count / c.member_count * 100)}%" if c.member_count else "—",
            # as |floatformat:"0g" (half up, grouped as the language groups)
            spend=number_format(Decimal(c.monthly_spend).quantize(Decimal(1), ROUND_HALF_UP), 0, force_grouping=True),
            updated=timezone.localtime(c.updated_at).strftime("%Y-%m-%d %H:%M"),
        )
        for c in customers
    ]


def _main_manager(customer: Customer) -> User | None:
    team: list[TeamAssignment] = getattr(customer, "cm_team", [])
    ranked = sorted(team, key=lambda t: CM_TEAM_ROLES.index(TeamRole(t.team_role)))
    return ranked[0].staff if ranked else None


def _export_query(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


EXPORT_HEADERS = [
    ("客户编号", 10),
    ("客户名称", 36),
    ("简称", 16),
    ("统一社会信用代码", 22),
    ("等级", 6),
    ("细分等级", 8),
    ("行业", 12),
    ("所有制性质", 14),
    ("状态", 8),
    ("归属市公司", 14),
    ("归属县公司", 14),
    ("网格", 16),
    ("地址", 36),
    ("成员数", 10),
    ("统付成员数", 10),
    ("统付占比", 10),
    ("月通信消费(元)", 14),
    ("协议到期", 12),
    ("更新时间", 18),
]


@login_required
@require_GET
def customer_export(request: HttpRequest) -> FileResponse:
    """The filtered list as XLSX (Chinese headers), streamed from a temp file; logged in ExportLog."""
    import xlsxwriter

    user = _request_user(request)
    fs = _scoped_filterset(request, user)
    labels = {
        "tier": dict(Tier.choices),
        "industry": dict(Industry.choices),
        "ownership": dict(Ownership.choices),
        "status": dict(Lifecycle.choices),
    }
    rows = fs.qs.values_list(
        "pk", "name", "short_name", "credit_code", "tier", "grade", "industry", "ownership", "status",
        "city__name", "county__name", "grid__name", "address", "member_count", "unified_member_count",
        "monthly_spend", "agreement_end", "updated_at",
    )  # fmt: skip
    fd, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    book = xlsxwriter.Workbook(path, {"constant_memory": True, "remove_timezone": True})
    sheet = book.add_worksheet("集团客户")
    bold = book.add_format({"bold": True, "bg_color": "#E7EEF8", "border": 1})
    money = book.add_format({"num_format": "#,##0.00"})
    pct = book.add_format({"num_format": "0.0%"})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for col, (title, width) in enumerate(EXPORT_HEADERS):
        sheet.write_string(0, col, title, bold)
        sheet.set_column(col, col, width)
    sheet.freeze_panes(1, 0)
    count = 0
    tz = timezone.get_current_timezone()
    for r, row in enumerate(rows.iterator(chunk_size=5000), start=1):
        (pk, name, short, code, tier, grade, industry, ownership, status) = row[:9]
        (city, county, grid, address, members, unified, spend, agreement_end, updated) = row[9:]
        sheet.write_number(r, 0, pk)
        sheet.write_string(r, 1, name)
        sheet.write_string(r, 2, short)
        sheet.write_string(r, 3, code)
        sheet.write_string(r, 4, str(labels["tier"].get(tier, tier)))
        sheet.write_string(r, 5, grade)
        sheet.write_string(r, 6, str(labels["industry"].get(industry, industry)))
        sheet.write_string(r, 7, str(labels["ownership"].get(ownership, ownership)))
        sheet.write_string(r, 8, str(labels["status"].get(status, status)))
        sheet.write_string(r, 9, city or "")
        sheet.write_string(r, 10, county or "")
        sheet.write_string(r, 11, grid or "")
        sheet.write_string(r, 12, address)
        sheet.write_number(r, 13, members)
        sheet.write_number(r, 14, unified)
        sheet.write_number(r, 15, unified / members if members else 0, pct)
        sheet.write_number(r, 16, float(spend), money)
        if agreement_end:
            sheet.write_datetime(r, 17, agreement_end, day)
        sheet.write_datetime(r, 18, timezone.localtime(updated, tz).replace(tzinfo=None), stamp)
        count = r
    sheet.autofilter(0, 0, max(count, 1), len(EXPORT_HEADERS) - 1)
    book.close()
    ExportLog.objects.create(
        actor=user,
        request_id=current_request_id.get(),
        what="customers",
        format="xlsx",
        filters={k: request.GET.getlist(k) for k in request.GET if k != "page"},
        rows=count,
        pii_unmasked=False,
    )
    handle = open(path, "rb")  # noqa: SIM115 - FileResponse closes it
    os.unlink(path)  # the open handle keeps the data readable; nothing is left on disk
    filename = f"集团客户_{timezone.localdate():%Y%m%d}.xlsx"
    return FileResponse(handle, as_attachment=True, filename=filename)


# ---------------------------------------------------------------------------------------------- 360


def _visible_customer(request: HttpRequest, pk: int) -> Customer:
    """The customer if the user may see it, else 404 (no hint that it exists). It carries
    `has_children` (read in the same query: the hierarchy and the holdings roll-up ask it)."""
    user = _request_user(request)
    has_children = Exists(Customer.objects.filter(parent=OuterRef("pk")))
    qs = Customer.objects.restrict(user).select_related("city", "county", "grid").annotate(has_children=has_children)
    customer = get_object_or_404(qs, pk=pk)
    seen_in_scope(request, customer)
    return customer


def _writable_customer(request: HttpRequest, pk: int) -> Customer:
    """Visible (else 404) and changeable by this user (else 403)."""
    customer = _visible_customer(request, pk)
    try:
        services.ensure_writable(_request_user(request), customer)
    except BusinessRuleError as exc:
        raise PermissionDenied(exc.message) from exc
    return customer


def _group(customer: Customer) -> list[int]:
    """The customer and every customer below it: the 360 page shows group roll-ups, so its cache
    follows the data version of the whole group."""
    return [customer.pk, *services.descendants(customer)] if customer.has_children else [customer.pk]  # type: ignore[attr-defined]


def _hierarchy(user: User, customer: Customer, group: list[int]) -> dict[str, Any]:
    chain = services.ancestors(customer) if customer.parent_id else []
    visible = (
        set(Customer.objects.restrict(user).filter(pk__in=[c.pk for c in chain]).values_list("pk", flat=True))
        if chain
        else set()
    )
    children: list[Customer] = []
    if len(group) > 1:
        children_qs = Customer.objects.restrict(user).filter(parent=customer).select_related("city")
        children = list(children_qs.order_by("-monthly_spend", "id")[: CHILDREN_LIMIT + 1])
    return {
        "chain": [(c, c.pk in visible) for c in chain],
        "children": children[:CHILDREN_LIMIT],
        "children_more": len(children) > CHILDREN_LIMIT,
        "rollup": services.rollup(customer, group) if len(group) > 1 else None,
    }


def _members_page(request: HttpRequest, user: User, customer: Customer) -> dict[str, Any]:
    base = Member.objects.restrict(user).filter(customer=customer).order_by("msisdn")
    fs = MemberFilterSet(request.GET, queryset=base, request=request)
    page = Paginator(fs.qs, MEMBER_PAGE_SIZE).get_page(request.GET.get("page"))
    # Labels looked up once: get_FOO_display() rebuilds (and hashes) the choice list per call.
    modes, statuses = dict(PaymentMode.choices), dict(MemberStatus.choices)
    rows = [(m, modes.get(m.payment_mode, m.payment_mode), statuses.get(m.status, m.status)) for m in page]
    return {"member_filter": fs, "members": page, "member_rows": rows}


PII_FIELDS = {"msisdn", "mobile"}
PII_OBJECTS = {"customers.member"}  # their repr is the phone number


def _history(user: User, customer: Customer) -> list[dict[str, Any]]:
    """Audit entries of the customer with field labels and readable before/after values."""
    entries = list(audit.history(customer)[:HISTORY_LIMIT])
    unit_ids: set[int] = set()
    for entry in entries:
        for field in ("city", "county", "grid"):
            for value in (entry.changes or {}).get(field, []):
                if isinstance(value, int):
                    unit_ids.add(value)
    units = dict(OrgUnit.objects.filter(pk__in=unit_ids).values_list("pk", "name")) if unit_ids else {}
    return [_history_entry(user, entry, units) for entry in entries]


def _display(user: User, model: type[Model] | None, field: str, value: Any, units: dict[int, str]) -> str:
    if value is None or value == "":
        return "—"
    if field in PII_FIELDS:
        return phone_for(user, str(value))
    if field in ("city", "county", "grid") and isinstance(value, int):
        return units.get(value, f"#{value}")
    if field == "parent":
        return f"#{value}"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    if model is not None:
        try:
            choices = dict(getattr(model._meta.get_field(field), "flatchoices", None) or [])
        except FieldDoesNotExist:
            choices = {}
        if value in choices:
            return str(choices[value])
    return str(value)


def _history_entry(user: User, entry: AuditLog, units: dict[int, str]) -> dict[str, Any]:
    try:
        model: type[Model] | None = apps.get_model(entry.object_type)
    except (LookupError, ValueError):
        model = None
    changes = []
    for field, pair in (entry.changes or {}).items():
        if not isinstance(pair, list) or len(pair) != 2:
            continue
        before, after = pair
        if before in (None, "") and after in (None, "", False):
            continue  # creation diffs list every empty field; they say nothing
        label: Any = field
        if model is not None:
            with contextlib.suppress(FieldDoesNotExist):
                label = getattr(model._meta.get_field(field), "verbose_name", field)
        changes.append(
            {
                "field": field,
                "label": label,
                "before": _display(user, model, field, before, units),
                "after": _display(user, model, field, after, units),
            }
        )
    return {
        "entry": entry,
        "action_label": ACTION_LABELS.get(entry.action, entry.action),
        "is_subject": entry.object_type == "customers.customer",
        "is_create": entry.action.endswith(".create"),
        "object_repr": phone_for(user, entry.object_repr) if entry.object_type in PII_OBJECTS else entry.object_repr,
        "changes": changes,
    }


SECTION_TEMPLATES = {"key_persons": "customers/_key_persons.html", "events": "customers/_events.html",
                     "history": "customers/_history.html"}  # fmt: skip


def _key_persons(customer: Customer) -> list[KeyPerson]:
    attitudes = AttitudeChange.objects.select_related("actor").order_by("-at", "-id")
    persons = KeyPerson.objects.filter(customer=customer).order_by("-active", "name")
    return list(persons.prefetch_related(Prefetch("attitude_history", queryset=attitudes)))


def _sections(request: HttpRequest, customer: Customer, can_edit: bool) -> dict[str, str]:
    """Key persons, key events and change history: they change only through audited service
    writes on the customer, so their HTML is cached as one entry (see `_cache_key`)."""
    user = _request_user(request)
    sections: dict[str, dict[str, Any]] = {
        "key_persons": {"key_persons": _key_persons(customer)},
        "events": {"events": list(customer.key_events.order_by("-date", "-id")[:20])},
        "history": {"history": _history(user, customer)},
    }
    base = {"customer": customer, "can_edit": can_edit, "user": user}
    return {name: render_to_string(SECTION_TEMPLATES[name], base | ctx) for name, ctx in sections.items()}


def _cache_key(request: HttpRequest, customer: Customer, group: list[int], part: str) -> list[object]:
    """The data version of the customer's group (every service write records an audit entry
    whose subject is the customer), the customer row's own state (bulk jobs such as re-tiering
    and member counts update it unaudited), and what else changes the HTML (`registry.vary`)."""
    version = data_cache.subject_version("customers.customer", group)
    return [version, customer.updated_at, customer.tier, customer.grade, part, customer.pk, *vary(request)]


@login_required
@require_GET
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The 360 page: the customer file of issue 2 (profile, tier, team, key persons, members,
    hierarchy, key events, history). The other domains' panels (products, plan, opportunities,
    visits, SMS) arrive right after through `customer_panels`, so the file shows without waiting
    for them. The scope check runs on every request, before any cache read."""
    user = _request_user(request)
    customer = _visible_customer(request, pk)
    can_edit = can_change(request, customer)
    group = _group(customer)
    key = _cache_key(request, customer, group, "customer-360")
    sections = data_cache.cached(key, lambda: _sections(request, customer, can_edit), PANEL_TTL)
    context: dict[str, Any] = {
        "customer": customer,
        "can_edit": can_edit,
        "sections": {name: mark_safe(html) for name, html in sections.items()},  # our templates
        "tier_loaded": True,
        **tiering.tier_panel_context(customer),
        **_hierarchy(user, customer, group),
        **_members_page(request, user, customer),
    }
    return render(request, "customers/detail.html", context)


@login_required
@require_GET
def customer_panels(request: HttpRequest, pk: int) -> HttpResponse:
    """The other apps' panels of the 360 page (HTMX, loaded by the page). Those registered as
    cacheable come from one cache entry under the group's data version."""
    customer = _visible_customer(request, pk)
    key = _cache_key(request, customer, _group(customer), "customer-360-panels")
    fragments = data_cache.cached(key, lambda: panel_fragments(request, customer), PANEL_TTL)
    return render(request, "customers/_panels.html", {"panels": render_panels(request, customer, fragments)})


@login_required
@require_GET
def customer_members(request: HttpRequest, pk: int) -> HttpResponse:
    """The members table of the 360 page (HTMX: search and pages without reloading the page)."""
    user = _request_user(request)
    customer = _visible_customer(request, pk)
    context = {"customer": customer, **_members_page(request, user, customer)}
    return render(request, "customers/_members.html", context)


# ---------------------------------------------------------------------------------------------- edit


def _form_page(request: HttpRequest, customer: Customer, form: Any, title: str, anchor: str = "") -> HttpResponse:
    context = {"customer": customer, "form": form, "title": title, "cancel_url": _detail_url(customer, anchor)}
    return render(request, "customers/form.html", context, status=400 if form.is_bound else 200)


def _detail_url(customer: Customer, anchor: str = "") -> str:
    url = reverse("customers:detail", args=[customer.pk])
    return f"{url}#{anchor}" if anchor else url


def _save(form: Any, write: Callable[[], Any]) -> bool:
    """Run a service write; map its refusals onto the form. True when it succeeded."""
    try:
        write()
    except ValidationError as exc:
        apply_service_error(form, exc)
        return False
    except BusinessRuleError as exc:
        if exc.status == 403:
            raise PermissionDenied(exc.message) from exc
        form.add_error(None, exc.message)
        return False
    return True


@login_required
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _request_user(request)
    customer = _writable_customer(request, pk)
    form = CustomerForm(request.POST or None, instance=Customer.objects.get(pk=customer.pk), user=user)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        if _save(form, lambda: services.update_customer(user, customer, **data)):
            messages.success(request, _("客户档案已保存"))
            return redirect(_detail_url(customer, "history"))
    return _form_page(request, customer, form, _("编辑客户档案"), "profile")


@login_required
def key_person_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = _request_user(request)
    customer = _writable_customer(request, pk)
    form = KeyPersonForm(request.POST or None, instance=KeyPerson(customer=customer), user=user)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.fields}
        if _save(form, lambda: services.add_key_person(user, customer, **data)):
            messages.success(request, _("关键人已添加"))
            return redirect(_detail_url(customer, "key-persons"))
    return _form_page(request, customer, form, _("添加关键人"), "key-persons")


@login_required
def key_person_edit(request: HttpRequest, pk: int, person_pk: int) -> HttpResponse:
    user = _request_user(request)
    customer = _writable_customer(request, pk)
    person = get_object_or_404(KeyPerson.objects.restrict(user, "change"), pk=person_pk, customer=customer)
    form = KeyPersonForm(request.POST or None, instance=KeyPerson.objects.get(pk=person.pk), user=user)
    if request.method == "POST" and form.is_valid():
        note = form.cleaned_data.get("note", "")
        data = {name: form.cleaned_data[name] for name in form.changed_data if name != "note"}
        if _save(form, lambda: services.update_key_person(user, person, note=note, **data)):
            messages.success(request, _("关键人已保存"))
            return redirect(_detail_url(customer, "key-persons"))
    return _form_page(request, customer, form, _("编辑关键人"), "key-persons")


@login_required
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = _request_user(request)
    customer = _writable_customer(request, pk)
    form = MemberForm(request.POST or None, instance=Member(customer=customer))
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.fields}
        if _save(form, lambda: services.add_member(user, customer, **data)):
            messages.success(request, _("成员已添加"))
            return redirect(_detail_url(customer, "members"))
    return _form_page(request, customer, form, _("添加成员"), "members")


@login_required
def key_event_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = _request_user(request)
    customer = _writable_customer(request, pk)
    form = KeyEventForm(request.POST or None, instance=KeyEvent(customer=customer))
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.fields}
        if _save(form, lambda: services.add_key_event(user, customer, **data)):
            messages.success(request, _("大事记已添加"))
            return redirect(_detail_url(customer, "events"))
    return _form_page(request, customer, form, _("添加大事记"), "events")
