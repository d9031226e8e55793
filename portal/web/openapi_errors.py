"""Documents the error answers every operation can give, so the OpenAPI schema tells the truth.

API operations (JSON) may answer 401, 403, 404, 409 and 503 with ``{"detail": "…"}``; pages answer
303 (to the sign-in page, or after a form) and 403, 404, 409, 503 as HTML, and refused values with
422 as HTML too (a form shown again, or the error page naming the field). An API operation's
validation errors (422) are FastAPI's own JSON, documented by FastAPI.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from portal.web.http_errors import machine_readable

_ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
    "title": "Error",
}
_API = {
    "401": "not signed in, session expired, or sign-in failed",
    "403": "signed in, but not allowed (role, CSRF token, or grant expired/revoked)",
    "404": "no such object, or not yours to know about",
    "409": "refused by a rule (e.g. a notice later than three days before the hearing)",
    "503": "the recording archive cannot be reached",
}
_PAGE = {"403": _API["403"], "404": _API["404"], "409": _API["409"], "503": _API["503"]}


def _json_error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR_SCHEMA}}}


def _html_error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


def document_errors(app: FastAPI) -> None:
    """Wrap ``app.openapi`` so every operation lists the error answers it can give."""
    original: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = original()
        for path, operations in schema.get("paths", {}).items():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                if machine_readable(path):
                    errors = {code: _json_error(text) for code, text in _API.items()}
                else:
                    errors = {code: _html_error(text) for code, text in _PAGE.items()}
                    errors["303"] = {"description": "redirect: to the sign-in page, or after a form"}
                    if "requestBody" in operation or operation.get("parameters"):
                        # refused values: the form shown again, or the error page naming the field
                        errors["422"] = _html_error("values not accepted")
                for code, answer in errors.items():
                    responses[code] = answer
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
