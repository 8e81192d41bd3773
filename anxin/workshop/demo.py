"""The demo city's workshop history: three weeks of appointments and work orders in Hangzhou.

Written in bulk, in the state the action functions would have left: stored transitions,
milestones, lines at national prices with batch and supplier, the three signed checks with
their photos, HV checks by certified technicians, appointments with their ranked outlet
choice. Recent jobs stand in every state; one vehicle is back for its brakes (rework) and one
EV reaches its fourth traction-battery repair under warranty (三包 warning). Deterministic
from the demo's seed and ``as_of``.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from anxin.accounts.roles import Role
from anxin.audit.changelog import change_for, record, snapshot
from anxin.commitments.api import on_event, on_state
from anxin.customers.models import RepairContract
from anxin.network.models import OutletQualification
from anxin.people.models import Certification, Skill, Staff

from . import assignment
from .choices import (
    NOT_REWORK_SYSTEMS,
    AppointmentState,
    ChargeTo,
    JobType,
    WorkOrderState,
)
from .models import (
    Appointment,
    AppointmentTransition,
    ChecklistTemplate,
    ExpertMessage,
    ExpertRequest,
    HVSafetyCheck,
    Inspection,
    InspectionPhoto,
    LabourLine,
    LabourOperation,
    OutletAssignment,
    Part,
    PartLine,
    Supplier,
    WarrantyWarning,
    WorkOrder,
    WorkOrderTransition,
    WorkshopPolicy,
)

HISTORY_DAYS = 21
S = WorkOrderState
A = AppointmentState
FLOW = [
    S.RECEPTION,
    S.DIAGNOSIS,
    S.QUOTATION,
    S.APPROVAL,
    S.APPROVED,
    S.IN_WORK,
    S.QUALITY_CHECK,
    S.READY,
    S.DELIVERED,
    S.SETTLED,
]
MILESTONE = {
    S.DIAGNOSIS: "diagnosis_at",
    S.QUOTATION: "quoted_at",
    S.APPROVAL: "approval_requested_at",
    S.APPROVED: "approved_at",
    S.IN_WORK: "work_started_at",
    S.QUALITY_CHECK: "work_finished_at",
    S.READY: "ready_at",
    S.DELIVERED: "delivered_at",
    S.SETTLED: "settled_at",
}
PHOTO_DIR = "workshop/demo"
CENT = Decimal("0.01")
CODES = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

# (labour codes, part codes with quantity) per job, by powertrain.
MAINTENANCE_ICE = [
    (["L-OIL-CHANGE", "L-MAINT-BASIC"], [("P-OIL-0W20", 1), ("P-FLT-OIL", 1), ("P-FLT-AIR", 1)]),
    (["L-OIL-CHANGE"], [("P-OIL-5W30", 1), ("P-FLT-OIL", 1)]),
]
MAINTENANCE_EV = [
    (["L-MAINT-BASIC"], [("P-FLT-CAB", 1)]),
    (["L-MAINT-BASIC", "L-BRK-FLUID"], [("P-FLT-CAB", 1), ("P-BRK-FLUID", 1)]),
]
FAULT_ICE = [
    (["L-DIAG", "L-BRK-PAD-F"], [("P-BRK-PAD-F", 1)]),
    (["L-ENGINE-DIAG"], [("P-SPARK", 4)]),
    (["L-BATT-12V"], [("P-BATT-12V", 1)]),
    (["L-AC-SERVICE"], [("P-AC-GAS", 1)]),
    (["L-SHOCK-F"], [("P-SHOCK-F", 1)]),
    (["L-TIE-ROD"], [("P-TIE-ROD", 1)]),
]
FAULT_EV = [
    (["L-DIAG", "L-HV-CONTACTOR"], [("P-HV-CONTACTOR", 1)]),
    (["L-CHG-PORT"], [("P-CHG-PORT", 1)]),
    (["L-DIAG", "L-OBC"], [("P-OBC", 1)]),
    (["L-BRK-PAD-F"], [("P-BRK-PAD-F", 1)]),
    (["L-BATT-12V"], [("P-BATT-12V", 1)]),
]
PARTS_JOBS = [
    (["L-TYRE", "L-TYRE"], [("P-TYRE-225", 2)]),
    (["L-HEADLAMP"], [("P-HEADLAMP", 1)]),
    (["L-BRK-PAD-R"], [("P-BRK-PAD-R", 1)]),
]
WARRANTY_ICE = [(["L-TRANS-FLUID"], [("P-TRANS-FLUID", 6)]), (["L-HEADLAMP"], [("P-HEADLAMP", 1)])]
WARRANTY_EV = [
    (["L-DIAG-800V", "L-HV-BMS"], [("P-HV-BMS", 1)]),
    (["L-HV-MODULE"], [("P-HV-MODULE", 1)]),
    (["L-MOTOR-CTRL"], [("P-MOTOR-CTRL", 1)]),
]
ACCIDENT = [
    (["L-BUMPER-F", "L-PAINT-PANEL"], [("P-BUMPER-F", 1)]),
    (["L-BUMPER-F", "L-PAINT-PANEL", "L-HEADLAMP"], [("P-BUMPER-F", 1), ("P-HEADLAMP", 1)]),
]
INSPECTIONS = {
    "safety": "L-INSPECT-SAFETY",
    "emissions": "L-INSPECT-EMISSION",
    "performance": "L-INSPECT-PERF",
}
COMPLAINTS = {
    JobType.MAINTENANCE: "到期常规保养",
    JobType.FAULT_REPAIR: "客户反映车辆异常，需检查",
    JobType.PARTS_REPLACEMENT: "更换磨损件",
    JobType.INSPECTION: "年度检验",
    JobType.WARRANTY_REPAIR: "质保期内故障报修",
    JobType.ACCIDENT_REPAIR: "轻微碰撞，前部受损",
}
DIAGNOSES = {
    "brakes": "前制动片磨损至极限，制动时异响",
    "hv_battery": "电池管理系统报单体电压异常，绝缘检测正常",
    "charging": "交流充电口温度传感器故障，无法慢充",
    "engine": "点火线圈/火花塞老化导致失火",
    "electrical": "低压蓄电池亏电，内阻过大",
    "air_conditioning": "空调制冷剂不足，系统检漏未见明显泄漏",
    "suspension": "前减震器漏油",
    "steering": "转向横拉杆球头松旷",
    "body": "前保险杠破损，右前大灯支架断裂",
    "drive_motor": "电机控制器 IGBT 故障",
    "transmission": "变速箱换挡冲击，油液老化",
    "tyres": "轮胎磨损超限",
    "lubrication": "保养到期",
    "general": "常规检查",
}
CANCEL_REASONS = ["客户临时有事改约", "客户不接受报价", "配件到货周期过长，客户转至其他网点"]


def token(rng: Any) -> str:
    return f"{rng.getrandbits(160):040x}"


def code(rng: Any) -> str:
    return "".join(rng.choice(CODES) for _ in range(10))


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Job:
    wo: WorkOrder
    times: dict[str, dt.datetime]
    labour: list[LabourLine] = field(default_factory=list)
    parts: list[PartLine] = field(default_factory=list)
    stop: str = S.SETTLED
    cancel_at: str | None = None
    hv_tech: Staff | None = None


class Shop:
    """What the build knows about the Hangzhou outlets, staff, catalog and templates."""

    def __init__(self, demo: Any) -> None:
        self.demo = demo
        today = demo.today
        self.outlets = [o for o in demo.outlets.values() if o.city.code == "330100" and o.active]
        valid = set(
            OutletQualification.objects.filter(
                valid_from__lte=today, expires_on__gte=today
            ).values_list("outlet_id", flat=True)
        )
        self.licensed = valid
        self.open_outlets = [o for o in self.outlets if o.pk in valid] or self.outlets
        self.labour = {op.code: op for op in LabourOperation.objects.filter(active=True)}
        self.parts = {p.code: p for p in Part.objects.filter(active=True)}
        self.suppliers = list(Supplier.objects.filter(active=True, genuine=True))
        self.templates: dict[tuple[str, str], ChecklistTemplate] = {}
        for t in ChecklistTemplate.objects.filter(active=True).order_by("pk"):
            self.templates[(t.stage, t.job_type)] = t
        self.advisor_staff = {
            s.outlet_id: s for s in demo.staff if s.role == Role.SERVICE_ADVISOR and s.outlet_id
        }
        login = demo.login_staff.get("advisor")
        self.advisor_user = {login.outlet_id: login.user} if login and login.user_id else {}
        self.contracts = list(
            RepairContract.objects.filter(
                valid_from__lte=today, valid_until__gte=today
            ).prefetch_related("outlets")
        )

    def template(self, stage: str, job_type: str) -> ChecklistTemplate:
        return self.templates.get((stage, job_type)) or self.templates[(stage, "")]


def build_technicians(demo: Any, shop: Shop) -> dict[int, list[Staff]]:
    """Two workshop technicians per Hangzhou outlet; EV outlets have an HV-certified one."""
    rng = demo.rng
    from anxin.demo import catalog
    from anxin.demo.catalog import unique

    rows = []
    for n, outlet in enumerate(shop.outlets):
        for k in range(2):
            rows.append(
                Staff(
                    employee_no=f"WS{n + 1:02d}{k + 1}",
                    name=catalog.person_name(rng),
                    phone=unique(lambda: catalog.mobile(rng), demo.phones),
                    role=Role.TECHNICIAN,
                    region=outlet.region,
                    outlet=outlet,
                )
            )
    staff = persist(demo, rows)
    certs = []
    by_outlet: dict[int, list[Staff]] = {}
    for member in staff:
        by_outlet.setdefault(member.outlet_id, []).append(member)
    for outlet in shop.outlets:
        first = by_outlet[outlet.pk][0]
        if outlet.ev_high_voltage or outlet.diag_800v:
            certs.append(
                Certification(
                    staff=first,
                    skill=Skill.EV_HV,
                    certificate_no=f"HV{demo.today.year}{first.employee_no}",
                    issued_on=demo.today - dt.timedelta(days=rng.randint(60, 500)),
                    expires_on=demo.today + dt.timedelta(days=rng.randint(200, 600)),
                )
            )
        certs.append(
            Certification(
                staff=first,
                skill=Skill.DIAGNOSIS,
                certificate_no=f"DG{first.employee_no}",
                issued_on=demo.today - dt.timedelta(days=300),
                expires_on=demo.today + dt.timedelta(days=400),
            )
        )
    persist(demo, certs)
    # The remote expert is the demo's "expert" login (a technical expert on the office staff).
    shop.expert = demo.login_staff.get("expert")  # type: ignore[attr-defined]
    return by_outlet


def persist(demo: Any, rows: list[Any]) -> list[Any]:
    from anxin.demo.context import persist as bulk

    return bulk(demo, rows)


def work_moment(demo: Any, day: dt.date, rng: Any) -> dt.datetime:
    seconds = rng.randrange(int(8.5 * 3600), int(16.5 * 3600))
    naive = dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=seconds)
    return timezone.make_aware(naive, timezone.get_default_timezone())


def plan_lines(rng: Any, vehicle: Any, job_type: str, kind: str) -> tuple[list[str], list]:
    electric = vehicle.powertrain in ("bev", "hev")
    options = {
        JobType.MAINTENANCE: MAINTENANCE_EV if vehicle.powertrain == "bev" else MAINTENANCE_ICE,
        JobType.FAULT_REPAIR: FAULT_EV if electric else FAULT_ICE,
        JobType.PARTS_REPLACEMENT: PARTS_JOBS,
        JobType.WARRANTY_REPAIR: WARRANTY_EV if electric else WARRANTY_ICE,
        JobType.ACCIDENT_REPAIR: ACCIDENT,
    }
    if job_type == JobType.INSPECTION:
        return [INSPECTIONS[kind]], []
    labour, parts = rng.choice(options[job_type])
    return list(labour), list(parts)


def build_workshop(demo: Any) -> None:
    """Appointments and work orders of the last three weeks, plus the two teaching cases."""
    rng = demo.rng
    shop = Shop(demo)
    if not shop.outlets or not shop.labour:
        return
    techs = build_technicians(demo, shop)
    shop.photos = write_photos(shop.templates.values())  # type: ignore[attr-defined]
    hz_city = shop.outlets[0].city_id
    owners = {c.pk: c for c in demo.customers}
    vehicles = [
        v
        for v in demo.vehicles
        if v.owner_id
        and owners.get(v.owner_id) is not None
        and owners[v.owner_id].city_id == hz_city
    ]
    if not vehicles:
        return
    jobs: list[Job] = []
    appts: list[tuple[Appointment, list[AppointmentTransition], OutletAssignment]] = []
    numbers: dict[str, int] = {}
    used: set[int] = set()

    def number(prefix: str, at: dt.datetime) -> str:
        day = timezone.localtime(at).strftime("%Y%m%d")
        key = f"{prefix}{day}-"
        numbers[key] = numbers.get(key, 0) + 1
        return f"{key}{numbers[key]:04d}"

    def pick_vehicle(ev: bool | None = None) -> Any:
        pool = [
            v
            for v in vehicles
            if v.pk not in used and (ev is None or (v.powertrain in ("bev", "hev")) == ev)
        ]
        vehicle = rng.choice(pool or vehicles)
        used.add(vehicle.pk)
        return vehicle

    # Recent jobs: one per state at least, then the rest of the history.
    forced = [
        S.RECEPTION,
        S.DIAGNOSIS,
        S.QUOTATION,
        S.APPROVAL,
        S.APPROVED,
        S.IN_WORK,
        S.IN_WORK,
        S.QUALITY_CHECK,
        S.READY,
        S.DELIVERED,
        S.SETTLED,
        S.CANCELLED,
    ]
    for stop in forced:
        vehicle = pick_vehicle()
        t0 = demo.as_of - dt.timedelta(hours=rng.uniform(3, 9))
        jobs.append(
            new_job(demo, shop, techs, vehicle, owners, t0, number, appts, stop=stop, fit=True)
        )
    for back in range(1, HISTORY_DAYS + 1):
        day = demo.today - dt.timedelta(days=back)
        for _n in range(rng.randint(4, 8) if day.weekday() < 5 else rng.randint(2, 4)):
            vehicle = pick_vehicle()
            t0 = work_moment(demo, day, rng)
            stop = S.CANCELLED if rng.random() < 0.04 else S.SETTLED
            jobs.append(new_job(demo, shop, techs, vehicle, owners, t0, number, appts, stop=stop))
    jobs += teaching_cases(demo, shop, techs, vehicles, owners, number, appts, used)
    jobs.sort(key=lambda j: j.wo.received_at)
    mark_rework(jobs)
    write_appointments(demo, appts)
    write_jobs(demo, shop, techs, jobs)
    extra_appointments(demo, shop, vehicles, owners, number, used)
    write_expert_requests(demo, shop, jobs)
    warn_warranty(demo, jobs)
    replay_clocks(demo)


def new_job(
    demo,
    shop,
    techs,
    vehicle,
    owners,
    t0,
    number,
    appts,
    *,
    stop,
    fit=False,
    job_type=None,
    lines=None,
    outlet=None,
    systems=None,
    appointment=True,
) -> Job:
    rng = demo.rng
    if job_type is None:
        weights = [
            (JobType.MAINTENANCE, 40),
            (JobType.FAULT_REPAIR, 20),
            (JobType.PARTS_REPLACEMENT, 10),
            (JobType.INSPECTION, 8),
            (JobType.WARRANTY_REPAIR, 12),
            (JobType.ACCIDENT_REPAIR, 8),
        ]
        job_type = rng.choices([w[0] for w in weights], [w[1] for w in weights])[0]
    kind = rng.choice(list(INSPECTIONS)) if job_type == JobType.INSPECTION else ""
    labour_codes, part_codes = lines or plan_lines(rng, vehicle, job_type, kind)
    hv = any(shop.labour[c].high_voltage for c in labour_codes)
    needs = assignment.needs_for(vehicle, job_type)
    if hv and "ev_high_voltage" not in needs:
        needs.append("ev_high_voltage")
    customer = owners[vehicle.owner_id]
    lat, lon = near_outlet(rng, rng.choice(shop.open_outlets))
    candidates = assignment.rank_outlets(
        lat=lat,
        lon=lon,
        needs=needs,
        slot_start=assignment.slot_of(t0, 60),
        outlets=shop.open_outlets,
        licensed=shop.licensed,
        capacity=lambda o, s: (o.bays, o.daily_capacity),
    )
    chosen = outlet or next(
        (o for c in candidates if c.eligible for o in shop.open_outlets if o.pk == c.outlet),
        rng.choice(shop.open_outlets),
    )
    warranty_ok = vehicle.warranty_until is not None and vehicle.warranty_until >= demo.today
    cover = ("free" if warranty_ok else "paid") if job_type == JobType.WARRANTY_REPAIR else ""
    contract = next(
        (
            c
            for c in shop.contracts
            if vehicle.fleet_id and c.fleet_id == vehicle.fleet_id and chosen in c.outlets.all()
        ),
        None,
    )
    wo = WorkOrder(
        number=number("WO", t0),
        state=S.RECEPTION,
        version=1,
        customer=customer,
        vehicle=vehicle,
        outlet=chosen,
        region_id=chosen.region_id,
        job_type=job_type,
        inspection_kind=kind,
        warranty_cover=cover,
        high_voltage=hv,
        complaint=COMPLAINTS[job_type],
        mileage_km=vehicle.mileage_km or rng.randint(3000, 90000),
        advisor=shop.advisor_user.get(chosen.pk),
        technician=techs[chosen.pk][hv and 0 or 1],
        contract=contract,
        labour_discount_pct=contract.labour_discount_pct if contract else Decimal("0"),
        parts_discount_pct=contract.parts_discount_pct if contract else Decimal("0"),
        payment_terms_days=contract.payment_terms_days if contract else 0,
        quote_token=token(rng),
        verification_code=code(rng),
        received_at=t0,
    )
    job = Job(wo=wo, times={S.RECEPTION: t0}, stop=stop, hv_tech=techs[chosen.pk][0])
    charge = (
        ChargeTo.WARRANTY
        if cover == "free"
        else ChargeTo.CONTRACT
        if contract
        else ChargeTo.CUSTOMER
    )
    for c in labour_codes:
        op = shop.labour[c]
        discount = wo.labour_discount_pct if charge == ChargeTo.CONTRACT else Decimal("0")
        job.labour.append(
            LabourLine(
                work_order=wo,
                operation=op,
                standard_hours=op.standard_hours,
                unit_price=op.national_price,
                discount_pct=discount,
                amount=money(op.national_price * (100 - discount) / 100),
                charge_to=charge,
                warranty_months=op.warranty_months,
                technician=wo.technician,
                added_at=t0,
            )
        )
    for c, qty in part_codes:
        part = shop.parts[c]
        discount = wo.parts_discount_pct if charge == ChargeTo.CONTRACT else Decimal("0")
        job.parts.append(
            PartLine(
                work_order=wo,
                part=part,
                quantity=Decimal(qty),
                unit_price=part.national_price,
                discount_pct=discount,
                amount=money(part.national_price * qty * (100 - discount) / 100),
                charge_to=charge,
                warranty_months=part.warranty_months,
                added_at=t0,
            )
        )
    wo.systems = sorted(
        set(systems or [])
        | {ln.operation.system for ln in job.labour}
        | {ln.part.system for ln in job.parts}
    )
    lines = job.labour + job.parts
    wo.total_amount = money(sum((ln.amount for ln in lines), Decimal("0")))
    wo.customer_amount = money(
        sum((ln.amount for ln in lines if ln.charge_to == ChargeTo.CUSTOMER), Decimal("0"))
    )
    plan_times(demo, job, fit=fit)
    if appointment and rng.random() < 0.7:
        appts.append(arrived_appointment(demo, job, candidates, lat, lon, needs, number))
    return job


def near_outlet(rng: Any, outlet: Any) -> tuple[float, float]:
    return outlet.lat + rng.uniform(-0.03, 0.03), outlet.lon + rng.uniform(-0.03, 0.03)


def plan_times(demo: Any, job: Job, *, fit: bool) -> None:
    """Milestone times from reception on; operations' actual hours around the standard."""
    rng, t = demo.rng, job.wo.received_at
    minutes = lambda a, b: dt.timedelta(minutes=rng.uniform(a, b))  # noqa: E731
    times = job.times
    times["entry"] = t + minutes(3, 12)
    times[S.DIAGNOSIS] = times["entry"] + minutes(2, 10)
    times[S.QUOTATION] = times[S.DIAGNOSIS] + minutes(15, 50)
    times[S.APPROVAL] = times[S.QUOTATION] + minutes(3, 10)
    times[S.APPROVED] = times[S.APPROVAL] + minutes(3, 90)
    times["hv"] = times[S.APPROVED] + minutes(5, 15)
    times[S.IN_WORK] = times["hv"] + minutes(2, 60)
    at = times[S.IN_WORK]
    for line in job.labour:
        factor = rng.choice([rng.uniform(0.7, 1.15)] * 5 + [rng.uniform(1.22, 1.6)])
        hours = (line.standard_hours * Decimal(str(round(factor, 3)))).quantize(CENT)
        line.started_at = at
        at = at + dt.timedelta(hours=float(hours))
        line.finished_at, line.actual_hours = at, max(hours, CENT)
    times["in_process"] = times[S.IN_WORK] + (at - times[S.IN_WORK]) / 2
    times[S.QUALITY_CHECK] = at + minutes(2, 15)
    times["completion"] = times[S.QUALITY_CHECK] + minutes(8, 25)
    times[S.READY] = times["completion"] + minutes(1, 5)
    times[S.DELIVERED] = times[S.READY] + (minutes(10, 60) if fit else minutes(30, 20 * 60))
    times[S.SETTLED] = times[S.DELIVERED] + minutes(2, 10)
    if job.stop == S.CANCELLED:
        job.cancel_at = rng.choice([S.RECEPTION, S.DIAGNOSIS, S.APPROVAL])
        times[S.CANCELLED] = times[job.cancel_at] + minutes(5, 30)
        last = times[S.CANCELLED]
    else:
        last = times[job.stop]
    if fit and last > demo.as_of - dt.timedelta(minutes=5):
        # A job that must stand in ``stop`` now: move its whole day back until it fits.
        shift = last - demo.as_of + dt.timedelta(minutes=rng.uniform(5, 40))
        for key in list(times):
            times[key] -= shift
        job.wo.received_at -= shift
        for line in job.labour:
            line.started_at -= shift
            line.finished_at -= shift
            line.added_at -= shift
        for line in job.parts:
            line.added_at -= shift
    if job.stop == S.CANCELLED and times[S.CANCELLED] > demo.as_of:
        job.stop, job.cancel_at = S.SETTLED, None
    if job.stop != S.CANCELLED:
        # The job stops wherever ``as_of`` finds it.
        reached = [s for s in FLOW[: FLOW.index(job.stop) + 1] if times[s] <= demo.as_of]
        job.stop = reached[-1]


