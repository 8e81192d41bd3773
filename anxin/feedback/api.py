"""Feedback API: ratings by token (public), complaints with transitions, follow-ups, social-media
push and summary, engineering cases (FB-1..4, FB-7).

Every list and lookup goes through ``visible`` (the one permission filter); every write goes
through the action functions the pages use.
"""

import datetime as dt
import re
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, FilterLookup, FilterSchema, Query, Router, Schema, Status
from ninja.pagination import paginate

from anxin.accounts.permissions import may_change
from anxin.api.base import Conflict, get_visible, visible
from anxin.api.pagination import Pages
from anxin.api.types import Id, IsoDateTime
from anxin.customers.models import Customer, Vehicle

from . import actions, classifier, ratings, social
from .choices import (
    CaseState,
    ComplaintChannel,
    ComplaintClass,
    ComplaintState,
    LowReason,
    Platform,
    ProblemKind,
    Sentiment,
    VehicleSystem,
)
from .jobs import find
from .models import Complaint, EngineeringCase, FollowUp, Rating, SocialPost
from .periods import parse_month

router = Router()
MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


class ErrorOut(Schema):
    detail: str


# --- ratings (public, by the personal link's token or the SMS lookup code) -------------------
Token = Annotated[str, Field(min_length=4, max_length=200)]
Score = Annotated[int, Field(ge=1, le=5, description="1 (very dissatisfied) to 5 (very satisfied)")]


class InvitationOut(Schema):
    job_number: str
    service: str = Field(alias="service_label")
    served_at: dt.datetime
    expires_at: dt.datetime
    reasons: dict[str, str]


class RatingIn(Schema):
    overall: Score
    timeliness: Score
    attitude: Score
    professionalism: Score
    result: Score
    reasons: list[LowReason] = Field(default_factory=list, max_length=len(LowReason.values))
    comment: str = Field("", max_length=2000)


class RatingOut(Schema):
    id: int
    job_kind: str
    job_number: str
    overall: int
    timeliness: int
    attitude: int
    professionalism: int
    result: int
    reasons: list[str]
    comment: str
    is_low: bool
    submitted_at: dt.datetime
    follow_up: int | None = None

    @staticmethod
    def resolve_follow_up(obj: Rating) -> int | None:
        found = FollowUp.objects.filter(rating=obj).values_list("pk", flat=True).first()
        return found


class ThanksOut(Schema):
    detail: str
    low: bool


def _invitation(token: str) -> Any:
    if ":" in token:
        return ratings.invitation_for_signed(token)
    return ratings.invitation_for_code(token)


def _refusal(exc: ratings.InvitationRefused) -> Any:
    status = {"unknown": 404, "used": 409, "expired": 410}[exc.code]
    return Status(status, {"detail": str(exc)})


@router.get(
    "/ratings/{token}",
    auth=None,
    response={200: InvitationOut, 404: ErrorOut, 409: ErrorOut, 410: ErrorOut},
)
def get_invitation(request: HttpRequest, token: Token) -> Any:
    """The invitation behind a personal link (or an SMS lookup code): what can be rated."""
    try:
        invitation = _invitation(token)
        ratings.check_usable(invitation)
    except ratings.InvitationRefused as exc:
        return _refusal(exc)
    invitation.reasons = {k: str(v) for k, v in LowReason.choices}
    return invitation


@router.post(
    "/ratings/{token}",
    auth=None,
    response={201: ThanksOut, 404: ErrorOut, 409: ErrorOut, 410: ErrorOut},
)
def post_rating(request: HttpRequest, token: Token, payload: RatingIn) -> Any:
    """Rate the service once. A reused or expired link, or a score out of range, stores nothing."""
    try:
        invitation = _invitation(token)
        rating = ratings.submit_rating(invitation, payload.dict())
    except ratings.InvitationRefused as exc:
        return _refusal(exc)
    return Status(201, {"detail": "Thank you for your feedback.", "low": rating.is_low})


class RatingFilter(FilterSchema):
    low: Annotated[bool | None, FilterLookup("is_low")] = None
    job_kind: Annotated[str | None, FilterLookup("job_kind")] = None
    region: Annotated[Id | None, FilterLookup("region_id")] = None


