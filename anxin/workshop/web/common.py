"""What the workshop pages share: errors from the action functions onto forms, rate limits."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest

PUBLIC_LIMIT = 5  # public bookings / link actions per address and window
PUBLIC_WINDOW = 3600  # seconds


def add_action_errors(form: forms.BaseForm, err: ValidationError) -> None:
    """An action's ValidationError onto the form: by field where the form has it.

    Action functions name nested fields (``results.tyres``, ``photos.damage``); a form field
    named ``results_tyres`` / ``photo_damage`` takes those, everything else goes on top.
    """
    if hasattr(err, "error_dict"):
        for field, messages in err.message_dict.items():
            name = field_for(form, field)
            form.add_error(name, messages)
    else:
        form.add_error(None, err.messages)


def field_for(form: forms.BaseForm, field: str) -> str | None:
    candidates = [field, field.replace(".", "_")]
    if field.startswith("photos."):
        candidates.append("photo_" + field.split(".", 1)[1])
    for name in candidates:
        if name in form.fields:
            return name
    return None


def client_address(request: HttpRequest) -> str:
    # Behind the project's reverse proxy the first forwarded address is the client's.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    return forwarded.split(",")[0].strip() or request.META.get("REMOTE_ADDR", "") or "unknown"


def over_limit(request: HttpRequest, bucket: str, limit: int = PUBLIC_LIMIT) -> bool:
    """Count one more public request of ``bucket`` from this address; True past the limit."""
    key = f"workshop:{bucket}:{client_address(request)}"
    cache.add(key, 0, PUBLIC_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, PUBLIC_WINDOW)
        count = 1
    return count > limit


def errors_of(err: ValidationError) -> list[str]:
    """Every message of a ValidationError, field names dropped (for a banner)."""
    if hasattr(err, "error_dict"):
        return [m for msgs in err.message_dict.values() for m in msgs]
    return list(err.messages)


def as_list(text: str) -> list[str]:
    """Lines or comma/顿号-separated words of a text box as a clean list."""
    out: list[str] = []
    for part in text.replace("，", ",").replace("、", ",").replace("\n", ",").split(","):
        part = part.strip()
        if part and part not in out:
            out.append(part)
    return out


Context = dict[str, Any]
