"""The rejects report: a CSV with a UTF-8 BOM so Excel opens the Chinese text correctly."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from jike.core.masking import phone_for
from jike.customers.models import ImportJob, ImportReject

HEADER = ["行号", "列", "值", "原因"]


def shown_value(user: Any, job: ImportJob, reject: ImportReject) -> str:
    """Phone numbers in rejects are personal data: masked for roles that may not see them (PIPL)."""
    if (
        user is not None
        and job.kind == "members"
        and reject.column
        and reject.value.isdigit()
        and len(reject.value) >= 7
    ):
        return phone_for(user, reject.value)
    return reject.value


def write_rejects_csv(job: ImportJob, user: Any) -> Iterator[bytes]:
    """Yields the file in pieces (a job can have many rejects); `user` None means unmasked (CLI)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(HEADER)
    yield b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")
    qs = ImportReject.objects.filter(job=job).order_by("row_number", "id")
    batch: list[ImportReject] = []
    for reject in qs.iterator(chunk_size=5000):
        batch.append(reject)
        if len(batch) == 5000:
            yield _rows(job, user, batch)
            batch = []
    if batch:
        yield _rows(job, user, batch)


def _rows(job: ImportJob, user: Any, rejects: list[ImportReject]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    for r in rejects:
        writer.writerow([r.row_number, r.column, shown_value(user, job, r), r.reason])
    return buf.getvalue().encode("utf-8")


__all__ = ["HEADER", "shown_value", "write_rejects_csv"]