@router.get("/ratings", response=list[RatingOut])
@paginate(Pages, page_size=50)
def list_ratings(request: HttpRequest, filters: Query[RatingFilter]) -> Any:
    return filters.filter(visible(request, Rating))


# --- follow-ups ------------------------------------------------------------------------------
class FollowUpOut(Schema):
    id: int
    rating: int = Field(alias="rating_id")
    job_number: str
    state: str
    version: int
    due_at: dt.datetime
    notes: str
    outcome: str
    complaint: int | None = Field(None, alias="complaint_id")


class FollowUpStepIn(Schema):
    name: str = Field(pattern="^(contact|close)$", description="contact or close")
    note: str = Field(min_length=1, max_length=2000)


@router.get("/follow-ups", response=list[FollowUpOut])
@paginate(Pages, page_size=50)
def list_follow_ups(request: HttpRequest, state: str | None = None) -> Any:
    qs = visible(request, FollowUp)
    return qs.filter(state=state) if state else qs


@router.post("/follow-ups/{follow_up_id}/steps", response=FollowUpOut)
def follow_up_step(request: HttpRequest, follow_up_id: Id, payload: FollowUpStepIn) -> Any:
    follow_up = get_visible(request, FollowUp, follow_up_id)
    return ratings.move_follow_up(follow_up, payload.name, actor=request.user, note=payload.note)


# --- complaints ------------------------------------------------------------------------------
class ComplaintTransitionOut(Schema):
    name: str
    from_state: str
    to_state: str
    at: dt.datetime
    actor_label: str
    note: str


class ComplaintOut(Schema):
    id: int
    number: str
    state: ComplaintState
    version: int
    channel: ComplaintChannel
    text: str
    contact_phone: str = Field(alias="masked_contact_phone")
    job_kind: str
    job_number: str
    region: int | None = Field(None, alias="region_id")
    customer: int | None = Field(None, alias="customer_id")
    vehicle: int | None = Field(None, alias="vehicle_id")
    proposed_class: str
    proposed_confidence: float | None
    proposal_unsure: bool
    category: str
    vehicle_model: str
    system: str
    part: str
    fault_code: str
    engineering_case: int | None = Field(None, alias="engineering_case_id")
    root_cause: str
    solution: str
    received_at: dt.datetime
    closed_at: dt.datetime | None
    reopen_count: int


class ComplaintDetailOut(ComplaintOut):
    transitions: list[ComplaintTransitionOut]

    @staticmethod
    def resolve_transitions(obj: Complaint) -> list[Any]:
        return list(obj.transitions.all())


class ComplaintIn(Schema):
    channel: ComplaintChannel = ComplaintChannel.APP
    text: str = Field(min_length=1, max_length=4000)
    job_kind: str | None = Field(None, pattern="^(rescue|workorder)$")
    job: str | None = Field(None, min_length=1, max_length=32, description="job id or number")
    customer_id: Id | None = None
    vehicle_id: Id | None = None
    contact_name: str = Field("", max_length=100)
    contact_phone: str = Field("", max_length=20)
    category: ComplaintClass | None = Field(
        None, description="the desk's class; empty to keep only the classifier's proposal"
    )
    system: VehicleSystem | None = None
    part: str = Field("", max_length=64)
    fault_code: str = Field("", max_length=16)


class ComplaintPatch(Schema):
    text: str | None = Field(None, min_length=1, max_length=4000)
    contact_name: str | None = Field(None, max_length=100)
    contact_phone: str | None = Field(None, max_length=20)
    vehicle_model: str | None = Field(None, max_length=64)
    system: VehicleSystem | None = None
    part: str | None = Field(None, max_length=64)
    fault_code: str | None = Field(None, max_length=16)


class ComplaintTransitionIn(Schema):
    name: str = Field(
        description="acknowledge, investigate, find_root_cause, propose_solution, "
        "customer_confirms, customer_rejects, close, close_unconfirmed, withdraw, reopen"
    )
    note: str = Field("", max_length=2000)
    root_cause: str = Field("", max_length=4000)
    solution: str = Field("", max_length=4000)
    expected_version: int | None = Field(None, ge=1, le=2**31, description="409 if it moved on")


