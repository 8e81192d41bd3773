"""Checking that service was good and gets better: manager callbacks, post-repair callbacks,
sampled audits, mystery checks and improvement actions (CB-1..4, FB-5, FB-6, WS-8).

Every row comes through ``visible`` (the permission filter); every write is an action
function, so the pages and this API refuse and accept the same things.
"""

import datetime as dt
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, FilterLookup, FilterSchema, Query, Router, Schema, Status
from ninja.pagination import paginate

from anxin.api.base import get_visible, visible
from anxin.api.pagination import Pages
from anxin.api.types import Id
from anxin.network.models import Region

from .actions import audits as audit_actions
from .actions import callbacks as cb_actions
from .actions import draws as draw_actions
from .choices import (
    AttemptOutcome,
    CallbackPurpose,
    CallbackState,
    DrawPurpose,
    IssueTag,
    VerificationAnswer,
)
from .models import (
    Callback,
    Draw,
)
from .queries import worklist

router = Router()

from .api_common import (  # noqa: E402
    ReasonIn,
    Text,
    VerificationOut,
    _expect,
    _ref,
)


# --- callbacks ------------------------------------------------------------------------------
class AttemptOut(Schema):
    at: dt.datetime
    outcome: AttemptOutcome
    note: str


class QuestionOut(Schema):
    code: str
    text: str
    answer: str
    required: bool


class CallbackOut(Schema):
    id: int
    purpose: CallbackPurpose
    state: CallbackState
    version: int
    draw_id: int | None
    job_kind: str
    job_id: int
    job_number: str
    served_at: dt.datetime | None
    region_id: int
    outlet_id: int | None
    base_id: int | None
    customer_id: int | None
    contact_name: str = Field(alias="masked_name")
    contact_phone: str = Field(alias="masked_phone")
    assignee_id: int | None
    assignee_role: str
    created_at: dt.datetime
    due_at: dt.datetime
    attempts: int
    completed_at: dt.datetime | None
    reached: bool | None
    satisfied: bool | None
    issues: str
    issue_tags: list[str]
    answers: dict[str, Any]


class CallbackDetailOut(CallbackOut):
    attempt_log: list[AttemptOut]
    verifications: list[VerificationOut]
    script: list[QuestionOut]

    @staticmethod
    def resolve_attempt_log(obj: Callback) -> list[Any]:
        return list(obj.attempt_log.all())

    @staticmethod
    def resolve_verifications(obj: Callback) -> list[Any]:
        return list(obj.verifications.select_related("action"))

    @staticmethod
    def resolve_script(obj: Callback) -> list[Any]:
        return cb_actions.script_for(obj)


class CallbackFilter(FilterSchema):
    purpose: Annotated[CallbackPurpose | None, FilterLookup("purpose")] = None
    state: Annotated[CallbackState | None, FilterLookup("state")] = None
    region: Annotated[Id | None, FilterLookup("region_id")] = None
    outlet: Annotated[Id | None, FilterLookup("outlet_id")] = None
    draw: Annotated[Id | None, FilterLookup("draw_id")] = None


@router.get("/callbacks", response=list[CallbackOut])
@paginate(Pages, page_size=50)
def list_callbacks(
    request: HttpRequest,
    filters: Query[CallbackFilter],
    view: Literal["all", "open", "mine", "due", "overdue"] = "all",
) -> Any:
    qs = filters.filter(visible(request, Callback))
    return worklist(qs, request.user, view, timezone.now()).order_by("due_at", "pk")


@router.get("/callbacks/{callback_id}", response=CallbackDetailOut)
def get_callback(request: HttpRequest, callback_id: Id) -> Any:
    return get_visible(request, Callback, callback_id)


class AttemptIn(Schema):
    outcome: Literal["no_answer", "busy", "wrong_number", "refused"]
    note: str = Field("", max_length=500)
    expected_version: int | None = Field(None, ge=1, le=2**31)


@router.post("/callbacks/{callback_id}/attempts", response=CallbackDetailOut)
def add_attempt(request: HttpRequest, callback_id: Id, payload: AttemptIn) -> Any:
    cb = get_visible(request, Callback, callback_id, "change")
    _expect(cb, payload.expected_version, cb_actions.fresh_state)
    return cb_actions.record_attempt(
        cb, actor=request.user, outcome=payload.outcome, note=payload.note
    )


class VerificationIn(Schema):
    action_id: Id
    answer: VerificationAnswer
    note: str = Field("", max_length=2000)


