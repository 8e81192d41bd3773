"""Refuse NUL characters in query strings and form posts before any view sees them.

PostgreSQL text cannot hold NUL (SQLite can), so a search box fed ``%00`` would be a 500 on one
database and a silent oddity on the other. Django's form fields already refuse it; raw
``request.GET`` lookups in views and API filters are covered here, once, and so are JSON
bodies (a ``"\\u0000"`` escape decodes to NUL after the schema has accepted the string).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.http.multipartparser import MultiPartParserError

WRITES = ("POST", "PUT", "PATCH")


def nul_in(value: Any, path: str = "") -> str | None:
    """The JSON path of the first string (or key) holding a NUL, or None."""
    if isinstance(value, str):
        return (path or "body") if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                return here
            if (found := nul_in(item, here)) is not None:
                return found
    if isinstance(value, list):
        for n, item in enumerate(value):
            if (found := nul_in(item, f"{path}[{n}]")) is not None:
                return found
    return None


def refuse(request: HttpRequest, where: str, key: str, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": [{"loc": [where, key], "msg": message, "type": "value_error"}]},
            status=422 if where != "request" else 400,
        )
    return HttpResponseBadRequest(message)


class RejectNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        is_json = request.content_type == "application/json"
        try:
            form = request.POST if request.method == "POST" and not is_json else None
        except MultiPartParserError as exc:
            return refuse(request, "request", "body", f"the form body cannot be read: {exc}")
        for source, where in ((request.GET, "query"), (form, "form")):
            if source is None:
                continue
            for key, values in source.lists():
                if "\x00" in key or any("\x00" in v for v in values):
                    message = f"the {where} field “{key}” contains a NUL character"
                    return refuse(request, where, key, message)
        if is_json and request.method in WRITES:
            try:
                body = json.loads(request.body or b"null")
            except (ValueError, UnicodeDecodeError):
                body = None  # malformed JSON: the view answers with its own 4xx
            if (path := nul_in(body)) is not None:
                return refuse(request, "body", path, f"the field “{path}” contains a NUL character")
        return self.get_response(request)