class ClassifyIn(Schema):
    category: ComplaintClass


class ComplaintFilter(FilterSchema):
    state: Annotated[ComplaintState | None, FilterLookup("state")] = None
    category: Annotated[ComplaintClass | None, FilterLookup("category")] = None
    channel: Annotated[ComplaintChannel | None, FilterLookup("channel")] = None
    region: Annotated[Id | None, FilterLookup("region_id")] = None


def _ref(request: HttpRequest, model: Any, pk: int | None, field: str) -> Any:
    if pk is None:
        return None
    obj = visible(request, model).filter(pk=pk).first()
    if obj is None:
        raise ValidationError({field: "no such record, or not in your region"})
    return obj


@router.get("/complaints", response=list[ComplaintOut])
@paginate(Pages, page_size=50)
def list_complaints(request: HttpRequest, filters: Query[ComplaintFilter]) -> Any:
    return filters.filter(visible(request, Complaint))


@router.get("/complaints/{complaint_id}", response=ComplaintDetailOut)
def get_complaint(request: HttpRequest, complaint_id: Id) -> Any:
    return get_visible(request, Complaint, complaint_id)


@router.post("/complaints", response={201: ComplaintDetailOut})
def create_complaint(request: HttpRequest, payload: ComplaintIn) -> Any:
    """Intake from the web, the app or the hotline desk. A job in another region is refused."""
    if not may_change(request.user, Complaint):
        raise PermissionDenied("your role may not take complaints")
    if (payload.job is None) != (payload.job_kind is None):
        raise ValidationError({"job": "give both job_kind and job, or neither"})
    job = find(payload.job_kind, payload.job, request.user) if payload.job else None
    customer = _ref(request, Customer, payload.customer_id, "customer_id")
    vehicle = _ref(request, Vehicle, payload.vehicle_id, "vehicle_id")
    complaint = actions.create_complaint(
        actor=request.user,
        channel=payload.channel,
        text=payload.text,
        job=job,
        category=payload.category or "",
        customer=customer,
        vehicle=vehicle,
        contact_name=payload.contact_name,
        contact_phone=payload.contact_phone,
        system=payload.system or "",
        part=payload.part,
        fault_code=payload.fault_code,
    )
    return Status(201, complaint)


@router.patch("/complaints/{complaint_id}", response=ComplaintDetailOut)
def patch_complaint(request: HttpRequest, complaint_id: Id, payload: ComplaintPatch) -> Any:
    complaint = get_visible(request, Complaint, complaint_id, "change")
    changes = payload.dict(exclude_unset=True, exclude_none=True)
    return actions.update_details(complaint, actor=request.user, **changes)


@router.post("/complaints/{complaint_id}/transitions", response=ComplaintDetailOut)
def complaint_transition(
    request: HttpRequest, complaint_id: Id, payload: ComplaintTransitionIn
) -> Any:
    complaint = get_visible(request, Complaint, complaint_id)
    if payload.expected_version is not None and payload.expected_version != complaint.version:
        raise Conflict("the complaint changed since you loaded it", actions.fresh_state(complaint))
    fields = {"root_cause": payload.root_cause, "solution": payload.solution}
    return actions.perform(
        complaint, payload.name, actor=request.user, note=payload.note, fields=fields
    )


@router.post("/complaints/{complaint_id}/classification", response=ComplaintDetailOut)
def classify_complaint(request: HttpRequest, complaint_id: Id, payload: ClassifyIn) -> Any:
    """Confirm or correct the class; the decision becomes labelled data (FB-2)."""
    complaint = get_visible(request, Complaint, complaint_id)
    return actions.classify(complaint, payload.category, actor=request.user)


class ProposalIn(Schema):
    text: str = Field(min_length=1, max_length=4000)
    job_hint: str = Field("", pattern="^(|rescue|workorder|workorder_rework)$")