def arrived_appointment(demo, job, candidates, lat, lon, needs, number):
    rng, wo = demo.rng, job.wo
    booked = wo.received_at - dt.timedelta(hours=rng.uniform(3, 60))
    late = rng.random() < 0.1
    responded = booked + dt.timedelta(minutes=rng.uniform(35, 80) if late else rng.uniform(2, 28))
    appt = Appointment(
        number=number("AP", booked),
        state=A.ARRIVED,
        version=3,
        channel=rng.choice(["web", "app", "phone", "phone"]),
        customer=wo.customer,
        vehicle=wo.vehicle,
        contact_name=wo.customer.name,
        contact_phone=wo.customer.phone,
        job_type=wo.job_type,
        service_items=[COMPLAINTS[wo.job_type]],
        description=COMPLAINTS[wo.job_type],
        needs=needs,
        preferred_at=wo.received_at,
        slot_start=assignment.slot_of(wo.received_at, 60),
        lat=lat,
        lon=lon,
        outlet=wo.outlet,
        region_id=wo.region_id,
        response="confirm",
        responded_at=responded,
        created_at=booked,
        token=token(rng),
    )
    rows = [
        AppointmentTransition(
            appointment=appt,
            from_state="",
            to_state=A.BOOKED,
            at=booked,
            actor_label="public" if appt.channel == "web" else "advisor",
            data={"channel": appt.channel, "outlet": wo.outlet.code},
        ),
        AppointmentTransition(
            appointment=appt,
            from_state=A.BOOKED,
            to_state=A.CONFIRMED,
            at=responded,
            actor_label="advisor",
        ),
        AppointmentTransition(
            appointment=appt,
            from_state=A.CONFIRMED,
            to_state=A.ARRIVED,
            at=wo.received_at,
            actor_label="advisor",
        ),
    ]
    chosen = next((c for c in candidates if c.outlet == wo.outlet_id), None)
    assign = OutletAssignment(
        appointment=appt,
        outlet=wo.outlet,
        automatic=True,
        reason="; ".join(chosen.reasons) if chosen else "",
        travel_seconds=chosen.travel_seconds if chosen else None,
        candidates=[c.as_dict() for c in candidates],
        at=booked,
    )
    wo.appointment = appt
    return appt, rows, assign


