from __future__ import annotations

from typing import Any


class BusinessRuleError(Exception):
    """A service refused a change because a business rule forbids it (API: 409/400 with a code)."""

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None, status: int = 409) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}
        self.status = status
