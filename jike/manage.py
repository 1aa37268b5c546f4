"""The `jike` console script: Django's manage.py for this project.

The gateway commands (`jike gateway`, `jike smsc-sim`) are dispatched before Django is set
up: the gateway is its own asyncio process with no Django in its hot path.
"""

from __future__ import annotations

import os
import sys

GATEWAY_COMMANDS = {"gateway", "smsc-sim", "gateway-status"}


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv if argv is None else argv)
    if len(args) > 1 and args[1] in GATEWAY_COMMANDS:
        from jike.gateway.cli import main as gateway_main

        sys.exit(gateway_main(args[1:]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jike.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(args)


if __name__ == "__main__":
    main()