def teaching_cases(demo, shop, techs, vehicles, owners, number, appts, used) -> list[Job]:
    """A brake job back within the window (rework), an EV's fourth battery repair (三包)."""
    rng, jobs = demo.rng, []
    body = next((o for o in shop.open_outlets if o.ev_high_voltage), shop.open_outlets[0])
    ice = next((v for v in vehicles if v.powertrain == "ice" and v.pk not in used), vehicles[0])
    used.add(ice.pk)
    first_at = work_moment(demo, demo.today - dt.timedelta(days=14), rng)
    brakes = (["L-DIAG", "L-BRK-PAD-F"], [("P-BRK-PAD-F", 1)])
    jobs.append(
        new_job(
            demo,
            shop,
            techs,
            ice,
            owners,
            first_at,
            number,
            appts,
            stop=S.SETTLED,
            job_type=JobType.FAULT_REPAIR,
            lines=brakes,
            outlet=body,
        )
    )
    again = (["L-BRK-DISC-F"], [("P-BRK-DISC-F", 2)])
    jobs.append(
        new_job(
            demo,
            shop,
            techs,
            ice,
            owners,
            work_moment(demo, demo.today - dt.timedelta(days=4), rng),
            number,
            appts,
            stop=S.SETTLED,
            job_type=JobType.FAULT_REPAIR,
            lines=again,
            outlet=body,
        )
    )
    ev = next(
        (
            v
            for v in vehicles
            if v.powertrain == "bev"
            and v.pk not in used
            and v.fleet_id is None
            and v.warranty_until
            and v.warranty_until > demo.today
            and (v.sold_on is None or v.sold_on < demo.today - dt.timedelta(days=150))
        ),
        None,
    )
    if ev is not None:
        used.add(ev.pk)
        battery = (["L-DIAG-800V", "L-HV-BMS"], [("P-HV-BMS", 1)])
        for days in (120, 75, 40, 6):
            at = work_moment(demo, demo.today - dt.timedelta(days=days), rng)
            jobs.append(
                new_job(
                    demo,
                    shop,
                    techs,
                    ev,
                    owners,
                    at,
                    number,
                    appts,
                    stop=S.SETTLED,
                    job_type=JobType.WARRANTY_REPAIR,
                    lines=battery,
                    outlet=body,
                    appointment=days == 6,
                )
            )
    return jobs


