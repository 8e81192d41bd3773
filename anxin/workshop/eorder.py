"""The electronic work order (电子工单, WS-5) as a page and as a PDF rendered by the worker.

Both read :func:`anxin.workshop.ework.ework_data`, so the page and the document cannot
disagree. The PDF is rendered by the ``workshop.render_ework`` job (queued by ``deliver`` in
the delivery's transaction), never inside a request: laying out and subsetting the embedded
Chinese font takes about a second. The verification code printed on it lets anyone holding the
paper check it against the outlet's record.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.base import ContentFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anxin.core import pdf
from anxin.worker.api import enqueue, handler

from .choices import WorkOrderState
from .ework import RENDER_JOB, ework_data
from .models import WorkOrder

S = WorkOrderState
DELIVERED = frozenset({S.DELIVERED, S.SETTLED})


# --- formatting --------------------------------------------------------------------------
def money(value: Any) -> str:
    if value is None or value == "":
        return "—"
    return f"¥{Decimal(value):,.2f}"


def when(value: dt.datetime | dt.date | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime(fmt)
    return value.strftime("%Y-%m-%d")


def number(value: Any) -> str:
    if value is None or value == "":
        return "—"
    return f"{Decimal(value).normalize():f}"


# --- the document ------------------------------------------------------------------------
def page_data(wo: WorkOrder) -> dict[str, Any]:
    """What the e-work-order page shows: the shared data plus the link to the PDF."""
    return {
        "e": ework_data(wo),
        "pdf_ready": bool(wo.ework_pdf),
        "rendered_at": wo.ework_rendered_at,
    }


def blocks(data: dict[str, Any]) -> list[pdf.Block]:
    """The document, block by block, from :func:`ework_data`'s dict."""
    outlet, vehicle, costs = data["outlet"], data["vehicle"], data["costs"]
    out: list[pdf.Block] = [
        pdf.Title(_("Electronic work order %(number)s") % {"number": data["number"]}),
        pdf.Subtitle(
            " · ".join(
                x
                for x in (
                    outlet["name"],
                    outlet["licence_number"]
                    and _("shop licence %(number)s") % {"number": outlet["licence_number"]},
                    outlet["address"],
                    outlet["phone"],
                )
                if x
            )
        ),
        pdf.KeyValues(
            [
                (_("work order number"), data["number"]),
                (_("verification code"), data["verification_code"]),
                (_("plate"), vehicle["plate"] or "—"),
                (_("VIN"), vehicle["vin"]),
                (_("vehicle"), f"{vehicle['brand']} {vehicle['model']} · {vehicle['powertrain']}"),
                (_("mileage (km)"), number(vehicle["mileage_km"])),
                (
                    _("job type"),
                    " · ".join(
                        x
                        for x in (data["job_type"], data["inspection_kind"], data["warranty_cover"])
                        if x
                    ),
                ),
                (_("customer"), f"{data['customer']['name']} {data['customer']['phone']}"),
                (_("received at"), when(data["received_at"])),
                (_("delivered at"), when(data["delivered_at"])),
                (_("service advisor"), data["advisor"] or "—"),
                (
                    _("quote approved"),
                    f"{data['approved_by']} · {data['approved_via']} · {when(data['approved_at'])}"
                    if data["approved_by"]
                    else "—",
                ),
            ]
            + ([(_("rework of"), data["rework_of"])] if data["rework_of"] else [])
            + (
                [
                    (
                        _("designated-repair contract"),
                        f"{data['contract']['fleet']} {data['contract']['number']}",
                    )
                ]
                if data["contract"]
                else []
            )
        ),
    ]
    facts = []
    if data["complaint"]:
        facts.append(_("Customer's description: %(text)s") % {"text": data["complaint"]})
    if data["diagnosis"]:
        facts.append(_("Diagnosis: %(text)s") % {"text": data["diagnosis"]})
    if data["fault_codes"]:
        facts.append(_("Fault codes: %(codes)s") % {"codes": ", ".join(data["fault_codes"])})
    if data["oil"]:
        facts.append(
            _("Oil used: %(brand)s %(grade)s")
            % {"brand": data["oil"]["brand"], "grade": data["oil"]["grade"]}
        )
    if facts:
        out.append(pdf.Heading(_("Fault and diagnosis")))
        out += [pdf.Paragraph(f) for f in facts]
    if data["labour"]:
        out.append(pdf.Heading(_("Work done")))
        out.append(
            pdf.Table(
                [
                    _("operation"),
                    _("standard h"),
                    _("actual h"),
                    _("technician"),
                    _("amount"),
                    _("charged to"),
                    _("warranty"),
                ],
                [
                    [
                        f"{line['name']}（{line['system']}）",
                        number(line["standard_hours"]),
                        number(line["actual_hours"]),
                        line["technician"] or "—",
                        money(line["amount"]),
                        line["charge_to"],
                        warranty_text(line),
                    ]
                    for line in data["labour"]
                ],
                widths=[28, 12, 11, 13, 12, 12, 16],
                align="LRRLRLL",
            )
        )
    if data["parts"]:
        out.append(pdf.Heading(_("Parts fitted")))
        out.append(
            pdf.Table(
                [
                    _("part"),
                    _("quantity"),
                    _("unit price"),
                    _("amount"),
                    _("batch"),
                    _("supplier"),
                    _("warranty"),
                ],
                [
                    [
                        f"{line['code']} {line['name']}",
                        f"{number(line['quantity'])} {line['unit']}",
                        money(line["unit_price"]),
                        money(line["amount"]),
                        line["batch_no"] or "—",
                        line["supplier"] or "—",
                        warranty_text(line),
                    ]
                    for line in data["parts"]
                ],
                widths=[25, 11, 12, 12, 14, 15, 16],
                align="LRRRLLL",
            )
        )
    out.append(pdf.Heading(_("Costs")))
    cost_rows = [
        (_("labour"), money(costs["labour"])),
        (_("parts"), money(costs["parts"])),
        (_("total"), money(costs["total"])),
        (_("customer pays"), money(costs["customer"])),
    ]
    if costs["warranty"]:
        cost_rows.append((_("warranty (manufacturer)"), money(costs["warranty"])))
    if costs["contract"]:
        cost_rows.append((_("fleet contract"), money(costs["contract"])))
    if costs["paid"] is not None:
        cost_rows.append((_("paid"), f"{money(costs['paid'])} {costs['payment_method']}"))
    out.append(pdf.KeyValues(cost_rows))
    out.append(pdf.Heading(_("Three checks and one record")))
    out.append(
        pdf.Table(
            [_("inspection"), _("responsible person"), _("signed at"), _("result")],
            [
                [
                    str(i["label"]),
                    i["responsible"] or "—",
                    when(i["signed_at"]),
                    (_("passed") if i["passed"] else _("not passed"))
                    if i["complete"]
                    else _("not signed"),
                ]
                for i in data["inspections"]
            ],
            widths=[30, 25, 25, 20],
        )
    )
    if data["hv_check"]:
        hv = data["hv_check"]
        out.append(
            pdf.Paragraph(
                _(
                    "High-voltage safety: discharged and insulation checked by %(who)s "
                    "(HV certificate %(cert)s) at %(at)s: residual %(v)s V, insulation %(r)s MΩ."
                )
                % {
                    "who": hv["technician"],
                    "cert": hv["certificate_no"] or "—",
                    "at": when(hv["recorded_at"]),
                    "v": number(hv["residual_voltage"]),
                    "r": number(hv["insulation_mohm"]),
                },
                small=True,
            )
        )
    out.append(pdf.Spacer(3))
    out.append(
        pdf.Paragraph(
            _(
                "Warranty periods run from the delivery date, per line as listed. Statutory "
                "rights under the household vehicle repair, replacement and return rules (三包) "
                "are not affected. With the work order number and the verification code above, "
                "the outlet, the service hotline or the verification page confirms this document."
            ),
            small=True,
            muted=True,
        )
    )
    return out


