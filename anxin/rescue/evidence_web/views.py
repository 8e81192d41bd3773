"""Pages and htmx partials for a job's evidence and reviews (RSC-3, RSC-4, RSC-5).

The job page includes ``rescue/_evidence.html``, ``_confirmation.html`` and ``_reviews.html``
with only ``job`` and ``request``; each partial then loads its content from
:func:`part` here, where the rows are read through the permission filter and the offered
buttons come from :func:`anxin.rescue.evidence.allowed_actions`. Every form posts to a view
that calls one action function; on bad input the same partial comes back with the errors by
field (422 to htmx, 200 on a plain post) and nothing is saved.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from anxin.api.base import Conflict
from anxin.core.masking import mask_phone
from anxin.people.models import Staff

from .. import evidence
from ..choices import JobState
from ..models import (
    REQUIRED_CHECKLIST,
    ChecklistItem,
    ComplianceReview,
    ConfirmationForm,
    FinalReview,
    JobChecklistTick,
    JobNote,
    JobPhoto,
    JobTransition,
    RescueJob,
)
from ..photos import signature_src, thumbnail_bytes

PARTS = {
    "evidence": "rescue/_evidence.html",
    "confirmation": "rescue/_confirmation.html",
    "reviews": "rescue/_reviews.html",
}
# The fields each form shows; an action's message about anything else (a transition's
# requirements, say) is shown above the form as "general".
FORM_FIELDS = {
    "photo": {"image", "caption"},
    "note": {"text"},
    "tick": {"item"},
    "review": {"verdict", "reasons"},
    "fill": {"work_done", "follow_up_advice"},
    "sign": {"signed_name", "signature"},
    "final": {"process_ok", "findings"},
}


def field_errors(err: ValidationError, form: str) -> dict[str, list[str]]:
    """The messages of ``err`` by the form's field names (templates cannot read ``__all__``)."""
    pairs = err.message_dict.items() if hasattr(err, "error_dict") else [("general", err.messages)]
    out: dict[str, list[str]] = {}
    for field, messages in pairs:
        key = field if field in FORM_FIELDS.get(form, ()) else "general"
        out.setdefault(key, []).extend(str(m) for m in messages)
    return out


def _job(request: HttpRequest, pk: int) -> RescueJob:
    return get_object_or_404(RescueJob.objects.restrict(request.user, "view"), pk=pk)


def _htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def evidence_context(request: HttpRequest, job: RescueJob, **extra: Any) -> dict[str, Any]:
    """Everything the three partials show, read through the permission filter."""
    user = request.user
    ticks = {t.item: t for t in JobChecklistTick.objects.restrict(user, "view").filter(job=job)}
    confirmation = ConfirmationForm.objects.restrict(user, "view").filter(job=job).first()
    ev = {
        "photos": list(JobPhoto.objects.restrict(user, "view").filter(job=job)),
        "notes": list(
            JobNote.objects.restrict(user, "view").filter(job=job).select_related("author")
        ),
        "checklist": [
            {
                "value": value,
                "label": label,
                "tick": ticks.get(value),
                "required": value in REQUIRED_CHECKLIST,
            }
            for value, label in ChecklistItem.choices
        ],
        "reviews": list(
            ComplianceReview.objects.restrict(user, "view")
            .filter(job=job)
            .select_related("reviewer")
        ),
        "confirmation": confirmation,
        "signature_src": signature_src(confirmation.signature_svg) if confirmation else "",
        "final": FinalReview.objects.restrict(user, "view").filter(job=job).first(),
        "may": evidence.allowed_actions(job, user),
        "verdicts": ComplianceReview.Verdict.choices,
        "errors": {},
        "values": {},
        "form": "",
    }
    ev.update(extra)
    return {"job": job, "ev": ev}


def _respond(
    request: HttpRequest, job: RescueJob, part: str, *, status: int = 200, **extra: Any
) -> HttpResponse:
    """The partial for htmx; the whole evidence page for a plain post (or after success)."""
    ctx = evidence_context(request, job, **extra)
    if _htmx(request):
        return render(request, PARTS[part], ctx, status=status)
    if status == 200 and not extra.get("errors"):
        return redirect("rescue:job", pk=job.pk)
    # Without htmx the browser shows what we send: the page with the errors, as a normal 200.
    return render(request, "rescue/evidence_job.html", ctx)


def _run(
    request: HttpRequest, job: RescueJob, part: str, form: str, write: Callable[[], Any]
) -> HttpResponse:
    """Call the action; turn its refusal into the form's errors, a 409 notice or a 403."""
    try:
        write()
    except ValidationError as err:
        return _respond(
            request,
            job,
            part,
            status=422,
            errors=field_errors(err, form),
            form=form,
            values=request.POST.dict(),
        )
    except Conflict as err:
        job.refresh_from_db()
        return _respond(request, job, part, status=409, errors={"general": [str(err)]}, form=form)
    job.refresh_from_db()
    return _respond(request, job, part)


