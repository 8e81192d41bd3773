"""The remote expert queue (远程专家支持, WS-9): experts see the open requests oldest first with
the 5-minute first-response clock, answer, talk and resolve."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anxin.api.base import Conflict

from .. import expert
from ..choices import ExpertState
from ..models import ExpertRequest
from .common import add_action_errors
from .forms import MessageForm, ResolveForm


def visible(user: Any) -> Any:
    return ExpertRequest.objects.restrict(user, "view").select_related(
        "work_order", "work_order__vehicle", "work_order__outlet", "requested_by", "expert"
    )


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    waiting = list(expert.queue(request.user))
    recent = list(
        visible(request.user).exclude(state=ExpertState.OPEN).order_by("-requested_at")[:30]
    )
    return render(request, "workshop/experts.html", {"waiting": waiting, "recent": recent})


def request_context(
    request: HttpRequest,
    req: ExpertRequest,
    *,
    bound: dict[str, Any] | None = None,
    error: str = "",
) -> dict[str, Any]:
    bound = bound or {}
    return {
        "req": req,
        "wo": req.work_order,
        "messages_list": req.messages.all(),
        "photos": req.photos.all(),
        "message_form": bound.get("message") or MessageForm(),
        "resolve_form": bound.get("resolve") or ResolveForm(),
        "error": error,
        "is_open": req.state in (ExpertState.OPEN, ExpertState.ANSWERED),
    }


@login_required
def request_page(request: HttpRequest, pk: int) -> HttpResponse:
    req = get_object_or_404(visible(request.user), pk=pk)
    return render(request, "workshop/expert_request.html", request_context(request, req))


@require_POST
@login_required
def request_act(request: HttpRequest, pk: int, what: str) -> HttpResponse:
    req = get_object_or_404(visible(request.user), pk=pk)
    form: forms.Form
    if what in ("answer", "message"):
        key, form = "message", MessageForm(request.POST)
    elif what == "resolve":
        key, form = "resolve", ResolveForm(request.POST)
    else:
        raise Http404
    status = 422
    if form.is_valid():
        try:
            with transaction.atomic():
                if what == "answer":
                    expert.answer(req, actor=request.user, body=form.cleaned_data["body"])
                elif what == "message":
                    expert.add_message(req, actor=request.user, body=form.cleaned_data["body"])
                else:
                    expert.resolve(
                        req, actor=request.user, resolution=form.cleaned_data["resolution"]
                    )
        except ValidationError as err:
            add_action_errors(form, err)
        except PermissionDenied as err:
            form.add_error(None, str(err) or _("You may not do this."))
            status = 403
        except Conflict as err:
            form.add_error(None, str(err))
            status = 409
        else:
            return redirect("workshop:expert_request", pk=req.pk)
    req.refresh_from_db()
    ctx = request_context(request, req, bound={key: form})
    return render(request, "workshop/expert_request.html", ctx, status=status)
