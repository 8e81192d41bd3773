"""Service commitments: seeds, validation, clocks on jobs, pause/resume and the sweep (SLA-1..3)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.template import Context, Template

from anxin.accounts.roles import Role
from anxin.audit.models import ChangeLogEntry
from anxin.commitments import api, calendars
from anxin.commitments.actions import change_commitment, define_commitment
from anxin.commitments.choices import ClockEventKind, ClockState
from anxin.commitments.handlers import sweep
from anxin.commitments.models import (
    AdminAlert,
    Breach,
    Calendar,
    CalendarDay,
    Clock,
    ClockEvent,
    Commitment,
    JobKind,
)
from anxin.notifications.models import Message
from anxin.people.models import Staff
from anxin.worker.runner import run_once

from .conftest import make_user


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


T0 = at("2026-11-23T10:00:00+08:00")  # a Monday


@pytest.fixture(autouse=True)
def no_job_app_contacts(monkeypatch):
    """These tests drive clocks on bare job ids; the rescue app's contact resolver (which
    reads real rescue jobs) is set aside so the clocks' own attributes are used."""
    from anxin.commitments import handlers

    monkeypatch.setattr(handlers, "_contacts", {})


@pytest.fixture
def east_crew(east):
    """A dispatcher with a phone on the staff list, a manager by e-mail, a national commander."""
    dispatcher = make_user("disp", Role.DISPATCHER, east)
    Staff.objects.create(
        employee_no="E1",
        name="王调度",
        phone="13800138000",
        role=Role.DISPATCHER,
        region=east,
        user=dispatcher,
    )
    manager = make_user("mgr", Role.REGIONAL_MANAGER, east, email="mgr@example.cn")
    commander = make_user("cmd", Role.EMERGENCY_COMMANDER, email="cmd@example.cn")
    return dispatcher, manager, commander


def emergency(east, **extra):
    return {
        "region": east.pk,
        "area": "urban",
        "priority": "emergency",
        "tier": "regular",
        "customer_phone": "13900139000",
        **extra,
    }


def messages(purpose_prefix: str) -> list[Message]:
    return list(Message.objects.filter(purpose__startswith=purpose_prefix).order_by("pk"))


# --- seeds -----------------------------------------------------------------------------------
def test_the_two_calendars_and_the_seed_commitments_ship(db):
    assert set(Calendar.objects.values_list("name", flat=True)) >= {"natural", "cn-workday"}
    cn = Calendar.objects.get(name="cn-workday")
    assert cn.holidays_until == dt.date(2026, 12, 31)
    assert cn.days.get(date=dt.date(2026, 10, 10)).kind == CalendarDay.Kind.WORKDAY
    assert cn.days.get(date=dt.date(2026, 10, 1)).name == "国庆节"
    assert cn.days.filter(date__year=2004).exists()  # every year the package covers
    assert set(JobKind.objects.values_list("code", flat=True)) >= {
        "rescue",
        "appointment",
        "work_order",
        "complaint",
        "expert_request",
        "callback",
    }
    targets = {c.code: c.target_text for c in Commitment.objects.all()}
    # The seeds' promises; feature apps add their own (manager callbacks, quality reviews, ...).
    assert (
        targets.items()
        >= {
            "appointment-response": "30m",
            "repair-arrival": "2h",
            "rescue-response": "15m",
            "emergency-arrival-urban": "30m",
            "emergency-arrival-remote": "50m",
            "complaint-first-response": "2h",
            "complaint-solution": "48h",
            "expert-response": "5m",
            "rescue-progress-update": "every 30m",
            "callback-7d": "7d",
        }.items()
    )
    assert Commitment.objects.get(code="callback-7d").calendar.name == "natural"
    for commitment in Commitment.objects.all():
        commitment.full_clean()  # the seeds pass the validation administrators face


def test_stored_calendar_gives_the_known_answer_and_alerts_once_past_the_horizon(db):
    assert (
        calendars.due(
            "cn-workday", at("2026-09-30T16:00+08:00"), dt.timedelta(hours=2)
        ).at.isoformat()
        == "2026-10-08T09:00:00+08:00"
    )
    assert not AdminAlert.objects.exists()
    for _ in range(2):
        calendars.due("cn-workday", at("2026-12-31T17:00+08:00"), dt.timedelta(hours=2))
    alert = AdminAlert.objects.get()
    assert alert.message == (
        "calendar cn-workday has no holiday data for 2027: using the weekly rule"
    )


