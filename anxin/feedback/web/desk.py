"""Customer service's pages: complaint desk, intake, complaint page, follow-ups, engineering
cases, social media and the monthly bad-review board (FB-2..7)."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from anxin.accounts.permissions import may_change, restrict
from anxin.api.base import Conflict
from anxin.commitments.api import clocks_for
from anxin.core.listing import RestrictedListView

from .. import actions, classifier, escalation, ratings, social
from ..choices import (
    CaseState,
    ComplaintClass,
    ComplaintState,
    FollowUpState,
    LowReason,
    VehicleSystem,
)
from ..jobs import find
from ..models import Complaint, EngineeringCase, FollowUp, Rating, SocialImport, SocialPost
from ..periods import month_bounds, parse_month
from ..transitions import allowed_for
from .forms import ImportForm, IntakeForm


# --- the complaint desk ----------------------------------------------------------------------
class ComplaintDesk(RestrictedListView):
    """Open complaints first, the nearest deadline first (投诉工作台)."""

    model = Complaint
    title = gettext_lazy("Complaint desk")
    template_name = "feedback/desk.html"
    search_fields = ("number", "text", "job_number", "vehicle_model")
    paginate_by = 30

    def decorate(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        state = self.request.GET.get("state", "open")
        if state == "open":
            qs = qs.exclude(state__in=[ComplaintState.CLOSED, ComplaintState.CONFIRMED])
        elif state:
            qs = qs.filter(state=state)
        category = self.request.GET.get("category", "")
        if category == "unclassified":
            qs = qs.filter(category="")
        elif category:
            qs = qs.filter(category=category)
        return qs.select_related("region").order_by("received_at")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        now = timezone.now()
        rows = []
        for c in ctx["object_list"]:
            clocks = [v for v in clocks_for("complaint", c.pk, now=now) if v.due_at]
            rows.append((c, clocks))
        rows.sort(
            key=lambda r: min(
                (v.due_at for v in r[1] if v.state in ("running", "paused")),
                default=now.max.replace(tzinfo=now.tzinfo),
            )
        )
        ctx["rows"] = rows
        ctx["states"] = ComplaintState.choices
        ctx["classes"] = ComplaintClass.choices
        ctx["state"] = self.request.GET.get("state", "open")
        ctx["category"] = self.request.GET.get("category", "")
        ctx["may_take"] = may_change(self.request.user, Complaint)
        return ctx


@login_required
def intake(request: HttpRequest) -> HttpResponse:
    """The hotline form: write, see the proposal, confirm or correct the class, save."""
    if not may_change(request.user, Complaint):
        raise PermissionDenied
    form = IntakeForm(request.POST or None, initial=_initial(request))
    proposal = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            job = find(data["job_kind"], data["job"], request.user) if data["job"] else None
            complaint = actions.create_complaint(
                actor=request.user,
                channel=data["channel"],
                text=data["text"],
                job=job,
                category=data["category"],
                contact_name=data["contact_name"],
                contact_phone=data["contact_phone"],
                system=data["system"],
                part=data["part"],
                fault_code=data["fault_code"],
                rating=_rating_from(request),
            )
        except PermissionDenied as exc:
            form.add_error("job", str(exc) or _("not allowed"))
        except ValidationError as exc:
            for field, errs in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errs)
        else:
            _link_follow_up(request, complaint)
            messages.success(request, _("Complaint %(n)s received.") % {"n": complaint.number})
            return redirect("feedback:complaint", complaint.pk)
    if form.is_bound and form.data.get("text"):
        proposal = classifier.propose(form.data["text"], job_hint=form.data.get("job_kind", ""))
    return render(request, "feedback/intake.html", {"form": form, "proposal": proposal})


def _initial(request: HttpRequest) -> dict[str, Any]:
    rating = _rating_from(request)
    if rating is None:
        return {}
    text = rating.comment or ", ".join(rating.reason_labels())
    return {
        "text": text,
        "job_kind": rating.job_kind,
        "job": rating.job_number,
        "channel": "hotline",
    }


def _rating_from(request: HttpRequest) -> Rating | None:
    ref = request.GET.get("rating") or request.POST.get("rating")
    if not ref or not str(ref).isdigit():
        return None
    return restrict(Rating.objects.filter(pk=int(ref)), request.user).first()


def _link_follow_up(request: HttpRequest, complaint: Complaint) -> None:
    if complaint.rating_id:
        FollowUp.objects.filter(rating_id=complaint.rating_id, complaint__isnull=True).update(
            complaint=complaint
        )


@login_required
def propose(request: HttpRequest) -> HttpResponse:
    """htmx: the classifier's proposal while the agent types."""
    text = request.GET.get("text", "") or request.POST.get("text", "")
    job_kind = request.GET.get("job_kind", "") or request.POST.get("job_kind", "")
    proposal = classifier.propose(text[:4000], job_hint=job_kind) if text.strip() else None
    return render(request, "feedback/_proposal.html", {"proposal": proposal})


