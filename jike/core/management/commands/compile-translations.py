"""Compile the project's .po catalogues to .mo with polib (no system gettext needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile jike/locale and jike/<app>/locale .po files to .mo (run by `make bootstrap`)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = 0
        roots = [Path(p) for p in settings.LOCALE_PATHS] + list((settings.BASE_DIR / "jike").glob("*/locale"))
        for base in roots:
            for po_path in base.glob("*/LC_MESSAGES/*.po"):
                mo_path = po_path.with_suffix(".mo")
                if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                    continue
                polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
                count += 1
        self.stdout.write(f"compiled {count} catalogue(s)")
