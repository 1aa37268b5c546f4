"""Tiering screens: scorecards (read by all, edited by the province), batch re-tiering with a polled
progress bar, and the customer page's tier panel with HTMX actions. Thin: services do the work."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from jike.core.errors import BusinessRuleError
from jike.core.http import staff as _user
from jike.core.models import Job
from jike.customers import tiering
from jike.customers.models import CriterionKey, Customer, Scorecard, ScorecardStatus

PANEL = "customers/tiering/_customer_tier.html"


def _error_text(exc: ValidationError | BusinessRuleError) -> str:
    if isinstance(exc, BusinessRuleError):
        return exc.message
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    return " ".join(exc.messages)


# ---------------------------------------------------------------- scorecards


@login_required
@require_GET
def scorecard_list(request: HttpRequest) -> HttpResponse:
    cards = Scorecard.objects.order_by("-version").select_related("created_by")
    return render(request, "customers/tiering/scorecard_list.html", {"cards": cards})


@login_required
@require_POST
def scorecard_create(request: HttpRequest) -> HttpResponse:
    if not _user(request).can_configure:
        raise PermissionDenied
    card = tiering.create_draft(_user(request))
    messages.success(request, _("已创建草稿 v%(version)s") % {"version": card.version})
    return redirect("tiering:scorecard", pk=card.pk)


def _bands_text(bands: list[dict[str, Any]]) -> str:
    return ", ".join(f"{b['min']}:{b['points']}" for b in bands)


def _parse_bands(text: str, key: str) -> list[dict[str, str]]:
    bands = []
    for part in text.replace("，", ",").split(","):
        if not part.strip():
            continue
        low, sep, points = part.replace("：", ":").partition(":")
        if not sep:
            raise ValidationError({key: _("分档格式为 下限:得分，用逗号分隔")})
        bands.append({"min": low.strip(), "points": points.strip()})
    return bands


def _parse_grades(text: str) -> list[dict[str, str]]:
    grades = []
    for line in text.splitlines():
        parts = line.replace(",", " ").split()
        if not parts:
            continue
        if len(parts) != 3:
            raise ValidationError({"grades": _("每行一个等级：细分等级 等级 最低分")})
        grades.append({"grade": parts[0], "tier": parts[1].upper(), "min_score": parts[2]})
    return grades


def _form_rows(card: Scorecard) -> tuple[list[dict[str, Any]], str]:
    current = {c.key: c for c in card.criteria.all()}
    rows = [
        {
            "key": key,
            "label": label,
            "weight": current[key].weight if key in current else "",
            "bands": _bands_text(current[key].bands) if key in current else "",
        }
        for key, label in CriterionKey.choices
    ]
    grades = "\n".join(f"{g.grade} {g.tier} {g.min_score}" for g in card.grades.order_by("-min_score"))
    return rows, grades


@login_required
def scorecard_detail(request: HttpRequest, pk: int) -> HttpResponse:
    card = get_object_or_404(Scorecard, pk=pk)
    editable = card.status == ScorecardStatus.DRAFT and _user(request).can_configure
    rows, grades_text = _form_rows(card)
    status_code = 200
    error = ""
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        rows = [
            {
                "key": key,
                "label": label,
                "weight": request.POST.get(f"weight_{key}", "").strip(),
                "bands": request.POST.get(f"bands_{key}", ""),
            }
            for key, label in CriterionKey.choices
        ]
        grades_text = request.POST.get("grades", "")
        try:
            criteria = [
                {"key": r["key"], "weight": r["weight"], "bands": _parse_bands(r["bands"], r["key"])}
                for r in rows
                if r["weight"] not in ("", "0")
            ]
            tiering.update_draft(
                _user(request),
                card,
                name=request.POST.get("name", card.name),
                note=request.POST.get("note", card.note),
                criteria=criteria,
                grades=_parse_grades(grades_text),
            )
        except (ValidationError, BusinessRuleError) as exc:
            error, status_code = _error_text(exc), 400
        else:
            messages.success(request, _("草稿已保存"))
            return redirect("tiering:scorecard", pk=card.pk)
    total_weight = sum((Decimal(c.weight) for c in card.criteria.all()), Decimal(0))
    context = {
        "card": card,
        "editable": editable,
        "rows": rows,
        "grades_text": grades_text,
        "error": error,
        "criteria": [
            {"c": c, "share": (100 * c.weight / total_weight) if total_weight else 0} for c in card.criteria.all()
        ],
    }
    return render(request, "customers/tiering/scorecard_detail.html", context, status=status_code)


@login_required
@require_POST
def scorecard_activate(request: HttpRequest, pk: int) -> HttpResponse:
    card = get_object_or_404(Scorecard, pk=pk)
    try:
        tiering.activate(_user(request), card)
    except BusinessRuleError as exc:
        if exc.status == 403:
            raise PermissionDenied from exc
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("评分卡 v%(version)s 已生效，请运行批量重新定级") % {"version": card.version})
    return redirect("tiering:scorecard", pk=card.pk)


# ---------------------------------------------------------------- batch re-tiering


@login_required
def retier(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not user.can_manage:
        raise PermissionDenied
    if request.method == "POST":
        try:
            started = tiering.retier(
                user,
                user,
                request.POST.get("reason", ""),
                include_overridden=bool(request.POST.get("include_overridden")),
            )
        except (ValidationError, BusinessRuleError) as exc:
            messages.error(request, _error_text(exc))
            return redirect("tiering:retier")
        return redirect(f"{request.path}?job={started.pk}")
    job: Job | None = None
    if request.GET.get("job", "").isdigit():
        job = get_object_or_404(Job, pk=int(request.GET["job"]), created_by=user, kind="customers.retier")
    recent = Job.objects.filter(created_by=user, kind="customers.retier").order_by("-created_at")[:10]
    context = {"job": job, "recent": recent, "active": Scorecard.objects.filter(status=ScorecardStatus.ACTIVE).first()}
    return render(request, "customers/tiering/retier.html", context)


@login_required
@require_GET
def retier_progress(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(Job, pk=pk, created_by=_user(request), kind="customers.retier")
    return render(request, "customers/tiering/_retier_progress.html", {"job": job})


# ---------------------------------------------------------------- customer panel


def _customer(request: HttpRequest, pk: int, write: bool) -> Customer:
    customer = Customer.objects.restrict(_user(request)).filter(pk=pk).first()
    if customer is None:
        raise Http404
    if write and not Customer.objects.restrict(_user(request), "change").filter(pk=pk).exists():
        raise PermissionDenied
    return customer


def render_tier_panel(request: HttpRequest, customer: Customer, **extra: Any) -> str:
    """The panel's HTML for a scope-checked customer (usable with jike.web.registry.register_panel)."""
    context = {"customer": customer, "tier_loaded": True, **tiering.tier_panel_context(customer), **extra}
    return render_to_string(PANEL, context, request=request)


@login_required
@require_GET
def customer_panel(request: HttpRequest, pk: int) -> HttpResponse:
    return HttpResponse(render_tier_panel(request, _customer(request, pk, write=False)))


@login_required
@require_POST
def customer_recompute(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer(request, pk, write=True)
    extra: dict[str, Any] = {}
    try:
        outcome = tiering.assign_tier(_user(request), customer, request.POST.get("reason", ""))
    except (ValidationError, BusinessRuleError) as exc:
        extra["tier_error"] = _error_text(exc)
    else:
        extra["tier_notice"] = (
            _("等级已更新为 %(grade)s") % {"grade": outcome.result.grade}
            if outcome.changed
            else _("等级未变化（%(grade)s）") % {"grade": outcome.result.grade}
        )
    customer.refresh_from_db()
    return HttpResponse(render_tier_panel(request, customer, **extra))


@login_required
@require_POST
def customer_assign_team(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer(request, pk, write=True)
    extra: dict[str, Any] = {}
    try:
        extra["team_report"] = tiering.assign_team(_user(request), customer)
    except BusinessRuleError as exc:
        extra["tier_error"] = exc.message
    return HttpResponse(render_tier_panel(request, customer, **extra))