class ProposalOut(Schema):
    cls: str = Field(alias="class")
    confidence: float
    unsure: bool
    label: str
    probabilities: dict[str, float]


@router.post("/classify", response=ProposalOut, by_alias=True)
def propose_class(request: HttpRequest, payload: ProposalIn) -> Any:
    """The classifier's proposal for a text (the intake form calls it while the agent types)."""
    return classifier.propose(payload.text, job_hint=payload.job_hint).as_dict()


# --- engineering cases -----------------------------------------------------------------------
class CaseOut(Schema):
    id: int
    number: str
    vehicle_model: str
    problem_kind: ProblemKind
    problem: str
    state: CaseState
    opened_at: dt.datetime
    complaints: list[int]

    @staticmethod
    def resolve_complaints(obj: EngineeringCase) -> list[int]:
        return list(obj.complaints.values_list("pk", flat=True))


@router.get("/engineering-cases", response=list[CaseOut])
@paginate(Pages, page_size=50)
def list_cases(request: HttpRequest) -> Any:
    return visible(request, EngineeringCase)


# --- social media ----------------------------------------------------------------------------
class PostIn(Schema):
    platform: Platform = Platform.OTHER
    external_id: str = Field(min_length=1, max_length=100)
    text: str = Field("", max_length=5000)
    posted_at: IsoDateTime
    author: str = Field("", max_length=100)
    url: str = Field("", max_length=500)


class PushIn(Schema):
    posts: list[PostIn] = Field(min_length=1, max_length=1000)


class PostOut(Schema):
    id: int
    platform: Platform
    external_id: str
    text: str
    posted_at: dt.datetime
    brands: list[str]
    models_mentioned: list[str]
    topics: list[str]
    sentiment: Sentiment
    sentiment_score: float
    complaint: int | None = Field(None, alias="complaint_id")


class PushOut(Schema):
    detail: str
    kept: int
    complaints: int
    refused: list[dict[str, Any]]


@router.post("/social/posts", response={201: PushOut, 422: PushOut})
def push_posts(request: HttpRequest, payload: PushIn) -> Any:
    """Posts pushed by a monitoring service. Good posts are kept, each bad one is reported by
    its position (a post with no text is refused); 422 when none could be kept."""
    if not may_change(request.user, SocialPost):
        raise PermissionDenied("your role may not push social-media posts")
    rows = [p.dict() for p in payload.posts]
    result = social.ingest(rows, source="api", actor=request.user)
    detail = (
        f"{len(result.kept)} posts kept, {len(result.errors)} refused"
        if result.kept
        else "no post could be kept: see refused"
    )
    body = {
        "detail": detail,
        "kept": len(result.kept),
        "complaints": result.complaints,
        "refused": result.errors,
    }
    return Status(201 if result.kept else 422, body)


class PostFilter(FilterSchema):
    sentiment: Annotated[Sentiment | None, FilterLookup("sentiment")] = None
    platform: Annotated[Platform | None, FilterLookup("platform")] = None


@router.get("/social/posts", response=list[PostOut])
@paginate(Pages, page_size=50)
def list_posts(request: HttpRequest, filters: Query[PostFilter]) -> Any:
    return filters.filter(visible(request, SocialPost))


class SummaryRow(Schema):
    topic: str
    label: str
    posts: int
    negative: int
    neutral: int
    positive: int
    negative_share: float


class SummaryOut(Schema):
    month: str
    posts: int
    negative: int
    neutral: int
    positive: int
    topics: list[SummaryRow]


@router.get("/social/summary", response=SummaryOut)
def social_summary(request: HttpRequest, month: str | None = None) -> Any:
    """The month's posts mentioning the brands, by topic and sentiment (FB-7); ``month`` is
    ``YYYY-MM`` (default: this month)."""
    if month is not None and not MONTH.fullmatch(month):
        raise ValidationError({"month": "give the month as YYYY-MM, e.g. 2026-11"})
    day = parse_month(month, timezone.localdate())
    if month is not None and f"{day:%Y-%m}" != month:
        raise ValidationError({"month": "month out of range (2000-01 to 2100-12)"})
    return social.monthly_summary(day)
