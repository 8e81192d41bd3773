"""The customer's tracking page (DSP-6, DSP-7): reached by the personal token only."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache

from ..choices import JobState
from ..models import RescueJob
from .common import expected_arrival, map_point, minutes, needs_fallback, now

STEPS = [
    JobState.CREATED,
    JobState.CHECKED,
    JobState.DISPATCHED,
    JobState.EN_ROUTE,
    JobState.ARRIVED,
    JobState.WORKING,
    JobState.COMPLETED,
]


def by_token(token: str) -> RescueJob:
    # The token is the customer's key: no login, no other lookup, nothing else reachable.
    if not token or len(token) > 64:
        from django.http import Http404

        raise Http404
    return get_object_or_404(RescueJob.objects.select_related("unit"), tracking_token=token)


def track_context(job: RescueJob) -> dict[str, Any]:
    at = now()
    eta = expected_arrival(job, at)
    unit = (
        job.unit
        if job.state
        in (
            JobState.DISPATCHED,
            JobState.ACCEPTED,
            JobState.EN_ROUTE,
            JobState.ARRIVED,
            JobState.WORKING,
            JobState.TOWING,
        )
        else None
    )
    points = [map_point(job.lat, job.lon, id="job", kind="job", label="📍", color="#b42318")]
    if unit is not None:
        points.append(
            map_point(
                unit.last_lat,
                unit.last_lon,
                id="unit",
                kind="unit",
                label=unit.get_kind_display(),
                color="#0b6e4f",
            )
        )
    reached = [s for s in STEPS if job.transitions.filter(to_state=s).exists()]
    return {
        "job": job,
        "unit": unit,
        "eta": eta,
        "eta_minutes": minutes(eta - at) if eta else None,
        "fallback": needs_fallback(job, at),
        "points": [p for p in points if p],
        "steps": [(s, s.label, s in reached) for s in STEPS],
    }


@never_cache
def track(request: HttpRequest, token: str) -> HttpResponse:
    job = by_token(token)
    return render(request, "rescue/track.html", {**track_context(job), "token": token})


@never_cache
def track_status(request: HttpRequest, token: str) -> HttpResponse:
    job = by_token(token)
    return render(request, "rescue/_track_status.html", {**track_context(job), "token": token})
