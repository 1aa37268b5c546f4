"""`jike gateway-snapshot --out FILE [--base FILE] [--reload [--admin URL]] [--check]`.

Writes the gateway's configuration snapshot from the platform database (jike/gateway/snapshot.py),
atomically, and optionally asks the running gateway to reload it. `jike manage.py` sends only
`gateway`, `smsc-sim` and `gateway-status` to the gateway's own CLI, so this Django command runs
with the platform's settings and database.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jike.gateway.config import ConfigError
from jike.gateway.snapshot import build_snapshot, read_gateway_settings, summary, write_snapshot


class Command(BaseCommand):
    help = "Write the industry gateway's configuration snapshot from the platform database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, help="snapshot file the gateway runs with (--config)")
        parser.add_argument(
            "--base", help="take the `gateway` process-settings block from this file (default: keep the one in --out)"
        )
        parser.add_argument("--check", action="store_true", help="build and validate only, write nothing")
        parser.add_argument("--reload", action="store_true", help="then ask the running gateway to reload")
        parser.add_argument("--admin", default="http://127.0.0.1:9775", help="the gateway's admin endpoint")

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        settings_src = Path(options["base"]) if options["base"] else out
        gateway_settings = read_gateway_settings(settings_src)
        if options["base"] and gateway_settings is None:
            raise CommandError(f"{settings_src}: no `gateway` block")
        try:
            data = build_snapshot(gateway_settings)
        except ConfigError as exc:
            raise CommandError(f"the gateway would refuse this snapshot: {exc}") from exc
        self.stdout.write(summary(data))
        if options["check"]:
            return
        write_snapshot(data, out)
        self.stdout.write(f"written {out}")
        if options["reload"]:
            self._reload(options["admin"])

    def _reload(self, admin: str) -> None:
        req = urllib.request.Request(admin.rstrip("/") + "/reload", method="POST", data=b"")
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                answer = json.loads(resp.read())
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise CommandError(
                f"written, but the gateway at {admin} did not reload: {exc} (it also reloads on file change)"
            ) from exc
        if not answer.get("reloaded"):
            raise CommandError(f"the gateway refused the snapshot: {answer}")
        self.stdout.write(f"gateway reloaded: snapshot {answer.get('snapshot')}")