def mark_rework(jobs: list[Job]) -> None:
    window = dt.timedelta(days=WorkshopPolicy.current().rework_window_days)
    done: dict[int, list[Job]] = {}
    for job in jobs:
        wo = job.wo
        systems = set(wo.systems) - NOT_REWORK_SYSTEMS
        for earlier in reversed(done.get(wo.vehicle_id, [])):
            if earlier.stop not in (S.DELIVERED, S.SETTLED):
                continue
            delivered = earlier.times[S.DELIVERED]
            if wo.received_at - window <= delivered <= wo.received_at:
                shared = sorted(systems & set(earlier.wo.systems))
                if shared:
                    wo.rework_of = earlier.wo.rework_of or earlier.wo
                    wo.rework_system = shared[0]
                    break
        done.setdefault(wo.vehicle_id, []).append(job)


PHOTO_SIZE = (320, 240)
FONT_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)


def photo_name(item: str) -> str:
    return f"{PHOTO_DIR}/inspection-{item}.jpg"


def _font(size: int) -> tuple[Any, bool]:
    """A CJK font when the machine has one (then the label is drawn in Chinese), else Pillow's."""
    for path in FONT_PATHS:
        try:
            return ImageFont.truetype(path, size), True
        except OSError:
            continue
    return ImageFont.load_default(size), False


