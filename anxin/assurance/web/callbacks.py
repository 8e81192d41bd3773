"""Callback pages (回访): the worklist (mine, due, overdue) and one callback with its script."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.audit.context import current_actor
from anxin.audit.models import PersonalDataAccess
from anxin.network.models import Region

from .. import records
from ..actions import callbacks as cb_actions
from ..actions import draws as draw_actions
from ..choices import CallbackPurpose, CallbackState, DrawPurpose
from ..models import Callback, Draw, ScriptQuestion
from ..queries import worklist
from .common import can_change, page, run, visible
from .forms import AttemptForm, MonthDrawForm, ReasonForm, ResultForm

TABS = ("mine", "due", "overdue", "open", "all")


@login_required
def worklist_page(request: HttpRequest) -> HttpResponse:
    """The callback worklist: my calls, due soon, overdue, all open, everything."""
    view = request.GET.get("view", "mine")
    if view not in TABS:
        view = "mine"
    now = timezone.now()
    base = visible(request, Callback).select_related("outlet", "base", "assignee")
    purpose = request.GET.get("purpose", "")
    if purpose in CallbackPurpose.values:
        base = base.filter(purpose=purpose)
    counts = {tab: worklist(base, request.user, tab, now).count() for tab in TABS}
    rows = worklist(base, request.user, view, now).order_by("due_at", "pk")
    pager = Paginator(rows, 50).get_page(request.GET.get("page"))
    return page(
        request,
        "callback_list.html",
        {
            "title": _("Callbacks"),
            "view": view,
            "tabs": [(t, counts[t]) for t in TABS],
            "purpose": purpose,
            "purposes": CallbackPurpose.choices,
            "page_obj": pager,
            "now": now,
        },
    )


def callback_context(request: HttpRequest, cb: Callback, **forms: Any) -> dict[str, Any]:
    verifications = list(cb.verifications.select_related("action"))
    pending = [v for v in verifications if not v.answer or v.answer == "unknown"]
    may = can_change(request.user, Callback) and cb.is_open
    return {
        "cb": cb,
        "title": _("Callback"),
        "job": records.record_for(cb.job_kind, cb.job_id),
        "attempts": cb.attempt_log.select_related("by"),
        "verifications": verifications,
        "may": may,
        "overdue": cb.is_overdue(),
        "attempt_form": forms.get("attempt_form") or AttemptForm(),
        "cancel_form": forms.get("cancel_form") or ReasonForm(),
        "result_form": forms.get("result_form")
        or ResultForm(questions=cb_actions.script_for(cb), verifications=pending),
        "phone": forms.get("phone"),
        "min_attempts": cb_actions.MIN_ATTEMPTS_UNREACHED,
        "answer_rows": answer_rows(cb),
    }


def answer_rows(cb: Callback) -> list[tuple[str, Any]]:
    """The script's answers with their questions' wording, in the script's order."""
    texts = {q.code: q.text for q in ScriptQuestion.objects.filter(code__in=cb.answers or {})}
    return [(texts.get(code, code), value) for code, value in (cb.answers or {}).items()]


def may_call(user: Any, cb: Callback) -> bool:
    """Who needs the full number: the person the call is assigned to, or the role's pool."""
    if user.is_superuser or user.may_see_pii:
        return True
    return cb.assignee_id == user.pk or (cb.assignee_id is None and cb.assignee_role == user.role)


