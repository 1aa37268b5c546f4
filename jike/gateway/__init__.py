"""The industry gateway.  Its hot modules may be compiled with mypyc (jike/gateway/native.py):
a build that matches the sources is searched before them."""

from jike.gateway.native import fresh_build_dir as _fresh_build_dir

_native = _fresh_build_dir()
if _native is not None:
    __path__.insert(0, str(_native))
