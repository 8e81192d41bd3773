"""How a rescue job's customer hears about progress (RSC-2): the recurring update's content."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from anxin.commitments.handlers import CustomerNotice

from .models import RescueJob


def rescue_customer(job_id: str) -> CustomerNotice | None:
    """The current state and ETA of the job, read when the update is sent (not when it started)."""
    job = RescueJob.objects.filter(pk=job_id).first()
    if job is None or not job.is_open or not job.caller_phone:
        return None
    eta = timezone.localtime(job.eta_at).strftime("%H:%M") if job.eta_at else "—"
    return CustomerNotice(
        channel="sms",
        recipient=job.caller_phone,
        language="zh-hans",
        context={
            "job_no": job.number,
            "status": str(job.get_state_display()),
            "eta": eta,
            "hotline": settings.ANXIN_SERVICE_HOTLINE,
        },
    )