def test_an_administrator_extends_the_table_in_the_data(db):
    cn = Calendar.objects.get(name="cn-workday")
    CalendarDay.objects.create(calendar=cn, date=dt.date(2027, 1, 1), kind="holiday", name="元旦")
    assert calendars.due(
        "cn-workday", at("2026-12-31T17:00+08:00"), dt.timedelta(hours=1)
    ).at == at("2027-01-04T09:00+08:00")
    assert (
        ChangeLogEntry.objects.filter(model="commitments.calendarday", action="create").count() == 1
    )


# --- validation ------------------------------------------------------------------------------
GOOD = dict(
    code="wo-quote",
    name="Quote within 4h",
    job_kind="work_order",
    start_event="received",
    stop_event="quoted",
    target="4h",
    calendar="cn-workday",
)


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"stop_event": "teleported"}, "stop_event", "can never happen"),
        ({"stop_event": "received"}, "stop_event", "it is the start event"),
        ({"start_event": "dreamt"}, "start_event", "not an event of work_order"),
        ({"target": "-2h"}, "target", "negative"),
        ({"target": dt.timedelta(hours=-2)}, "target", "must be positive"),
        ({"target": -60}, "target", "must be positive"),
        ({"target": "0m"}, "target", "zero"),
        ({"target": "2"}, "target", "ambiguous"),
        ({"calendar": "mars-time"}, "calendar", "Unknown calendar 'mars-time'"),
        ({"job_kind": "spaceship"}, "job_kind", "Unknown job kind"),
        ({"warning_percent": 0}, "warning_percent", "between 0 and 100"),
        ({"warning_percent": 100}, "warning_percent", "between 0 and 100"),
        ({"every": "30m"}, "target", "not both"),
        ({"pause_states": ["napping"]}, "pause_states", "no state(s) napping"),
        ({"escalation": {"breach": {"roles": ["king"]}}}, "escalation", "unknown role(s) king"),
        ({"escalation": {"breach": {"users": ["nobody"]}}}, "escalation", "no user(s) nobody"),
        ({"escalation": {"later": {"roles": ["dispatcher"]}}}, "escalation", "Unknown stage"),
        (
            {"escalation": {"escalation": {"roles": ["dispatcher"]}}},
            "escalate_after",
            "how long after",
        ),
    ],
)
def test_bad_commitments_are_refused_with_the_reason(db, change, field, reason):
    with pytest.raises(ValidationError) as refused:
        define_commitment(**{**GOOD, **change})
    assert field in refused.value.message_dict
    assert any(reason in m for m in refused.value.message_dict[field])
    assert not Commitment.objects.filter(code="wo-quote").exists()


def test_a_good_commitment_is_created_and_logged(db):
    commitment = define_commitment(**GOOD, pause_states=["waiting_parts"])
    assert commitment.version == 1 and commitment.target_duration == dt.timedelta(hours=4)
    assert (
        ChangeLogEntry.objects.filter(
            model="commitments.commitment", object_pk=str(commitment.pk)
        ).count()
        == 1
    )


def test_editing_a_commitment_is_a_logged_new_version_and_running_clocks_keep_theirs(db):
    api.on_event("complaint", 7, "received", at=T0)
    clock = Clock.objects.get(job_id="7", commitment__code="complaint-first-response")
    assert clock.due_at == T0 + dt.timedelta(hours=2)
    commitment = Commitment.objects.get(code="complaint-first-response")
    change_commitment(commitment, target="1h")
    assert commitment.version == 2
    entry = ChangeLogEntry.objects.filter(
        model="commitments.commitment", object_pk=str(commitment.pk)
    ).latest("seq")
    assert '"target":3600' in entry.after and '"version":2' in entry.after
    clock.refresh_from_db()
    assert clock.due_at == T0 + dt.timedelta(hours=2)
    assert clock.commitment_version == 1 and clock.terms["target_seconds"] == 7200
    # A job received after the edit runs under the new terms.
    api.on_event("complaint", 8, "received", at=T0)
    assert Clock.objects.get(job_id="8", commitment=commitment).due_at == T0 + dt.timedelta(hours=1)
    change_commitment(commitment, name=commitment.name)  # no change, no new version
    assert commitment.version == 2