def warranty_text(line: dict[str, Any]) -> str:
    if not line.get("warranty"):
        return "—"
    until = line.get("warranty_until")
    if not until:
        return line["warranty"]
    return _("%(period)s (until %(day)s)") % {"period": line["warranty"], "day": when(until)}


def render_pdf(wo: WorkOrder) -> bytes:
    """The PDF of the electronic work order, in the product's language (zh-Hans by default)."""
    with translation.override(settings.LANGUAGE_CODE):
        data = ework_data(wo)
        outlet = data["outlet"]["name"]
        return pdf.render(
            blocks(data),
            title=_("Electronic work order %(number)s") % {"number": data["number"]},
            footer=_("安心 Anxin · %(outlet)s · %(number)s · verification code %(code)s")
            % {"outlet": outlet, "number": data["number"], "code": data["verification_code"]},
            author=outlet,
            generated_at=wo.delivered_at or timezone.now(),
        )


@handler(RENDER_JOB)
def render_ework(payload: dict[str, Any], job: Any) -> None:
    """Render the PDF into ``wo.ework_pdf``. Idempotent: a re-run replaces the file."""
    wo = (
        WorkOrder.objects.select_related("outlet", "vehicle", "customer", "advisor", "contract")
        .filter(pk=payload.get("work_order_id"))
        .first()
    )
    if wo is None:  # deleted meanwhile: nothing to render
        return
    content = render_pdf(wo)
    old = wo.ework_pdf.name if wo.ework_pdf else ""
    wo.ework_pdf.save(f"{wo.number}.pdf", ContentFile(content), save=False)
    wo.ework_rendered_at = timezone.now()
    wo.save(update_fields=["ework_pdf", "ework_rendered_at"])
    if old and old != wo.ework_pdf.name:
        wo.ework_pdf.storage.delete(old)


# --- staff pages -------------------------------------------------------------------------
def _delivered(request: HttpRequest, pk: int) -> WorkOrder:
    wo = get_object_or_404(
        WorkOrder.objects.restrict(request.user, "view").select_related("outlet", "vehicle"),
        pk=pk,
    )
    if wo.state not in DELIVERED:
        raise Http404(_("The electronic work order exists once the vehicle is delivered."))
    return wo


@login_required
def ework_page(request: HttpRequest, pk: int) -> HttpResponse:
    wo = _delivered(request, pk)
    link = request.build_absolute_uri(reverse("workshop:ework_public", args=[wo.quote_token]))
    return render(
        request,
        "workshop/ework.html",
        {"wo": wo, "customer_link": link, **page_data(wo)},
    )


@login_required
def ework_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    wo = _delivered(request, pk)
    if not wo.ework_pdf:
        raise Http404(_("The PDF is being prepared; try again in a minute."))
    return FileResponse(
        wo.ework_pdf.open("rb"), content_type="application/pdf", filename=f"{wo.number}.pdf"
    )


@require_POST
@login_required
def ework_render(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue the PDF again (after a template or data fix); the worker renders it."""
    wo = _delivered(request, pk)
    if not WorkOrder.objects.restrict(request.user, "change").filter(pk=wo.pk).exists():
        raise Http404
    enqueue(
        RENDER_JOB,
        {"work_order_id": wo.pk},
        dedupe_key=f"{RENDER_JOB}:{wo.pk}:{timezone.now():%Y%m%d%H%M}",
    )
    messages.success(request, _("The PDF is queued; it is ready in a minute."))
    return redirect("workshop:ework", pk=wo.pk)
