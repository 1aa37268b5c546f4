"""The OpenAPI contract check itself must be able to fail, or every API test proves less."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from jike.core.testing import validate_against_schema

pytestmark = pytest.mark.django_db


def _request(path: str):
    from django.urls import resolve

    req = RequestFactory().get(path)
    req.resolver_match = resolve(path)
    return req


def test_validator_rejects_a_response_the_schema_does_not_describe(world):
    from django.http import JsonResponse

    good = JsonResponse(
        {
            "id": 1,
            "username": "x",
            "full_name": "",
            "role": "admin",
            "org_unit": None,
            "org_unit_name": "",
            "scope": "all",
            "sees_pii": True,
            "can_write": True,
        }
    )
    validate_against_schema(_request("/api/v1/me/"), good)
    bad = JsonResponse({"id": "not-an-int", "username": 5})
    with pytest.raises(AssertionError, match="does not match the OpenAPI schema"):
        validate_against_schema(_request("/api/v1/me/"), bad)
