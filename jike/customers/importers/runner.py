"""Running an import job: read, validate every row, then write all-or-nothing or partially.

The validation pass runs outside any transaction so its progress is visible to pollers; the write
pass runs in ONE transaction: an exception, a dry run, or rejects in all-or-nothing mode roll it
back, so a failure never leaves half a batch. Member CSV files on PostgreSQL are validated inside
that transaction while their rows stream in with COPY (members.validate_streaming); their progress
is then written through a second connection.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.core.files.base import File
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.utils import timezone

from jike.core import audit
from jike.core.errors import BusinessRuleError
from jike.core.models import User
from jike.customers.importers import customers as customer_import
from jike.customers.importers import members as member_import
from jike.customers.importers.common import Outcome
from jike.customers.importers.errors import FileProblem
from jike.customers.importers.mapping import FIELDS, resolve
from jike.customers.importers.reading import open_table
from jike.customers.models import ImportJob, ImportKind, ImportMode, ImportReject, ImportStatus

log = logging.getLogger(__name__)
ProgressHook = Callable[[int, int], None]
PROGRESS_EVERY = 0.5  # seconds between progress writes to the job row


class _Rollback(Exception):
    """Raised inside the write transaction to undo it (dry run, or rejects in all-or-nothing mode)."""


def check_mapping(kind: str, mapping: Any) -> dict[str, str]:
    if mapping in (None, ""):
        return {}
    if not isinstance(mapping, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
        raise BusinessRuleError("bad_mapping", '列映射应为 {"文件列名": "字段名"} 形式的 JSON 对象')
    known = {f.name for f in FIELDS[kind]}
    unknown = sorted(v for v in mapping.values() if v and v not in known)
    if unknown:
        raise BusinessRuleError(
            "bad_mapping", "列映射中有未知字段：" + "、".join(unknown), {"known_fields": sorted(known)}, status=400
        )
    return dict(mapping)


def create_job(
    actor: User,
    kind: str,
    upload: Any = None,
    *,
    path: Path | None = None,
    mode: str = ImportMode.ALL_OR_NOTHING,
    dry_run: bool = False,
    mapping: Mapping[str, str] | None = None,
    original_name: str = "",
) -> ImportJob:
    """Create the job row; `upload` is a Django uploaded file (stored under MEDIA_ROOT), or `path` a
    local file the CLI reads in place (not copied: member exports can be hundreds of megabytes)."""
    if not actor.can_manage:
        raise BusinessRuleError("forbidden", "只有管理人员可以导入数据 / only managers may import", status=403)
    if kind not in ImportKind.values:
        raise BusinessRuleError("bad_kind", f"未知的导入类型：{kind}", status=400)
    if mode not in ImportMode.values:
        raise BusinessRuleError("bad_mode", f"未知的导入模式：{mode}", status=400)
    job = ImportJob(
        kind=kind,
        mode=mode,
        dry_run=dry_run,
        mapping=check_mapping(kind, dict(mapping or {})),
        created_by=actor,
        original_name=(original_name or (upload.name if upload is not None else path.name if path else ""))[:255],
    )
    if upload is not None:
        job.file.save(Path(upload.name).name, File(upload), save=False)
    elif path is not None:
        job.file.name = f"local:{path.resolve()}"[:100]
    job.save()
    return job


def _path_of(job: ImportJob) -> Path:
    name = job.file.name or ""
    return Path(name.removeprefix("local:")) if name.startswith("local:") else Path(job.file.path)


class _Progress:
    def __init__(self, job: ImportJob, hook: ProgressHook | None) -> None:
        self.job, self.hook, self.last = job, hook, 0.0
        self.side: Any = None  # a second connection, while validation runs inside the write transaction

    def __call__(self, done: int, total: int) -> None:
        if self.hook is not None:
            self.hook(done, total)
        now = timezone.now().timestamp()
        if now - self.last >= PROGRESS_EVERY or done >= total:
            self.last = now
            if self.side is None:
                ImportJob.objects.filter(pk=self.job.pk).update(processed_rows=done, total_rows=max(total, done))
            else:
                self._save_aside(done, max(total, done))

    def _save_aside(self, done: int, total: int) -> None:
        """Progress is best effort: a failure here must not fail the import."""
        if isinstance(self.side, _NoConnection):
            return
        try:
            with self.side.cursor() as cur:
                cur.execute(
                    f"UPDATE {connection.ops.quote_name(ImportJob._meta.db_table)}"
                    " SET processed_rows = %s, total_rows = %s WHERE id = %s",
                    [done, total, self.job.pk],
                )
        except Exception:
            log.warning("could not record the progress of import %s", self.job.pk, exc_info=True)

    @contextmanager
    def aside(self) -> Iterator[None]:
        """Record progress through a connection of its own (committed at once, so pollers see it)
        while the job's connection is inside the write transaction, busy with a COPY."""
        try:
            self.side = connection.get_new_connection(connection.get_connection_params())
            self.side.autocommit = True
        except Exception:
            log.warning("no second connection for the progress of import %s", self.job.pk, exc_info=True)
            self.side = _NoConnection()
        try:
            yield
        finally:
            side, self.side = self.side, None
            side.close()


