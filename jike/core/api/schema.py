"""OpenAPI post-processing: every operation documents the one error shape for 4xx answers."""

from __future__ import annotations

from typing import Any

ERROR_SCHEMA = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {
        "code": {"type": "string", "description": "machine-readable error code"},
        "message": {"type": "string", "description": "human-readable message (Chinese first)"},
        "details": {"description": "field errors or rule details"},
    },
}
ERRORS = {
    "400": "Invalid input",
    "401": "Not authenticated",
    "403": "Not allowed for your role",
    "404": "Not found, or outside your data scope",
    "409": "Refused by a business rule",
}


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for status, description in ERRORS.items():
                responses.setdefault(
                    status, {"description": description, "content": {"application/json": {"schema": ref}}}
                )
    return result
