"""The audit workspace (季度内审): draw a quarter, read the automatic findings, decide."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _

from anxin.network.models import Region

from .. import audit_rules
from ..actions import audits as audit_actions
from ..choices import FindingState
from ..models import Audit, AuditFinding
from .common import can_change, page, run, visible
from .forms import ConfirmFindingForm, QuarterDrawForm, ReasonForm


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    regions = visible(request, Region).order_by("code")
    may = can_change(request.user, Audit)
    form = QuarterDrawForm(request.POST or None, regions=regions)
    if request.method == "POST":
        if not may:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            holder: dict[str, Audit] = {}
            ok, _c = run(
                form,
                lambda: holder.update(
                    audit=audit_actions.draw_audit(
                        data["region"], data["quarter"], seed=data["seed"], actor=request.user
                    )
                ),
            )
            if ok:
                return redirect("assurance:audit", pk=holder["audit"].pk)
    audits = visible(request, Audit).select_related("region", "draw")
    return page(
        request,
        "audit_list.html",
        {
            "title": _("Internal audits"),
            "audits": audits,
            "form": form,
            "may": may,
        },
        422 if form.errors else 200,
    )


def audit_context(request: HttpRequest, audit: Audit, **extra: Any) -> dict[str, Any]:
    rows = []
    for rec in audit.records.prefetch_related("findings__action").select_related("outlet", "base"):
        rows.append(
            {
                "record": rec,
                "findings": list(rec.findings.all()),
                "rules": [
                    audit_rules.RULES_BY_CODE[c]
                    for c in rec.rules_run
                    if c in audit_rules.RULES_BY_CODE
                ],
                "url": _job_url(rec.job_kind, rec.job_id),
            }
        )
    proposed = AuditFinding.objects.filter(record__audit=audit, state=FindingState.PROPOSED).count()
    return {
        "title": _("Audit workspace"),
        "audit": audit,
        "rows": rows,
        "proposed": proposed,
        "may": can_change(request.user, Audit) and audit.state == "open",
        "confirm_form": extra.get("confirm_form") or ConfirmFindingForm(region_id=audit.region_id),
        "override_form": extra.get("override_form") or ReasonForm(),
        "failed": extra.get("failed"),
    }


def _job_url(kind: str, job_id: int) -> str | None:
    from django.urls import NoReverseMatch, reverse

    name = "rescue:job" if kind == "rescue" else "workshop:workorder"
    try:
        return reverse(name, args=[job_id])
    except NoReverseMatch:
        return None


@login_required
def audit_page(request: HttpRequest, pk: int) -> HttpResponse:
    audit = get_object_or_404(visible(request, Audit).select_related("region", "draw"), pk=pk)
    if request.method != "POST":
        return page(request, "audit.html", audit_context(request, audit))
    what = request.POST.get("what", "")
    if what == "close":
        form = ReasonForm({"reason": "-"})
        form.is_valid()
        ok, _c = run(form, lambda: audit_actions.close_audit(audit, actor=request.user))
        if ok:
            return redirect("assurance:audit", pk=audit.pk)
        messages.error(request, " ".join(str(e) for e in form.non_field_errors()))
        return redirect("assurance:audit", pk=audit.pk)
    finding = get_object_or_404(
        visible(request, AuditFinding).filter(record__audit=audit), pk=request.POST.get("finding")
    )
    if what == "confirm":
        form = ConfirmFindingForm(request.POST, region_id=audit.region_id)
        ok = (
            form.is_valid()
            and run(
                form,
                lambda: audit_actions.confirm_finding(
                    finding, actor=request.user, **form.cleaned_data
                ),
            )[0]
        )
        if ok:
            messages.success(request, _("Finding confirmed: improvement action opened."))
            return redirect("assurance:audit", pk=audit.pk)
        return page(
            request,
            "audit.html",
            audit_context(request, audit, confirm_form=form, failed=finding.pk),
            422,
        )
    form = ReasonForm(request.POST)
    ok = (
        form.is_valid()
        and run(
            form,
            lambda: audit_actions.override_finding(
                finding, actor=request.user, reason=form.cleaned_data["reason"]
            ),
        )[0]
    )
    if ok:
        return redirect("assurance:audit", pk=audit.pk)
    return page(
        request,
        "audit.html",
        audit_context(request, audit, override_form=form, failed=finding.pk),
        422,
    )