def placeholder_photo(label: str, label_en: str) -> bytes:
    """A drawn stand-in photo: a car in a workshop bay, the checklist item written under it."""
    font, cjk = _font(20)
    image = Image.new("RGB", PHOTO_SIZE, (196, 202, 210))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 170, 320, 240), fill=(120, 126, 134))  # the bay floor
    draw.rounded_rectangle((60, 95, 260, 160), radius=18, fill=(38, 92, 160))  # body
    draw.polygon([(105, 95), (135, 62), (205, 62), (235, 95)], fill=(58, 112, 180))  # cabin
    draw.polygon([(118, 93), (140, 68), (200, 68), (222, 93)], fill=(190, 222, 240))  # glass
    for x in (100, 220):
        draw.ellipse((x - 20, 140, x + 20, 180), fill=(30, 30, 30))
        draw.ellipse((x - 9, 151, x + 9, 169), fill=(160, 160, 160))
    text = label if cjk else label_en
    draw.rectangle((0, 196, 320, 240), fill=(255, 255, 255))
    draw.text((10, 206), text[:16] if cjk else text[:30], fill=(20, 20, 20), font=font)
    draw.text((10, 8), "DEMO", fill=(90, 90, 90), font=_font(14)[0])
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=70)
    return buffer.getvalue()


def write_photos(templates: Any) -> dict[str, str]:
    """One drawn photo per photo-required checklist item, written where the storage keeps it.

    Returns {item code: stored name}; an item whose file cannot be written gets no photo rows.
    """
    names: dict[str, str] = {}
    for template in templates:
        for item in template.items:
            code = item["code"]
            if not item.get("photo_required") or code in names:
                continue
            name = photo_name(code)
            if not default_storage.exists(name):
                content = placeholder_photo(item.get("label", code), item.get("label_en", code))
                saved = default_storage.save(name, ContentFile(content))
                if saved != name:  # someone else wrote it meanwhile: keep theirs
                    default_storage.delete(saved)
            if default_storage.exists(name):
                names[code] = name
    return names