# --- clocks on jobs --------------------------------------------------------------------------
def test_a_rescue_starts_the_clocks_whose_conditions_match(east):
    outcome = api.on_event("rescue", 101, "created", at=T0, attrs=emergency(east))
    started = {c.commitment.code for c in outcome.started}
    assert started == {"rescue-response", "emergency-arrival-urban", "rescue-progress-update"}
    urban = Clock.objects.get(commitment__code="emergency-arrival-urban")
    assert urban.due_at == T0 + dt.timedelta(minutes=30)
    assert urban.warn_at == T0 + dt.timedelta(minutes=24)
    assert urban.escalate_at == T0 + dt.timedelta(minutes=45)
    assert urban.region_id == east.pk
    remote = api.on_event(
        "rescue", 102, "created", at=T0, attrs=emergency(east, area="remote")
    ).started
    assert "emergency-arrival-remote" in {c.commitment.code for c in remote}
    routine = api.on_event("rescue", 103, "created", at=T0, attrs={"priority": "routine"})
    assert {c.commitment.code for c in routine.started} == {
        "rescue-response",
        "repair-arrival",
        "rescue-progress-update",
    }


def test_the_same_start_twice_is_one_clock_and_the_stop_event_stops_it(east):
    api.on_event("rescue", 101, "created", at=T0, attrs=emergency(east))
    again = api.on_event("rescue", 101, "created", at=T0, attrs=emergency(east))
    assert again.started == []
    assert Clock.objects.filter(job_id="101").count() == 3
    stopped = api.on_event("rescue", 101, "arrived", at=T0 + dt.timedelta(minutes=12))
    assert {c.commitment.code for c in stopped.stopped} == {
        "rescue-response",
        "emergency-arrival-urban",
    }
    response = Clock.objects.get(commitment__code="rescue-response")
    assert response.state == ClockState.STOPPED and response.met is True
    assert Clock.objects.get(commitment__code="rescue-progress-update").state == "running"
    assert not Breach.objects.exists()


def test_a_closing_event_cancels_every_open_clock(east):
    api.on_event("rescue", 101, "created", at=T0, attrs=emergency(east))
    outcome = api.on_event("rescue", 101, "cancelled", at=T0 + dt.timedelta(minutes=5))
    assert len(outcome.cancelled) == 3
    assert set(Clock.objects.values_list("state", flat=True)) == {ClockState.CANCELLED}


@pytest.mark.parametrize(
    ("call", "reason"),
    [
        (lambda: api.on_event("rescue", 1, "teleported", at=T0), "not an event of rescue"),
        (lambda: api.on_event("spaceship", 1, "created", at=T0), "unknown job kind"),
        (lambda: api.on_state("rescue", 1, "asleep", at=T0), "not a state of rescue"),
        (
            lambda: api.on_event("rescue", 1, "created", at=dt.datetime(2026, 11, 23, 10)),  # noqa: DTZ001
            "no time-zone offset",
        ),
    ],
)
def test_bad_job_input_is_refused_with_the_reason(db, call, reason):
    with pytest.raises(api.CommitmentError, match=reason):
        call()
    assert not Clock.objects.exists()


