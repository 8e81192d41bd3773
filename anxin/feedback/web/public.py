"""The customer's pages (FB-1): the lookup by SMS code and the mobile rating page.

Reached without login, by the personal signed link or the lookup code only; they show the
job's number and the service, never personal data.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from .. import ratings
from ..choices import LowReason

STATUS = {"unknown": 404, "used": 409, "expired": 410}
SCORES = (
    ("overall", "overall"),
    ("timeliness", "timeliness"),
    ("attitude", "attitude"),
    ("professionalism", "professionalism"),
    ("result", "result"),
)


def _refused(request: HttpRequest, exc: ratings.InvitationRefused) -> HttpResponse:
    from django.conf import settings

    return render(
        request,
        "feedback/rate_refused.html",
        {"message": str(exc), "code": exc.code, "hotline": settings.ANXIN_SERVICE_HOTLINE},
        status=STATUS[exc.code],
    )


@never_cache
@csrf_protect
def lookup(request: HttpRequest) -> HttpResponse:
    """The fixed page the SMS names: the customer types the lookup code."""
    error = ""
    code = (request.POST.get("code") or request.GET.get("code") or "").strip()
    if code:
        try:
            invitation = ratings.invitation_for_code(code)
        except ratings.InvitationRefused as exc:
            error = str(exc)
        else:
            return redirect("feedback:rate", ratings.signed_token(invitation))
    return render(
        request,
        "feedback/lookup.html",
        {"error": error, "code": code},
        status=404 if error else 200,
    )


@never_cache
@csrf_protect
def rate(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = ratings.invitation_for_signed(token)
        ratings.check_usable(invitation)
    except ratings.InvitationRefused as exc:
        return _refused(request, exc)
    errors: dict[str, Any] = {}
    values: dict[str, Any] = {}
    if request.method == "POST":
        values = {name: request.POST.get(name, "") for name, _l in SCORES}
        values["reasons"] = request.POST.getlist("reasons")
        values["comment"] = request.POST.get("comment", "")
        try:
            rating = ratings.submit_rating(invitation, values)
        except ratings.InvitationRefused as exc:
            return _refused(request, exc)
        except ValidationError as exc:
            errors = {k: " ".join(v) for k, v in exc.message_dict.items()}
        else:
            return redirect(reverse("feedback:thanks") + ("?low=1" if rating.is_low else ""))
    return render(
        request,
        "feedback/rate.html",
        {
            "invitation": invitation,
            "token": token,
            "reasons": LowReason.choices,
            "errors": errors,
            "values": values,
            "score_range": range(1, 6),
        },
        status=422 if errors else 200,
    )


def thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "feedback/thanks.html", {"low": request.GET.get("low") == "1"})
