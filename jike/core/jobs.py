"""Background jobs with progress, for batch work started from the UI or API.

Jobs run in a daemon thread of the web process (enough for one operator's province and no broker
to run); `JIKE_JOBS_INLINE=1` (tests, CLI) runs them in the caller. Progress is written to the
Job row so any process can poll it.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from jike.core.models import Job, JobStatus

log = logging.getLogger(__name__)

JobFn = Callable[[Job, "Progress"], dict[str, Any]]


class Progress:
    """Updates the job row at most every `every` steps so progress costs little."""

    def __init__(self, job: Job, every: int = 500) -> None:
        self.job = job
        self.every = max(1, every)
        self._last = 0

    def set_total(self, total: int) -> None:
        self.job.total = total
        Job.objects.filter(pk=self.job.pk).update(total=total)

    def advance(self, done: int, force: bool = False) -> None:
        self.job.done = min(done, self.job.total) if self.job.total else done
        if force or done - self._last >= self.every:
            self._last = done
            Job.objects.filter(pk=self.job.pk).update(done=self.job.done)


def _execute(job_id: int, fn: JobFn) -> None:
    job = Job.objects.get(pk=job_id)
    Job.objects.filter(pk=job_id).update(status=JobStatus.RUNNING, started_at=timezone.now())
    try:
        result = fn(job, Progress(job))
    except Exception as exc:  # the job records any failure; the thread must not die silently
        log.exception("job %s failed", job_id)
        Job.objects.filter(pk=job_id).update(
            status=JobStatus.FAILED,
            finished_at=timezone.now(),
            error=f"{exc}\n{traceback.format_exc()[-2000:]}",
        )
        return
    job.refresh_from_db(fields=["total"])
    Job.objects.filter(pk=job_id).update(
        status=JobStatus.SUCCEEDED, finished_at=timezone.now(), result=result, done=job.total
    )


def start(job: Job, fn: JobFn, inline: bool | None = None) -> Job:
    if inline if inline is not None else settings.JIKE_JOBS_INLINE:
        _execute(job.pk, fn)
    else:

        def target() -> None:
            try:
                _execute(job.pk, fn)
            finally:
                close_old_connections()

        threading.Thread(target=target, name=f"job-{job.pk}", daemon=True).start()
    job.refresh_from_db()
    return job