def test_pausing_and_resuming_moves_the_due_time_in_natural_time(db):
    api.on_event("complaint", 9, "received", at=T0)
    solution = Clock.objects.get(commitment__code="complaint-solution")
    first = Clock.objects.get(commitment__code="complaint-first-response")
    assert solution.due_at == T0 + dt.timedelta(hours=48)
    api.on_state("complaint", 9, "waiting_customer", at=T0 + dt.timedelta(hours=1))
    solution.refresh_from_db()
    first.refresh_from_db()
    assert solution.state == ClockState.PAUSED
    assert first.state == ClockState.RUNNING  # not a pause state of the first response
    api.on_state("complaint", 9, "investigating", at=T0 + dt.timedelta(hours=4))
    solution.refresh_from_db()
    assert solution.state == ClockState.RUNNING
    assert solution.due_at == T0 + dt.timedelta(hours=51)
    assert solution.warn_at == T0 + dt.timedelta(hours=48 * 0.8 + 3)
    assert solution.escalate_at == solution.due_at + dt.timedelta(hours=24)
    assert solution.paused_seconds == 3 * 3600
    kinds = list(solution.events.values_list("kind", flat=True))
    assert kinds == [ClockEventKind.STARTED, ClockEventKind.PAUSED, ClockEventKind.RESUMED]


def test_pausing_and_resuming_moves_the_due_time_through_the_working_calendar(db):
    commitment = define_commitment(**{**GOOD, "target": "2h"}, pause_states=["waiting_parts"])
    friday = at("2026-11-27T16:00+08:00")
    api.on_event("work_order", "WO-1", "received", at=friday)
    clock = Clock.objects.get(commitment=commitment)
    assert clock.due_at == at("2026-11-30T09:00+08:00")  # 1h30m Friday, 30m Monday
    api.on_state("work_order", "WO-1", "waiting_parts", at=at("2026-11-27T17:00+08:00"))
    # One working hour was left (17:00-17:30 and 08:30-09:00); it resumes Tuesday 10:00.
    api.on_state("work_order", "WO-1", "in_work", at=at("2026-12-01T10:00+08:00"))
    clock.refresh_from_db()
    assert clock.due_at == at("2026-12-01T11:00+08:00")
    views = api.clocks_for("work_order", "WO-1", now=at("2026-12-01T10:15+08:00"))
    assert views[0].remaining == dt.timedelta(minutes=45) and not views[0].paused


def test_a_breach_the_sweep_missed_is_recorded_when_the_clock_stops(db):
    api.on_event("expert_request", 5, "requested", at=T0)
    api.on_event("expert_request", 5, "answered", at=T0 + dt.timedelta(minutes=8))
    clock = Clock.objects.get()
    assert clock.met is False
    breach = Breach.objects.get()
    assert (breach.due_at, breach.breached_at) == (T0 + dt.timedelta(minutes=5),) * 2
    assert breach.overdue_seconds == 180 and breach.resolved_at is not None
    assert not Message.objects.exists()  # the job is over: a KPI fact, not an alarm


# --- the sweep: fires once, whatever the number of workers -----------------------------------
def test_warning_breach_and_escalation_each_fire_exactly_once(east, east_crew):
    dispatcher, manager, commander = east_crew
    api.on_event("rescue", 101, "created", at=T0, attrs=emergency(east))
    urban = Clock.objects.get(commitment__code="emergency-arrival-urban")
    prefix = f"sla.warning:clock{urban.pk}"

    with time_machine.travel(T0 + dt.timedelta(minutes=23, seconds=59), tick=False):
        sweep(T0 + dt.timedelta(minutes=23, seconds=59))
        assert messages(prefix) == []

    warn_time = T0 + dt.timedelta(minutes=24)
    with time_machine.travel(warn_time, tick=False):
        sweep(warn_time)
        sweep(warn_time)  # a second worker in the same tick
        run_once(worker_id="w1", now=warn_time)
        run_once(worker_id="w2", now=warn_time + dt.timedelta(seconds=20))
    warned = messages(prefix)
    assert [(m.channel, m.recipient) for m in warned] == [("sms", "13800138000")]
    assert "将于2026-11-23 10:30到期" in warned[0].body

    due = T0 + dt.timedelta(minutes=30, seconds=10)
    with time_machine.travel(due, tick=False):
        run_once(worker_id="w1", now=due)
        run_once(worker_id="w2", now=due + dt.timedelta(seconds=16))
        sweep(due + dt.timedelta(seconds=30))
    breached = messages(f"sla.breach:clock{urban.pk}")
    assert sorted((m.channel, m.recipient) for m in breached) == [
        ("email", "mgr@example.cn"),
        ("sms", "13800138000"),
    ]
    breach = Breach.objects.get(clock=urban)
    assert breach.breached_at == due and breach.overdue_seconds == 10

    escalate = T0 + dt.timedelta(minutes=45)
    with time_machine.travel(escalate, tick=False):
        sweep(escalate)
        sweep(escalate + dt.timedelta(minutes=5))
    escalated = messages(f"sla.escalation:clock{urban.pk}")
    # The national commander hears of it; the seeded wording of a breach is reused.
    assert [(m.recipient, m.template.code) for m in escalated] == [("cmd@example.cn", "sla.breach")]
    urban.refresh_from_db()
    assert urban.warned_at == warn_time and urban.escalated_at == escalate
    counts = {k: urban.events.filter(kind=k).count() for k in ("warned", "breached", "escalated")}
    assert counts == {"warned": 1, "breached": 1, "escalated": 1}

    api.on_event("rescue", 101, "arrived", at=T0 + dt.timedelta(minutes=50))
    breach.refresh_from_db()
    assert breach.overdue_seconds == 20 * 60 and breach.resolved_at is not None


