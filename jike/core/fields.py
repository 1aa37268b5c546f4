"""Field assignment for service functions: only the fields a service declares may be written."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError


def apply_fields(obj: Any, data: Mapping[str, Any], allowed: list[str]) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError({k: "未知字段 / unknown field" for k in sorted(unknown)})
    for key, value in data.items():
        setattr(obj, key, value)
