"""Improvement action pages (整改): the board, a new action from its source, one action."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.accounts.models import User

from .. import sources
from ..actions import improvements as imp
from ..choices import ActionState, SourceKind
from ..models import ImprovementAction
from .common import can_change, page, run, visible
from .forms import ActionForm, ImplementForm, ReasonForm

BOARD_COLUMNS = (
    ActionState.OPEN,
    ActionState.REOPENED,
    ActionState.IMPLEMENTED,
    ActionState.CLOSED,
)


@login_required
def board(request: HttpRequest) -> HttpResponse:
    """Improvement actions by state; filter by owner, overdue, source."""
    today = timezone.localdate()
    qs = visible(request, ImprovementAction).select_related("owner", "outlet", "region")
    owner = request.GET.get("owner", "")
    if owner == "me":
        qs = qs.filter(owner=request.user)
    elif owner.isdigit():
        qs = qs.filter(owner_id=int(owner))
    overdue = request.GET.get("overdue") == "1"
    if overdue:
        qs = qs.filter(state__in=(ActionState.OPEN, ActionState.REOPENED), due_date__lt=today)
    source = request.GET.get("source", "")
    if source in SourceKind.values:
        qs = qs.filter(source_kind=source)
    columns = []
    for state in BOARD_COLUMNS:
        rows = qs.filter(state=state).order_by("due_date", "pk")
        if state == ActionState.CLOSED:
            rows = rows.order_by("-closed_at")[:30]
        columns.append({"state": state, "label": ActionState(state).label, "actions": list(rows)})
    owners = User.objects.filter(
        pk__in=visible(request, ImprovementAction).values("owner_id")
    ).order_by("username")
    return page(
        request,
        "improvement_board.html",
        {
            "title": _("Improvement actions"),
            "columns": columns,
            "today": today,
            "owner": owner,
            "owners": owners,
            "overdue": overdue,
            "source": source,
            "sources": SourceKind.choices,
            "overdue_count": visible(request, ImprovementAction)
            .filter(state__in=(ActionState.OPEN, ActionState.REOPENED), due_date__lt=today)
            .count(),
            "may_create": can_change(request.user, ImprovementAction),
        },
    )


@login_required
def new_action(request: HttpRequest) -> HttpResponse:
    """``/assurance/improvements/new/?source=complaint:<id>`` — the feedback pages link here."""
    if not can_change(request.user, ImprovementAction):
        raise PermissionDenied
    ref = request.GET.get("source") or request.POST.get("source", "")
    source, problem = None, ""
    try:
        kind, ident = sources.parse(ref)
        source = sources.resolve(kind, ident, request.user)
    except ValidationError as err:
        problem = " ".join(m for ms in err.message_dict.values() for m in ms)
    region_id = source.region_id if source else None
    if region_id is None and not request.user.is_national:
        region_id = request.user.region_id
    initial = {"title": source.label if source else "", "owner": None}
    form = ActionForm(request.POST or None, region_id=region_id, initial=initial)
    if request.method == "POST" and source is not None and form.is_valid():
        holder: dict[str, Any] = {}
        data = form.cleaned_data
        ok, _c = run(
            form,
            lambda: holder.update(
                action=imp.create_action(
                    actor=request.user,
                    source_kind=source.kind,
                    source_id=source.id,
                    region=_region(request, region_id),
                    **data,
                )
            ),
        )
        if ok:
            messages.success(
                request, _("Improvement action %(n)s opened.") % {"n": holder["action"].number}
            )
            return redirect("assurance:improvement", pk=holder["action"].pk)
    return page(
        request,
        "improvement_new.html",
        {
            "title": _("New improvement action"),
            "form": form,
            "source": source,
            "ref": ref,
            "problem": problem,
        },
        422 if request.method == "POST" else 200,
    )


def _region(request: HttpRequest, region_id: int | None) -> Any:
    from anxin.network.models import Region

    return Region.objects.filter(pk=region_id).first() if region_id else None


def action_context(request: HttpRequest, action: ImprovementAction, **forms: Any) -> dict[str, Any]:
    return {
        "title": _("Improvement action"),
        "action": action,
        "transitions": action.transitions.select_related("actor", "callback"),
        "verifications": action.verifications.select_related("callback"),
        "may_implement": imp.may(request.user, action, "implement"),
        "may_cancel": imp.may(request.user, action, "cancel"),
        "implement_form": forms.get("implement_form") or ImplementForm(),
        "cancel_form": forms.get("cancel_form") or ReasonForm(),
        "overdue": action.is_overdue(),
    }


@login_required
def action_page(request: HttpRequest, pk: int) -> HttpResponse:
    action = get_object_or_404(
        visible(request, ImprovementAction).select_related("owner", "outlet", "region", "base"),
        pk=pk,
    )
    if request.method != "POST":
        return page(request, "improvement.html", action_context(request, action))
    what = request.POST.get("what", "")
    if what == "implement":
        form = ImplementForm(request.POST)
        ok = (
            form.is_valid()
            and run(
                form,
                lambda: imp.perform(
                    action, "implement", actor=request.user, note=form.cleaned_data["note"]
                ),
            )[0]
        )
        if ok:
            messages.success(
                request, _("Marked implemented: it will be verified at the next callbacks.")
            )
            return redirect("assurance:improvement", pk=action.pk)
        return page(
            request, "improvement.html", action_context(request, action, implement_form=form), 422
        )
    if what == "cancel":
        form = ReasonForm(request.POST)
        ok = (
            form.is_valid()
            and run(
                form,
                lambda: imp.perform(
                    action, "cancel", actor=request.user, note=form.cleaned_data["reason"]
                ),
            )[0]
        )
        if ok:
            return redirect("assurance:improvement", pk=action.pk)
        return page(
            request, "improvement.html", action_context(request, action, cancel_form=form), 422
        )
    return redirect("assurance:improvement", pk=action.pk)
