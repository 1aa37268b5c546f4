"""``python -m jike.gateway.build_native``: compile the gateway's hot modules with mypyc.

What is compiled, where it goes and when it is used: jike/gateway/native.py.  A no-op when the
build under build/gateway-native/ matches the sources; mypyc (part of mypy) and a C compiler are
needed only here, never at run time.
"""

from __future__ import annotations

import json
import os
import shutil
import sys

from jike.gateway.native import BUILD_DIR, COMPILED, GROUP, LIB_DIR, MANIFEST, ROOT, SOURCES, _digest, fresh_build_dir


def build(quiet: bool = True) -> int:
    """Compile COMPILED with mypyc into BUILD_DIR (a no-op when the build is current).

    A failed build (no C compiler, say) is reported and leaves no build behind: the gateway then
    runs as plain Python, which behaves the same and only needs more CPU per message.
    """
    if fresh_build_dir() == LIB_DIR:
        if not quiet:
            print(f"gateway native build current: {LIB_DIR}")
        return 0
    try:
        _compile(quiet)
    except (Exception, SystemExit) as exc:  # setuptools reports a compiler failure as SystemExit
        shutil.rmtree(BUILD_DIR / "lib", ignore_errors=True)
        print(f"WARNING: gateway native build failed ({exc}); the gateway runs as plain Python", file=sys.stderr)
        return 0
    print(f"gateway native build: compiled {', '.join(COMPILED)} into {LIB_DIR}")
    return 0


def _compile(quiet: bool) -> None:
    from mypyc.build import mypycify
    from setuptools import setup  # type: ignore[import-untyped]

    if (BUILD_DIR / "lib").exists():
        shutil.rmtree(BUILD_DIR / "lib")
    digests = {n: _digest(n) for n in SOURCES}  # taken before compiling: an edit meanwhile makes it stale
    cwd = os.getcwd()
    os.chdir(ROOT)  # mypyc names modules by their path relative to the working directory
    try:
        paths = [f"jike/gateway/{n}.py" for n in COMPILED]
        # mypyc type-checks what it compiles: the project's strict settings, without the Django
        # plugins (nothing compiled here imports Django)
        options = ["--config-file=", "--strict", "--python-version=3.11", "--follow-imports=silent"]
        ext = mypycify(options + paths, group_name=GROUP, target_dir=str(BUILD_DIR / "c"), opt_level="3")
        setup(
            name="jike-gateway-native",
            ext_modules=ext,
            packages=[],
            py_modules=[],
            script_args=[
                "-q" if quiet else "-v",
                "build_ext",
                "--build-lib",
                str(BUILD_DIR / "lib"),
                "--build-temp",
                str(BUILD_DIR / "tmp"),
            ],
        )
    finally:
        os.chdir(cwd)
    manifest = {"python": sys.implementation.cache_tag, "compiled": list(COMPILED), "sources": digests}
    MANIFEST.write_text(json.dumps(manifest, indent=1))


def main(argv: list[str]) -> int:
    return build(quiet="-v" not in argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
