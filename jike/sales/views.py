"""Sales pages: pipeline board, opportunity detail/new, forecast, campaigns. Thin: scope via restrict(),
writes via services; refusals are shown as messages (or JSON for the board's drag and drop)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jike.core.errors import BusinessRuleError
from jike.core.http import staff as _user
from jike.customers.choices import Industry
from jike.customers.models import Customer
from jike.sales import cache as pipeline_cache
from jike.sales import campaigns, reports, services
from jike.sales.filtersets import OpportunityFilterSet
from jike.sales.forms import AttitudeForm, CampaignForm, InfluencerForm, NextStepForm, OpportunityForm, PositionForm
from jike.sales.models import OPEN_STAGES, Campaign, Influencer, NextStep, Opportunity, Stage
from jike.web.registry import can_change


def _error_text(exc: Exception) -> str:
    if isinstance(exc, BusinessRuleError):
        return exc.message
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    return str(exc)


def _run(request: HttpRequest, fn: Callable[[], Any], ok: str) -> bool:
    try:
        fn()
    except (BusinessRuleError, ValidationError) as exc:
        messages.error(request, _error_text(exc))
        return False
    messages.success(request, ok)
    return True


@login_required
def board(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    fs = OpportunityFilterSet(request.GET or None, queryset=Opportunity.objects.restrict(user))
    qs = fs.qs if fs.is_bound and fs.is_valid() else Opportunity.objects.restrict(user)
    # The rendered columns are cached (per scope, filter and language): rendering 200 cards costs
    # more than the queries. Nothing user-specific is inside the fragment.
    params = {**request.GET.dict(), "lang": get_language()}
    html = pipeline_cache.cached(
        "board-html",
        user,
        params,
        lambda: render_to_string("sales/_board_columns.html", {"columns": reports.board(qs)}),
    )
    ctx = {"columns_html": mark_safe(html), "filter": fs, "can_write": user.can_write}
    return render(request, "sales/board.html", ctx)


@login_required
@require_POST
def move(request: HttpRequest, pk: int) -> JsonResponse:
    """The board's drop target: moves through the service; a refusal answers 409 with the reason."""
    opp = get_object_or_404(Opportunity.objects.restrict(_user(request)), pk=pk)
    try:
        opp = services.move_stage(
            _user(request), opp, request.POST.get("stage", ""), lost_reason=request.POST.get("lost_reason", "")
        )
    except BusinessRuleError as exc:
        return JsonResponse({"ok": False, "code": exc.code, "message": exc.message}, status=exc.status)
    except ValidationError as exc:
        return JsonResponse({"ok": False, "code": "invalid", "message": _error_text(exc)}, status=400)
    return JsonResponse({"ok": True, "stage": opp.stage, "probability": opp.probability})


@login_required
def opportunity_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = OpportunityForm(request.POST or None, user=user, initial={"customer": request.GET.get("customer")})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        lines = []
        if d["product"] is not None:
            lines = [{"product": d["product"], "quantity": d["quantity"] or 1,
                      "monthly_revenue": d["monthly_revenue"] or Decimal(0)}]  # fmt: skip
        try:
            opp = services.create_opportunity(
                user, d["customer"], title=d["title"], source=d["source"], campaign=d["campaign"],
                estimated_revenue=d["estimated_revenue"], expected_close=d["expected_close"], lines=lines,
                main_competitor=d["main_competitor"], description=d["description"],
            )  # fmt: skip
        except (BusinessRuleError, ValidationError) as exc:
            form.add_error(None, _error_text(exc))
        else:
            messages.success(request, _("商机已登记：%(number)s") % {"number": opp.number})
            return redirect("sales:detail", pk=opp.pk)
    return render(request, "sales/opportunity_form.html", {"form": form})


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    opp = get_object_or_404(
        reports.with_stale(Opportunity.objects.restrict(user)).select_related("customer", "owner", "main_competitor"),
        pk=pk,
    )
    influencers = opp.influencers.select_related("key_person").prefetch_related("key_person__attitude_history")
    ctx = {
        "opp": opp,
        "lines": opp.lines.select_related("product"),
        "influencers": [
            (i, AttitudeForm(initial={"attitude": i.key_person.attitude}, prefix=f"i{i.pk}")) for i in influencers
        ],
        "stages": opp.stage_history.select_related("actor"),
        "positions": opp.position_history.select_related("actor", "competitor"),
        "next_steps": opp.next_steps.select_related("owner"),
        "step_form": NextStepForm(),
        "position_form": PositionForm(initial={"position": opp.position, "competitor": opp.main_competitor}),
        "influencer_form": InfluencerForm(customer=opp.customer),
        "can_write": Opportunity.objects.restrict(user, "change").filter(pk=opp.pk).exists(),
        "stage_choices": Stage.choices,
    }
    return render(request, "sales/opportunity_detail.html", ctx)


@login_required
@require_POST
def detail_action(request: HttpRequest, pk: int, what: str) -> HttpResponse:
    user = _user(request)
    opp = get_object_or_404(Opportunity.objects.restrict(user), pk=pk)
    form: Any = None
    if what == "step":
        form = NextStepForm(request.POST)
        if form.is_valid():
            _run(request, lambda: services.add_next_step(user, opp, **form.cleaned_data), _("已添加下一步行动"))
    elif what == "position":
        form = PositionForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            _run(request, lambda: services.update_position(user, opp, d["position"], competitor=d["competitor"],
                                                          note=d["note"]), _("已记录我方态势"))  # fmt: skip
    elif what == "influencer":
        form = InfluencerForm(request.POST, customer=opp.customer)
        if form.is_valid():
            d = form.cleaned_data
            _run(request, lambda: services.add_influencer(user, opp, d["key_person"], deal_role=d["deal_role"]),
                 _("已添加关键影响人"))  # fmt: skip
    elif what == "stage":
        _run(request, lambda: services.move_stage(user, opp, request.POST.get("stage", ""),
                                                  lost_reason=request.POST.get("lost_reason", "")), _("阶段已更新"))  # fmt: skip
    else:
        return HttpResponse(status=404)
    if form is not None and form.errors:
        messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
    return redirect("sales:detail", pk=opp.pk)