@login_required
@require_GET
def evidence_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The evidence on its own page (crew phones, and the no-JavaScript fallback)."""
    job = _job(request, pk)
    return render(request, "rescue/evidence_job.html", evidence_context(request, job))


@login_required
@require_GET
def part(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    if name not in PARTS:
        raise Http404
    job = _job(request, pk)
    return render(request, PARTS[name], evidence_context(request, job))


@login_required
@require_POST
def photo_upload(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    return _run(
        request,
        job,
        "evidence",
        "photo",
        lambda: evidence.add_photo(
            job,
            request.FILES.get("image"),
            actor=request.user,
            caption=request.POST.get("caption", ""),
        ),
    )


@login_required
@require_GET
@never_cache
def photo_file(request: HttpRequest, photo_id: int) -> HttpResponse:
    """The stored photo (or ``?size=thumb``) to those who may see its job; 404 to anyone else.
    Not under MEDIA_URL: the files are the customer's data."""
    visible_jobs = RescueJob.objects.restrict(request.user, "view")
    photo = get_object_or_404(
        JobPhoto.objects.restrict(request.user, "view").filter(job__in=visible_jobs), pk=photo_id
    )
    try:
        with photo.image.open("rb") as stored:
            body = thumbnail_bytes(stored) if request.GET.get("size") == "thumb" else stored.read()
    except FileNotFoundError:
        raise Http404 from None
    response = HttpResponse(body, content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = f'inline; filename="photo-{photo.pk}.jpg"'
    return response


@login_required
@require_POST
def note_add(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    return _run(
        request,
        job,
        "evidence",
        "note",
        lambda: evidence.add_note(job, request.POST.get("text", ""), actor=request.user),
    )


@login_required
@require_POST
def checklist_tick(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    return _run(
        request,
        job,
        "evidence",
        "tick",
        lambda: evidence.tick_checklist(job, request.POST.get("item", ""), actor=request.user),
    )


@login_required
@require_POST
def compliance_review(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    return _run(
        request,
        job,
        "reviews",
        "review",
        lambda: evidence.review_compliance(
            job,
            actor=request.user,
            verdict=request.POST.get("verdict", ""),
            reasons=request.POST.get("reasons", ""),
        ),
    )


@login_required
@require_POST
def confirmation_fill(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    return _run(
        request,
        job,
        "confirmation",
        "fill",
        lambda: evidence.fill_confirmation(
            job,
            actor=request.user,
            work_done=request.POST.get("work_done", ""),
            follow_up_advice=request.POST.get("follow_up_advice", ""),
        ),
    )


def _sign_kwargs(request: HttpRequest) -> dict[str, str]:
    return {
        "signed_name": request.POST.get("signed_name", ""),
        "signature_svg": request.POST.get("signature_svg", ""),
        "signature_png": request.POST.get("signature_png", ""),
    }


@login_required
@require_POST
def confirmation_sign(request: HttpRequest, pk: int) -> HttpResponse:
    """The customer signs on the crew's phone."""
    job = _job(request, pk)
    return _run(
        request,
        job,
        "confirmation",
        "sign",
        lambda: evidence.sign_confirmation(job, actor=request.user, **_sign_kwargs(request)),
    )


@require_http_methods(["GET", "POST"])
@never_cache
def confirmation_sign_public(request: HttpRequest, token: str) -> HttpResponse:
    """The customer signs on his own phone, through his personal tracking link. Only this one
    job's form is reachable from it; the crew and customer data are shown masked."""
    job = RescueJob.objects.filter(tracking_token=token).first()
    if job is None:
        raise Http404
    form = ConfirmationForm.objects.filter(job=job).first()
    ctx: dict[str, Any] = {
        "job": job,
        "form": form,
        "token": token,
        "errors": {},
        "done": False,
        "values": {},
    }
    status = 200
    if request.method == "POST":
        try:
            form = evidence.sign_confirmation(job, token=token, **_sign_kwargs(request))
            ctx.update(form=form, done=True)
        except ValidationError as err:
            ctx.update(errors=field_errors(err, "sign"), values=request.POST.dict())
            status = 422 if _htmx(request) else 200
        except (Conflict, PermissionDenied) as err:
            ctx["errors"] = {"general": [str(err)]}
            status = 403 if isinstance(err, PermissionDenied) else 409
    ctx["signature_src"] = signature_src(form.signature_svg) if form else ""
    return render(request, "rescue/evidence_sign.html", ctx, status=status)


def _crew(job: RescueJob) -> list[dict[str, str]]:
    """The unit's crew by name, phones masked (SEC-2): a printed form leaves the system."""
    if job.unit_id is None:
        return []
    members = Staff.objects.filter(unit_id=job.unit_id, active=True).order_by("employee_no")
    return [{"name": m.name, "phone": mask_phone(m.phone)} for m in members]


@login_required
@require_GET
def confirmation_print(request: HttpRequest, pk: int) -> HttpResponse:
    """救援服务确认单, A4, for printing or saving as PDF from the browser."""
    job = _job(request, pk)
    form = get_object_or_404(ConfirmationForm.objects.restrict(request.user, "view"), job=job)
    ctx = {
        "job": job,
        "form": form,
        "signature_src": signature_src(form.signature_svg),
        "called_at": job.created_at,
        "arrived_at": job.transition_at(JobState.ARRIVED),
        "completed_at": job.transition_at(JobState.COMPLETED),
        "crew": _crew(job),
    }
    return render(request, "rescue/confirmation_print.html", ctx)


@login_required
@require_http_methods(["GET", "POST"])
def final_review_page(request: HttpRequest, pk: int) -> HttpResponse:
    """三级审核: customer service sees the whole timeline, photos, reviews and the form."""
    job = _job(request, pk)
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        try:
            evidence.final_review(
                job,
                actor=request.user,
                process_ok=request.POST.get("process_ok") == "yes",
                findings=request.POST.get("findings", ""),
            )
        except ValidationError as err:
            errors = field_errors(err, "final")
            status = 422 if _htmx(request) else 200
        except Conflict as err:
            errors, status = {"general": [str(err)]}, 409
        else:
            return redirect("rescue:job", pk=job.pk)
        job.refresh_from_db()
    ctx = evidence_context(
        request, job, errors=errors, form="final", values=request.POST.dict() if errors else {}
    )
    ctx["timeline"] = JobTransition.objects.restrict(request.user, "view").filter(job=job)
    ctx["crew"] = _crew(job)
    ctx["title"] = _("Final review (third review)")
    return render(request, "rescue/final_review.html", ctx, status=status)
