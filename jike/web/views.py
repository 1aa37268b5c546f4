"""The shell's own pages: login/logout and the home dashboard (KPI cards + ECharts)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q, Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from jike.core import cache as data_cache
from jike.core.http import staff as _user
from jike.core.models import User
from jike.customers.choices import Industry, MemberStatus, PaymentMode, Tier
from jike.customers.models import Customer, Member


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("web:login")


T = TypeVar("T")


def cached(name: str, user: User, compute: Callable[[], T]) -> T:
    """Dashboard aggregates scan the whole scope (millions of members at province level), so they
    are cached per scope for JIKE_DASHBOARD_CACHE_SECONDS (0 turns the cache off)."""
    seconds = int(getattr(settings, "JIKE_DASHBOARD_CACHE_SECONDS", 120))
    if seconds <= 0:
        return compute()
    return data_cache.cached(["dashboard", name, get_language(), data_cache.scope_key(user)], compute, seconds)


def kpis(user: User) -> dict[str, Any]:
    """Headline figures of the user's scope in one aggregate query over the customer counters."""
    agg = Customer.objects.restrict(user).aggregate(
        customers=Count("id"),
        members=Sum("member_count"),
        unified=Sum("unified_member_count"),
        revenue=Sum("monthly_spend"),
        tier_a=Count("id", filter=Q(tier=Tier.A)),
    )
    members = agg["members"] or 0
    unified = agg["unified"] or 0
    return {
        "customers": agg["customers"],
        "tier_a": agg["tier_a"],
        "members": members,
        "unified_members": unified,
        "unified_share": round(100 * unified / members, 1) if members else 0.0,
        "revenue": agg["revenue"] or Decimal("0"),
        "as_of": timezone.now(),
    }


def chart_data(user: User) -> dict[str, Any]:
    """One GROUP BY per chart, each over the user's scope only."""
    customers = Customer.objects.restrict(user)
    tier_labels = dict(Tier.choices)
    by_tier = {row["tier"]: row["n"] for row in customers.order_by().values("tier").annotate(n=Count("id"))}
    tiers = [
        {"code": code, "name": str(tier_labels[code]), "value": by_tier.get(code, 0)}
        for code in Tier.values
        if by_tier.get(code)
    ]
    if by_tier.get(""):
        tiers.append({"code": "", "name": _("未定级"), "value": by_tier[""]})

    industry_labels = dict(Industry.choices)
    industries = [
        {"code": row["industry"], "name": str(industry_labels.get(row["industry"], row["industry"])), "value": row["n"]}
        for row in customers.order_by().values("industry").annotate(n=Count("id")).order_by("-n")
    ]
    cities = [
        {"code": row["city_id"], "name": row["city__name"], "value": row["n"], "spend": float(row["spend"] or 0)}
        for row in customers.order_by()
        .values("city_id", "city__name", "city__code")
        .annotate(n=Count("id"), spend=Sum("monthly_spend"))
        .order_by("city__code")
    ]
    mode_labels = dict(PaymentMode.choices)
    members = (
        Member.objects.restrict(user)
        .exclude(status=MemberStatus.LEFT)
        .order_by()
        .values("payment_mode")
        .annotate(n=Count("id"))
    )
    by_mode = {row["payment_mode"]: row["n"] for row in members}
    payment = [
        {"code": code, "name": str(mode_labels[code]), "value": by_mode[code]}
        for code in PaymentMode.values
        if by_mode.get(code)
    ]
    return {
        "tier": tiers,
        "industry": industries,
        "city": cities,
        "payment": payment,
        "as_of": timezone.now().isoformat(),
    }


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    labels = {"customers": _("客户数"), "spend": _("月消费(元)")}
    user = _user(request)
    return render(request, "web/home.html", {"kpi": cached("kpi", user, lambda: kpis(user)), "chart_labels": labels})


@login_required
@require_GET
def dashboard_data(request: HttpRequest) -> JsonResponse:
    user = _user(request)
    return JsonResponse(cached("charts", user, lambda: chart_data(user)))
