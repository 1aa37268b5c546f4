"""Import pages: recent jobs and the upload form, a job page polling progress (HTMX), rejects."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _

from jike.core.errors import BusinessRuleError
from jike.customers import importers
from jike.customers.api.imports import rejects_download
from jike.customers.importers.mapping import FIELDS
from jike.customers.importers.report import shown_value
from jike.customers.models import ImportJob, ImportKind, ImportMode, ImportReject, ImportStatus

FINISHED = {ImportStatus.SUCCEEDED, ImportStatus.REJECTED, ImportStatus.FAILED}


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("导入类型"), choices=ImportKind.choices)
    file = forms.FileField(label=_("文件（CSV 或 XLSX）"))
    mode = forms.ChoiceField(label=_("模式"), choices=ImportMode.choices, initial=ImportMode.ALL_OR_NOTHING)
    dry_run = forms.BooleanField(label=_("试运行（只校验，不写入）"), required=False)
    mapping = forms.CharField(
        label=_("列映射（可选，JSON）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": '{"客户证件号": "credit_code", "服务号码": "msisdn"}'}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            css = "form-control"
            if name == "dry_run":
                css = "form-check-input"
            elif isinstance(field, forms.ChoiceField):
                css = "form-select"
            field.widget.attrs.setdefault("class", css)

    def clean_mapping(self) -> dict[str, Any]:
        text = self.cleaned_data["mapping"].strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(_("列映射不是有效的 JSON")) from exc
        if not isinstance(value, dict):
            raise forms.ValidationError(_("列映射应为 JSON 对象"))
        return value


def _manager(request: HttpRequest) -> Any:
    user = request.user
    if not getattr(user, "can_manage", False):
        raise PermissionDenied
    return user


def _job(request: HttpRequest, pk: int) -> ImportJob:
    return get_object_or_404(ImportJob, pk=pk, created_by_id=request.user.pk)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    user = _manager(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            job = importers.create_job(
                user, data["kind"], data["file"], mode=data["mode"], dry_run=data["dry_run"], mapping=data["mapping"]
            )
        except BusinessRuleError as exc:
            form.add_error("mapping" if exc.code == "bad_mapping" else None, exc.message)
        else:
            importers.start(job)
            return redirect("imports:detail", pk=job.pk)
    jobs = ImportJob.objects.filter(created_by_id=user.pk).order_by("-created_at", "-id")[:20]
    fields = {kind: [(f.label, f.name, f.required) for f in specs] for kind, specs in FIELDS.items()}
    return render(request, "customers/imports/index.html", {"form": form, "jobs": jobs, "fields": fields})


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    _manager(request)
    job = _job(request, pk)
    page = Paginator(ImportReject.objects.filter(job=job).order_by("row_number", "id"), 50).get_page(
        request.GET.get("page")
    )
    rows = [(r, shown_value(request.user, job, r)) for r in page.object_list]
    return render(
        request,
        "customers/imports/detail.html",
        {"job": job, "page": page, "rows": rows, "finished": job.status in FINISHED},
    )


@login_required
def progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress block HTMX polls every second; once the job ends the page reloads for the rejects."""
    _manager(request)
    job = _job(request, pk)
    finished = job.status in FINISHED
    response = render(request, "customers/imports/_progress.html", {"job": job, "finished": finished})
    if finished and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response


@login_required
def download(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    _manager(request)
    return rejects_download(request.user, _job(request, pk))
