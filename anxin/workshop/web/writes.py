"""The work order page's writes: one handler per kind of POST, each binding its form and calling
the domain's action function. :func:`act` runs a handler in a transaction and rolls everything
back when the write is refused (form errors, 422), so a refused write leaves nothing behind; a
permission refusal answers 403 and a lost race 409, both with the page and the fresh state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anxin.api.base import Conflict

from .. import actions, checks, files, safety
from ..choices import InspectionStage
from ..models import LabourLine, PartLine, WorkOrder
from ..transitions import TRANSITIONS
from .common import add_action_errors, errors_of
from .forms import (
    ApproveInPersonForm,
    DetailsForm,
    ExpertRequestForm,
    FinishOperationForm,
    FittedForm,
    HVCheckForm,
    InspectionForm,
    LabourLineForm,
    OilForm,
    PartLineForm,
    ReasonForm,
    SettleForm,
)
from .workorders import (
    details_of,
    item_label,
    outlet_technicians,
    page_context,
    region_staff,
    visible,
)

Handler = Callable[[HttpRequest, WorkOrder], "Outcome"]


class Outcome:
    """What a write produced: the bound forms to show again (empty: it worked)."""

    def __init__(self, bound: dict[str, Any] | None = None, failed: str = "") -> None:
        self.bound = bound or {}
        self.failed = failed


def do_transition(request: HttpRequest, wo: WorkOrder) -> Outcome:
    name = request.POST.get("name", "")
    form = ReasonForm(request.POST)
    t = TRANSITIONS.get(name)
    if t is None:
        form.is_valid()
        form.add_error(None, _("unknown transition"))
        return Outcome({"reason": form}, name)
    if not t.needs_reason:
        form.fields["reason"].required = False
    if not form.is_valid():
        return Outcome({"reason": form}, name)
    reason = form.cleaned_data["reason"]
    try:
        if name == "send_quote":
            actions.send_quote(wo, actor=request.user)
        elif name == "reject_quote":
            actions.reject_quote(wo, actor=request.user, reason=reason)
        else:
            actions.perform(wo, name, actor=request.user, reason=reason)
    except ValidationError as err:
        add_action_errors(form, err)
        return Outcome({"reason": form}, name)
    return Outcome()


def do_approve(request: HttpRequest, wo: WorkOrder) -> Outcome:
    form = ApproveInPersonForm(request.POST)
    if form.is_valid():
        try:
            actions.approve_quote(
                wo,
                actor=request.user,
                via="in_person",
                signer_name=form.cleaned_data["signer_name"],
                quote_version=_int(request.POST.get("quote_version")),
            )
            return Outcome()
        except ValidationError as err:
            add_action_errors(form, err)
    return Outcome({"approve": form}, "approve_quote")


def do_settle(request: HttpRequest, wo: WorkOrder) -> Outcome:
    form = SettleForm(request.POST)
    if form.is_valid():
        try:
            actions.settle(wo, actor=request.user, **form.cleaned_data)
            return Outcome()
        except ValidationError as err:
            add_action_errors(form, err)
    return Outcome({"settle": form}, "settle")


def do_details(request: HttpRequest, wo: WorkOrder) -> Outcome:
    form = DetailsForm(request.POST, technicians=outlet_technicians(wo), initial=details_of(wo))
    if form.is_valid():
        changes = {k: v for k, v in form.cleaned_data.items() if k in form.changed_data}
        if changes:
            try:
                actions.update_details(
                    wo,
                    actor=request.user,
                    expected_version=_int(request.POST.get("version")),
                    **changes,
                )
                return Outcome()
            except ValidationError as err:
                add_action_errors(form, err)
        else:
            return Outcome()
    return Outcome({"details": form}, "details")


def do_oil(request: HttpRequest, wo: WorkOrder) -> Outcome:
    form = OilForm(request.POST)
    if form.is_valid():
        try:
            actions.record_oil(
                wo,
                actor=request.user,
                brand=form.cleaned_data["oil_brand"],
                grade=form.cleaned_data["oil_grade"],
            )
            return Outcome()
        except ValidationError as err:
            add_action_errors(form, err)
    return Outcome({"oil": form}, "oil")


def do_add_labour(request: HttpRequest, wo: WorkOrder) -> Outcome:
    form = LabourLineForm(request.POST)
    if form.is_valid():
        try:
            actions.add_labour_line(wo, form.cleaned_data["operation"].strip(), actor=request.user)
            return Outcome()
        except ValidationError as err:
            add_action_errors(form, err)
    return Outcome({"labour": form}, "labour")


def do_add_part(request: HttpRequest, wo: WorkOrder) -> Outcome:
    form = PartLineForm(request.POST)
    if form.is_valid():
        try:
            actions.add_part_line(
                wo,
                form.cleaned_data["part"].strip(),
                actor=request.user,
                quantity=form.cleaned_data["quantity"],
            )
            return Outcome()
        except ValidationError as err:
            add_action_errors(form, err)
    return Outcome({"part": form}, "part")


def do_remove_line(request: HttpRequest, wo: WorkOrder) -> Outcome:
    line = _line(request, wo)
    form = forms.Form({})
    form.is_valid()
    try:
        actions.remove_line(line, actor=request.user)
        return Outcome()
    except ValidationError as err:
        add_action_errors(form, err)
    return Outcome({"lines": form}, "lines")


def do_start_operation(request: HttpRequest, wo: WorkOrder) -> Outcome:
    line = _line(request, wo, LabourLine)
    form = FinishOperationForm(request.POST, prefix=f"l{line.pk}")
    form.is_valid()
    try:
        actions.start_operation(line, actor=request.user)
        return Outcome()
    except ValidationError as err:
        add_action_errors(form, err)
    return Outcome({f"finish-{line.pk}": form}, f"op-{line.pk}")


def do_finish_operation(request: HttpRequest, wo: WorkOrder) -> Outcome:
    line = _line(request, wo, LabourLine)
    form = FinishOperationForm(request.POST, prefix=f"l{line.pk}")
    if form.is_valid():
        try:
            actions.finish_operation(
                line, actor=request.user, actual_hours=form.cleaned_data["actual_hours"]
            )
            return Outcome()
        except ValidationError as err:
            add_action_errors(form, err)
    return Outcome({f"finish-{line.pk}": form}, f"op-{line.pk}")


def do_fitted(request: HttpRequest, wo: WorkOrder) -> Outcome:
    line = _line(request, wo, PartLine)
    form = FittedForm(request.POST, prefix=f"p{line.pk}")
    if form.is_valid():
        try:
            actions.record_part_fitted(
                line,
                actor=request.user,
                batch_no=form.cleaned_data["batch_no"],
                supplier=form.cleaned_data["supplier"],
            )
            return Outcome()
        except ValidationError as err:
            add_action_errors(form, err)
    return Outcome({f"fitted-{line.pk}": form}, f"part-{line.pk}")


def do_hv_check(request: HttpRequest, wo: WorkOrder) -> Outcome:
    form = HVCheckForm(request.POST, technicians=region_staff(wo))
    if form.is_valid():
        try:
            safety.record_hv_check(wo, actor=request.user, **form.cleaned_data)
            return Outcome()
        except ValidationError as err:
            add_action_errors(form, err)
    return Outcome({"hv": form}, "hv")


def do_inspection(request: HttpRequest, wo: WorkOrder) -> Outcome:
    """Photos, then the results, and with ``sign=1`` the sign-off by the responsible person.

    Without ``sign`` it is a draft (photos and results kept, the check not complete). A refused
    sign-off keeps nothing of the request, the photos sent with it included (see :func:`act`).
    """
    stage = request.POST.get("stage", "")
    if stage not in InspectionStage.values:
        raise Http404
    inspection = checks.open_inspection(wo, stage, actor=request.user)
    form = InspectionForm(
        request.POST,
        request.FILES,
        items=list(inspection.items),
        staff=region_staff(wo),
        label=item_label,
        prefix=stage,
    )
    sign = request.POST.get("sign") == "1"
    if form.is_valid():
        try:
            for item, upload in form.photos():
                checks.add_inspection_photo(wo, stage, item, upload, actor=request.user)
            if sign or form.results():
                checks.record_inspection(
                    wo,
                    stage,
                    actor=request.user,
                    results=form.results(),
                    responsible=form.cleaned_data["responsible"],
                    remarks=form.cleaned_data["remarks"],
                    sign=sign,
                )
            return Outcome()
        except ValidationError as err:
            add_action_errors(form, err)
    return Outcome({"inspections": {stage: form}}, f"inspection-{stage}")


def do_expert(request: HttpRequest, wo: WorkOrder) -> Outcome:
    from .. import expert

    form = ExpertRequestForm(request.POST, request.FILES)
    if form.is_valid():
        photo = form.cleaned_data.get("photo")
        try:
            expert.open_expert_request(
                wo,
                actor=request.user,
                question=form.cleaned_data["question"],
                fault_codes=form.cleaned_data["fault_codes"],
                photos=[photo] if photo else [],
            )
            return Outcome()
        except ValidationError as err:
            add_action_errors(form, err)
    return Outcome({"expert": form}, "expert")


HANDLERS: dict[str, Handler] = {
    "transition": do_transition,
    "approve": do_approve,
    "settle": do_settle,
    "details": do_details,
    "oil": do_oil,
    "add_labour": do_add_labour,
    "add_part": do_add_part,
    "remove_line": do_remove_line,
    "start_operation": do_start_operation,
    "finish_operation": do_finish_operation,
    "fitted": do_fitted,
    "hv_check": do_hv_check,
    "inspection": do_inspection,
    "expert": do_expert,
}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _line(request: HttpRequest, wo: WorkOrder, model: Any = None) -> Any:
    kind = request.POST.get("line_kind", "labour" if model is LabourLine else "part")
    model = model or (LabourLine if kind == "labour" else PartLine)
    pk = _int(request.POST.get("line"))
    line = model.objects.filter(work_order=wo, pk=pk).first() if pk else None
    if line is None:
        raise Http404
    return line


def back_url(request: HttpRequest, wo: WorkOrder) -> str:
    nxt = request.POST.get("next", "")
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return nxt
    return reverse("workshop:work_order", args=[wo.pk])


def render_page(request: HttpRequest, wo: WorkOrder, status: int, **kwargs: Any) -> HttpResponse:
    """The desk page, or the technician's phone page when the form came from there."""
    if request.POST.get("view") == "tech":
        from .tech import tech_context

        ctx = tech_context(request, wo, **kwargs)
        return render(request, "workshop/tech_job.html", ctx, status=status)
    return render(
        request, "workshop/work_order.html", page_context(request, wo, **kwargs), status=status
    )


@require_POST
@login_required
def act(request: HttpRequest, pk: int, what: str) -> HttpResponse:
    wo = get_object_or_404(visible(request.user), pk=pk)
    handler = HANDLERS.get(what)
    if handler is None:
        raise Http404
    try:
        with files.discard_on_rollback():  # a refused write keeps none of its photos either
            outcome = handler(request, wo)
            if outcome.bound:
                # Nothing of a refused write stays (a handler's partial step included).
                transaction.set_rollback(True)
    except PermissionDenied as err:
        wo.refresh_from_db()
        return render_page(request, wo, 403, denied=str(err) or _("You may not do this."))
    except Conflict as err:
        wo.refresh_from_db()
        return render_page(request, wo, 409, conflict=err)
    except ValidationError as err:  # refused before any form could hold the message
        wo.refresh_from_db()
        return render_page(request, wo, 422, error=" ".join(errors_of(err)))
    if not outcome.bound:
        return redirect(back_url(request, wo))
    wo.refresh_from_db()
    return render_page(request, wo, 422, bound=outcome.bound, failed=outcome.failed)
