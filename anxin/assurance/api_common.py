"""Helpers and shared schemas of the assurance API modules."""

import datetime as dt
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Schema

from anxin.accounts.models import User
from anxin.api.base import Conflict, visible

Text = Annotated[str, Field(max_length=4000)]


def _ref(request: HttpRequest, model: Any, pk: int | None, field: str) -> Any:
    if pk is None:
        return None
    obj = visible(request, model).filter(pk=pk).first()
    if obj is None:
        raise ValidationError({field: "no such record, or not in your region"})
    return obj


def _user(pk: int | None, field: str) -> User | None:
    if pk is None:
        return None
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None:
        raise ValidationError({field: "no such active user"})
    return user


def _expect(obj: Any, expected: int | None, fresh: Any) -> None:
    if expected is not None and expected != obj.version:
        raise Conflict("it changed since you loaded it", fresh(obj))


class VerificationOut(Schema):
    action_id: int
    action_number: str = Field(alias="action.number")
    question: str
    answer: str
    note: str
    answered_at: dt.datetime | None


class ReasonIn(Schema):
    reason: str = Field(min_length=1, max_length=2000)