class _NoConnection:
    """Stands in for the progress connection when none could be opened: progress is not recorded."""

    def close(self) -> None:
        pass


def _save_rejects(job: ImportJob, outcome: Outcome) -> None:
    batch = [
        ImportReject(job=job, row_number=r.row, column=r.column[:64], value=r.value, reason=r.reason)
        for r in outcome.rejects
    ]
    ImportReject.objects.bulk_create(batch, batch_size=5000)


def _finish(job: ImportJob, status: str, outcome: Outcome, error: str = "") -> None:
    job.status = status
    job.total_rows = outcome.total
    job.processed_rows = outcome.total
    job.created_count, job.updated_count, job.unchanged_count = outcome.created, outcome.updated, outcome.unchanged
    job.rejected_count = len(outcome.rejected_rows)
    job.error = error
    job.finished_at = timezone.now()
    job.save()


def run_job(job: ImportJob, path: Path | None = None, progress: ProgressHook | None = None) -> ImportJob:
    """Run the job to the end; never raises for bad input (the job records it)."""
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING)
    job.status = ImportStatus.RUNNING
    actor = job.created_by
    outcome = Outcome()
    tick = _Progress(job, progress)
    staged = member_import.staging_file() if job.kind == ImportKind.MEMBERS else None
    try:
        table = open_table(path or _path_of(job))
        ImportJob.objects.filter(pk=job.pk).update(encoding=table.encoding, total_rows=table.estimated_rows)
        job.encoding = table.encoding
        columns = resolve(job.kind, table.header, job.mapping)
        streaming = None
        if job.kind == ImportKind.MEMBERS:
            assert staged is not None
            # CSV files on PostgreSQL (the Arrow path) are validated inside the write transaction while
            # their rows stream in; other files are validated first, outside it, then written.
            streaming = member_import.prepare_stream(table, columns, actor, outcome)
            if streaming is None:
                member_import.validate_file(table, columns, actor, outcome, staged, tick)
            planned: list[Any] = []
        else:
            planned = customer_import.validate(table, columns, actor, outcome, tick)
        all_or_nothing = job.mode == ImportMode.ALL_OR_NOTHING
        if outcome.rejected_rows and all_or_nothing:
            _save_rejects(job, outcome)
            _finish(job, ImportStatus.REJECTED, outcome, "有错误行，全部未导入 / rows were rejected, nothing imported")
            return job
        try:
            with transaction.atomic():
                if streaming is not None:
                    assert staged is not None
                    staged.all_or_nothing = all_or_nothing
                    with tick.aside():
                        member_import.validate_streaming(streaming, table, columns, staged, tick)
                    if outcome.rejected_rows and all_or_nothing:
                        raise _Rollback
                if job.kind == ImportKind.MEMBERS:
                    assert staged is not None
                    member_import.write(staged, columns, outcome)
                else:
                    customer_import.write(planned, actor, outcome)
                if outcome.rejected_rows and all_or_nothing:
                    raise _Rollback  # a row refused while writing (rare: a rule only the service knows)
                audit.record(
                    actor,
                    f"import.{job.kind}",
                    job,
                    {
                        "file": job.original_name,
                        "mode": job.mode,
                        "rows": outcome.total,
                        "created": outcome.created,
                        "updated": outcome.updated,
                        "unchanged": outcome.unchanged,
                        "rejected": len(outcome.rejected_rows),
                    },
                )
                if job.dry_run:
                    raise _Rollback
        except _Rollback:
            pass
        _save_rejects(job, outcome)
        if outcome.rejected_rows and all_or_nothing:
            outcome.created = outcome.updated = outcome.unchanged = 0
            _finish(job, ImportStatus.REJECTED, outcome, "有错误行，全部未导入 / rows were rejected, nothing imported")
        else:
            _finish(job, ImportStatus.SUCCEEDED, outcome)
    except FileProblem as exc:
        outcome.reject(1 if exc.column else 0, exc.column[:64], "", exc.message)
        _save_rejects(job, outcome)
        outcome.rejected_rows.clear()
        _finish(job, ImportStatus.FAILED, outcome, exc.message)
    except DatabaseError as exc:
        log.exception("import %s failed in the database", job.pk)
        _finish(job, ImportStatus.FAILED, Outcome(total=outcome.total), f"数据库拒绝了这批数据，已全部回滚：{exc}")
    except Exception as exc:  # the job records any failure; a background thread must not die silently
        log.exception("import %s failed", job.pk)
        _finish(job, ImportStatus.FAILED, Outcome(total=outcome.total), f"导入失败，已全部回滚：{exc}")
    finally:
        if staged is not None:
            staged.close()
    return job


def start(job: ImportJob, inline: bool | None = None) -> ImportJob:
    """Run now (tests, CLI, JIKE_JOBS_INLINE=1) or in a daemon thread of the web process."""
    from django.conf import settings

    if inline if inline is not None else settings.JIKE_JOBS_INLINE:
        run_job(job)
    else:

        def target() -> None:
            try:
                run_job(ImportJob.objects.select_related("created_by").get(pk=job.pk))
            finally:
                close_old_connections()

        threading.Thread(target=target, name=f"import-{job.pk}", daemon=True).start()
    job.refresh_from_db()
    return job
