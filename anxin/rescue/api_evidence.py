"""Rescue evidence API: photos, notes, checklist, the three-level reviews and the confirmation
form (RSC-3, RSC-4, RSC-5). Mounted beside the job router under ``/api/v1/rescue/``.

Each endpoint loads the job through the permission filter and calls one action function in
:mod:`anxin.rescue.evidence`; the rules live there, not here.
"""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile

from anxin.api.base import get_visible
from anxin.api.types import Id

from . import evidence
from .models import ChecklistItem, ComplianceReview, FinalReview, JobPhoto, RescueJob

router = Router()


class PhotoOut(Schema):
    id: int
    caption: str
    width: int
    height: int
    taken_at: dt.datetime | None
    taken_lat: float | None
    taken_lon: float | None
    uploaded_at: dt.datetime
    url: str

    @staticmethod
    def resolve_url(obj: JobPhoto) -> str:
        # The permission-checked view, never MEDIA_URL: the file is the customer's data.
        return reverse("rescue:photo_file", args=[obj.pk])


class NoteIn(Schema):
    text: str = Field(min_length=1, max_length=evidence.MAX_TEXT)


class NoteOut(Schema):
    id: int
    text: str
    at: dt.datetime


class TickIn(Schema):
    item: ChecklistItem


class TickOut(Schema):
    item: str
    at: dt.datetime
    created: bool = False


class ComplianceIn(Schema):
    verdict: ComplianceReview.Verdict
    reasons: str = Field("", max_length=evidence.MAX_TEXT)


class ComplianceOut(Schema):
    id: int
    verdict: str
    reasons: str
    at: dt.datetime


class ConfirmationIn(Schema):
    work_done: str = Field(min_length=1, max_length=evidence.MAX_TEXT)
    follow_up_advice: str = Field("", max_length=evidence.MAX_TEXT)


class ConfirmationOut(Schema):
    work_done: str
    follow_up_advice: str
    signed_name: str
    signed_at: dt.datetime | None
    is_signed: bool


class SignatureIn(Schema):
    signed_name: str = Field(min_length=1, max_length=evidence.MAX_NAME)
    signature_svg: str = Field("", max_length=200_000, description="SVG with <path> elements only")
    signature_png: str = Field(
        "", max_length=2_000_000, description="data:image/png;base64,... drawn on a canvas"
    )


class FinalReviewIn(Schema):
    process_ok: bool
    findings: str = Field("", max_length=evidence.MAX_TEXT)


class FinalReviewOut(Schema):
    id: int
    process_ok: bool
    findings: str
    at: dt.datetime
    job_state: str

    @staticmethod
    def resolve_job_state(obj: FinalReview) -> str:
        return obj.job.state


def _job(request: HttpRequest, job_id: int) -> RescueJob:
    return get_visible(request, RescueJob, job_id)


@router.post("/jobs/{job_id}/photos", response={201: PhotoOut})
def upload_photo(
    request: HttpRequest, job_id: Id, image: File[UploadedFile], caption: Form[str] = ""
) -> Any:
    """An on-site photo (JPEG, PNG or HEIC, at most 15 MB and 40 megapixels), multipart."""
    photo = evidence.add_photo(_job(request, job_id), image, actor=request.user, caption=caption)
    return Status(201, photo)


@router.get("/jobs/{job_id}/photos", response=list[PhotoOut])
def list_photos(request: HttpRequest, job_id: Id) -> Any:
    job = _job(request, job_id)
    return JobPhoto.objects.restrict(request.user, "view").filter(job=job)


@router.post("/jobs/{job_id}/notes", response={201: NoteOut})
def post_note(request: HttpRequest, job_id: Id, payload: NoteIn) -> Any:
    return Status(201, evidence.add_note(_job(request, job_id), payload.text, actor=request.user))


@router.post("/jobs/{job_id}/checklist", response=TickOut)
def post_tick(request: HttpRequest, job_id: Id, payload: TickIn) -> Any:
    """Tick one item; ticking it again answers the first tick (``created`` false)."""
    tick, created = evidence.tick_checklist(_job(request, job_id), payload.item, actor=request.user)
    return {"item": tick.item, "at": tick.at, "created": created}


@router.post("/jobs/{job_id}/compliance-reviews", response={201: ComplianceOut})
def post_compliance_review(request: HttpRequest, job_id: Id, payload: ComplianceIn) -> Any:
    """二级审核 by the regional manager; sending back needs ``reasons``."""
    review = evidence.review_compliance(
        _job(request, job_id), actor=request.user, verdict=payload.verdict, reasons=payload.reasons
    )
    return Status(201, review)


@router.put("/jobs/{job_id}/confirmation", response=ConfirmationOut)
def put_confirmation(request: HttpRequest, job_id: Id, payload: ConfirmationIn) -> Any:
    """救援服务确认单: what was done and the advice, by the crew once the job is completed."""
    return evidence.fill_confirmation(
        _job(request, job_id),
        actor=request.user,
        work_done=payload.work_done,
        follow_up_advice=payload.follow_up_advice,
    )


@router.post("/jobs/{job_id}/confirmation/signature", response=ConfirmationOut)
def post_signature(request: HttpRequest, job_id: Id, payload: SignatureIn) -> Any:
    """The customer's drawn signature, on the crew's phone."""
    return evidence.sign_confirmation(
        _job(request, job_id),
        actor=request.user,
        signed_name=payload.signed_name,
        signature_svg=payload.signature_svg,
        signature_png=payload.signature_png,
    )


@router.post("/jobs/{job_id}/final-review", response={201: FinalReviewOut})
def post_final_review(request: HttpRequest, job_id: Id, payload: FinalReviewIn) -> Any:
    """三级审核 by customer service; closes the job (state ``reviewed``)."""
    review = evidence.final_review(
        _job(request, job_id),
        actor=request.user,
        process_ok=payload.process_ok,
        findings=payload.findings,
    )
    return Status(201, review)
