"""Remote expert support (WS-9): a technician asks, an expert answers; 5 minutes, measured.

The first-response commitment (``expert-response``, mean 5 min) runs on the commitments'
clock from the request to the first expert message; ``first_response_seconds`` is the figure.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.accounts.permissions import restrict
from anxin.accounts.roles import Role
from anxin.api.base import Conflict
from anxin.audit.changelog import change_for, record, snapshot
from anxin.commitments.api import on_event, on_state

from . import files
from .choices import ExpertState
from .models import ExpertMessage, ExpertPhoto, ExpertRequest, WorkOrder

CLOCK_KIND = "expert_request"
ASKERS = frozenset({Role.TECHNICIAN, Role.SERVICE_ADVISOR, Role.ADMINISTRATOR})
EXPERTS = frozenset({Role.TECHNICAL_EXPERT, Role.ADMINISTRATOR})
MAX_PHOTOS = 6


def _label(actor: Any) -> str:
    staff = getattr(actor, "staff", None)
    return getattr(staff, "name", "") or getattr(actor, "username", "")


def open_expert_request(
    wo: WorkOrder,
    *,
    actor: Any,
    question: str,
    fault_codes: Any = (),
    photos: Any = (),
    at: dt.datetime | None = None,
) -> ExpertRequest:
    """Ask an expert about ``wo``: question, fault codes (DTC) and photos; starts the clock."""
    from anxin.rescue.photos import process_photo

    at = at or timezone.now()
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied(_("sign in first"))
    if not (actor.is_superuser or actor.role in ASKERS):
        raise PermissionDenied(_("your role may not ask for an expert"))
    if not restrict(WorkOrder.objects.filter(pk=wo.pk), actor, "change").exists():
        raise PermissionDenied(_("this work order is not yours"))
    if not wo.is_open:
        raise ValidationError({"work_order": _("the work order is closed")})
    errors = {}
    if not (question or "").strip():
        errors["question"] = _("ask your question")
    codes = [str(c).strip().upper()[:16] for c in fault_codes or [] if str(c).strip()]
    if len(codes) > 50:
        errors["fault_codes"] = _("at most 50 fault codes")
    photos = list(photos or [])
    if len(photos) > MAX_PHOTOS:
        errors["photos"] = _("at most %(n)d photos") % {"n": MAX_PHOTOS}
    if errors:
        raise ValidationError(errors)
    processed = [process_photo(p) for p in photos]
    with files.discard_on_rollback():
        request = ExpertRequest.objects.create(
            work_order=wo,
            region_id=wo.region_id,
            question=question.strip(),
            fault_codes=codes,
            requested_by=actor,
            requested_at=at,
        )
        ExpertMessage.objects.create(
            request=request,
            author=actor,
            author_label=_label(actor),
            body=question.strip(),
            at=at,
        )
        for n, p in enumerate(processed, start=1):
            photo = ExpertPhoto(request=request, uploaded_at=at, uploaded_by=actor)
            files.store(photo.image, f"{wo.number}-expert-{request.pk}-{n}.jpg", p.content)
            photo.save()
        on_event(
            CLOCK_KIND,
            request.pk,
            "requested",
            at=at,
            attrs={"region": wo.region_id, "number": wo.number},
        )
        from .messages import expert_requested

        expert_requested(request)
    return request


def _claim(request: ExpertRequest, sources: tuple[str, ...], **fields: Any) -> ExpertRequest:
    before = snapshot(request)
    won = ExpertRequest.objects.filter(
        pk=request.pk, version=request.version, state__in=sources
    ).update(version=F("version") + 1, **fields)
    if not won:
        current = ExpertRequest.objects.filter(pk=request.pk).values("state", "version").first()
        raise Conflict(_("the request changed meanwhile; reload and try again"), current or {})
    request.refresh_from_db()
    record([change_for(request, "update", before, snapshot(request))])
    return request


def answer(
    request: ExpertRequest, *, actor: Any, body: str, at: dt.datetime | None = None
) -> ExpertMessage:
    """An expert's message; the first one stops the 5-minute clock."""
    at = at or timezone.now()
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied(_("sign in first"))
    if not (actor.is_superuser or actor.role in EXPERTS):
        raise PermissionDenied(_("only a technical expert answers"))
    if not restrict(ExpertRequest.objects.filter(pk=request.pk), actor, "view").exists():
        raise PermissionDenied(_("this request is not in your region"))
    if not (body or "").strip():
        raise ValidationError({"body": _("write the answer")})
    if request.state in (ExpertState.RESOLVED, ExpertState.CANCELLED):
        raise Conflict(_("the request is closed"), {"state": request.state})
    with transaction.atomic():
        if request.state == ExpertState.OPEN:
            _claim(
                request,
                (ExpertState.OPEN,),
                state=ExpertState.ANSWERED,
                expert=actor,
                first_response_at=at,
            )
            on_event(CLOCK_KIND, request.pk, "answered", at=at)
            on_state(CLOCK_KIND, request.pk, "answered", at=at)
        return ExpertMessage.objects.create(
            request=request,
            author=actor,
            author_label=_label(actor),
            from_expert=True,
            body=body.strip(),
            at=at,
        )


