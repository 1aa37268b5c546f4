"""The WSGI entry point web workers load (gunicorn jike.wsgi:application)."""

from __future__ import annotations

import os
import subprocess
import sys

CODE = """
import gc, io, jike.wsgi as w
at_start = gc.get_freeze_count()
def start_response(status, headers):
    start_response.status = status
environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/no-such-page/", "SERVER_NAME": "127.0.0.1",
           "SERVER_PORT": "80", "wsgi.input": io.BytesIO(), "wsgi.url_scheme": "http", "wsgi.errors": io.StringIO()}
counts = []
for n in range(1, w.FREEZE_AFTER + 2):
    b"".join(w.application(environ, start_response))
    counts.append(gc.get_freeze_count())
print(at_start, counts[w.FREEZE_AFTER - 2], counts[w.FREEZE_AFTER - 1], counts[-1], start_response.status)
"""


def test_wsgi_freezes_start_up_and_then_what_the_first_requests_loaded():
    """Long-lived objects are moved out of the collector's reach, so full collections in a worker
    walk only what requests create (see jike/wsgi.py)."""
    env = {**os.environ, "JIKE_DATABASE_URL": "sqlite:///:memory:", "JIKE_LOG_LEVEL": "ERROR"}
    out = subprocess.run([sys.executable, "-c", CODE], env=env, capture_output=True, text=True, check=True).stdout
    at_start, before, at_freeze, after, *status = out.split()
    assert int(at_start) > 20_000  # Django and the apps (about 60,000 objects)
    # Nothing more until FREEZE_AFTER requests (frozen objects can still be freed: fewer, never more)
    assert int(before) <= int(at_start)
    assert int(at_freeze) > int(before) + 1_000  # then, once, what the requests loaded
    assert int(after) <= int(at_freeze)
    assert status[0] == "404"