def results_for(template: ChecklistTemplate, wo: WorkOrder) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for item in template.items:
        kind = item.get("kind", "check")
        if kind == "check":
            values[item["code"]] = True
        elif kind == "number":
            values[item["code"]] = float(wo.mileage_km or 0) if item["code"] == "mileage" else 60.0
        elif kind == "text" and item.get("required", True):
            values[item["code"]] = "—"
    return values


def write_jobs(demo: Any, shop: Shop, techs: dict, jobs: list[Job]) -> None:
    rng = demo.rng
    # Rework targets must exist first: they are earlier jobs, so write in time order.
    for job in jobs:
        wo, times = job.wo, job.times
        path = FLOW[: FLOW.index(job.cancel_at or job.stop) + 1]
        wo.state = S.CANCELLED if job.stop == S.CANCELLED else path[-1]
        for state in path[1:]:
            setattr(wo, MILESTONE[state], times[state])
        if job.stop == S.CANCELLED:
            wo.cancelled_at = times[S.CANCELLED]
            wo.cancel_reason = rng.choice(CANCEL_REASONS)
        if S.DIAGNOSIS in path:
            wo.diagnosis = DIAGNOSES.get(wo.systems[0] if wo.systems else "general", "常规检查")
        if S.APPROVAL in path:
            wo.quote_version = 1
            wo.quote = {
                "lines": [],
                "total": str(wo.total_amount),
                "customer_amount": str(wo.customer_amount),
            }
            wo.quote_token_expires_at = times[S.APPROVAL] + dt.timedelta(days=7)
        if S.APPROVED in path:
            wo.approved_via = rng.choice(["in_person", "in_person", "link"])
            wo.approved_by_name = wo.customer.name
        if S.IN_WORK in path and any(ln.part.is_oil for ln in job.parts):
            wo.oil_brand, wo.oil_grade = rng.choice(
                [("嘉实多 极护", "0W-20"), ("美孚 1号", "5W-30"), ("壳牌 超凡喜力", "0W-20")]
            )
        if wo.state == S.SETTLED:
            wo.paid_amount = wo.customer_amount
            wo.payment_method = (
                "contract"
                if wo.contract_id
                else "warranty"
                if wo.customer_amount == 0
                else rng.choice(["wechat", "alipay", "card", "cash"])
            )
        wo.version = len(path) + len(job.labour) + len(job.parts)
    # A rework points at an earlier job of the same batch: linked once both have keys.
    reworks = [(j.wo, j.wo.rework_of, j.wo.rework_system) for j in jobs if j.wo.rework_of]
    for wo, _first, _system in reworks:
        wo.rework_of, wo.rework_system = None, ""
    persist(demo, [j.wo for j in jobs])
    changes = []
    for wo, first, system in reworks:
        before = snapshot(wo)
        wo.rework_of, wo.rework_system = first, system
        changes.append(change_for(wo, "update", before, snapshot(wo)))
    WorkOrder.objects.bulk_update([wo for wo, _f, _s in reworks], ["rework_of", "rework_system"])
    record(changes)
    transitions, labour, parts, inspections, photos, hv_checks = [], [], [], [], [], []
    for job in jobs:
        wo, times = job.wo, job.times
        path = FLOW[: FLOW.index(job.cancel_at or job.stop) + 1]
        label = shop.advisor_staff.get(wo.outlet_id)
        label = label.name if label else "advisor"
        transitions.append(
            WorkOrderTransition(
                work_order=wo,
                from_state="",
                to_state=S.RECEPTION,
                at=times[S.RECEPTION],
                actor=wo.advisor,
                actor_label=label,
            )
        )
        for a, b in zip(path, path[1:], strict=False):
            via = {"via": wo.approved_via} if b == S.APPROVED else {}
            transitions.append(
                WorkOrderTransition(
                    work_order=wo,
                    from_state=a,
                    to_state=b,
                    at=times[b],
                    actor=wo.advisor,
                    actor_label=label
                    if b != S.APPROVED or wo.approved_via != "link"
                    else "customer",
                    data=via,
                )
            )
        if job.stop == S.CANCELLED:
            transitions.append(
                WorkOrderTransition(
                    work_order=wo,
                    from_state=path[-1],
                    to_state=S.CANCELLED,
                    at=times[S.CANCELLED],
                    actor=wo.advisor,
                    actor_label=label,
                    reason=wo.cancel_reason,
                )
            )
        in_work = FLOW.index(path[-1]) >= FLOW.index(S.IN_WORK)
        finished = FLOW.index(path[-1]) >= FLOW.index(S.QUALITY_CHECK)
        for line in job.labour:
            if not in_work:
                line.started_at = line.finished_at = line.actual_hours = None
            elif not finished and line.finished_at and line.finished_at > demo.as_of:
                line.finished_at = line.actual_hours = None
                if line.started_at > demo.as_of:
                    line.started_at = None
            labour.append(line)
        for line in job.parts:
            if in_work:
                line.batch_no = (
                    f"B{timezone.localtime(times[S.IN_WORK]):%y%m}{rng.randint(1, 99):02d}"
                )
                line.supplier = rng.choice(shop.suppliers)
                line.fitted_at = times[S.IN_WORK] + dt.timedelta(minutes=10)
            parts.append(line)
        responsible = techs[wo.outlet_id][0]
        stages = [
            ("entry", "entry", True),
            ("in_process", "in_process", finished),
            ("completion", "completion", FLOW.index(path[-1]) >= FLOW.index(S.READY)),
        ]
        for stage, key, done in stages:
            if not done:
                continue
            template = shop.template(stage, wo.job_type)
            inspection = Inspection(
                work_order=wo,
                stage=stage,
                template=template,
                items=template.items,
                results=results_for(template, wo),
                passed=True,
                responsible=responsible,
                signed_at=times[key],
                created_at=times[key] - dt.timedelta(minutes=5),
            )
            inspections.append(inspection)
        if wo.high_voltage and in_work:
            cert = Certification.objects.filter(staff=job.hv_tech, skill=Skill.EV_HV).first()
            if cert is not None:
                hv_checks.append(
                    HVSafetyCheck(
                        work_order=wo,
                        technician=job.hv_tech,
                        certification=cert,
                        discharged=True,
                        residual_voltage=Decimal(str(round(rng.uniform(0.5, 8), 1))),
                        insulation_mohm=Decimal(str(round(rng.uniform(200, 900), 3))),
                        nominal_voltage=800 if wo.vehicle.high_voltage else 400,
                        recorded_at=times["hv"],
                    )
                )
    persist(demo, transitions)
    persist(demo, labour)
    persist(demo, parts)
    persist(demo, inspections)
    for inspection in inspections:
        for item in inspection.items:
            name = shop.photos.get(item["code"])
            if item.get("photo_required") and name:
                photos.append(
                    InspectionPhoto(
                        inspection=inspection,
                        item=item["code"],
                        image=name,
                        width=PHOTO_SIZE[0],
                        height=PHOTO_SIZE[1],
                        uploaded_at=inspection.signed_at - dt.timedelta(minutes=2),
                    )
                )
    persist(demo, photos)
    persist(demo, hv_checks)


