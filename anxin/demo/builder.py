"""Build the demo city: Hangzhou's service network, its people, customers and vehicles.

``build(seed, as_of)`` runs one function per kind of record, in dependency order; later
features add their own ``build_*`` step to :data:`STEPS` (rescue jobs, work orders, ...).
The data depends only on the seed and ``as_of`` (the moment the demo's history ends), so
the same seed and the same moment give the same city, row for row.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from anxin.accounts.models import User
from anxin.accounts.roles import Role
from anxin.assurance.demo import build_assurance  # noqa: E402,I001
from anxin.audit.changelog import change_for, record, snapshot
from anxin.feedback.demo import build_feedback  # noqa: E402,I001
from anxin.network.choices import AreaType, UnitCapability, UnitKind, UnitStatus
from anxin.network.models import (
    City,
    Outlet,
    OutletEquipment,
    OutletQualification,
    Region,
    RescueBase,
    RescueUnit,
)
from anxin.people.models import Certification, Skill, Staff
from anxin.quality.demo import build_quality  # noqa: E402,I001
from anxin.workshop.demo import build_workshop

from . import catalog
from .catalog import near, unique
from .context import HISTORY_DAYS, Demo, persist
from .customers import build_consents, build_customers, build_fleets, build_vehicles
from .rescue_history import build_daily_checks, build_rescue_history
from .rescue_now import build_open_jobs

PROVINCES = {"33": "浙江省", "44": "广东省"}
LICENCE_PREFIX = {
    "330100": "浙交运管许可杭字",
    "330200": "浙交运管许可甬字",
    "330600": "浙交运管许可绍字",
    "440100": "粤交运管许可穗字",
}
CAPABILITY_FIELDS = {
    "ev": "ev_high_voltage",
    "800v": "diag_800v",
    "body": "body_shop",
    "tow": "tow_reception",
}
FACILITY_TEXT = {
    "ev": "新能源高压维修工位",
    "800v": "800V高压诊断",
    "body": "钣金喷漆车间",
    "tow": "拖车接车区",
}


def district_point(spec: Any) -> tuple[float, float]:
    """The centre a spec's location is drawn around: a Hangzhou district seat or a city district."""
    if spec.city == "330100":
        d = catalog.district(spec.district)
        return d["lat"], d["lon"]
    return catalog.OTHER_DISTRICTS[spec.district]


def address(demo: Demo, city: City, district: str, street: str) -> str:
    province = PROVINCES[city.code[:2]]
    return f"{province}{city.name}{district}{street}{demo.rng.randint(1, 999)}号"


def landline(demo: Demo, city_code: str) -> str:
    area = next(c["phone_area"] for c in catalog.places()["cities"] if c["code"] == city_code)
    return unique(lambda: f"{area}-8{demo.rng.randrange(10**7):07d}", demo.phones)


def build_regions(demo: Demo) -> None:
    """Regions and cities from the shipped place table."""
    table = catalog.places()
    regions = persist(demo, [Region(code=r["code"], name=r["name"]) for r in table["regions"]])
    demo.regions = {r.code: r for r in regions}
    cities = persist(
        demo,
        [
            City(
                region=demo.regions[c["region"]],
                code=c["code"],
                name=c["name"],
                lat=c["lat"],
                lon=c["lon"],
            )
            for c in table["cities"]
        ],
    )
    demo.cities = {c.code: c for c in cities}


