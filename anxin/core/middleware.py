"""Refuse NUL characters in query strings and form posts before any view sees them.

PostgreSQL text cannot hold NUL (SQLite can), so a search box fed ``%00`` would be a 500 on one
database and a silent oddity on the other. Django's form fields already refuse it; raw
``request.GET`` lookups in views and API filters are covered here, once.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse


class RejectNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for source, where in (
            (request.GET, "query"),
            (
                request.POST
                if request.method == "POST" and request.content_type != "application/json"
                else None,
                "form",
            ),
        ):
            if source is None:
                continue
            for key, values in source.lists():
                if "\x00" in key or any("\x00" in v for v in values):
                    message = f"the {where} field “{key}” contains a NUL character"
                    if request.path.startswith("/api/"):
                        return JsonResponse(
                            {
                                "detail": [
                                    {"loc": [where, key], "msg": message, "type": "value_error"}
                                ]
                            },
                            status=422,
                        )
                    return HttpResponseBadRequest(message)
        return self.get_response(request)