@login_required
@require_POST
def influencer_attitude(request: HttpRequest, pk: int) -> HttpResponse:
    inf = get_object_or_404(Influencer.objects.restrict(_user(request)).select_related("opportunity"), pk=pk)
    form = AttitudeForm(request.POST, prefix=f"i{inf.pk}")
    if form.is_valid():
        _run(request, lambda: services.update_influencer(_user(request), inf, attitude=form.cleaned_data["attitude"],
                                                         note=form.cleaned_data["note"]), _("态度已更新"))  # fmt: skip
    return redirect("sales:detail", pk=inf.opportunity_id)


@login_required
@require_POST
def step_done(request: HttpRequest, pk: int) -> HttpResponse:
    step = get_object_or_404(NextStep.objects.restrict(_user(request)), pk=pk)
    _run(request, lambda: services.complete_next_step(_user(request), step, True), _("已完成"))
    return redirect("sales:detail", pk=step.opportunity_id)


@login_required
def forecast(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    group_by = request.GET.get("group_by", "month")
    if group_by not in reports.GROUPS:
        group_by = "month"
    fs = OpportunityFilterSet(request.GET or None, queryset=Opportunity.objects.restrict(user))
    qs = fs.qs if fs.is_bound and fs.is_valid() else Opportunity.objects.restrict(user)
    rows = pipeline_cache.cached("forecast", user, request.GET, lambda: reports.forecast(qs, group_by))
    if group_by != "month":
        rows = _top_rows(rows)
    chart = {
        "labels": [r["label"] for r in rows],
        "amount": [float(r["amount"]) for r in rows],
        "weighted": [float(r["weighted"]) for r in rows],
    }
    ctx = {
        "rows": rows,
        "group_by": group_by,
        "groups": [
            ("month", _("按月份")),
            ("city", _("按市公司")),
            ("industry", _("按行业")),
            ("manager", _("按负责人")),
        ],
        "chart": chart,
        "total_weighted": sum((r["weighted"] for r in rows), Decimal(0)),
        "total_amount": sum((r["amount"] for r in rows), Decimal(0)),
        "industries": Industry.choices,
        "filter": fs,
    }
    return render(request, "sales/forecast.html", ctx)


FORECAST_ROWS = 50


def _top_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A province has ~1,000 owners: show the 50 largest weighted rows and fold the rest into one,
    so the page stays readable and renders in milliseconds (totals are unchanged)."""
    if len(rows) <= FORECAST_ROWS + 1:
        return rows
    ranked = sorted(rows, key=lambda r: r["weighted"], reverse=True)
    top, rest = ranked[:FORECAST_ROWS], ranked[FORECAST_ROWS:]
    other = {
        "key": "other",
        "label": _("其他 %(n)d 项") % {"n": len(rest)},
        "count": sum(r["count"] for r in rest),
        "amount": sum((r["amount"] for r in rest), Decimal(0)),
        "weighted": sum((r["weighted"] for r in rest), Decimal(0)),
    }
    return [*top, other]


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    rows = Campaign.objects.restrict(user).select_related("org_unit")
    form = CampaignForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            c = campaigns.create_campaign(user, **form.cleaned_data)
        except (BusinessRuleError, ValidationError) as exc:
            form.add_error(None, _error_text(exc))
        else:
            messages.success(request, _("营销活动已创建"))
            return redirect("sales:campaign", pk=c.pk)
    return render(request, "sales/campaign_list.html", {"rows": rows, "form": form, "can_manage": user.can_manage})


@login_required
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    c = get_object_or_404(Campaign.objects.restrict(user).select_related("org_unit", "approved_by"), pk=pk)
    if request.method == "POST":
        action = request.POST.get("action")
        fns: dict[str, Callable[[], Any]] = {
            "submit": lambda: campaigns.submit_campaign(user, c),
            "approve": lambda: campaigns.approve_campaign(user, c, request.POST.get("note", "")),
            "reject": lambda: campaigns.approve_campaign(user, c, request.POST.get("note", ""), approve=False),
            "start": lambda: campaigns.start_campaign(user, c),
            "close": lambda: campaigns.close_campaign(user, c),
        }
        if action in fns:
            _run(request, fns[action], _("已更新"))
        return redirect("sales:campaign", pk=c.pk)
    opps = Opportunity.objects.restrict(user).filter(campaign=c).select_related("customer")[:100]
    return render(
        request,
        "sales/campaign_detail.html",
        {"c": c, "results": campaigns.campaign_results(user, c), "opps": opps, "can_manage": user.can_manage},
    )


def customer_panel(request: HttpRequest, customer: Customer) -> str:
    """Customer 360 panel: the customer's open opportunities (customer already scope-checked)."""
    user = _user(request)
    opps = list(
        reports.with_stale(Opportunity.objects.restrict(user).filter(customer=customer, stage__in=OPEN_STAGES))
        .select_related("owner")
        .order_by("expected_close")[:20]
    )
    can_add = can_change(request, customer)
    return render_to_string(
        "sales/panel.html",
        {"opps": opps, "customer": customer, "can_add": can_add, "new_url": reverse("sales:new")},
        request=request,
    )
