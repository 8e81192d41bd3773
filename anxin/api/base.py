"""The REST API under /api/v1/: one NinjaAPI, routers per app, one permission filter.

Each router obtains rows only through :func:`visible` (``Model.objects.restrict(user, action)``),
so an endpoint cannot forget the region rule. Validation problems answer 422 with the
offending field in ``loc`` and nothing saved.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import HttpError
from ninja.parser import Parser

from anxin.accounts.permissions import restrict

from .auth import SessionAuth, TokenAuth


class Conflict(Exception):
    """A concurrent writer got there first: answer 409 with the fresh state."""

    def __init__(self, message: str, current: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.current = current or {}


ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "properties": {
        "detail": {
            "anyOf": [
                {"type": "string"},
                {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "loc": {
                                "type": "array",
                                "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                            },
                            "msg": {"type": "string"},
                            "type": {"type": "string"},
                        },
                    },
                },
            ]
        },
        "current": {"type": "object", "description": "the fresh state, on 409"},
    },
    "required": ["detail"],
}
COMMON_ERRORS = {
    "400": "The request body is not valid JSON.",
    "401": "Not signed in, or the token is unknown.",
    "403": "Your role may not do this.",
    "404": "No such record, or not in your region.",
    "409": "Someone else changed it first, or a call with this Idempotency-Key is still running.",
    "422": "Invalid input: `detail` names each field and what is wrong. Nothing was saved.",
}


class StrictParser(Parser):
    """A parameter given more than once where the operation takes one value reaches
    validation as the list it is, so it is refused with 422 naming the field, instead of
    silently keeping the last value (ninja's default)."""

    def parse_querydict(
        self, data: MultiValueDict, list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, values in data.lists():
            result[key] = values if key in list_fields or len(values) > 1 else values[-1]
        return result


class AnxinAPI(NinjaAPI):
    """Documents the error answers every operation can give, so clients (and schemathesis)
    know them."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        for path_item in schema.get("paths", {}).values():
            for method, operation in path_item.items():
                responses = operation.setdefault("responses", {})
                for code, text in COMMON_ERRORS.items():
                    if code in ("400", "409") and method == "get":
                        continue
                    responses.setdefault(
                        code,
                        {
                            "description": text,
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Error"}
                                }
                            },
                        },
                    )
        return schema


api = AnxinAPI(
    title="Anxin API",
    version="1",
    description=(
        "安心 after-sales service quality and road-rescue platform. Authenticate with a "
        "session cookie (browser) or `Authorization: Bearer <token>`. Every state-changing call "
        "accepts an `Idempotency-Key` header. Validation errors answer 422 with field messages."
    ),
    auth=[TokenAuth(), SessionAuth()],
    parser=StrictParser(),
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
)


def validation_payload(error: DjangoValidationError) -> list[dict[str, Any]]:
    if hasattr(error, "error_dict"):
        return [
            {
                "loc": ["body", field],
                "msg": " ".join(str(m) for m in messages),
                "type": "value_error",
            }
            for field, messages in error.message_dict.items()
        ]
    return [{"loc": ["body"], "msg": " ".join(error.messages), "type": "value_error"}]


@api.exception_handler(DjangoValidationError)
def on_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    return api.create_response(request, {"detail": validation_payload(exc)}, status=422)


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "permission denied"}, status=403)


@api.exception_handler(Conflict)
def on_conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc), "current": exc.current}, status=409)


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": "not found"}, status=404)


def visible(
    request: HttpRequest, model: type[models.Model], action: str = "view"
) -> models.QuerySet[Any]:
    return restrict(model._default_manager.all(), request.user, action)


def get_visible(
    request: HttpRequest, model: type[models.Model], pk: Any, action: str = "view"
) -> Any:
    obj = get_object_or_404(visible(request, model, "view"), pk=pk)
    if action != "view" and not visible(request, model, action).filter(pk=pk).exists():
        raise HttpError(403, "your role may not change this record")
    return obj


def save_validated(instance: models.Model, **changes: Any) -> models.Model:
    """Apply ``changes``, run model validation, save in one transaction (or change nothing)."""
    # Model validation lets None through on blank-able text fields; the database would not.
    nulls = {
        name: [_("this field cannot be null; send an empty string or leave it out")]
        for name, value in changes.items()
        if value is None and not instance._meta.get_field(name).null
    }
    if nulls:
        raise DjangoValidationError(nulls)
    for field, value in changes.items():
        setattr(instance, field, value)
    instance.full_clean()
    with transaction.atomic():
        instance.save()
    return instance
