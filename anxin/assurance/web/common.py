"""Helpers of the assurance pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from anxin.accounts.permissions import may_change, restrict
from anxin.api.base import Conflict


def add_errors(form: forms.Form, err: ValidationError) -> None:
    """Put an action's field messages on the form: known fields in place, the rest on top."""
    if not hasattr(err, "error_dict"):
        form.add_error(None, " ".join(err.messages))
        return
    for field, messages in err.message_dict.items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, message if target else f"{field}: {message}")


def run(form: forms.Form, fn: Any) -> tuple[bool, Conflict | None]:
    """Call the action; (True, None) on success, field errors on the form otherwise."""
    try:
        fn()
    except ValidationError as err:
        add_errors(form, err)
        return False, None
    except Conflict as err:
        form.add_error(None, str(err))
        return False, err
    return True, None


def can_change(user: Any, model: Any) -> bool:
    return may_change(user, model)


def visible(request: HttpRequest, model: Any) -> Any:
    return restrict(model._default_manager.all(), request.user, "view")


def page(request: HttpRequest, name: str, ctx: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, f"assurance/{name}", ctx, status=status)