class ResultIn(Schema):
    reached: bool
    satisfied: bool | None = None
    issues: Text = ""
    issue_tags: list[IssueTag] = Field(default_factory=list, max_length=len(IssueTag.values))
    answers: dict[
        Annotated[str, Field(max_length=40)], bool | int | Annotated[str, Field(max_length=1000)]
    ] = Field(default_factory=dict, max_length=50)
    verifications: list[VerificationIn] = Field(default_factory=list, max_length=50)
    note: str = Field("", max_length=500)
    expected_version: int | None = Field(None, ge=1, le=2**31)


@router.post("/callbacks/{callback_id}/result", response=CallbackDetailOut)
def record_result(request: HttpRequest, callback_id: Id, payload: ResultIn) -> Any:
    """The callback's result; "not reached" is accepted after three tries."""
    cb = get_visible(request, Callback, callback_id, "change")
    _expect(cb, payload.expected_version, cb_actions.fresh_state)
    return cb_actions.complete(
        cb,
        actor=request.user,
        reached=payload.reached,
        satisfied=payload.satisfied,
        issues=payload.issues,
        issue_tags=[str(t) for t in payload.issue_tags],
        answers=payload.answers,
        verifications={
            v.action_id: {"answer": str(v.answer), "note": v.note} for v in payload.verifications
        },
        note=payload.note,
    )


@router.post("/callbacks/{callback_id}/cancel", response=CallbackDetailOut)
def cancel_callback(request: HttpRequest, callback_id: Id, payload: ReasonIn) -> Any:
    cb = get_visible(request, Callback, callback_id, "change")
    return cb_actions.cancel(cb, actor=request.user, reason=payload.reason)


# --- draws ----------------------------------------------------------------------------------
class DrawOut(Schema):
    id: int
    purpose: DrawPurpose
    region_id: int
    period: str
    period_start: dt.datetime
    period_end: dt.datetime
    seed: int
    rate: str
    population_size: int
    population_hash: str
    strata: dict[str, list[int]]
    sample: list[str]
    drawn_at: dt.datetime


class DrawDetailOut(DrawOut):
    population: list[list[str]]


class DrawIn(Schema):
    purpose: DrawPurpose
    region_id: Id
    period: str = Field(pattern=r"^\d{4}-(\d{2}|Q[1-4])$", description="2026-11 or 2026-Q4")
    seed: int | None = Field(None, ge=0, le=2**62)


class DrawCheckOut(Schema):
    ok: bool
    sample_reproduced: bool
    stored_hash_ok: bool
    population_unchanged: bool
    current_size: int
    current_hash: str
    notes: list[str]


class DrawFilter(FilterSchema):
    purpose: Annotated[DrawPurpose | None, FilterLookup("purpose")] = None
    region: Annotated[Id | None, FilterLookup("region_id")] = None
    period: Annotated[str | None, FilterLookup("period")] = None


@router.get("/draws", response=list[DrawOut])
@paginate(Pages, page_size=50)
def list_draws(request: HttpRequest, filters: Query[DrawFilter]) -> Any:
    return filters.filter(visible(request, Draw))


@router.get("/draws/{draw_id}", response=DrawDetailOut)
def get_draw(request: HttpRequest, draw_id: Id) -> Any:
    return get_visible(request, Draw, draw_id)


@router.post("/draws", response={201: DrawDetailOut})
def create_draw(request: HttpRequest, payload: DrawIn) -> Any:
    """Draw a month's callbacks or a quarter's audit for a region (once per period)."""
    region = _ref(request, Region, payload.region_id, "region_id")
    if payload.purpose == DrawPurpose.CALLBACK:
        if "Q" in payload.period:
            raise ValidationError({"period": "a callback draw is monthly: YYYY-MM"})
        draw = draw_actions.draw_callbacks(
            region, payload.period, seed=payload.seed, actor=request.user
        )
    else:
        if "Q" not in payload.period:
            raise ValidationError({"period": "an audit draw is quarterly: YYYY-Qn"})
        draw = audit_actions.draw_audit(
            region, payload.period, seed=payload.seed, actor=request.user
        ).draw
    return Status(201, draw)


@router.get("/draws/{draw_id}/verify", response=DrawCheckOut)
def verify_draw(request: HttpRequest, draw_id: Id) -> Any:
    """Run the draw again from its seed and stored population, and re-read the population."""
    check = draw_actions.verify_draw(get_visible(request, Draw, draw_id))
    return {**check.__dict__, "ok": check.ok}


from .api_checks import router as checks_router  # noqa: E402
from .api_improvements import router as improvements_router  # noqa: E402

router.add_router("", improvements_router)
router.add_router("", checks_router)
