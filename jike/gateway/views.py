"""Gateway pages: SMS accounts (scoped like their customers), the province's routes, connectors and global
lists, the snapshot download, and the customer-page panel with accounts and monthly charges.
Thin: reads through restrict()/filtersets, writes through services."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jike.catalog.forms import style
from jike.core.errors import BusinessRuleError
from jike.core.http import staff
from jike.core.models import AuditLog
from jike.customers.models import Customer
from jike.web.registry import can_change

from . import services
from .filtersets import SmsAccountFilterSet
from .forms import ConnectorForm, GlobalListForm, PasswordForm, RouteForm, SmsAccountForm
from .models import Connector, GlobalListEntry, ListKind, MonthlyCharge, Route, SmsAccount
from .snapshot import build_snapshot


def _apply_errors(form: Form, exc: ValidationError | BusinessRuleError, aliases: dict[str, str] | None = None) -> None:
    """Service errors onto the form: field messages on their field, the rest on top."""
    if isinstance(exc, BusinessRuleError):
        form.add_error(None, exc.message)
        return
    by_field: dict[str, list[str]] = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    for name, errors in by_field.items():
        field = (aliases or {}).get(name, name)
        target = field if field in form.fields else None
        for error in errors:
            form.add_error(target, error)


def _require_configurer(request: HttpRequest) -> None:
    if not staff(request).can_configure:
        raise PermissionDenied


@login_required
def account_list(request: HttpRequest) -> HttpResponse:
    qs = SmsAccount.objects.restrict(staff(request)).select_related("customer", "product")
    fs = SmsAccountFilterSet(request.GET or None, queryset=qs)
    style(fs.form)
    page = Paginator(fs.qs.order_by("system_id"), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "gateway/account_list.html",
        {"filter": fs, "page": page, "query": query.urlencode(), "can_configure": staff(request).can_configure},
    )


@login_required
def account_create(request: HttpRequest) -> HttpResponse:
    user = staff(request)
    customer = None
    if request.GET.get("customer"):
        customer = get_object_or_404(Customer.objects.restrict(user), pk=request.GET["customer"])
    initial = {"customer_code": customer.credit_code} if customer else {}
    form = SmsAccountForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["customer_code"].strip().upper()
        target = Customer.objects.restrict(user).filter(credit_code=code).first()
        if target is None:
            form.add_error("customer_code", _("没有找到该客户，或不在您的权限范围内"))
        else:
            try:
                account = services.create_account(
                    user,
                    target,
                    system_id=form.cleaned_data["system_id"],
                    password=form.cleaned_data["password"],
                    **form.service_data(),
                )
            except (ValidationError, BusinessRuleError) as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("已开通短信账号 %(id)s") % {"id": account.system_id})
                return redirect("gateway:account", pk=account.pk)
    return render(request, "gateway/account_form.html", {"form": form, "customer": customer, "account": None})


@login_required
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff(request)
    account = get_object_or_404(SmsAccount.objects.restrict(user).select_related("customer", "product"), pk=pk)
    can_write = can_change(request, account.customer)
    form = SmsAccountForm(request.POST or None, editing=True, initial=SmsAccountForm.initial_for(account))
    if not can_write:
        for field in form.fields.values():
            field.disabled = True
    if request.method == "POST":
        if not can_write:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.update_account(user, account, **form.service_data())
            except (ValidationError, BusinessRuleError) as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("已保存"))
                return redirect("gateway:account", pk=account.pk)
    return render(
        request,
        "gateway/account_form.html",
        {
            "form": form,
            "account": account,
            "customer": account.customer,
            "can_write": can_write,
            "password_form": PasswordForm(),
            "history": AuditLog.objects.filter(object_type="gateway.smsaccount", object_id=str(account.pk)).order_by(
                "-id"
            )[:20],
        },
    )


@login_required
@require_POST
def account_status(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff(request)
    account = get_object_or_404(SmsAccount.objects.restrict(user), pk=pk)
    try:
        if request.POST.get("status") == "suspended":
            services.suspend_account(user, account, request.POST.get("reason", ""))
            messages.success(request, _("账号已暂停，下次下发配置后生效"))
        else:
            services.activate_account(user, account)
            messages.success(request, _("账号已恢复"))
    except (ValidationError, BusinessRuleError) as exc:
        messages.error(request, getattr(exc, "message", None) or "; ".join(getattr(exc, "messages", [])))
    return redirect("gateway:account", pk=account.pk)


@login_required
@require_POST
def account_password(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff(request)
    account = get_object_or_404(SmsAccount.objects.restrict(user), pk=pk)
    form = PasswordForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError({"password": _("请输入新密码")})
        services.set_password(user, account, form.cleaned_data["password"])
        messages.success(request, _("密码已重置"))
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    except BusinessRuleError as exc:
        messages.error(request, exc.message)
    return redirect("gateway:account", pk=account.pk)


@login_required
def routes(request: HttpRequest) -> HttpResponse:
    """Province page: routes (number segment -> connectors) and the connectors."""
    _require_configurer(request)
    user = staff(request)
    route_form = RouteForm(request.POST if request.POST.get("form") == "route" else None)
    connector_form = ConnectorForm(request.POST if request.POST.get("form") == "connector" else None)
    if request.method == "POST":
        try:
            if request.POST.get("delete_route"):
                services.delete_route(user, get_object_or_404(Route, pk=request.POST["delete_route"]))
                messages.success(request, _("路由已删除"))
                return redirect("gateway:routes")
            if request.POST.get("delete_connector"):
                services.delete_connector(user, get_object_or_404(Connector, pk=request.POST["delete_connector"]))
                messages.success(request, _("连接已删除"))
                return redirect("gateway:routes")
            if route_form.is_bound and route_form.is_valid():
                data = route_form.cleaned_data
                prefix = data["route_prefix"].strip()
                existing = Route.objects.filter(prefix=prefix).first()
                if existing is not None and request.POST.get("replace"):
                    services.update_route(user, existing, connectors=data["connectors"], notes=data["notes"])
                else:
                    services.create_route(user, prefix=prefix, connectors=data["connectors"], notes=data["notes"])
                messages.success(request, _("路由已保存"))
                return redirect("gateway:routes")
            if connector_form.is_bound and connector_form.is_valid():
                services.create_connector(user, **connector_form.cleaned_data)
                messages.success(request, _("连接已添加"))
                return redirect("gateway:routes")
        except (ValidationError, BusinessRuleError) as exc:
            if isinstance(exc, BusinessRuleError):
                messages.error(request, exc.message)
            else:
                if connector_form.is_bound:
                    _apply_errors(connector_form, exc)
                else:
                    _apply_errors(route_form, exc, {"prefix": "route_prefix"})
    return render(
        request,
        "gateway/routes.html",
        {
            "routes": sorted(Route.objects.all(), key=lambda r: (-len(r.prefix), r.prefix)),
            "connectors": Connector.objects.order_by("name"),
            "route_form": route_form,
            "connector_form": connector_form,
        },
    )


@login_required
def global_lists(request: HttpRequest) -> HttpResponse:
    _require_configurer(request)
    user = staff(request)
    form = GlobalListForm(request.POST if request.POST.get("form") == "add" else None)
    if request.method == "POST":
        try:
            if request.POST.get("delete"):
                services.remove_global_entry(user, get_object_or_404(GlobalListEntry, pk=request.POST["delete"]))
                messages.success(request, _("已删除"))
                return redirect("gateway:lists")
            if form.is_bound and form.is_valid():
                values = form.cleaned_data["values"].splitlines()
                services.add_global_entries(user, form.cleaned_data["kind"], values, form.cleaned_data["notes"])
                messages.success(request, _("已添加"))
                return redirect("gateway:lists")
        except (ValidationError, BusinessRuleError) as exc:
            _apply_errors(form, exc)
    entries = GlobalListEntry.objects.order_by("value")
    kind = request.GET.get("kind")
    q = (request.GET.get("q") or "").strip()
    if kind in ListKind.values:
        entries = entries.filter(kind=kind)
    if q:
        entries = entries.filter(value__icontains=q)
    page = Paginator(entries, 100).get_page(request.GET.get("page"))
    return render(request, "gateway/lists.html", {"form": form, "page": page, "kind": kind or "", "q": q})


@login_required
def snapshot_download(request: HttpRequest) -> HttpResponse:
    _require_configurer(request)
    data = build_snapshot()
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=1), content_type="application/json; charset=utf-8"
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="gateway-snapshot-{stamp}.json"'
    return response


def monthly_charges(customer: Customer, months: int = 6) -> list[MonthlyCharge]:
    """The customer's last rated months (from `jike gateway rate`); none where the table is absent."""
    if connection.vendor != "postgresql":  # the CDR and charge tables exist on PostgreSQL only
        return []
    rows = MonthlyCharge.objects.filter(enterprise_code=customer.credit_code).order_by("-month", "product")
    recent = list(rows.order_by("-month").values_list("month", flat=True).distinct()[:months])
    return list(rows.filter(month__in=recent)) if recent else []


def customer_panel(request: HttpRequest, customer: Any) -> str:
    """Customer 360 panel: the customer's SMS accounts and its recent monthly charges."""
    user = staff(request)
    accounts = list(SmsAccount.objects.restrict(user).filter(customer=customer).select_related("product"))
    charges = monthly_charges(customer)
    can_write = can_change(request, customer)
    if not accounts and not charges and not can_write:
        return ""
    return render_to_string(
        "gateway/_panel.html",
        {
            "customer": customer,
            "accounts": accounts,
            "charges": charges,
            "total_yuan": f"{Decimal(sum(c.amount_fen for c in charges)) / 100:.2f}",
            "can_write": can_write,
        },
        request=request,
    )
