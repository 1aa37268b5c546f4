"""Masking of personal data (PIPL): phone numbers and ID numbers unless the role needs them."""

from __future__ import annotations


def mask_phone(number: str) -> str:
    """13812345678 -> 138****5678; anything shorter than 7 digits is fully starred."""
    if len(number) < 7:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def mask_id_number(number: str) -> str:
    """ID numbers keep the region's first 6 and the last 4 characters."""
    if len(number) <= 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def phone_for(user: object, number: str) -> str:
    return number if getattr(user, "sees_pii", False) else mask_phone(number)
