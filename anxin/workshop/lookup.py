"""Short lookup codes: how an SMS leads the customer to their personal page without a link.

SMS providers accept only a fixed address on the operator's domain, never a variable link, so
the customer's SMS says "open {base}/workshop/l/ and type number + code". The code is derived
from the record's personal token (HMAC with the site's secret), so it changes when the token
does (a new quote version) and cannot be guessed from the number; the page is rate-limited.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

from .choices import WorkOrderState
from .models import Appointment, WorkOrder

SALT = "anxin.workshop.lookup"
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud and typed on a phone
LENGTH = 8
DELIVERED = frozenset({WorkOrderState.DELIVERED, WorkOrderState.SETTLED})


def lookup_code(token: str) -> str:
    digest = int.from_bytes(salted_hmac(SALT, token).digest(), "big")
    chars = []
    for _n in range(LENGTH):
        digest, index = divmod(digest, len(ALPHABET))
        chars.append(ALPHABET[index])
    return "".join(chars)


def normalise(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def page_for(number: str, code: str) -> str | None:
    """The personal page the number + code open, or None when they do not match."""
    number, code = (number or "").strip().upper(), normalise(code)
    if number.startswith("AP"):
        appt = Appointment.objects.filter(number=number).only("token").first()
        if appt and appt.token and constant_time_compare(lookup_code(appt.token), code):
            return reverse("workshop:appointment_public", args=[appt.token])
        return None
    wo = WorkOrder.objects.filter(number=number).only("quote_token", "state").first()
    if wo is None or not wo.quote_token:
        return None
    if not constant_time_compare(lookup_code(wo.quote_token), code):
        return None
    if wo.state in DELIVERED:
        return reverse("workshop:ework_public", args=[wo.quote_token])
    return reverse("workshop:quote", args=[wo.quote_token])