def add_message(
    request: ExpertRequest, *, actor: Any, body: str, at: dt.datetime | None = None
) -> ExpertMessage:
    """A follow-up from the workshop side (or the expert: then it is an answer)."""
    if actor is not None and actor.is_authenticated and actor.role == Role.TECHNICAL_EXPERT:
        return answer(request, actor=actor, body=body, at=at)
    at = at or timezone.now()
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied(_("sign in first"))
    if not restrict(ExpertRequest.objects.filter(pk=request.pk), actor, "view").exists():
        raise PermissionDenied(_("this request is not yours"))
    if not (body or "").strip():
        raise ValidationError({"body": _("write the message")})
    if request.state in (ExpertState.RESOLVED, ExpertState.CANCELLED):
        raise Conflict(_("the request is closed"), {"state": request.state})
    return ExpertMessage.objects.create(
        request=request, author=actor, author_label=_label(actor), body=body.strip(), at=at
    )


def resolve(
    request: ExpertRequest, *, actor: Any, resolution: str, at: dt.datetime | None = None
) -> ExpertRequest:
    at = at or timezone.now()
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied(_("sign in first"))
    if not restrict(ExpertRequest.objects.filter(pk=request.pk), actor, "view").exists():
        raise PermissionDenied(_("this request is not yours"))
    if not (actor.is_superuser or actor.role in ASKERS | EXPERTS):
        raise PermissionDenied(_("your role may not close expert requests"))
    if not (resolution or "").strip():
        raise ValidationError({"resolution": _("say how it was solved")})
    with transaction.atomic():
        request = _claim(
            request,
            (ExpertState.OPEN, ExpertState.ANSWERED),
            state=ExpertState.RESOLVED,
            resolved_at=at,
            resolution=resolution.strip(),
        )
        on_event(CLOCK_KIND, request.pk, "resolved", at=at)
    return request


def cancel(request: ExpertRequest, *, actor: Any, at: dt.datetime | None = None) -> ExpertRequest:
    at = at or timezone.now()
    if (
        actor is None
        or not actor.is_authenticated
        or not restrict(ExpertRequest.objects.filter(pk=request.pk), actor, "view").exists()
    ):
        raise PermissionDenied(_("this request is not yours"))
    with transaction.atomic():
        request = _claim(
            request,
            (ExpertState.OPEN, ExpertState.ANSWERED),
            state=ExpertState.CANCELLED,
            resolved_at=at,
        )
        on_event(CLOCK_KIND, request.pk, "cancelled", at=at)
    return request


def queue(user: Any) -> QuerySet[ExpertRequest]:
    """The experts' queue: open requests first, oldest first (the longest wait on top)."""
    return (
        ExpertRequest.objects.restrict(user, "view")
        .filter(state__in=(ExpertState.OPEN, ExpertState.ANSWERED))
        .select_related("work_order", "work_order__vehicle", "work_order__outlet")
        .order_by("state", "requested_at")
    )