def build_outlets(demo: Demo) -> None:
    """Service outlets with their licences (one expiring, one expired) and equipment lists."""
    rng = demo.rng
    outlets = []
    for spec in catalog.OUTLETS:
        city = demo.cities[spec.city]
        lat, lon = near(
            rng, *district_point(spec), max_km=1.5 if spec.district == "桐庐县" else 3.0
        )
        hours = rng.choice(
            (
                (dt.time(8, 0), dt.time(18, 0)),
                (dt.time(8, 30), dt.time(17, 30)),
                (dt.time(8, 30), dt.time(18, 0)),
            )
        )
        capacity = rng.randint(15, 60)
        outlets.append(
            Outlet(
                code=spec.code,
                name=spec.name,
                region=city.region,
                city=city,
                lat=lat,
                lon=lon,
                address=address(demo, city, spec.district, spec.street),
                phone=landline(demo, spec.city),
                opens_at=dt.time(0, 0) if spec.open_24h else hours[0],
                closes_at=dt.time(23, 59) if spec.open_24h else hours[1],
                open_24h=spec.open_24h,
                daily_capacity=capacity,
                bays=max(4, capacity // 5),
                **{f: key in spec.capabilities for key, f in CAPABILITY_FIELDS.items()},
            )
        )
    demo.outlets = {o.code: o for o in persist(demo, outlets)}

    licences: set[str] = set()
    qualifications, equipment = [], []
    for spec in catalog.OUTLETS:
        outlet = demo.outlets[spec.code]
        if spec.code == catalog.LICENCE_EXPIRING:
            expires = demo.today + dt.timedelta(days=rng.randint(5, 25))
        elif spec.code == catalog.LICENCE_EXPIRED:
            expires = demo.today - dt.timedelta(days=rng.randint(5, 20))
        else:
            expires = demo.today + dt.timedelta(days=rng.randint(120, 1300))
        district_code = (
            catalog.district(spec.district)["code"] if spec.city == "330100" else spec.city
        )
        number = unique(
            lambda spec=spec, code=district_code: (
                f"{LICENCE_PREFIX[spec.city]}{code}{rng.randrange(10**6):06d}号"
            ),
            licences,
        )
        facilities = "；".join(
            [f"维修工位{outlet.bays}个"] + [FACILITY_TEXT[c] for c in spec.capabilities]
        )
        qualifications.append(
            OutletQualification(
                outlet=outlet,
                licence_number=number,
                grade=OutletQualification.Grade.CLASS_2
                if len(spec.capabilities) <= 2
                else OutletQualification.Grade.CLASS_1,
                valid_from=expires - dt.timedelta(days=4 * 365),
                expires_on=expires,
                facilities=facilities,
            )
        )
        general = [name for name, needs in catalog.EQUIPMENT if needs is None]
        special = [name for name, needs in catalog.EQUIPMENT if needs in spec.capabilities]
        items = ["汽车故障诊断仪", *special]
        items += rng.sample([g for g in general if g not in items], rng.randint(2, 4))
        for name in items[:6]:
            calibrated = demo.days_ago(10, 400)  # some calibrations are overdue by now
            equipment.append(
                OutletEquipment(
                    outlet=outlet,
                    name=name,
                    serial_number=f"{spec.code}-{calibrated.year}-{rng.randrange(10**5):05d}",
                    calibrated_on=calibrated,
                    calibration_due=calibrated + dt.timedelta(days=365),
                )
            )
    persist(demo, qualifications)
    persist(demo, equipment)


def build_rescue(demo: Demo) -> None:
    """Rescue bases (urban and remote) and their units, last seen near home."""
    rng = demo.rng
    bases = []
    for spec in catalog.BASES:
        city = demo.cities[spec.city]
        lat, lon = near(rng, *district_point(spec), max_km=2.0)
        bases.append(
            RescueBase(
                code=spec.code,
                name=spec.name,
                region=city.region,
                city=city,
                lat=lat,
                lon=lon,
                area_type=spec.area,
                address=address(demo, city, spec.district, spec.street),
            )
        )
    demo.bases = {b.code: b for b in persist(demo, bases)}

    # Mostly available, as a network at ten past noon on a quiet day would be.
    statuses = (UnitStatus.AVAILABLE,) * 16 + (
        UnitStatus.BUSY,
        UnitStatus.BUSY,
        UnitStatus.ASSIGNED,
        UnitStatus.RETURNING,
        UnitStatus.OFF_DUTY,
        UnitStatus.MAINTENANCE,
    )
    resting = (UnitStatus.OFF_DUTY, UnitStatus.MAINTENANCE)
    units = []
    for spec in catalog.BASES:
        base = demo.bases[spec.code]
        prefix = next(c["plate"] for c in catalog.places()["cities"] if c["code"] == spec.city)
        for n in range(spec.units):
            # Every base gets a flatbed first: EVs are carried, never towed on their wheels.
            kind, caps, extras = catalog.UNIT_KINDS[0 if n == 0 else rng.randrange(3)]
            capabilities = list(caps) + [c for c in extras if rng.random() < 0.6 or n == 0]
            status = rng.choice(statuses)
            parked = status == UnitStatus.AVAILABLE or status in resting
            radius = 0.4 if parked else (6.0 if spec.area == AreaType.URBAN else 12.0)
            lat, lon = near(rng, base.lat, base.lon, radius)
            seen_ago = rng.randint(3600, 36000) if status in resting else rng.randint(5, 240)
            # Remote bases run half their units on a day shift: night demand there is thin.
            day_shift = spec.area == AreaType.REMOTE and n % 2 == 1
            units.append(
                RescueUnit(
                    code=f"{spec.code.split('-')[1]}{n + 1:02d}",
                    kind=kind,
                    base=base,
                    plate=unique(lambda p=prefix: catalog.plate(rng, p), demo.plates),
                    capabilities=capabilities,
                    status=status,
                    last_lat=lat,
                    last_lon=lon,
                    last_seen_at=demo.as_of - dt.timedelta(seconds=seen_ago),
                    shift_start=dt.time(7, 0) if day_shift else dt.time(0, 0),
                    shift_end=dt.time(22, 0) if day_shift else dt.time(23, 59, 59),
                    commissioned_on=demo.days_ago(100, 2500),
                )
            )
    demo.units = persist(demo, units)


# Office staff besides the crews: (role, region, outlet code or None, how many).
OFFICE_STAFF = (
    (Role.DISPATCHER, "east", None, 5),
    (Role.DISPATCHER, "south", None, 1),
    (Role.SERVICE_ADVISOR, "east", "HZ-XH", 1),
    (Role.SERVICE_ADVISOR, "east", "HZ-SC", 1),
    (Role.SERVICE_ADVISOR, "east", "HZ-BJ", 1),
    (Role.SERVICE_ADVISOR, "east", "HZ-XS", 1),
    (Role.SERVICE_ADVISOR, "east", "NB-YZ", 1),
    (Role.SERVICE_ADVISOR, "south", "GZ-TH", 1),
    (Role.REGIONAL_MANAGER, "east", None, 1),
    (Role.REGIONAL_MANAGER, "south", None, 1),
    (Role.CUSTOMER_SERVICE, "east", None, 3),
    (Role.QUALITY_AUDITOR, "east", None, 1),
    (Role.EMERGENCY_COMMANDER, "east", None, 1),
    (Role.ADMINISTRATOR, "east", None, 1),
    (Role.TECHNICAL_EXPERT, "east", None, 1),
)
CREW_PER_UNIT = 2


def build_staff(demo: Demo) -> None:
    """Crews of two on every unit, plus dispatchers, advisors, managers and back office."""
    rng = demo.rng
    rows: list[Staff] = []

    def add(role: str, region: Region, **where: Any) -> Staff:
        member = Staff(
            employee_no=f"AX{len(rows) + 1:04d}",
            name=catalog.person_name(rng),
            phone=unique(lambda: catalog.mobile(rng), demo.phones),
            role=role,
            region=region,
            **where,
        )
        rows.append(member)
        return member

    for role, region_code, outlet_code, count in OFFICE_STAFF:
        for _ in range(count):
            outlet = demo.outlets[outlet_code] if outlet_code else None
            add(role, demo.regions[region_code], outlet=outlet)
    for unit in demo.units:
        for _ in range(CREW_PER_UNIT):
            add(Role.TECHNICIAN, unit.base.region, base=unit.base, unit=unit)
    demo.staff = persist(demo, rows)

    # Each demo login is tied to the first staff member that fits it; the technician is on the
    # first HV-kit flatbed so the demo can show an HV job end to end.
    for login in LOGINS:
        demo.login_staff[login.username] = next(s for s in demo.staff if login.fits(s))


# Validity in years per skill; the psychological assessment is repeated every year.
VALIDITY = {
    Skill.THEORY_EXAM: 3,
    Skill.PRACTICAL_TEST: 3,
    Skill.PSYCH_ASSESSMENT: 1,
    Skill.TOWING: 2,
    Skill.DIAGNOSIS: 2,
    Skill.SPECIAL_ROADS: 2,
    Skill.EV_HV: 2,
    Skill.CAN_DIAGNOSTICS: 2,
}


def skills_for(demo: Demo, member: Staff, first_of_crew: bool) -> list[str]:
    rng = demo.rng
    if member.role == Role.SERVICE_ADVISOR:
        return [Skill.DIAGNOSIS] if rng.random() < 0.5 else []
    if member.role != Role.TECHNICIAN:
        return []
    unit = member.unit
    skills = [Skill.THEORY_EXAM, Skill.PRACTICAL_TEST, Skill.PSYCH_ASSESSMENT]
    skills.append(Skill.DIAGNOSIS if unit.kind == UnitKind.SERVICE_VAN else Skill.TOWING)
    if unit.base.area_type == AreaType.REMOTE or rng.random() < 0.3:
        skills.append(Skill.SPECIAL_ROADS)
    if rng.random() < 0.3:
        skills.append(Skill.CAN_DIAGNOSTICS)
    # An HV-kit unit always has an HV-certified crew member; others sometimes have one too.
    hv_unit = UnitCapability.EV_HV_KIT in unit.capabilities
    if (hv_unit and (first_of_crew or rng.random() < 0.5)) or rng.random() < 0.15:
        skills.append(Skill.EV_HV)
    return skills


def build_certifications(demo: Demo) -> None:
    """Certificates issued over the past years; a few lapsed or lapsing for the warnings."""
    rng = demo.rng
    crewed: set[int] = set()
    certs = []
    for member in demo.staff:
        first_of_crew = member.unit_id is not None and member.unit_id not in crewed
        if member.unit_id is not None:
            crewed.add(member.unit_id)
        for skill in skills_for(demo, member, first_of_crew):
            days = VALIDITY[skill] * 365
            issued = demo.today - dt.timedelta(days=rng.randrange(days - 35))
            certs.append(
                Certification(
                    staff=member,
                    skill=skill,
                    issued_on=issued,
                    expires_on=issued + dt.timedelta(days=days),
                )
            )
    # The demo logins' own certificates stay valid so their walkthrough is not blocked.
    protected = {s.pk for s in demo.login_staff.values()}
    candidates = [c for c in certs if c.staff.pk not in protected]
    picked = rng.sample(candidates, 9)
    for cert in picked[:4]:  # lapsed a few days to weeks ago
        days = VALIDITY[cert.skill] * 365
        cert.expires_on = demo.today - dt.timedelta(days=rng.randint(3, 40))
        cert.issued_on = cert.expires_on - dt.timedelta(days=days)
    for cert in picked[4:]:  # lapsing within the month
        days = VALIDITY[cert.skill] * 365
        cert.expires_on = demo.today + dt.timedelta(days=rng.randint(3, 29))
        cert.issued_on = cert.expires_on - dt.timedelta(days=days)
    certs.sort(key=lambda c: (c.issued_on, c.staff.employee_no, c.skill))
    for n, cert in enumerate(certs, start=1):
        cert.certificate_no = f"AX-{cert.skill.upper()[:4]}-{cert.issued_on.year}-{n:05d}"
    persist(demo, certs)


class Login:
    """A demo login: which user, role and region, and which staff record it stands for."""

    def __init__(self, username: str, role: str, region: str = "east") -> None:
        self.username, self.role, self.region = username, role, region

    def fits(self, member: Staff) -> bool:
        if member.role != self.role or member.region.code != self.region:
            return False
        if self.role == Role.TECHNICIAN:
            return (
                member.unit is not None
                and member.unit.kind == UnitKind.FLATBED
                and (UnitCapability.EV_HV_KIT in member.unit.capabilities)
            )
        return True


LOGINS = (
    Login("dispatcher", Role.DISPATCHER),
    Login("technician", Role.TECHNICIAN),
    Login("advisor", Role.SERVICE_ADVISOR),
    Login("manager", Role.REGIONAL_MANAGER),
    Login("service", Role.CUSTOMER_SERVICE),
    Login("auditor", Role.QUALITY_AUDITOR),
    Login("commander", Role.EMERGENCY_COMMANDER),
    Login("admin", Role.ADMINISTRATOR),
    Login("dispatcher_south", Role.DISPATCHER, "south"),
    Login("expert", Role.TECHNICAL_EXPERT),
)
# Logins that stand for no staff member, created by a feature's own step: the volunteer
# supervisor (a car owners' representative) is made by the assurance demo.
FEATURE_LOGINS = ("supervisor",)
DEMO_USERNAMES = tuple(login.username for login in LOGINS) + FEATURE_LOGINS


def build_logins(demo: Demo) -> None:
    """One login per role (password ``anxin-demo``), each tied to its staff record."""
    # One hash for all: the password is published in the README, and hashing it nine times
    # would only add seconds to every demo build.
    password = make_password(catalog.DEMO_PASSWORD)
    users = []
    for login in LOGINS:
        member = demo.login_staff[login.username]
        admin = login.role == Role.ADMINISTRATOR
        users.append(
            User(
                username=login.username,
                password=password,
                role=login.role,
                region=demo.regions[login.region],
                outlet=member.outlet,
                base=member.base,
                last_name=member.name[0],
                first_name=member.name[1:],
                email=f"{login.username}@demo.anxin.invalid",
                is_staff=admin,
                is_superuser=admin,
                date_joined=demo.as_of - dt.timedelta(days=HISTORY_DAYS),
            )
        )
    users = persist(demo, users)
    changes = []
    for user in users:
        member = demo.login_staff[user.username]
        before = snapshot(member)
        member.user = user
        changes.append(change_for(member, "update", before, snapshot(member)))
    Staff.objects.bulk_update(list(demo.login_staff.values()), ["user"])
    record(changes)


STEPS: tuple[Callable[[Demo], None], ...] = (
    build_regions,
    build_outlets,
    build_rescue,
    build_staff,
    build_certifications,
    build_fleets,
    build_customers,
    build_consents,
    build_vehicles,
    build_logins,
    # After the logins: the rescue history's steps are signed by the demo users.
    build_daily_checks,
    build_rescue_history,
    build_open_jobs,
    build_workshop,
    build_feedback,
    build_assurance,
    build_quality,  # keep last: rebuilds the KPI rollups from every step above
)


def build(
    seed: int = 7, as_of: dt.datetime | None = None, progress: Callable[[str], None] | None = None
) -> dict[str, int]:
    """Build the whole demo city into an empty database; returns rows created per model.

    ``as_of`` (aware) is when the demo's history ends; it defaults to now. ``progress`` is
    called with each step's name after the step is done. Call inside a transaction.
    """
    demo = Demo(rng=random.Random(seed), as_of=as_of or timezone.now())
    for step in STEPS:
        step(demo)
        if progress is not None:
            progress(step.__name__)
    return dict(sorted(demo.counts.items()))