@login_required
def callback_page(request: HttpRequest, pk: int) -> HttpResponse:
    cb = get_object_or_404(
        visible(request, Callback).select_related("outlet", "base", "region"), pk=pk
    )
    if request.method != "POST":
        return page(request, "callback.html", callback_context(request, cb))
    what = request.POST.get("what", "")
    if what == "reveal":
        if not may_call(request.user, cb):
            raise PermissionDenied
        PersonalDataAccess.objects.create(
            user=request.user,
            request_id=current_actor().request_id,
            model=cb._meta.label_lower,
            object_pk=str(cb.pk),
            fields="contact_name,contact_phone",
            purpose="callback",
        )
        phone = {"name": cb.contact_name, "phone": cb.contact_phone}
        return page(request, "callback.html", callback_context(request, cb, phone=phone))
    if what == "attempt":
        form = AttemptForm(request.POST)
        ok = (
            form.is_valid()
            and run(
                form, lambda: cb_actions.record_attempt(cb, actor=request.user, **form.cleaned_data)
            )[0]
        )
        if ok:
            messages.success(request, _("Attempt recorded."))
            return redirect("assurance:callback", pk=cb.pk)
        return page(request, "callback.html", callback_context(request, cb, attempt_form=form), 422)
    if what == "cancel":
        form = ReasonForm(request.POST)
        ok = (
            form.is_valid()
            and run(
                form,
                lambda: cb_actions.cancel(
                    cb, actor=request.user, reason=form.cleaned_data["reason"]
                ),
            )[0]
        )
        if ok:
            return redirect("assurance:callback", pk=cb.pk)
        return page(request, "callback.html", callback_context(request, cb, cancel_form=form), 422)
    pending = [
        v
        for v in cb.verifications.select_related("action")
        if not v.answer or v.answer == "unknown"
    ]
    form = ResultForm(request.POST, questions=cb_actions.script_for(cb), verifications=pending)
    if form.is_valid():
        ok, _conflict = run(
            form,
            lambda: cb_actions.complete(
                cb,
                actor=request.user,
                reached=form.cleaned_data["reached"],
                satisfied=form.satisfied_value(),
                issues=form.cleaned_data["issues"],
                issue_tags=form.cleaned_data["issue_tags"],
                answers=form.answers(),
                verifications=form.verification_answers(),
                note=form.cleaned_data["note"],
            ),
        )
        if ok:
            messages.success(request, _("Callback completed."))
            return redirect("assurance:callback", pk=cb.pk)
    cb.refresh_from_db()
    return page(request, "callback.html", callback_context(request, cb, result_form=form), 422)


# --- draws ----------------------------------------------------------------------------------
@login_required
def draw_list(request: HttpRequest) -> HttpResponse:
    regions = visible(request, Region).order_by("code")
    may = can_change(request.user, Draw)
    form = MonthDrawForm(request.POST or None, regions=regions)
    if request.method == "POST":
        if not may:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            holder: dict[str, Draw] = {}
            ok, _c = run(
                form,
                lambda: holder.update(
                    draw=draw_actions.draw_callbacks(
                        data["region"], data["month"], seed=data["seed"], actor=request.user
                    )
                ),
            )
            if ok:
                return redirect("assurance:draw", pk=holder["draw"].pk)
    draws = visible(request, Draw).select_related("region", "drawn_by")
    return page(
        request,
        "draw_list.html",
        {
            "title": _("Random draws"),
            "draws": draws[:200],
            "form": form,
            "may": may,
        },
        422 if form.errors else 200,
    )


@login_required
def draw_page(request: HttpRequest, pk: int) -> HttpResponse:
    draw = get_object_or_404(visible(request, Draw).select_related("region"), pk=pk)
    check = draw_actions.verify_draw(draw) if request.GET.get("verify") else None
    strata = []
    names = _stratum_names(draw.strata)
    for key, (size, n) in sorted(draw.strata.items()):
        strata.append({"key": key, "name": names.get(key, key), "size": size, "n": n})
    callbacks = visible(request, Callback).filter(draw=draw).select_related("outlet", "base")
    return page(
        request,
        "draw.html",
        {
            "title": _("Random draw"),
            "draw": draw,
            "check": check,
            "strata": strata,
            "callbacks": callbacks,
            "is_callback": draw.purpose == DrawPurpose.CALLBACK,
            "audit": getattr(draw, "audit", None),
        },
    )


def _stratum_names(strata: dict[str, Any]) -> dict[str, str]:
    from anxin.network.models import Outlet, RescueBase

    ids = {"outlet": [], "base": []}
    for key in strata:
        kind, _sep, ident = key.partition(":")
        if kind in ids and ident.isdigit():
            ids[kind].append(int(ident))
    names = {
        f"outlet:{o.pk}": f"{o.code} {o.name}" for o in Outlet.objects.filter(pk__in=ids["outlet"])
    }
    names.update(
        {
            f"base:{b.pk}": f"{b.code} {b.name}"
            for b in RescueBase.objects.filter(pk__in=ids["base"])
        }
    )
    return names


OPEN = CallbackState.OPEN
