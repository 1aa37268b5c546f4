"""Optional compiled (mypyc) build of the gateway's hot modules, and how to tell if it is in use.

`make bootstrap` runs ``python -m jike.gateway.build_native``: mypyc compiles the modules in
``COMPILED`` to C extensions under ``build/gateway-native/`` (git-ignored), never next to the
sources.  ``jike/gateway/__init__.py`` puts that directory in front of the package path only if
the build matches the sources byte for byte (a SHA-256 per module, written by the build) and
``JIKE_GATEWAY_NATIVE`` is not ``0``; otherwise the plain Python modules are imported.  An edited
source therefore never runs as a stale extension: it runs as Python until the next build.

The compiled and the Python modules have the same behaviour (the gateway tests run against both,
see docs/gateway.md "Compiled modules"); the compiled ones need less CPU per message.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
ROOT = PACKAGE_DIR.parents[1]
BUILD_DIR = ROOT / "build" / "gateway-native"
LIB_DIR = BUILD_DIR / "lib" / "jike" / "gateway"  # the extensions, laid out as the package
MANIFEST = LIB_DIR / "manifest.json"
GROUP = "jike.gateway._native"  # mypyc's shared runtime library: jike/gateway/_native__mypyc.*.so

# The modules every message goes through on the event loop.  What they import from the rest of
# the gateway (config, cdr, concat, metrics, ...) stays plain Python.  Compiled code checks the
# declared types at run time, so transports and servers (uvloop's are not asyncio's classes) are
# typed Any; the simulator's session subclasses SmppSession (allow_interpreted_subclasses).
COMPILED = ("pdu", "text", "message", "policy", "metrics", "session", "north", "south", "store", "core")
# The build bakes in the types of what the compiled modules import, so a change to any of these
# sources makes the build stale too (test_native checks the list against the imports).
SOURCES = (*COMPILED, "config", "concat", "cdr", "metrics", "admin", "native")


def _digest(name: str) -> str:
    return hashlib.sha256((PACKAGE_DIR / f"{name}.py").read_bytes()).hexdigest()


def fresh_build_dir() -> Path | None:
    """The directory of a build made from exactly the current sources, or None."""
    if os.environ.get("JIKE_GATEWAY_NATIVE", "1") == "0":
        return None
    try:
        manifest = json.loads(MANIFEST.read_text())
        if manifest.get("python") != sys.implementation.cache_tag:
            return None
        if manifest.get("compiled") != list(COMPILED):
            return None
        digests = manifest["sources"]
        if set(digests) != set(SOURCES) or any(digests[n] != _digest(n) for n in SOURCES):
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return LIB_DIR


def compiled_modules() -> list[str]:
    """The gateway modules loaded in this process as compiled extensions."""
    out = []
    for name in COMPILED:
        mod = sys.modules.get(f"jike.gateway.{name}")
        if mod is not None and not str(getattr(mod, "__file__", "")).endswith(".py"):
            out.append(name)
    return out
