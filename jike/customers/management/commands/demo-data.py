"""`jike demo-data --scale small|medium|large [--seed N] [--reset]`: load the demo province."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jike.customers.demo.load import DEMO_PASSWORD, SCALES, AlreadyLoaded, load, logins, run_extra_generators


class Command(BaseCommand):
    help = "Load deterministic demo data (Anhui province). small: seconds; large: 100k customers, 5M members."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", choices=list(SCALES), default="small")
        parser.add_argument("--seed", type=int, default=2025, help="same seed, same data")
        parser.add_argument("--reset", action="store_true", help="wipe customers and their data first")
        parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None, help="reference date (default today)")
        parser.add_argument("--if-empty", action="store_true", help="do nothing (exit 0) when customers already exist")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            counts = load(opts["scale"], seed=opts["seed"], reset=opts["reset"], as_of=opts["as_of"], out=self.stdout)
        except AlreadyLoaded as exc:
            if opts["if_empty"]:
                self.stdout.write(f"demo data already present ({exc}); nothing to do")
                return
            raise CommandError(str(exc)) from exc
        ran = run_extra_generators(opts["scale"], opts["seed"], self.stdout)
        self.stdout.write(
            self.style.SUCCESS(
                f"demo loaded in {counts['seconds']} s: {counts['customers']} customers, {counts['members']} members "
                f"({counts['active_members']} active, {counts['unified_members']} unified), "
                f"{counts['key_persons']} key persons, {counts['key_events']} key events, {counts['staff']} staff, "
                f"tiers {counts['tiers']}" + (f"; extra generators: {', '.join(ran)}" if ran else "")
            )
        )
        self.stdout.write(f"Demo logins (password {DEMO_PASSWORD}):")
        for username, label in logins():
            self.stdout.write(f"  {username:<20} {label}")
