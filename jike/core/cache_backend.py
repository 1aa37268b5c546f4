"""The default shared cache: Django's file cache without its per-write directory listing.

Django's FileBasedCache lists the whole cache directory on every `set` to decide whether to cull
(2.7 ms per write with 900 entries, more as the directory fills towards MAX_ENTRIES); the customer
360 page writes up to eight fragments on a first view. This subclass checks on one write in
CULL_EVERY (at random), so the directory may exceed MAX_ENTRIES by a few dozen entries before it is
culled. Production with several hosts sets JIKE_REDIS_URL instead (settings).
"""

from __future__ import annotations

import random

from django.core.cache.backends.filebased import FileBasedCache

CULL_EVERY = 64


class FileCache(FileBasedCache):
    def _cull(self) -> None:
        if random.random() * CULL_EVERY < 1:  # sampling, not security
            super()._cull()  # type: ignore[misc]  # private in Django, absent from the stubs
