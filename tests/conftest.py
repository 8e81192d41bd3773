"""Personas and fixtures shared by the suite (tests read as sentences)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import translation

from anxin.accounts.models import User
from anxin.accounts.roles import Role
from anxin.network.models import City, Outlet, Region, RescueBase, RescueUnit


@pytest.fixture(autouse=True)
def english_messages(settings):
    """Tests read messages in English; the product's default, zh-Hans, is tested on its own in
    tests/test_i18n.py and by the browser tests (which ask for zh-CN)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def east(db) -> Region:
    return Region.objects.create(code="east", name="华东大区")


@pytest.fixture
def south(db) -> Region:
    return Region.objects.create(code="south", name="华南大区")


@pytest.fixture
def hangzhou(east) -> City:
    return City.objects.create(region=east, code="330100", name="杭州市", lat=30.2741, lon=120.1551)


@pytest.fixture
def guangzhou(south) -> City:
    return City.objects.create(
        region=south, code="440100", name="广州市", lat=23.1291, lon=113.2644
    )


def make_user(username: str, role: str, region: Region | None = None, **extra) -> User:
    user = User.objects.create_user(
        username=username, password="pw-" + username, role=role, region=region, **extra
    )
    return user


@pytest.fixture
def dispatcher(east) -> User:
    return make_user("dispatcher_east", Role.DISPATCHER, east)


@pytest.fixture
def south_technician(south) -> User:
    return make_user("tech_south", Role.TECHNICIAN, south)


@pytest.fixture
def auditor(db) -> User:
    return make_user("auditor", Role.QUALITY_AUDITOR)


@pytest.fixture
def admin_user(db) -> User:
    return make_user("admin", Role.ADMINISTRATOR, is_staff=True, is_superuser=True)


@pytest.fixture
def outlet(east, hangzhou) -> Outlet:
    return Outlet.objects.create(
        code="HZ-001",
        name="杭州西湖服务站",
        region=east,
        city=hangzhou,
        lat=30.259,
        lon=120.130,
        ev_high_voltage=True,
    )


@pytest.fixture
def base(east, hangzhou) -> RescueBase:
    return RescueBase.objects.create(
        code="HZB-1", name="杭州城西救援基地", region=east, city=hangzhou, lat=30.28, lon=120.10
    )


@pytest.fixture
def unit(base) -> RescueUnit:
    return RescueUnit.objects.create(
        code="T01",
        plate="浙A12345",
        kind="flatbed",
        base=base,
        capabilities=["towing", "flatbed_transport"],
        last_lat=30.27,
        last_lon=120.15,
    )


@pytest.fixture
def crew(east, unit) -> User:
    """A technician on the crew of ``unit`` (a Staff record tied to the login)."""
    from anxin.people.models import Staff

    tech = make_user("crew_t01", Role.TECHNICIAN, east, base=unit.base)
    Staff.objects.create(
        employee_no="E-T01",
        name="王师傅",
        phone="13900000001",
        role=Role.TECHNICIAN,
        region=east,
        base=unit.base,
        unit=unit,
        user=tech,
    )
    return tech


@pytest.fixture
def other_tech(east, unit) -> User:
    """A technician of the same base who is not on the unit's crew."""
    return make_user("not_crew", Role.TECHNICIAN, east, base=unit.base)


@pytest.fixture
def service(east) -> User:
    return make_user("service", Role.CUSTOMER_SERVICE, east)


@pytest.fixture
def manager(east) -> User:
    return make_user("manager", Role.REGIONAL_MANAGER, east)


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def today() -> dt.date:
    return dt.date(2026, 11, 23)


def _transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", ())
    return bool(
        (marker and marker.kwargs.get("transaction"))
        or "live_server" in fixtures
        or "transactional_db" in fixtures
    )


def reseed() -> None:
    """Run the data migrations' seed steps again (calendars, job kinds, commitments, message
    templates): a transactional test flushes every table, and Django's serialized reload was
    seen not to happen reliably for tests that start after another one flushed."""
    from django.apps import apps as global_apps
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.operations import RunPython

    loader = MigrationLoader(connection)
    seen, plan = set(), []
    for leaf in loader.graph.leaf_nodes():
        for node in loader.graph.forwards_plan(leaf):
            if node not in seen:
                seen.add(node)
                plan.append(node)
    with connection.schema_editor() as editor:
        for app_label, name in plan:
            if not loader.get_migration(app_label, name).__module__.startswith("anxin."):
                continue
            for operation in loader.get_migration(app_label, name).operations:
                if isinstance(operation, RunPython):
                    operation.code(global_apps, editor)


@pytest.fixture(autouse=True)
def seed_data_present(request):
    """Transactional tests start with the migrations' seed data, whatever ran before them."""
    if _transactional(request.node):
        request.getfixturevalue("_django_db_helper")
        from anxin.commitments.models import JobKind

        if not JobKind.objects.exists():
            reseed()
    yield


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """pytest-django runs transactional tests after the others (they flush the tables, the seed
    data of the migrations included, and reload it only for serialized-rollback tests). Within
    that group the browser tests go first: the first test to start the session's Chromium was
    seen to miss the serialized reload, so it must find the seed data untouched."""
    browser = [item for item in items if item.get_closest_marker("browser")]
    if not browser:
        return
    rest = [item for item in items if not item.get_closest_marker("browser")]
    at = next((n for n, item in enumerate(rest) if _transactional(item)), len(rest))
    items[:] = rest[:at] + browser + rest[at:]


# The worker's own sweeps; feature apps register more (alerts, monthly reports and draws, 三包
# checks) whose jobs would be counted by tests about the worker and the outbox themselves.
CORE_SWEEPS = frozenset({"commitments.sweep", "rescue.peak_plan"})


@pytest.fixture
def core_sweeps_only(monkeypatch):
    from anxin.worker import api as worker_api

    kept = {k: v for k, v in worker_api._sweeps.items() if k in CORE_SWEEPS or k.startswith("test")}
    monkeypatch.setattr(worker_api, "_sweeps", kept)
