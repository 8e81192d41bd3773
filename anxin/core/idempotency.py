"""``Idempotency-Key`` for every state-changing API call.

Same key and same request: the first response is replayed. Same key, different request: 422.
Same key while the first call is still running: 409. Keys are per user and expire after
``IDEMPOTENCY_TTL_HOURS``. Server errors are not stored, so the client may retry them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from .models import IdempotencyRecord

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
API_PREFIX = "/api/"


def _user_for(request: HttpRequest):  # type: ignore[no-untyped-def]
    from anxin.api.auth import user_from_token

    user = user_from_token(request) or getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get("Idempotency-Key")
        if not key or request.method not in UNSAFE or not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        if len(key) > 255:
            return JsonResponse(
                {
                    "detail": [
                        {
                            "loc": ["header", "Idempotency-Key"],
                            "msg": "at most 255 characters",
                            "type": "value_error",
                        }
                    ]
                },
                status=422,
            )
        user = _user_for(request)
        digest = hashlib.sha256(
            b"\0".join([request.method.encode(), request.get_full_path().encode(), request.body])
        ).hexdigest()
        cutoff = timezone.now() - dt.timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)
        IdempotencyRecord.objects.filter(user=user, key=key, created_at__lt=cutoff).delete()
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(user=user, key=key, request_hash=digest)
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(user=user, key=key).first()
            if existing is None:  # expired between our two statements
                return self.get_response(request)
            if existing.request_hash != digest:
                return JsonResponse(
                    {
                        "detail": [
                            {
                                "loc": ["header", "Idempotency-Key"],
                                "type": "idempotency_key_reused",
                                "msg": "this Idempotency-Key was used for a different request",
                            }
                        ]
                    },
                    status=422,
                )
            if existing.state == IdempotencyRecord.State.RUNNING:
                return JsonResponse(
                    {"detail": "a request with this Idempotency-Key is still in progress"},
                    status=409,
                )
            replay = HttpResponse(
                bytes(existing.body),
                status=existing.status_code or 200,
                content_type=existing.content_type or "application/json",
            )
            replay["Idempotent-Replayed"] = "true"
            return replay
        response = self.get_response(request)
        if response.status_code >= 500 or getattr(response, "streaming", False):
            record.delete()
            return response
        IdempotencyRecord.objects.filter(pk=record.pk).update(
            state=IdempotencyRecord.State.DONE,
            status_code=response.status_code,
            content_type=response.get("Content-Type", "application/json")[:100],
            body=response.content,
        )
        return response