def test_a_paused_clock_does_not_fire(east, east_crew):
    api.on_event("rescue", 101, "created", at=T0, attrs=emergency(east))
    api.on_state("rescue", 101, "waiting_customer", at=T0 + dt.timedelta(minutes=10))
    later = T0 + dt.timedelta(hours=3)
    with time_machine.travel(later, tick=False):
        sweep(later)
    assert not Breach.objects.exists()
    assert not Message.objects.filter(purpose__startswith="sla.").exists()
    # The customer still hears from us meanwhile: progress updates do not pause.
    assert Message.objects.filter(purpose__startswith="rescue.progress").count() == 1


def test_a_failed_claim_is_retried_not_lost(east, east_crew, monkeypatch):
    api.on_event("rescue", 101, "created", at=T0, attrs=emergency(east))
    warn_time = T0 + dt.timedelta(minutes=24)

    def crash(**kwargs):
        raise RuntimeError("provider table unavailable")

    monkeypatch.setattr("anxin.commitments.handlers.notify", crash)
    with time_machine.travel(warn_time, tick=False):
        sweep(warn_time)
    urban = Clock.objects.filter(commitment__code="emergency-arrival-urban")
    assert urban.get().warned_at is None  # the claim rolled back with the failed message
    monkeypatch.undo()
    with time_machine.travel(warn_time + dt.timedelta(seconds=15), tick=False):
        sweep(warn_time + dt.timedelta(seconds=15))
    assert urban.get().warned_at == warn_time + dt.timedelta(seconds=15)
    assert len(messages(f"sla.warning:clock{urban.get().pk}")) == 1


def test_the_customer_hears_every_30_minutes_with_a_rising_sequence(east):
    api.on_event("rescue", 101, "created", at=T0, attrs=emergency(east, status="救援车辆已出发"))
    clock = Clock.objects.get(commitment__code="rescue-progress-update")
    for minutes in (30, 30, 45, 60, 61, 95):
        now = T0 + dt.timedelta(minutes=minutes)
        with time_machine.travel(now, tick=False):
            sweep(now)
    sent = messages(f"rescue.progress:clock{clock.pk}")
    assert [m.sequence for m in sent] == [1, 2, 3]
    assert {m.recipient for m in sent} == {"13900139000"}
    assert "救援车辆已出发" in sent[0].body
    api.on_event("rescue", 101, "completed", at=T0 + dt.timedelta(minutes=100))
    with time_machine.travel(T0 + dt.timedelta(hours=3), tick=False):
        sweep(T0 + dt.timedelta(hours=3))
    assert len(messages(f"rescue.progress:clock{clock.pk}")) == 3


def test_after_a_long_outage_one_update_goes_not_a_burst(east):
    api.on_event("rescue", 101, "created", at=T0, attrs=emergency(east))
    late = T0 + dt.timedelta(hours=4, minutes=5)
    with time_machine.travel(late, tick=False):
        sweep(late)
        sweep(late)
    clock = Clock.objects.get(commitment__code="rescue-progress-update")
    assert clock.sequence == 1 and clock.next_fire_at == late + dt.timedelta(minutes=30)