def write_appointments(demo: Any, appts: list) -> None:
    """Written before the work orders, which point at them."""
    if not appts:
        return
    persist(demo, [a for a, _r, _s in appts])
    persist(demo, [r for _a, rows, _s in appts for r in rows])
    persist(demo, [s for _a, _r, s in appts])


def extra_appointments(demo, shop, vehicles, owners, number, used) -> None:
    """Appointments still open or closed without a visit: every answer the desk can give."""
    rng = demo.rng
    plan = (
        [A.BOOKED] * 3
        + [A.CONFIRMED] * 12
        + [A.PROPOSED] * 2
        + [A.DECLINED] * 2
        + [A.NO_SHOW] * 3
        + [A.CANCELLED] * 3
    )
    rows, transitions, assigns = [], [], []
    for n, state in enumerate(plan):
        vehicle = rng.choice([v for v in vehicles if v.pk not in used] or vehicles)
        used.add(vehicle.pk)
        customer = owners[vehicle.owner_id]
        job_type = rng.choice(
            [
                JobType.MAINTENANCE,
                JobType.MAINTENANCE,
                JobType.FAULT_REPAIR,
                JobType.WARRANTY_REPAIR,
                JobType.INSPECTION,
            ]
        )
        if state == A.BOOKED:
            booked = demo.as_of - dt.timedelta(minutes=[8, 21, 47][n % 3])
            preferred = demo.as_of + dt.timedelta(days=1, hours=rng.randint(0, 6))
        elif state in (A.NO_SHOW, A.CANCELLED):
            booked = demo.as_of - dt.timedelta(days=rng.randint(4, 12), hours=rng.randint(0, 8))
            preferred = booked + dt.timedelta(days=2)
        else:
            booked = demo.as_of - dt.timedelta(hours=rng.uniform(2, 40))
            preferred = demo.as_of + dt.timedelta(days=rng.randint(1, 5), hours=rng.randint(0, 6))
        preferred = assignment.slot_of(work_moment(demo, timezone.localdate(preferred), rng), 60)
        needs = assignment.needs_for(vehicle, job_type)
        lat, lon = near_outlet(rng, rng.choice(shop.open_outlets))
        candidates = assignment.rank_outlets(
            lat=lat,
            lon=lon,
            needs=needs,
            slot_start=preferred,
            outlets=shop.open_outlets,
            licensed=shop.licensed,
            capacity=lambda o, s: (o.bays, o.daily_capacity),
        )
        chosen = assignment.best(candidates)
        outlet = next((o for o in shop.open_outlets if chosen and o.pk == chosen.outlet), None)
        if outlet is None:
            continue
        responded = booked + dt.timedelta(minutes=rng.uniform(3, 26))
        appt = Appointment(
            number=number("AP", booked),
            state=state,
            version=1,
            channel=rng.choice(["web", "app", "phone"]),
            customer=customer,
            vehicle=vehicle,
            contact_name=customer.name,
            contact_phone=customer.phone,
            job_type=job_type,
            service_items=[COMPLAINTS[job_type]],
            description=COMPLAINTS[job_type],
            needs=needs,
            preferred_at=preferred,
            slot_start=preferred,
            lat=lat,
            lon=lon,
            outlet=outlet,
            region_id=outlet.region_id,
            created_at=booked,
            token=token(rng),
        )
        steps = [("", A.BOOKED, booked, "", {"channel": appt.channel, "outlet": outlet.code})]
        if state != A.BOOKED:
            kind = {A.PROPOSED: "propose", A.DECLINED: "decline"}.get(state, "confirm")
            appt.response, appt.responded_at = kind, responded
            target = {"confirm": A.CONFIRMED, "propose": A.PROPOSED, "decline": A.DECLINED}[kind]
            note = "当日工位已满" if kind == "decline" else ""
            appt.response_note = note
            steps.append((A.BOOKED, target, responded, note, {"outlet": outlet.pk}))
            if kind == "propose":
                appt.proposed_at = preferred + dt.timedelta(days=1)
            if state in (A.NO_SHOW, A.CANCELLED):
                end = (
                    preferred + dt.timedelta(hours=2)
                    if state == A.NO_SHOW
                    else responded + dt.timedelta(hours=3)
                )
                reason = "" if state == A.NO_SHOW else "客户行程变化"
                appt.cancel_reason = reason
                steps.append((A.CONFIRMED, state, end, reason, {}))
        appt.version = len(steps)
        rows.append(appt)
        for a, b, at, reason, data in steps:
            transitions.append(
                AppointmentTransition(
                    appointment=appt,
                    from_state=a,
                    to_state=b,
                    at=at,
                    reason=reason,
                    data=data,
                    actor_label="advisor" if a else "public",
                )
            )
        assigns.append(
            OutletAssignment(
                appointment=appt,
                outlet=outlet,
                automatic=True,
                reason="; ".join(chosen.reasons),
                travel_seconds=chosen.travel_seconds,
                candidates=[c.as_dict() for c in candidates],
                at=booked,
            )
        )
    persist(demo, rows)
    persist(demo, transitions)
    persist(demo, assigns)


