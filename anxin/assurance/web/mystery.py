"""Mystery-check pages (暗访): the supervisor's report form (phone-sized), their quarterly
reports, and quality's tracking of every supervisor's quarter."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from anxin.accounts.roles import Role
from anxin.network.models import Outlet, RescueBase

from .. import periods
from ..actions import mystery as mystery_actions
from ..choices import ItemResult
from ..models import ChecklistTemplate, MysteryReport, SupervisorReport
from .common import can_change, page, run, visible
from .forms import QuarterlyForm


@login_required
def mystery_home(request: HttpRequest) -> HttpResponse:
    user = request.user
    quarter = request.GET.get("quarter") or periods.quarter_of(timezone.now())
    reports = visible(request, MysteryReport).select_related(
        "outlet", "base", "supervisor", "template"
    )
    quarterly = visible(request, SupervisorReport).select_related("supervisor", "region")
    if user.role == Role.VOLUNTEER_SUPERVISOR:
        mystery_actions.ensure_quarter_reports(periods.quarter_of(timezone.now()))
    tracking = quarterly.filter(quarter=quarter).order_by("region", "supervisor__username")
    counts: dict[int, int] = {}
    period = None
    try:
        period = periods.quarter(quarter)
    except ValidationError:
        pass
    if period is not None:
        for sid in reports.filter(
            visited_at__gte=period.start, visited_at__lt=period.end
        ).values_list("supervisor_id", flat=True):
            counts[sid] = counts.get(sid, 0) + 1
    return page(
        request,
        "mystery_home.html",
        {
            "title": _("Mystery checks"),
            "reports": reports[:100],
            "mine": quarterly.filter(supervisor=user).order_by("-quarter"),
            "tracking": [(r, counts.get(r.supervisor_id, 0)) for r in tracking],
            "quarter": quarter,
            "is_supervisor": user.role == Role.VOLUNTEER_SUPERVISOR,
            "may_file": can_change(user, MysteryReport),
        },
    )


@login_required
def new_report(request: HttpRequest) -> HttpResponse:
    """The supervisor's form: pick the checklist, the place, answer every item, describe."""
    if not can_change(request.user, MysteryReport):
        raise PermissionDenied
    templates = ChecklistTemplate.objects.filter(active=True)
    chosen = templates.filter(
        code=request.GET.get("template") or request.POST.get("template")
    ).first()
    outlets = visible(request, Outlet).filter(active=True).order_by("code")
    bases = visible(request, RescueBase).order_by("code")
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {"visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")}
    if request.method == "POST" and chosen is not None:
        values = request.POST.dict()
        place = request.POST.get("place", "")
        kind, _sep, ident = place.partition(":")
        outlet = outlets.filter(pk=ident).first() if kind == "outlet" and ident.isdigit() else None
        base = bases.filter(pk=ident).first() if kind == "base" and ident.isdigit() else None
        visited = parse_datetime(request.POST.get("visited_at", ""))
        if visited is not None and timezone.is_naive(visited):
            visited = timezone.make_aware(visited, periods.SHANGHAI)
        results = {
            item["code"]: request.POST.get(f"item_{item['code']}", "") for item in chosen.items
        }
        try:
            mystery_actions.file_report(
                actor=request.user,
                template=chosen,
                results=results,
                outlet=outlet,
                base=base,
                visited_at=visited,
                summary=request.POST.get("summary", ""),
                channel=request.POST.get("channel", ""),
            )
        except ValidationError as err:
            errors = err.message_dict
        else:
            messages.success(request, _("Report filed. Thank you."))
            return redirect("assurance:mystery")
    items = []
    if chosen is not None:
        for item in chosen.item_texts():
            items.append(
                {
                    **item,
                    "value": values.get(f"item_{item['code']}", ""),
                    "errors": errors.get(f"results.{item['code']}", []),
                }
            )
    return page(
        request,
        "mystery_form.html",
        {
            "title": _("Mystery-check report"),
            "templates": templates,
            "chosen": chosen,
            "outlet_choices": [(f"outlet:{o.pk}", f"{o.code} {o.name}") for o in outlets],
            "base_choices": [(f"base:{b.pk}", f"{b.code} {b.name}") for b in bases],
            "items": items,
            "errors": errors,
            "values": values,
            "results": ItemResult.choices,
        },
        422 if errors else 200,
    )


@login_required
def quarterly_page(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(
        visible(request, SupervisorReport).select_related("supervisor"), pk=pk
    )
    form = QuarterlyForm(request.POST or None, initial={"summary": report.summary})
    if request.method == "POST" and form.is_valid():
        ok, _c = run(
            form,
            lambda: mystery_actions.submit_quarterly(
                report, actor=request.user, **form.cleaned_data
            ),
        )
        if ok:
            messages.success(request, _("Quarterly report submitted."))
            return redirect("assurance:mystery")
    return page(
        request,
        "quarterly.html",
        {
            "title": _("Quarterly report"),
            "report": report,
            "form": form,
            "may": report.supervisor_id == request.user.pk and report.submitted_at is None,
            "due": report.due_date,
            "today": timezone.localdate(),
        },
        422 if form.errors else 200,
    )
