"""The optional mypyc build (jike/gateway/native.py): used only when it matches the sources."""

from __future__ import annotations

import ast
import importlib
import json
import sys

from jike.gateway import native


def _gateway_imports(name: str) -> set[str]:
    tree = ast.parse((native.PACKAGE_DIR / f"{name}.py").read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "jike.gateway":
                found.update(a.name for a in node.names)
            elif node.module.startswith("jike.gateway."):
                found.add(node.module.split(".")[2])
    return found


def test_every_gateway_module_a_compiled_one_imports_invalidates_the_build():
    for name in native.COMPILED:
        assert _gateway_imports(name) <= set(native.SOURCES), name


def _manifest(tmp_path, monkeypatch, **changes):
    lib = tmp_path / "lib"
    lib.mkdir(exist_ok=True)
    manifest = {
        "python": sys.implementation.cache_tag,
        "compiled": list(native.COMPILED),
        "sources": {n: native._digest(n) for n in native.SOURCES},
    }
    manifest.update(changes)
    (lib / "manifest.json").write_text(json.dumps(manifest))
    monkeypatch.setattr(native, "LIB_DIR", lib)
    monkeypatch.setattr(native, "MANIFEST", lib / "manifest.json")
    monkeypatch.delenv("JIKE_GATEWAY_NATIVE", raising=False)
    return lib


def test_a_build_of_the_current_sources_is_used(tmp_path, monkeypatch):
    lib = _manifest(tmp_path, monkeypatch)
    assert native.fresh_build_dir() == lib
    monkeypatch.setenv("JIKE_GATEWAY_NATIVE", "0")
    assert native.fresh_build_dir() is None


def test_a_stale_or_foreign_build_is_not_used(tmp_path, monkeypatch):
    stale = {n: native._digest(n) for n in native.SOURCES} | {"config": "0" * 64}
    _manifest(tmp_path, monkeypatch, sources=stale)
    assert native.fresh_build_dir() is None
    _manifest(tmp_path, monkeypatch, python="cpython-399")
    assert native.fresh_build_dir() is None
    _manifest(tmp_path, monkeypatch, compiled=["pdu"])
    assert native.fresh_build_dir() is None
    (tmp_path / "lib" / "manifest.json").write_text("{not json")
    assert native.fresh_build_dir() is None


def test_compiled_modules_reports_where_the_modules_came_from():
    for name in native.COMPILED:
        importlib.import_module(f"jike.gateway.{name}")
    build = native.fresh_build_dir()
    loaded_from_build = [
        n for n in native.COMPILED if build is not None and str(build) in str(sys.modules[f"jike.gateway.{n}"].__file__)
    ]
    assert native.compiled_modules() == loaded_from_build
    if build is not None:  # a current build is always the one imported
        assert loaded_from_build == list(native.COMPILED)