@login_required
def complaint_page(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = get_object_or_404(
        restrict(Complaint.objects.select_related("region", "vehicle", "customer"), request.user),
        pk=pk,
    )
    return render(request, "feedback/complaint.html", _page_context(request, complaint))


def _page_context(request: HttpRequest, complaint: Complaint, **extra: Any) -> dict[str, Any]:
    from ..transitions import TRANSITIONS

    buttons = allowed_for(request.user, complaint) if may_change(request.user, Complaint) else []
    proposal_labels = dict(ComplaintClass.choices)
    return {
        "complaint": complaint,
        "transitions": complaint.transitions.select_related("actor"),
        "buttons": buttons,
        "all_transitions": TRANSITIONS,
        "classes": ComplaintClass.choices,
        "systems": VehicleSystem.choices,
        "proposal_label": proposal_labels.get(complaint.proposed_class, ""),
        "may_change": may_change(request.user, Complaint),
        "improvement_url": f"/assurance/improvements/new/?source=complaint:{complaint.pk}",
        "social_post": SocialPost.objects.filter(complaint=complaint).first(),
        **extra,
    }


@login_required
@require_POST
def complaint_transition(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = get_object_or_404(restrict(Complaint.objects.all(), request.user), pk=pk)
    name = request.POST.get("name", "")
    version = request.POST.get("version", "")
    try:
        if version.isdigit() and int(version) != complaint.version:
            raise Conflict(_("the complaint changed since you loaded it"), {})
        actions.perform(
            complaint,
            name,
            actor=request.user,
            note=request.POST.get("note", ""),
            fields={k: request.POST.get(k, "") for k in ("root_cause", "solution")},
        )
    except Conflict as exc:
        complaint.refresh_from_db()
        ctx = _page_context(request, complaint, conflict=str(exc))
        return render(request, "feedback/complaint.html", ctx, status=409)
    except ValidationError as exc:
        errors = [" ".join(v) for v in exc.message_dict.values()]
        ctx = _page_context(request, complaint, errors=errors, failed=name)
        return render(request, "feedback/complaint.html", ctx, status=422)
    return redirect("feedback:complaint", complaint.pk)


@login_required
@require_POST
def complaint_classify(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = get_object_or_404(restrict(Complaint.objects.all(), request.user), pk=pk)
    try:
        actions.classify(complaint, request.POST.get("category", ""), actor=request.user)
    except ValidationError as exc:
        errors = [" ".join(v) for v in exc.message_dict.values()]
        return render(
            request,
            "feedback/complaint.html",
            _page_context(request, complaint, errors=errors),
            status=422,
        )
    complaint.refresh_from_db()
    if complaint.engineering_case_id:
        messages.warning(
            request,
            _("Same problem three times: engineering case %(n)s is open for R&D.")
            % {"n": complaint.engineering_case.number},
        )
    return redirect("feedback:complaint", complaint.pk)


@login_required
@require_POST
def complaint_details(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = get_object_or_404(restrict(Complaint.objects.all(), request.user), pk=pk)
    fields = ("vehicle_model", "system", "part", "fault_code")
    try:
        actions.update_details(
            complaint, actor=request.user, **{f: request.POST.get(f, "") for f in fields}
        )
    except ValidationError as exc:
        errors = [" ".join(v) for v in exc.message_dict.values()]
        return render(
            request,
            "feedback/complaint.html",
            _page_context(request, complaint, errors=errors),
            status=422,
        )
    return redirect("feedback:complaint", complaint.pk)


# --- follow-ups of low ratings ---------------------------------------------------------------
class FollowUpList(RestrictedListView):
    model = FollowUp
    title = gettext_lazy("Low-rating follow-ups")
    template_name = "feedback/followups.html"
    search_fields = ("job_number",)

    def decorate(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        state = self.request.GET.get("state", "open")
        if state == "open":
            qs = qs.exclude(state=FollowUpState.CLOSED)
        elif state:
            qs = qs.filter(state=state)
        return qs.select_related("rating").order_by("due_at")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["now"] = timezone.now()
        ctx["state"] = self.request.GET.get("state", "open")
        ctx["may_change"] = may_change(self.request.user, FollowUp)
        return ctx


@login_required
@require_POST
def follow_up_step(request: HttpRequest, pk: int) -> HttpResponse:
    follow_up = get_object_or_404(restrict(FollowUp.objects.all(), request.user), pk=pk)
    try:
        ratings.move_follow_up(
            follow_up,
            request.POST.get("name", ""),
            actor=request.user,
            note=request.POST.get("note", ""),
        )
    except (ValidationError, Conflict) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, text)
    except PermissionDenied:
        messages.error(request, _("Your role may not change follow-ups."))
    else:
        messages.success(request, _("Follow-up of %(n)s updated.") % {"n": follow_up.job_number})
    return redirect("feedback:followups")


# --- engineering cases -----------------------------------------------------------------------
@login_required
def cases(request: HttpRequest) -> HttpResponse:
    rows = restrict(EngineeringCase.objects.prefetch_related("complaints"), request.user)
    return render(
        request,
        "feedback/cases.html",
        {
            "cases": rows,
            "states": CaseState.choices,
            "may_change": may_change(request.user, EngineeringCase),
        },
    )


@login_required
@require_POST
def case_update(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(restrict(EngineeringCase.objects.all(), request.user), pk=pk)
    try:
        escalation.update_case(
            case,
            actor=request.user,
            state=request.POST.get("state", ""),
            findings=request.POST.get("findings", ""),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied:
        messages.error(request, _("Your role may not change engineering cases."))
    return redirect("feedback:cases")


# --- social media ----------------------------------------------------------------------------
@login_required
def social_posts(request: HttpRequest) -> HttpResponse:
    posts = restrict(SocialPost.objects.select_related("complaint"), request.user)
    sentiment = request.GET.get("sentiment", "")
    if sentiment:
        posts = posts.filter(sentiment=sentiment)
    form = ImportForm()
    result = None
    if request.method == "POST":
        if not may_change(request.user, SocialPost):
            raise PermissionDenied
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                rows = social.read_file(upload.name, upload.read())
            except ValidationError as exc:
                form.add_error("file", " ".join(exc.messages))
            else:
                outcome = social.ingest(rows, source=upload.name, actor=request.user)
                result = outcome.batch
                messages.info(
                    request,
                    _("%(kept)d posts kept, %(bad)d rows refused, %(c)d complaints opened.")
                    % {
                        "kept": len(outcome.kept),
                        "bad": len(outcome.errors),
                        "c": outcome.complaints,
                    },
                )
    today = timezone.localdate()
    summary = social.monthly_summary(parse_month(request.GET.get("month"), today))
    return render(
        request,
        "feedback/social.html",
        {
            "posts": posts[:200],
            "form": form,
            "result": result,
            "imports": restrict(SocialImport.objects.all(), request.user)[:5],
            "summary": summary,
            "sentiment": sentiment,
            "may_import": may_change(request.user, SocialPost),
        },
    )


# --- the monthly bad-review board ------------------------------------------------------------
@login_required
def board(request: HttpRequest) -> HttpResponse:
    """The month's low ratings and complaints by cause, for the review meeting (FB-6)."""
    today = timezone.localdate()
    month = parse_month(request.GET.get("month"), today)
    start, end = month_bounds(month)
    low = list(
        restrict(
            Rating.objects.filter(is_low=True, submitted_at__gte=start, submitted_at__lt=end),
            request.user,
        )
        .select_related("region")
        .order_by("overall", "submitted_at")
    )
    complaints = list(
        restrict(
            Complaint.objects.filter(received_at__gte=start, received_at__lt=end), request.user
        )
        .select_related("region", "engineering_case")
        .order_by("received_at")
    )
    by_reason: Counter[str] = Counter()
    for r in low:
        by_reason.update(r.reasons or ["none"])
    reason_labels = dict(LowReason.choices)
    reason_rows = [
        (reason_labels.get(code, _("no reason ticked")), n) for code, n in by_reason.most_common()
    ]
    by_class: dict[str, list[Complaint]] = defaultdict(list)
    for c in complaints:
        by_class[c.category or c.proposed_class or "unclassified"].append(c)
    class_labels = dict(ComplaintClass.choices)
    order = [*ComplaintClass.values, "unclassified"]
    class_rows = [
        (code, class_labels.get(code, _("not classified yet")), by_class[code])
        for code in order
        if by_class.get(code)
    ]
    prev = (month - dt.timedelta(days=1)).replace(day=1)
    nxt = end.date()
    return render(
        request,
        "feedback/board.html",
        {
            "month": month,
            "prev": prev,
            "next": nxt,
            "low": low,
            "reason_rows": reason_rows,
            "class_rows": class_rows,
            "complaint_count": len(complaints),
            "low_reasons_json": json.dumps(dict(by_reason)),
        },
    )
