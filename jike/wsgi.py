import gc
import itertools
import os
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jike.settings")
django_application = get_wsgi_application()

# Objects that live as long as the worker are moved out of the collector's reach, so a full
# collection walks only what requests create. First what start-up loaded (Django, the apps, their
# models), then, once, after FREEZE_AFTER requests, what the first requests loaded lazily (templates,
# URL resolvers, translations, modules imported on first use). Measured on the large demo with
# gc.callbacks in gunicorn workers: full collections paused a worker (all of its threads) for
# 40-125 ms with only the start-up freeze, 70-77 ms with none (docs/benchmarks.md, session 4).
FREEZE_AFTER = 200
_served = itertools.count(1)


def application(environ: dict[str, Any], start_response: Any) -> Any:
    if next(_served) == FREEZE_AFTER:
        gc.collect()
        gc.freeze()
    return django_application(environ, start_response)


gc.collect()
gc.freeze()