# --- what a job page shows -------------------------------------------------------------------
def test_clocks_for_shows_target_remaining_overdue_and_paused(east):
    api.on_event("rescue", 101, "created", at=T0, attrs=emergency(east))
    views = {
        v.clock.commitment.code: v
        for v in api.clocks_for("rescue", 101, now=T0 + dt.timedelta(minutes=20))
    }
    urban = views["emergency-arrival-urban"]
    assert (urban.target, urban.remaining, urban.overdue) == (
        dt.timedelta(minutes=30),
        dt.timedelta(minutes=10),
        None,
    )
    assert views["rescue-response"].overdue == dt.timedelta(minutes=5)
    assert views["rescue-progress-update"].every == dt.timedelta(minutes=30)
    api.on_state("rescue", 101, "waiting_customer", at=T0 + dt.timedelta(minutes=25))
    paused = {
        v.clock.commitment.code: v
        for v in api.clocks_for("rescue", 101, now=T0 + dt.timedelta(hours=2))
    }
    assert paused["emergency-arrival-urban"].paused
    assert paused["emergency-arrival-urban"].remaining == dt.timedelta(minutes=5)


def test_the_clocks_include_renders_on_a_job_page(east):
    api.on_event("rescue", 101, "created", at=T0, attrs=emergency(east))
    with time_machine.travel(T0 + dt.timedelta(minutes=20), tick=False):
        html = Template("{% load commitments %}{% clocks 'rescue' 101 %}").render(Context())
    assert "紧急救援到达 市区 30 分钟" in html
    assert "2026-11-23 10:30" in html
    assert "10m" in html and "5m" in html
    empty = Template("{% load commitments %}{% clocks 'rescue' 999 %}").render(Context())
    assert "clocks-table" not in empty


def test_a_stopped_clock_shows_its_margin_not_time_left(east):
    api.on_event("rescue", 101, "created", at=T0, attrs=emergency(east))
    api.on_event("rescue", 101, "arrived", at=T0 + dt.timedelta(minutes=18))
    with time_machine.travel(T0 + dt.timedelta(hours=3), tick=False):
        html = Template("{% load commitments %}{% clocks 'rescue' 101 %}").render(Context())
    assert "finished with 12m to spare" in html  # urban arrival, 30 min
    assert "finished 3m late" in html  # response, 15 min
    assert " left" not in html.replace("every", "")


def test_clock_rows_are_bookkeeping_not_change_log(east):
    api.on_event("rescue", 101, "created", at=T0, attrs=emergency(east))
    assert ClockEvent.objects.count() == 3
    assert not ChangeLogEntry.objects.filter(model__startswith="commitments.clock").exists()


# --- admin -----------------------------------------------------------------------------------
def test_administrators_edit_commitments_and_calendars_in_the_admin(admin_user):
    from .conftest import logged_in

    client = logged_in(admin_user)
    commitment = Commitment.objects.get(code="complaint-first-response")
    page = f"/admin/commitments/commitment/{commitment.pk}/change/"
    assert 'value="2h"' in client.get(page).content.decode()
    for url in (
        "/admin/commitments/calendar/",
        "/admin/commitments/clock/",
        "/admin/commitments/breach/",
        "/admin/commitments/adminalert/",
        f"/admin/commitments/calendar/{Calendar.objects.get(name='cn-workday').pk}/change/",
    ):
        assert client.get(url).status_code == 200, url
    form = {
        "code": commitment.code,
        "name": commitment.name,
        "job_kind": commitment.job_kind_id,
        "active": "on",
        "start_event": "received",
        "stop_event": "first_response",
        "pause_states": "[]",
        "target": "2",
        "every": "",
        "measure": "each",
        "calendar": commitment.calendar_id,
        "warning_percent": "80",
        "escalation": "{}",
        "escalate_after": "",
        "notice_template": "",
        "region": "",
        "area": "",
        "tier": "",
        "priority": "",
    }
    refused = client.post(page, form)
    assert refused.status_code == 200 and "ambiguous" in refused.content.decode()
    assert client.post(page, {**form, "target": "90m"}).status_code == 302
    commitment.refresh_from_db()
    assert (commitment.target, commitment.version) == (5400, 2)
