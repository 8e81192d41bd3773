"""Improvement actions (整改) over the API: CRUD, implement, cancel, verify."""

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, FilterLookup, FilterSchema, Query, Router, Schema, Status
from ninja.pagination import paginate

from anxin.api.base import get_visible, visible
from anxin.api.pagination import Pages
from anxin.api.types import Id
from anxin.network.models import Outlet, Region, RescueBase

from .actions import improvements as imp
from .api_common import Text, VerificationOut, _expect, _ref, _user
from .choices import (
    ActionState,
    SourceKind,
    VerificationAnswer,
)
from .models import (
    Callback,
    ImprovementAction,
)

router = Router()


# --- improvement actions --------------------------------------------------------------------
class ActionTransitionOut(Schema):
    from_state: str
    to_state: str
    at: dt.datetime
    note: str
    callback_id: int | None


class ActionOut(Schema):
    id: int
    number: str
    title: str
    state: ActionState
    version: int
    source_kind: SourceKind
    source_id: str
    source_label: str
    region_id: int
    outlet_id: int | None
    base_id: int | None
    customer_id: int | None
    owner_id: int
    due_date: dt.date
    change_plan: str
    success_measure: str
    verification_question: str
    implementation_note: str
    implemented_at: dt.datetime | None
    closed_at: dt.datetime | None
    last_finding: str
    reopen_count: int
    created_at: dt.datetime


class ActionDetailOut(ActionOut):
    transitions: list[ActionTransitionOut]
    verifications: list[VerificationOut]

    @staticmethod
    def resolve_transitions(obj: ImprovementAction) -> list[Any]:
        return list(obj.transitions.all())

    @staticmethod
    def resolve_verifications(obj: ImprovementAction) -> list[Any]:
        return list(obj.verifications.select_related("action"))


class ActionIn(Schema):
    source_kind: SourceKind
    source_id: str = Field(min_length=1, max_length=40)
    title: str = Field("", max_length=200)
    owner_id: Id
    due_date: dt.date
    change_plan: Text = Field(min_length=1)
    success_measure: Text = Field(min_length=1)
    verification_question: str = Field("", max_length=300)
    region_id: Id | None = None
    outlet_id: Id | None = None
    base_id: Id | None = None


class ActionPatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=200)
    owner_id: Id | None = None
    due_date: dt.date | None = None
    change_plan: str | None = Field(None, min_length=1, max_length=4000)
    success_measure: str | None = Field(None, min_length=1, max_length=4000)
    verification_question: str | None = Field(None, max_length=300)
    expected_version: int | None = Field(None, ge=1, le=2**31)


class ActionTransitionIn(Schema):
    name: Literal["implement", "cancel"]
    note: Text = ""
    expected_version: int | None = Field(None, ge=1, le=2**31)


class VerifyIn(Schema):
    callback_id: Id
    answer: VerificationAnswer
    note: str = Field("", max_length=2000)


class ActionFilter(FilterSchema):
    state: Annotated[ActionState | None, FilterLookup("state")] = None
    owner: Annotated[Id | None, FilterLookup("owner_id")] = None
    region: Annotated[Id | None, FilterLookup("region_id")] = None
    outlet: Annotated[Id | None, FilterLookup("outlet_id")] = None
    source_kind: Annotated[SourceKind | None, FilterLookup("source_kind")] = None
    source_id: Annotated[str | None, FilterLookup("source_id")] = None


@router.get("/improvements", response=list[ActionOut])
@paginate(Pages, page_size=50)
def list_improvements(
    request: HttpRequest, filters: Query[ActionFilter], overdue: bool = False
) -> Any:
    qs = filters.filter(visible(request, ImprovementAction))
    if overdue:
        qs = qs.filter(
            state__in=(ActionState.OPEN, ActionState.REOPENED), due_date__lt=timezone.localdate()
        )
    return qs


@router.get("/improvements/{action_id}", response=ActionDetailOut)
def get_improvement(request: HttpRequest, action_id: Id) -> Any:
    return get_visible(request, ImprovementAction, action_id)


@router.post("/improvements", response={201: ActionDetailOut})
def create_improvement(request: HttpRequest, payload: ActionIn) -> Any:
    action = imp.create_action(
        actor=request.user,
        source_kind=str(payload.source_kind),
        source_id=payload.source_id,
        title=payload.title,
        owner=_user(payload.owner_id, "owner_id"),
        due_date=payload.due_date,
        change_plan=payload.change_plan,
        success_measure=payload.success_measure,
        verification_question=payload.verification_question,
        region=_ref(request, Region, payload.region_id, "region_id"),
        outlet=_ref(request, Outlet, payload.outlet_id, "outlet_id"),
        base=_ref(request, RescueBase, payload.base_id, "base_id"),
    )
    return Status(201, action)


@router.patch("/improvements/{action_id}", response=ActionDetailOut)
def update_improvement(request: HttpRequest, action_id: Id, payload: ActionPatch) -> Any:
    action = get_visible(request, ImprovementAction, action_id, "change")
    _expect(action, payload.expected_version, imp.fresh_state)
    changes = payload.dict(exclude_unset=True, exclude={"expected_version", "owner_id"})
    changes = {k: v for k, v in changes.items() if v is not None}
    if payload.owner_id is not None:
        changes["owner"] = _user(payload.owner_id, "owner_id")
    return imp.update_action(action, actor=request.user, **changes)


@router.post("/improvements/{action_id}/transitions", response=ActionDetailOut)
def improvement_transition(request: HttpRequest, action_id: Id, payload: ActionTransitionIn) -> Any:
    """implement (owner or manager, says what was done) or cancel (quality, with reason)."""
    action = get_visible(request, ImprovementAction, action_id)
    _expect(action, payload.expected_version, imp.fresh_state)
    return imp.perform(action, payload.name, actor=request.user, note=payload.note)


@router.post("/improvements/{action_id}/verify", response=ActionDetailOut)
def verify_improvement(request: HttpRequest, action_id: Id, payload: VerifyIn) -> Any:
    """The customer's answer about the action, given on a callback that asked it: "worked"
    closes the action, "not_worked" reopens it for its owner."""
    action = get_visible(request, ImprovementAction, action_id)
    callback = _ref(request, Callback, payload.callback_id, "callback_id")
    return imp.verify(
        action, actor=request.user, callback=callback, answer=str(payload.answer), note=payload.note
    )
