"""The demo city: reproducible from its seed, realistic, and with an intact change log."""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections import defaultdict
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import F
from django.utils import translation

from anxin.accounts.models import User
from anxin.accounts.roles import Role
from anxin.audit.changelog import verify
from anxin.audit.models import ChangeLogEntry
from anxin.commitments.models import Breach, Clock
from anxin.core.validators import validate_phone, validate_plate, validate_vin
from anxin.customers.models import Consent, Customer, FleetCustomer, RepairContract, Vehicle
from anxin.demo.builder import DEMO_USERNAMES, LOGINS, build
from anxin.demo.catalog import DEMO_PASSWORD, in_hangzhou
from anxin.demo.fingerprint import fingerprint
from anxin.network.models import (
    Outlet,
    OutletEquipment,
    OutletQualification,
    Region,
    RescueBase,
    RescueUnit,
    UnitDailyCheck,
)
from anxin.people.models import Certification, Skill, Staff
from anxin.rescue.choices import OPEN_STATES, JobState
from anxin.rescue.models import REQUIRED_CHECKLIST, ComplianceReview, JobTransition, RescueJob
from anxin.rescue.transitions import TRANSITIONS, missing_details

AS_OF = dt.datetime(2026, 11, 23, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TODAY = AS_OF.date()


class Rollback(Exception):
    """Raised to undo a build inside a test, so the next build starts from an empty database."""


def fingerprint_of_build(seed: int) -> str:
    try:
        with transaction.atomic():
            build(seed=seed, as_of=AS_OF)
            digest = fingerprint()
            raise Rollback
    except Rollback:
        pass
    assert not Outlet.objects.exists()
    return digest


@pytest.mark.django_db
def test_the_same_seed_builds_the_same_city_row_for_row():
    first = fingerprint_of_build(7)

    build(seed=7, as_of=AS_OF)
    assert fingerprint() == first
    # The fingerprint does notice a change to a single row.
    Vehicle.objects.filter(pk=Vehicle.objects.order_by("pk").first().pk).update(
        mileage_km=F("mileage_km") + 1
    )
    assert fingerprint() != first


@pytest.fixture(scope="class")
def built_city(django_db_setup, django_db_blocker):
    """One build shared by the tests of a class, rolled back after them (a build takes seconds)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            out = StringIO()
            call_command("demo", "--seed", "7", "--today", TODAY.isoformat(), "-v", "0", stdout=out)
            yield out.getvalue()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def city(built_city, db) -> str:
    # ``db`` nests each test in a savepoint inside the shared build, so tests stay independent.
    return built_city


class TestTheDemoCity:
    def test_the_demo_command_builds_a_city_of_the_promised_size(self, city):
        assert "customers.vehicle" in city
        assert Region.objects.filter(code__in=["east", "south"]).count() == 2
        assert 12 <= Outlet.objects.count() <= 14
        assert Outlet.objects.filter(open_24h=True).count() == 2
        assert all(15 <= o.daily_capacity <= 60 for o in Outlet.objects.all())
        assert Outlet.objects.filter(region__code="south").exists()
        assert 4 <= RescueBase.objects.count() <= 5
        assert set(RescueBase.objects.values_list("area_type", flat=True)) == {"urban", "remote"}
        assert RescueUnit.objects.count() == 30
        assert RescueUnit.objects.filter(status="available").count() >= 15
        # Crews, dispatch desk and back office; the workshop demo adds its technicians.
        assert Staff.objects.filter(employee_no__startswith="AX").count() == 81
        assert Staff.objects.filter(unit__isnull=False).count() == 60
        assert Customer.objects.count() == 2000
        assert Vehicle.objects.count() == 2000
        assert FleetCustomer.objects.filter(kind="government").exists()
        assert all(c.outlets.exists() for c in RepairContract.objects.all())
        assert set(Vehicle.objects.values_list("powertrain", flat=True)) == {"ice", "hev", "bev"}
        assert Consent.objects.count() >= 4 * 2000

    def test_every_identifier_in_the_demo_city_is_valid(self, city):
        for vin, plate in Vehicle.objects.values_list("vin", "plate"):
            validate_vin(vin)
            validate_plate(plate)
        for plate in RescueUnit.objects.values_list("plate", flat=True):
            validate_plate(plate)
            assert plate[:2] in {"浙A", "粤A"} and len(plate) == 7
        for phone in Customer.objects.values_list("phone", flat=True):
            validate_phone(phone)
        assert Customer.objects.values("phone").distinct().count() == 2000
        for model in (Outlet, RescueBase, RescueUnit, Staff, OutletQualification, Certification):
            for obj in model.objects.all():
                obj.full_clean()

    def test_hangzhou_records_lie_in_hangzhou(self, city):
        for outlet in Outlet.objects.filter(city__code="330100"):
            assert in_hangzhou(outlet.lat, outlet.lon), outlet
        for base in RescueBase.objects.filter(city__code="330100"):
            assert in_hangzhou(base.lat, base.lon), base
        for unit in RescueUnit.objects.filter(base__city__code="330100"):
            assert in_hangzhou(unit.last_lat, unit.last_lon), unit
        guangzhou = Outlet.objects.get(city__code="440100")
        assert not in_hangzhou(guangzhou.lat, guangzhou.lon)

    def test_the_history_spans_eight_weeks_before_the_anchor(self, city):
        start = AS_OF - dt.timedelta(weeks=8, days=1)
        created = Customer.objects.values_list("created_at", flat=True)
        assert all(start <= at <= AS_OF for at in created)
        assert min(created) < AS_OF - dt.timedelta(weeks=7) and max(created) > AS_OF - dt.timedelta(
            weeks=1
        )
        assert all(
            start <= at <= AS_OF for at in Consent.objects.values_list("recorded_at", flat=True)
        )
        assert Consent.objects.filter(granted=False, purpose="marketing").exists()
        seen = RescueUnit.objects.filter(status="available").values_list("last_seen_at", flat=True)
        assert all(AS_OF - dt.timedelta(minutes=5) <= at <= AS_OF for at in seen)
        assert Vehicle.objects.filter(sold_on__lt=TODAY - dt.timedelta(days=3 * 365)).exists()

    def test_licences_and_certificates_include_lapsed_and_lapsing_ones(self, city):
        qualifications = OutletQualification.objects.all()
        assert sum(q.expires_on < TODAY for q in qualifications) == 1
        assert (
            sum(TODAY <= q.expires_on <= TODAY + dt.timedelta(days=30) for q in qualifications) == 1
        )
        lapsed = Outlet.objects.filter(qualifications__expires_on__lt=TODAY).get()
        assert lapsed.current_qualification(TODAY) is None
        assert all(3 <= o.equipment.count() <= 6 for o in Outlet.objects.all())
        assert OutletEquipment.objects.filter(calibration_due__lt=TODAY).exists()
        certs = Certification.objects.all()
        assert 1 <= sum(c.expires_on < TODAY for c in certs) <= 6
        assert 1 <= sum(TODAY <= c.expires_on <= TODAY + dt.timedelta(days=30) for c in certs) <= 8
        hv_crews = Staff.objects.filter(certifications__skill=Skill.EV_HV, unit__isnull=False)
        assert 10 <= hv_crews.distinct().count() < 60

    def test_there_is_a_demo_login_for_every_role(self, city):
        users = {u.username: u for u in User.objects.filter(username__in=DEMO_USERNAMES)}
        assert set(users) == set(DEMO_USERNAMES)
        assert {u.role for u in users.values()} == set(Role.values)
        assert all(
            u.region.code == "east" for name, u in users.items() if name != "dispatcher_south"
        )
        assert users["dispatcher_south"].region.code == "south"
        assert users["admin"].is_superuser and users["admin"].is_staff
        assert not users["dispatcher"].is_staff
        assert users["advisor"].outlet is not None
        technician = users["technician"]
        assert technician.base is not None
        assert technician.staff.unit.base == technician.base
        assert technician.staff.holds(Skill.EV_HV, TODAY)
        assert users["manager"].check_password(DEMO_PASSWORD)

        out = StringIO()
        call_command("logins", stdout=out)
        assert "http://127.0.0.1:8000/" in out.getvalue()
        assert all(name in out.getvalue() for name in DEMO_USERNAMES)

    def test_the_change_log_records_the_whole_build_and_verifies(self, city):
        verdict = verify()
        assert verdict.ok, verdict.reason
        assert (
            ChangeLogEntry.objects.filter(model="customers.vehicle", action="create").count()
            == 2000
        )
        # Each staff login is tied to its staff record by one logged update.
        assert ChangeLogEntry.objects.filter(model="people.staff", action="update").count() == len(
            LOGINS
        )

    def test_the_rescue_history_has_eight_weeks_of_jobs(self, city):
        history = RescueJob.objects.exclude(state__in=OPEN_STATES)
        assert 56 * 25 * 0.7 <= history.count() <= 56 * 25 * 1.3
        first, last = history.order_by("created_at")[0], history.order_by("-created_at")[0]
        assert first.created_at >= AS_OF - dt.timedelta(days=56)
        assert first.created_at < AS_OF - dt.timedelta(days=55) and last.created_at < AS_OF
        states = set(history.values_list("state", flat=True))
        assert {JobState.REVIEWED, JobState.CANCELLED} <= states
        assert history.filter(state=JobState.REVIEWED).count() > 0.85 * history.count()
        assert history.filter(destination_outlet__isnull=False).count() > 0.3 * history.count()
        assert set(history.values_list("city__code", flat=True)) == {"330100"}
        assert all(history.filter(state=JobState.CANCELLED).values_list("cancel_reason", flat=True))

    def test_every_job_moved_only_along_the_transition_table(self, city):
        legal = {(source, t.target) for t in TRANSITIONS.values() for source in t.sources}
        steps = defaultdict(list)
        for job_id, source, target in JobTransition.objects.order_by("at", "pk").values_list(
            "job_id", "from_state", "to_state"
        ):
            steps[job_id].append((source, target))
        per_day: dict[str, list[int]] = defaultdict(list)
        for job in RescueJob.objects.order_by("created_at", "pk"):
            path = steps[job.pk]
            assert path[0] == ("", JobState.CREATED), job
            assert all(pair in legal for pair in path[1:]), (job, path)
            assert all(a[1] == b[0] for a, b in zip(path, path[1:], strict=False)), job
            assert job.state == path[-1][1] and job.version == len(path), job
            assert missing_details(job) == [], job
            day, seq = re.fullmatch(r"RS(\d{8})-(\d{4})", job.number).groups()
            assert day == job.created_at.astimezone(AS_OF.tzinfo).strftime("%Y%m%d")
            per_day[day].append(int(seq))
        assert all(seqs == list(range(1, len(seqs) + 1)) for seqs in per_day.values())

    def test_response_times_are_realistic(self, city):
        arrived = dict(
            JobTransition.objects.filter(to_state=JobState.ARRIVED).values_list("job_id", "at")
        )
        minutes = [
            (arrived[pk] - called).total_seconds() / 60
            for pk, called in RescueJob.objects.values_list("pk", "created_at")
            if pk in arrived
        ]
        assert 10 <= statistics.mean(minutes) <= 20
        assert sum(m > 30 for m in minutes) >= 10
        assert min(minutes) > 3
        # Late arrivals are breaches of the 15-minute mean commitment, each with its row.
        late = sum(m > 15 for m in minutes)
        assert Breach.objects.filter(commitment__code="rescue-response").count() == late

    def test_finished_jobs_carry_their_evidence_and_reviews(self, city):
        reviewed = RescueJob.objects.filter(state=JobState.REVIEWED).prefetch_related(
            "checklist", "compliance_reviews"
        )
        for job in reviewed.select_related("confirmation", "final_review")[:200]:
            assert {str(i) for i in REQUIRED_CHECKLIST} <= {t.item for t in job.checklist.all()}
            assert job.confirmation.is_signed and job.confirmation.signature_svg.startswith("<svg")
            verdicts = [r.verdict for r in job.compliance_reviews.all()]
            assert verdicts[-1] == ComplianceReview.Verdict.ACCEPTED
            assert job.final_review.at > job.confirmation.signed_at
        assert ComplianceReview.objects.filter(verdict="sent_back").exists()
        # Rescue jobs end within hours; complaints and callbacks legitimately stay open for days.
        history = Clock.objects.filter(
            job_kind="rescue", started_at__lt=AS_OF - dt.timedelta(hours=3)
        )
        assert not history.filter(state__in=["running", "paused"]).exists()
        assert Breach.objects.filter(commitment__code="emergency-arrival-urban").exists()

    def test_jobs_open_now_have_running_clocks_and_units(self, city):
        open_jobs = RescueJob.objects.filter(state__in=OPEN_STATES)
        states = sorted(open_jobs.values_list("state", flat=True))
        assert states == ["checked", "created", "created", "dispatched", "en_route"]
        waiting = open_jobs.filter(state=JobState.CREATED)
        assert {j.fault for j in waiting} == {"breakdown", "hv_fault"}
        assert all(j.vehicle.is_electric for j in waiting)
        for job in open_jobs:
            assert Clock.objects.filter(job_kind="rescue", job_id=str(job.pk), state="running")
            assert AS_OF - dt.timedelta(minutes=40) < job.created_at < AS_OF
        assert open_jobs.get(state=JobState.DISPATCHED).unit.status == "assigned"
        rolling = open_jobs.get(state=JobState.EN_ROUTE).unit
        assert rolling.status == "busy" and rolling.positions.exists()
        assert rolling.last_seen_at > AS_OF - dt.timedelta(minutes=1)

    def test_todays_daily_checks_show_the_readiness_rule(self, city):
        today = UnitDailyCheck.objects.filter(day=TODAY)
        assert today.count() == RescueUnit.objects.count() - 1
        failed = today.get(passed=False)
        assert failed.items["hydraulics"] is False and failed.remarks
        assert UnitDailyCheck.objects.values("day").distinct().count() == 14
        assert UnitDailyCheck.objects.filter(day__lt=TODAY, passed=False).exists()

    def test_if_empty_leaves_a_database_with_outlets_alone(self, city):
        customers, entries = Customer.objects.count(), ChangeLogEntry.objects.count()
        out = StringIO()
        with translation.override("en"):
            call_command("demo", "--if-empty", stdout=out)
        assert "already has outlets" in out.getvalue()
        assert (Customer.objects.count(), ChangeLogEntry.objects.count()) == (customers, entries)


def test_without_if_empty_a_second_build_is_refused(outlet):
    with pytest.raises(CommandError):
        call_command("demo", "-v", "0", stdout=StringIO())
    assert Outlet.objects.count() == 1
    assert not Customer.objects.exists()


def test_logins_says_how_to_build_the_demo_when_there_are_none(db):
    out = StringIO()
    call_command("logins", stdout=out)
    assert "anxin demo" in out.getvalue()
