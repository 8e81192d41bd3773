"""The workshop's messages to customers and staff, through the notifications outbox.

Templates are data (seeded by migrations 0002/0003): SMS carry no variable links (the
providers refuse them) and no personal data, only the record's number, a fixed address on the
operator's domain (the lookup page) and the short lookup code that opens the customer's
personal page there (:mod:`anxin.workshop.lookup`). Each message is keyed by job, purpose and
sequence, so a retried transition never sends it twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from anxin.accounts.models import User
from anxin.accounts.roles import Role
from anxin.notifications.api import notify

from .lookup import lookup_code


def _when(at: dt.datetime | None) -> str:
    return timezone.localtime(at).strftime("%m-%d %H:%M") if at else ""


def _plate(vehicle: Any) -> str:
    return vehicle.plate or vehicle.vin[-6:]


def quote_ready(wo: Any) -> None:
    """The quote to approve: number + lookup code open the quote page (报价确认)."""
    notify(
        job_ref=f"workorder:{wo.pk}",
        purpose="quote",
        sequence=wo.quote_version,
        template="workshop.quote_ready",
        recipient=wo.customer.phone,
        context={
            "number": wo.number,
            "plate": _plate(wo.vehicle),
            "total": wo.customer_amount,
            "outlet": wo.outlet.name,
            "code": lookup_code(wo.quote_token),
        },
    )


def vehicle_ready(wo: Any) -> None:
    sequence = wo.transitions.filter(to_state="ready").count()
    notify(
        job_ref=f"workorder:{wo.pk}",
        purpose="ready",
        sequence=sequence,
        template="workshop.vehicle_ready",
        recipient=wo.customer.phone,
        context={"number": wo.number, "plate": _plate(wo.vehicle), "outlet": wo.outlet.name},
    )


def ework_ready(wo: Any) -> None:
    """After delivery: the electronic work order (电子工单) is open under number + lookup code."""
    sequence = wo.transitions.filter(to_state="delivered").count()
    notify(
        job_ref=f"workorder:{wo.pk}",
        purpose="ework",
        sequence=sequence,
        template="workshop.ework_ready",
        recipient=wo.customer.phone,
        context={
            "number": wo.number,
            "outlet": wo.outlet.name,
            "code": lookup_code(wo.quote_token),
        },
    )


def appointment_answer(appt: Any, kind: str, sequence: int) -> None:
    template = {
        "confirm": "workshop.appointment_confirmed",
        "propose": "workshop.appointment_proposed",
        "decline": "workshop.appointment_declined",
    }[kind]
    notify(
        job_ref=f"appointment:{appt.pk}",
        purpose=f"answer-{kind}",
        sequence=sequence,
        template=template,
        recipient=appt.contact_phone,
        context={
            "number": appt.number,
            "outlet": appt.outlet.name if appt.outlet_id else "",
            "slot": _when(appt.slot_start),
            "proposed": _when(appt.proposed_at),
            "address": appt.outlet.address if appt.outlet_id else "",
            "code": lookup_code(appt.token),
        },
    )


def appointment_new(appt: Any, sequence: int) -> None:
    """Tell the assigned outlet's desk: a booking waits for its answer within 30 minutes."""
    if not appt.outlet_id:
        return
    context = {
        "number": appt.number,
        "slot": _when(appt.slot_start),
        "job_type": appt.get_job_type_display(),
    }
    for user in outlet_staff(appt.outlet_id, (Role.SERVICE_ADVISOR,)):
        channel, recipient = _contact(user)
        notify(
            job_ref=f"appointment:{appt.pk}",
            purpose=f"new:user{user.pk}",
            sequence=sequence,
            template="workshop.appointment_new",
            recipient=recipient,
            channel=channel,
            context=context,
            urgent=True,
        )


def outlet_staff(outlet_id: int, roles: tuple[str, ...]) -> list[User]:
    return list(
        User.objects.filter(is_active=True, outlet_id=outlet_id, role__in=roles)
        .select_related("staff")
        .order_by("pk")
    )


def region_staff(region_id: int, roles: tuple[str, ...]) -> list[User]:
    return list(
        User.objects.filter(is_active=True, region_id=region_id, role__in=roles)
        .select_related("staff")
        .order_by("pk")
    )


def _contact(user: User) -> tuple[str, str]:
    from anxin.commitments.handlers import staff_contact

    return staff_contact(user)


def warranty_warning(warning: Any) -> int:
    """三包 warning to the outlet's advisors and the region's managers; returns how many."""
    people = outlet_staff(warning.outlet_id, (Role.SERVICE_ADVISOR,)) + region_staff(
        warning.region_id, (Role.REGIONAL_MANAGER,)
    )
    vehicle = warning.vehicle
    context = {
        "plate": _plate(vehicle),
        "vin": vehicle.vin,
        "what": str(warning.get_kind_display()),
        "system": str(warning.get_system_display()) if warning.system else "",
        "value": warning.value,
        "legal": warning.legal_line,
    }
    sent = 0
    for user in {u.pk: u for u in people}.values():
        channel, recipient = _contact(user)
        notify(
            job_ref=f"vehicle:{vehicle.pk}",
            purpose=f"warranty:{warning.kind}:{warning.system}:user{user.pk}",
            template="workshop.warranty_warning",
            recipient=recipient,
            channel=channel,
            context=context,
            urgent=True,
        )
        sent += 1
    if warning.outlet.phone:
        notify(
            job_ref=f"vehicle:{vehicle.pk}",
            purpose=f"warranty:{warning.kind}:{warning.system}:outlet",
            template="workshop.warranty_warning",
            recipient=warning.outlet.phone,
            context=context,
            urgent=True,
        )
        sent += 1
    return sent


def expert_requested(request: Any) -> int:
    experts = region_staff(request.region_id, (Role.TECHNICAL_EXPERT,))
    wo = request.work_order
    for user in experts:
        channel, recipient = _contact(user)
        notify(
            job_ref=f"expert:{request.pk}",
            purpose=f"requested:user{user.pk}",
            template="workshop.expert_requested",
            recipient=recipient,
            channel=channel,
            context={"number": wo.number, "outlet": wo.outlet.name, "model": wo.vehicle.model},
            urgent=True,
        )
    return len(experts)