def write_expert_requests(demo: Any, shop: Shop, jobs: list[Job]) -> None:
    rng = demo.rng
    asked = [j for j in jobs if j.wo.high_voltage and j.wo.work_started_at][:8]
    requests, messages = [], []
    expert = getattr(shop, "expert", None)
    for job in asked:
        wo = job.wo
        at = wo.work_started_at + dt.timedelta(minutes=rng.uniform(5, 30))
        answered = at + dt.timedelta(seconds=rng.uniform(60, 9 * 60))
        done = wo.work_finished_at is not None
        req = ExpertRequest(
            work_order=wo,
            region_id=wo.region_id,
            state="resolved" if done else "answered",
            question="高压系统报绝缘阻值偏低，已完成断电和放电，请指导下一步排查顺序。",
            fault_codes=["P0AA6", "P1A10"],
            requested_at=at,
            first_response_at=answered,
            resolved_at=wo.work_finished_at if done else None,
            resolution="按模组逐一测量绝缘，更换故障部件后复测合格" if done else "",
        )
        requests.append(req)
        messages.append(
            ExpertMessage(request=req, author_label=job.hv_tech.name, body=req.question, at=at)
        )
        messages.append(
            ExpertMessage(
                request=req,
                author_label=expert.name if expert else "远程技术专家",
                from_expert=True,
                body="先确认维修开关已断开，再用绝缘表按母线正负极对地分别测量。",
                at=answered,
            )
        )
    persist(demo, requests)
    persist(demo, messages)


def warn_warranty(demo: Any, jobs: list[Job]) -> None:
    """The 三包 warning the fourth battery repair raised (the outbox is not replayed)."""
    policy = WorkshopPolicy.current()
    by_vehicle: dict[tuple[int, str], list[Job]] = {}
    for job in jobs:
        wo = job.wo
        if wo.job_type in (JobType.MAINTENANCE, JobType.INSPECTION) or wo.state == S.CANCELLED:
            continue
        v = wo.vehicle
        if v.fleet_id or not v.warranty_until or v.warranty_until < demo.today:
            continue
        for system in set(wo.systems) & {
            "hv_battery",
            "drive_motor",
            "brakes",
            "engine",
            "transmission",
            "steering",
            "suspension",
        }:
            by_vehicle.setdefault((v.pk, system), []).append(job)
    warnings = []
    for (_vid, system), rows in by_vehicle.items():
        if len(rows) >= policy.warranty_warn_repairs:
            trigger = rows[policy.warranty_warn_repairs - 1].wo
            warnings.append(
                WarrantyWarning(
                    vehicle=trigger.vehicle,
                    kind="same_fault",
                    system=system,
                    value=len(rows),
                    threshold=policy.warranty_warn_repairs,
                    legal_line=policy.warranty_legal_repairs,
                    work_order=trigger,
                    outlet=trigger.outlet,
                    region_id=trigger.region_id,
                    raised_at=trigger.received_at,
                    work_order_ids=[j.wo.pk for j in rows],
                )
            )
    persist(demo, warnings)


def replay_clocks(demo: Any) -> int:
    """SLA clocks for the history, started and stopped through ``commitments.api``.

    The history rows are written in bulk, so their clocks are replayed here the way the
    action functions drive them live (the same events and states, at the historic times, in
    each job's transition order): open bookings show a running 30-minute response clock,
    answered ones a met or missed one, expert requests their 5-minute first-response clock.
    Work orders get their events too; with no work-order commitment active that is skipped,
    as it would start nothing. Returns how many clocks exist for the replayed jobs.
    """
    from anxin.commitments.models import Clock, Commitment

    from . import actions
    from . import appointments as booking
    from . import expert as experts
    from .transitions import APPOINTMENT_TRANSITIONS

    by_move = {(s, t.target): t for t in APPOINTMENT_TRANSITIONS.values() for s in t.sources}
    kinds = [booking.CLOCK_KIND, experts.CLOCK_KIND, actions.CLOCK_KIND]
    done = {
        (kind, int(job_id))
        for kind, job_id in Clock.objects.filter(job_kind__in=kinds).values_list(
            "job_kind", "job_id"
        )
    }
    appts = Appointment.objects.exclude(
        pk__in=[pk for kind, pk in done if kind == booking.CLOCK_KIND]
    ).order_by("pk")
    rows: dict[int, list[AppointmentTransition]] = {}
    for row in AppointmentTransition.objects.filter(appointment__in=appts).order_by("at", "pk"):
        rows.setdefault(row.appointment_id, []).append(row)
    for appt in appts:
        attrs = booking.clock_attrs(appt)
        for row in rows.get(appt.pk, []):
            if not row.from_state:
                on_event(booking.CLOCK_KIND, appt.pk, "booked", at=row.at, attrs=attrs)
                continue
            t = by_move.get((row.from_state, row.to_state))
            if t is None:
                continue
            if t.clock_event == "reassigned":
                if not booking._response_clock_running(appt):
                    on_event(booking.CLOCK_KIND, appt.pk, "reassigned", at=row.at, attrs=attrs)
            elif t.clock_event:
                on_event(booking.CLOCK_KIND, appt.pk, t.clock_event, at=row.at, attrs=attrs)
            if t.target not in (A.CANCELLED, A.NO_SHOW):
                on_state(booking.CLOCK_KIND, appt.pk, t.target, at=row.at)
    requests = ExpertRequest.objects.exclude(
        pk__in=[pk for kind, pk in done if kind == experts.CLOCK_KIND]
    ).select_related("work_order")
    for req in requests.order_by("pk"):
        attrs = {"region": req.region_id, "number": req.work_order.number}
        on_event(experts.CLOCK_KIND, req.pk, "requested", at=req.requested_at, attrs=attrs)
        if req.first_response_at:
            on_event(experts.CLOCK_KIND, req.pk, "answered", at=req.first_response_at)
            on_state(experts.CLOCK_KIND, req.pk, "answered", at=req.first_response_at)
        if req.resolved_at:
            on_event(experts.CLOCK_KIND, req.pk, "resolved", at=req.resolved_at)
    if Commitment.objects.filter(job_kind__code=actions.CLOCK_KIND, active=True).exists():
        orders = WorkOrder.objects.exclude(
            pk__in=[pk for kind, pk in done if kind == actions.CLOCK_KIND]
        ).select_related("customer")
        moves: dict[int, list[WorkOrderTransition]] = {}
        for row in WorkOrderTransition.objects.filter(work_order__in=orders).order_by("at", "pk"):
            moves.setdefault(row.work_order_id, []).append(row)
        for wo in orders.order_by("pk"):
            for row in moves.get(wo.pk, []):
                actions._clocks(wo, row.to_state if row.from_state else "opened", row.at)
    return Clock.objects.filter(job_kind__in=kinds).count()
