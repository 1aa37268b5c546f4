"""The WSGI entry point web workers load (gunicorn jike.wsgi:application)."""

from __future__ import annotations

import os
import subprocess
import sys


def test_wsgi_freezes_what_start_up_loaded():
    """Start-up objects are moved out of the collector's reach, so full collections in a worker
    do not walk Django and the apps (see jike/wsgi.py)."""
    code = "import gc, jike.wsgi; print(callable(jike.wsgi.application), gc.get_freeze_count())"
    env = {**os.environ, "JIKE_DATABASE_URL": "sqlite:///:memory:"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    is_app, frozen = out.split()
    assert is_app == "True"
    assert int(frozen) > 20_000  # Django and the apps (about 60,000 objects)
