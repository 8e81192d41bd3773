"""The customer's pages, reached by the personal link only (no login): the quote to approve
(报价确认) and, after delivery, the electronic work order (电子工单)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from anxin.api.base import Conflict

from .. import actions
from ..choices import WorkOrderState
from ..models import WorkOrder
from .common import add_action_errors, over_limit
from .forms import LookupForm, QuoteDecisionForm, VerifyForm

S = WorkOrderState
DELIVERED = frozenset({S.DELIVERED, S.SETTLED})


def quote_lines(wo: WorkOrder) -> list[dict[str, Any]]:
    """The quote's lines as sent (the snapshot), with the labels the customer reads."""
    from ..choices import ChargeTo

    labels = dict(ChargeTo.choices)
    rows = []
    for line in (wo.quote or {}).get("lines", []):
        rows.append({**line, "charge_label": labels.get(line.get("charge_to"), "")})
    return rows


def quote_context(wo: WorkOrder, token: str, form: QuoteDecisionForm | None = None) -> dict:
    return {
        "wo": wo,
        "token": token,
        "lines": quote_lines(wo),
        "quote": wo.quote or {},
        "awaiting": wo.state == S.APPROVAL,
        "form": form or QuoteDecisionForm(initial={"quote_version": wo.quote_version}),
    }


@csrf_protect
@never_cache
def quote(request: HttpRequest, token: str) -> HttpResponse:
    """Approve or reject the quote. Once decided, the link shows the decision and nothing more."""
    if not token or len(token) > 64:
        raise Http404
    try:
        wo = actions.work_order_for_token(token)
    except ValidationError as err:
        return render(
            request, "workshop/link_invalid.html", {"message": " ".join(err.messages)}, status=404
        )
    if request.method != "POST":
        return render(request, "workshop/quote.html", quote_context(wo, token))
    form = QuoteDecisionForm(request.POST)
    if over_limit(request, "quote", limit=20):
        form.is_valid()
        form.add_error(None, _("Too many requests. Please call the outlet."))
        return render(request, "workshop/quote.html", quote_context(wo, token, form), status=429)
    status = 422
    if form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                if data["decision"] == "approve":
                    actions.approve_by_token(
                        token, signer_name=data["signer_name"], quote_version=data["quote_version"]
                    )
                else:
                    actions.reject_by_token(token, reason=data["reason"])
        except ValidationError as err:
            add_action_errors(form, err)
        except Conflict as err:
            form.add_error(None, str(err))
            status = 409
        else:
            return redirect("workshop:quote", token=token)
    wo.refresh_from_db()
    return render(request, "workshop/quote.html", quote_context(wo, token, form), status=status)


def delivered_by_token(token: str) -> WorkOrder:
    """The work order behind the customer's link, once delivered (the link does not expire:
    the electronic work order is the customer's record of the repair and its warranty)."""
    if not token or len(token) > 64:
        raise Http404
    wo = (
        WorkOrder.objects.select_related("outlet", "vehicle", "customer")
        .filter(quote_token=token, state__in=DELIVERED)
        .first()
    )
    if wo is None:
        raise Http404
    return wo


@never_cache
def ework_public(request: HttpRequest, token: str) -> HttpResponse:
    from ..eorder import page_data

    wo = delivered_by_token(token)
    return render(
        request,
        "workshop/ework_public.html",
        {"wo": wo, "token": token, **page_data(wo)},
    )


@never_cache
def ework_public_pdf(request: HttpRequest, token: str) -> HttpResponse:
    wo = delivered_by_token(token)
    if not wo.ework_pdf:
        raise Http404(_("The PDF is being prepared; try again in a minute."))
    return FileResponse(
        wo.ework_pdf.open("rb"),
        content_type="application/pdf",
        filename=f"{wo.number}.pdf",
    )


@csrf_protect
@never_cache
def verify(request: HttpRequest) -> HttpResponse:
    """Check a printed or forwarded electronic work order: number and code must both match.

    Shows only what the paper already shows, masked; rate-limited like the other public pages
    so the codes cannot be guessed.
    """
    form = VerifyForm(request.POST or None)
    found: WorkOrder | None = None
    status = 200
    checked = False
    if request.method == "POST":
        if over_limit(request, "verify", limit=20):
            form.is_valid()
            form.add_error(None, _("Too many requests. Please call the outlet."))
            status = 429
        elif form.is_valid():
            checked = True
            found = (
                WorkOrder.objects.select_related("outlet", "vehicle")
                .filter(
                    number=form.cleaned_data["number"],
                    verification_code=form.cleaned_data["code"],
                    state__in=DELIVERED,
                )
                .first()
            )
            status = 200 if found else 404
        else:
            status = 422
    return render(
        request,
        "workshop/verify.html",
        {"form": form, "found": found, "checked": checked},
        status=status,
    )


@csrf_protect
@never_cache
def lookup(request: HttpRequest) -> HttpResponse:
    """The fixed address the SMS names: number + lookup code open the personal page.

    Rate-limited like the other public pages, so codes cannot be tried in bulk; a miss says
    only that the pair does not match, not which half was wrong.
    """
    from ..lookup import page_for

    data = request.POST if request.method == "POST" else (request.GET or None)
    form = LookupForm(data)
    status = 200
    if data is not None:
        if over_limit(request, "lookup", limit=20):
            form.is_valid()
            form.add_error(None, _("Too many requests. Please call the outlet."))
            status = 429
        elif form.is_valid():
            target = page_for(form.cleaned_data["number"], form.cleaned_data["code"])
            if target:
                return redirect(target)
            form.add_error(
                None, _("No appointment or work order has this number and code. Check both.")
            )
            status = 404
        else:
            status = 422
    return render(request, "workshop/lookup.html", {"form": form}, status=status)
