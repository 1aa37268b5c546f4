"""Tabular exports (CSV with BOM for Excel, XLSX) that are always logged (PIPL)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

import xlsxwriter
from django.http import HttpResponse

from jike.core.middleware import current_request_id
from jike.core.models import ExportLog, User

MAX_EXPORT_ROWS = 200_000


def export_response(
    user: User,
    what: str,
    fmt: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    filters: dict[str, Any],
    pii_unmasked: bool = False,
) -> HttpResponse:
    materialised = list(rows)
    ExportLog.objects.create(
        actor=user,
        request_id=current_request_id.get(),
        what=what,
        format=fmt,
        filters=filters,
        rows=len(materialised),
        pii_unmasked=pii_unmasked,
    )
    if fmt == "csv":
        buf = io.StringIO()
        buf.write("\ufeff")  # BOM: Excel opens UTF-8 Chinese correctly only with it
        writer = csv.writer(buf)
        writer.writerow(headers)
        writer.writerows(materialised)
        response = HttpResponse(buf.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{what}.csv"'
        return response
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "constant_memory": True})
    sheet = book.add_worksheet(what[:31])
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    for col, title in enumerate(headers):
        sheet.write(0, col, title, head)
        sheet.set_column(col, col, max(10, len(str(title)) * 2 + 2))
    for r, row in enumerate(materialised, start=1):
        for c, value in enumerate(row):
            sheet.write(r, c, value if value is not None else "")
    sheet.freeze_panes(1, 0)
    book.close()
    response = HttpResponse(
        out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{what}.xlsx"'
    return response
