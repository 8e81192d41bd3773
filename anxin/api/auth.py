"""API authentication: the browser session (with CSRF) or a bearer token."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import APIKeyCookie, HttpBearer

from anxin.accounts.models import ApiToken


def user_from_token(request: HttpRequest) -> Any:
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    cached = getattr(request, "_anxin_token_user", False)
    if cached is not False:
        return cached
    key = header.split(" ", 1)[1].strip()
    token = ApiToken.objects.select_related("user").filter(key_hash=ApiToken.hash_key(key)).first()
    user = token.user if token is not None and token.user.is_active else None
    if token is not None and user is not None:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    request._anxin_token_user = user  # type: ignore[attr-defined]
    return user


class TokenAuth(HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_from_token(request)
        if user is not None:
            request.user = user  # the permission filter and the change log read request.user
        return user


class SessionAuth(APIKeyCookie):
    """The signed-in browser session; state-changing calls need the CSRF token."""

    param_name = "sessionid"

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None
