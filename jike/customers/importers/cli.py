"""Shared body of `jike import-customers FILE` and `jike import-members FILE` (inline, tqdm bar)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jike.core.errors import BusinessRuleError
from jike.core.models import User
from jike.core.roles import Role
from jike.customers.importers.runner import create_job, run_job
from jike.customers.models import ImportMode, ImportReject, ImportStatus


def _actor(username: str | None) -> User:
    if username:
        try:
            return User.objects.get(username=username, is_active=True)
        except User.DoesNotExist as exc:
            raise CommandError(f"no active user {username!r}") from exc
    user = (
        User.objects.filter(is_active=True, is_superuser=True).order_by("pk").first()
        or User.objects.filter(is_active=True, role=Role.ADMIN).order_by("pk").first()
    )
    if user is None:
        raise CommandError("no admin user to run the import as; pass --user USERNAME")
    return user


def _mapping(options: dict[str, Any]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    if options["mapping"]:
        text = options["mapping"]
        source = Path(text)
        try:
            mapping.update(json.loads(source.read_text("utf-8") if source.is_file() else text))
        except json.JSONDecodeError as exc:
            raise CommandError(f"--mapping is not valid JSON: {exc}") from exc
    for item in options["map"] or []:
        header, sep, field = item.partition("=")
        if not sep:
            raise CommandError(f"--map expects HEADER=FIELD, got {item!r}")
        mapping[header.strip()] = field.strip()
    return mapping


class ImportCommand(BaseCommand):
    kind = ""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV (UTF-8, GBK/GB18030) or XLSX export")
        parser.add_argument("--user", help="import as this user (scope and audit); default: the first admin")
        parser.add_argument("--partial", action="store_true", help="import the good rows and report the bad ones")
        parser.add_argument("--dry-run", action="store_true", help="validate and count, change nothing")
        parser.add_argument("--mapping", help='JSON object {"file header": "field"} or a path to a JSON file')
        parser.add_argument("--map", action="append", metavar="HEADER=FIELD", help="one column mapping (repeatable)")
        parser.add_argument("--rejects", metavar="CSV", help="write the rejected rows to this CSV file")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        from tqdm import tqdm

        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        try:
            job = create_job(
                _actor(options["user"]),
                self.kind,
                path=path,
                mode=ImportMode.PARTIAL if options["partial"] else ImportMode.ALL_OR_NOTHING,
                dry_run=options["dry_run"],
                mapping=_mapping(options),
            )
        except BusinessRuleError as exc:
            raise CommandError(exc.message) from exc
        bar = tqdm(total=0, unit="rows", unit_scale=True, disable=options["no_progress"], desc=f"import {self.kind}")

        def progress(done: int, total: int) -> None:
            if bar.total != total:
                bar.total = total
            bar.update(done - bar.n)

        job = run_job(job, path=path, progress=progress)
        bar.close()
        self.stdout.write(
            f"job #{job.pk} {job.status}{' (dry run)' if job.dry_run else ''}: rows {job.total_rows}, "
            f"created {job.created_count}, updated {job.updated_count}, unchanged {job.unchanged_count}, "
            f"rejected {job.rejected_count}"
        )
        if job.error:
            self.stdout.write(job.error)
        rejects = ImportReject.objects.filter(job=job)
        for reject in rejects[:20]:
            self.stdout.write(f"  row {reject.row_number} [{reject.column}] {reject.value!r}: {reject.reason}")
        if options["rejects"]:
            from jike.customers.importers.report import write_rejects_csv

            with open(options["rejects"], "wb") as fh:
                fh.write(b"".join(write_rejects_csv(job, None)))
            self.stdout.write(f"rejects written to {options['rejects']}")
        if job.status != ImportStatus.SUCCEEDED:
            raise CommandError(f"import {job.status}")
