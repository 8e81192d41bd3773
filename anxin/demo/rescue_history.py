"""The demo city's rescue side: daily unit checks, eight weeks of rescue jobs, jobs open now.

History is written row by row in bulk (jobs, transitions, evidence, SLA clocks in their final
state) rather than through :mod:`anxin.rescue.actions`, which would take minutes for 1,400
jobs; the rows are what the actions would have left behind. The few jobs open at ``as_of``
do go through the real action functions, so their clocks run and the console has work.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections import defaultdict
from typing import Any

from django.utils import timezone

from anxin.network.choices import UnitCapability, UnitKind, UnitStatus
from anxin.network.models import OutletQualification, UnitDailyCheck
from anxin.people.models import Certification, Skill
from anxin.rescue.choices import Channel, FaultType, JobState, Need, Priority
from anxin.rescue.models import (
    ChecklistItem,
    ComplianceReview,
    ConfirmationForm,
    FinalReview,
    JobChecklistTick,
    JobTransition,
    RescueJob,
)
from anxin.rescue.photos import clean_signature_svg
from anxin.rescue.web.forms import DAILY_CHECK_ITEMS

from . import catalog
from .context import HISTORY_DAYS, Demo, persist
from .rescue_sla import build_clocks

S = JobState
HANGZHOU = "330100"
CHECK_DAYS = 14
ROAD_FACTOR = 1.3  # straight line to road distance, as the dispatch engine's travel model
# Share of calls per district: the dense centre near the two urban bases calls most; the far
# counties, an hour from any base, rarely (they make the long tail of response times).
DISTRICT_WEIGHTS = {
    "上城区": 15, "拱墅区": 18, "西湖区": 12, "滨江区": 17, "萧山区": 9, "余杭区": 2.5,
    "临平区": 1, "钱塘区": 0.5, "富阳区": 0.5, "临安区": 6, "桐庐县": 5, "淳安县": 0.2,
    "建德市": 0.2,
}  # fmt: skip
ROADS = {
    "上城区": ("解放东路", "秋涛北路", "望江路"), "拱墅区": ("莫干山路", "湖州街", "大关路"),
    "西湖区": ("文三路", "天目山路", "古墩路"), "滨江区": ("江南大道", "滨盛路", "长河路"),
    "萧山区": ("市心北路", "金城路", "通惠路"), "余杭区": ("文一西路", "良睦路", "五常大道"),
    "临平区": ("人民大道", "星光街", "迎宾路"), "钱塘区": ("青六北路", "学林街", "文渊路"),
    "富阳区": ("金桥北路", "富春街", "桂花路"), "临安区": ("衣锦街", "钱王街", "城中街"),
    "桐庐县": ("迎春南路", "白云源路", "富春路"), "淳安县": ("新安大街", "千岛湖大道"),
    "建德市": ("新安江路", "严州大道"),
}  # fmt: skip
# Dispatch keeps flatbeds and tow trucks for the jobs only they can do: using one for a jump
# start must save this many seconds of arrival to be worth it.
SPARE_SECONDS = {UnitKind.SERVICE_VAN: 0, UnitKind.TOW_TRUCK: 300, UnitKind.FLATBED: 600}
HIGHWAYS = {"urban": ("G2501杭州绕城高速", "G60沪昆高速"), "remote": ("G25长深高速", "S16杭千高速")}
# Calls per local hour, relative: peaks in the morning and evening rush, few at night.
HOURLY = (0.35, 0.25, 0.2, 0.2, 0.25, 0.4, 0.8, 1.6, 1.9, 1.4, 1.0, 1.0,
          1.05, 1.0, 1.0, 1.05, 1.3, 1.8, 1.9, 1.4, 1.0, 0.8, 0.6, 0.45)  # fmt: skip
FAULTS = {
    FaultType.BREAKDOWN: 30, FaultType.FLAT_BATTERY: 18, FaultType.TYRE: 15,
    FaultType.ACCIDENT: 12, FaultType.OUT_OF_FUEL: 8, FaultType.LOCKOUT: 6, FaultType.STUCK: 5,
    FaultType.HV_FAULT: 6,  # drawn for electric cars only; others call in a breakdown instead
}  # fmt: skip
TOWED = frozenset({FaultType.BREAKDOWN, FaultType.ACCIDENT, FaultType.HV_FAULT})
# Minutes on site (low, high) before the job is done or the car is loaded.
WORK_MINUTES = {
    FaultType.BREAKDOWN: (12, 25), FaultType.FLAT_BATTERY: (8, 18), FaultType.TYRE: (15, 30),
    FaultType.ACCIDENT: (20, 40), FaultType.OUT_OF_FUEL: (8, 20), FaultType.LOCKOUT: (10, 25),
    FaultType.STUCK: (20, 45), FaultType.HV_FAULT: (25, 45),
}  # fmt: skip
DESCRIPTIONS = {
    FaultType.BREAKDOWN: ("车辆无法启动", "行驶中熄火，无法再次启动", "仪表报故障后无法行驶"),
    FaultType.FLAT_BATTERY: ("蓄电池亏电，打不着火", "停车一夜后无法启动"),
    FaultType.TYRE: ("右前轮爆胎", "左后轮扎钉漏气", "轮胎鼓包，不敢继续行驶"),
    FaultType.ACCIDENT: ("追尾事故，车头受损", "与护栏剐蹭，车辆无法行驶", "两车相撞，无人受伤"),
    FaultType.OUT_OF_FUEL: ("燃油耗尽", "电量耗尽，无法行驶"),
    FaultType.LOCKOUT: ("钥匙锁在车内", "智能钥匙失灵，无法解锁"),
    FaultType.STUCK: ("车辆陷入路边排水沟", "驶入泥地无法脱困"),
    FaultType.HV_FAULT: ("仪表提示高压系统故障", "动力电池报警，车辆限功率后停驶"),
}  # fmt: skip
WORK_DONE = {
    FaultType.BREAKDOWN: "现场检查后装车拖运至服务站", FaultType.FLAT_BATTERY: "搭电启动，检测蓄电池",
    FaultType.TYRE: "更换备胎，检查胎压", FaultType.ACCIDENT: "设置警示，协助拍照取证后拖运",
    FaultType.OUT_OF_FUEL: "现场补给燃油/补电", FaultType.LOCKOUT: "专业开锁，核验车主身份",
    FaultType.STUCK: "绞盘拖出，检查底盘", FaultType.HV_FAULT: "断开高压回路，平板运送至服务站",
}  # fmt: skip
ADVICE = ("建议尽快到店检测", "建议更换蓄电池", "建议补胎或更换新胎", "请按时保养", "")
CANCEL_REASONS = ("客户来电告知车辆已自行启动", "重复报案", "客户已联系保险公司救援",
                  "客户无法联系，按流程取消")  # fmt: skip
NO_UNIT = "附近暂无可派救援车辆，已转合作救援单位"
SENT_BACK_REASONS = ("警示标志照片缺失，请补拍", "现场照片未显示车内物品已转移")
HYDRAULIC_FAULT = "液压系统渗油，举升无力，已报修"
OTHER_FAULTS = {"tyres": "左后轮胎纹过浅", "lights": "右侧警示灯不亮", "traction": "钢丝绳磨损",
                "warning_signs": "三角警示牌缺失", "tools": "灭火器压力不足"}  # fmt: skip


def local(day: dt.date, seconds: float) -> dt.datetime:
    naive = dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=seconds)
    return timezone.make_aware(naive, timezone.get_default_timezone())


def km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def speed_kmh(demo: Demo, at: dt.datetime) -> float:
    hour = timezone.localtime(at).hour
    if hour in (7, 8, 17, 18):
        return demo.rng.uniform(35, 38)
    return demo.rng.uniform(42, 45) if hour >= 22 or hour < 6 else demo.rng.uniform(37, 43)


def drive(demo: Demo, dist_km: float, at: dt.datetime) -> dt.timedelta:
    return dt.timedelta(seconds=round(dist_km * ROAD_FACTOR / speed_kmh(demo, at) * 3600))


def seconds(demo: Demo, low: float, high: float) -> dt.timedelta:
    return dt.timedelta(seconds=demo.rng.randint(int(low), int(high)))


def hangzhou_units(demo: Demo) -> list[Any]:
    return [u for u in demo.units if u.base.city.code == HANGZHOU]


def build_daily_checks(demo: Demo) -> None:
    """设备状态表 for the last two weeks: today one unit failed (hydraulics) and one is missing."""
    rng = demo.rng
    keys = [key for key, _label in DAILY_CHECK_ITEMS]
    crews: dict[int, list[Any]] = defaultdict(list)
    for member in demo.staff:
        if member.unit_id is not None:
            crews[member.unit_id].append(member)
    # The readiness rule needs an idle unit to block: never the technician login's own unit,
    # which the walkthrough dispatches.
    own = demo.login_staff["technician"].unit_id
    idle = [
        u
        for u in hangzhou_units(demo)
        if u.status == UnitStatus.AVAILABLE and u.pk != own and u.kind != UnitKind.FLATBED
    ]
    failed_today, missing_today = rng.sample(idle, 2)
    checks = []
    for back in range(CHECK_DAYS - 1, -1, -1):
        day = demo.today - dt.timedelta(days=back)
        for unit in demo.units:
            if back == 0 and unit is missing_today:
                continue
            items = dict.fromkeys(keys, True)
            remarks = ""
            if back == 0 and unit is failed_today:
                items["hydraulics"], remarks = False, HYDRAULIC_FAULT
            elif back > 0 and rng.random() < 0.012:
                key = rng.choice(list(OTHER_FAULTS))
                items[key], remarks = False, OTHER_FAULTS[key]
            start = 6.5 * 3600 if unit.shift_start.hour else 7.5 * 3600  # before the day shift
            checks.append(
                UnitDailyCheck(
                    unit=unit,
                    day=day,
                    passed=all(items.values()),
                    items=items,
                    remarks=remarks,
                    checked_by=rng.choice(crews[unit.pk]),
                    checked_at=local(day, start + rng.randrange(40 * 60)),
                )
            )
    persist(demo, checks)


class Network:
    """What dispatch decisions in the history look at: units, their crews' HV certificates,
    failed checks, shifts, when each unit is free again, and the outlets cars are towed to."""

    def __init__(self, demo: Demo) -> None:
        self.demo = demo
        self.units = hangzhou_units(demo)
        self.free_at: dict[int, dt.datetime] = {}
        self.hv: dict[int, list[tuple[dt.date, dt.date]]] = defaultdict(list)
        for unit_id, issued, expires in Certification.objects.filter(
            skill=Skill.EV_HV, staff__unit__isnull=False
        ).values_list("staff__unit_id", "issued_on", "expires_on"):
            self.hv[unit_id].append((issued, expires))
        checked = UnitDailyCheck.objects.values_list("unit_id", "day", "passed")
        self.check_days = {(u, d) for u, d, _p in checked}
        self.failed = {(u, d) for u, d, ok in checked if not ok}
        self.first_check_day = demo.today - dt.timedelta(days=CHECK_DAYS - 1)
        self.crew: dict[int, list[Any]] = defaultdict(list)
        for member in demo.staff:
            if member.unit_id is not None:
                self.crew[member.unit_id].append(member)
        expiry = dict(OutletQualification.objects.values_list("outlet_id", "expires_on"))
        self.outlets = [
            (o, expiry.get(o.pk))
            for o in demo.outlets.values()
            if o.city.code == HANGZHOU and o.tow_reception
        ]
        self.contracts = {
            fleet.pk: set(spec.outlets)
            for fleet, spec in zip(demo.fleets, catalog.FLEETS, strict=True)
        }

    def ready(self, unit: Any, day: dt.date) -> bool:
        """The daily check passed; days before the kept checks count as passed."""
        if day < self.first_check_day:
            return True
        return (unit.pk, day) in self.check_days and (unit.pk, day) not in self.failed

    def capable(self, unit: Any, needs: set[str], electric: bool, day: dt.date) -> bool:
        caps = set(unit.capabilities)
        if Need.FLATBED in needs and unit.kind != UnitKind.FLATBED:
            return False
        if Need.TOWING in needs and unit.kind == UnitKind.SERVICE_VAN:
            return False
        if Need.HV_CERTIFIED in needs and not (
            UnitCapability.EV_HV_KIT in caps
            and any(i <= day <= e for i, e in self.hv.get(unit.pk, ()))
        ):
            return False
        if electric and Need.FUEL_DELIVERY in needs and UnitCapability.MOBILE_CHARGING not in caps:
            return False
        return not (needs - {Need.FLATBED, Need.TOWING, Need.HV_CERTIFIED}) - caps

    def on_shift(self, unit: Any, at: dt.datetime) -> bool:
        now = timezone.localtime(at).time()
        return unit.shift_start <= now < unit.shift_end

    def pick(
        self, job: RescueJob, at: dt.datetime, units: list[Any] | None = None
    ) -> tuple[Any, dt.datetime, float] | None:
        """The unit that would arrive first (as the dispatch proposal ranks), keeping flatbeds
        and tow trucks for the jobs only they can do; ``(unit, leaves_at, km)`` or None."""
        day = timezone.localdate(at)
        needs, electric = set(job.needs), job.vehicle.is_electric
        carrying = bool(needs & {Need.TOWING, Need.FLATBED})
        distances: dict[int, float] = {}  # per base: units share their base's distance
        best, best_score = None, None
        for unit in self.units if units is None else units:
            if not (
                self.capable(unit, needs, electric, day)
                and self.ready(unit, day)
                and self.on_shift(unit, at)
            ):
                continue
            if unit.base_id not in distances:
                distances[unit.base_id] = km(unit.base.lat, unit.base.lon, job.lat, job.lon)
            dist = distances[unit.base_id]
            leaves = max(at, self.free_at.get(unit.pk, at))
            penalty = 0 if carrying else SPARE_SECONDS[unit.kind]
            score = (leaves - at).total_seconds() + dist * ROAD_FACTOR / 40 * 3600 + penalty
            if best_score is None or score < best_score:
                best, best_score = (unit, leaves, dist), score
        return best

    def outlet_for(self, job: RescueJob, electric: bool, day: dt.date) -> Any:
        """The nearest licensed outlet able to take the car; a fleet's contract outlets first."""
        fit = [
            o
            for o, expires in self.outlets
            if (expires is None or day <= expires)
            and (o.ev_high_voltage or not electric)
            and (o.body_shop or job.fault != FaultType.ACCIDENT)
        ]
        codes = self.contracts.get(job.vehicle.fleet_id, set())
        preferred = [o for o in fit if o.code in codes] or fit
        return min(preferred, key=lambda o: km(o.lat, o.lon, job.lat, job.lon))


class Vehicles:
    """Hangzhou vehicles by their owner's registration: a call comes from a registered owner."""

    def __init__(self, demo: Demo) -> None:
        cars = [v for v in demo.vehicles if v.owner.city.code == HANGZHOU]
        cars.sort(key=lambda v: (v.owner.created_at, v.vin))
        self.cars = cars
        self.since = [v.owner.created_at for v in cars]

    def draw(self, demo: Demo, at: dt.datetime) -> Any:
        known = bisect.bisect_right(self.since, at)
        return self.cars[demo.rng.randrange(known)] if known else None


def needs_for(fault: str, electric: bool) -> list[str]:
    """What the desk's first review asks for (see ``missing_details``)."""
    if fault == FaultType.HV_FAULT:
        return [Need.FLATBED, Need.HV_CERTIFIED]
    if fault in (FaultType.BREAKDOWN, FaultType.ACCIDENT):
        return [Need.FLATBED] if electric else [Need.TOWING]
    return {
        FaultType.FLAT_BATTERY: [Need.JUMP_START],
        FaultType.TYRE: [Need.TYRE_CHANGE],
        FaultType.OUT_OF_FUEL: [Need.FUEL_DELIVERY],
        FaultType.STUCK: [Need.WINCH],
    }.get(fault, [])


def draw_place(demo: Demo) -> tuple[str, dict[str, Any], float, float]:
    rng = demo.rng
    name = rng.choices(list(DISTRICT_WEIGHTS), list(DISTRICT_WEIGHTS.values()))[0]
    seat = catalog.district(name)
    lat, lon = catalog.near(rng, seat["lat"], seat["lon"], 3.5 if seat["area"] == "urban" else 4.0)
    return name, seat, lat, lon


def new_job(demo: Demo, vehicle: Any, at: dt.datetime, fault: str | None = None) -> RescueJob:
    """A request as the desk takes it down, located around a district; not yet saved."""
    rng = demo.rng
    name, seat, lat, lon = draw_place(demo)
    electric = vehicle.is_electric
    if fault is None:
        fault = rng.choices(list(FAULTS), list(FAULTS.values()))[0]
        if fault == FaultType.HV_FAULT and not electric:
            fault = FaultType.BREAKDOWN
    highway = fault in (FaultType.BREAKDOWN, FaultType.ACCIDENT, FaultType.TYRE) and (
        rng.random() < 0.12
    )
    emergency = (
        highway
        or fault == FaultType.HV_FAULT
        or (fault == FaultType.ACCIDENT and rng.random() < 0.6)
    )
    if highway:
        address = f"{rng.choice(HIGHWAYS[seat['area']])} K{rng.randint(10, 180)}+{rng.randrange(1000):03d}"
    else:
        address = f"浙江省杭州市{name}{rng.choice(ROADS[name])}{rng.randint(1, 600)}号附近"
    owner = vehicle.owner
    return RescueJob(
        channel=rng.choices(list(Channel), (60, 30, 4, 6))[0],
        priority=Priority.EMERGENCY if emergency else Priority.ROUTINE,
        area=seat["area"],
        fault=fault,
        needs=needs_for(fault, electric),
        description=f"{vehicle.brand}{vehicle.model} {rng.choice(DESCRIPTIONS[fault])}",
        lat=lat,
        lon=lon,
        address=address,
        highway=highway,
        region=demo.regions["east"],
        city=demo.cities[HANGZHOU],
        customer=owner,
        vehicle=vehicle,
        caller_name=owner.name,
        caller_phone=owner.phone,
        created_at=at,
    )


def signature(demo: Demo) -> str:
    """A scribbled signature, in the form the confirmation page stores (cleaned SVG paths)."""
    rng = demo.rng
    x, points = 20.0, []
    while x < 260:
        points.append(f"{x:.0f} {rng.uniform(20, 80):.0f}")
        x += rng.uniform(15, 40)
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 100">'
        f'<path d="M{points[0]} L{" L".join(points[1:])}"/></svg>'
    )
    return clean_signature_svg(svg)


class Staffing:
    """Who acts for each kind of step: the demo logins, and crews by employee number."""

    def __init__(self, demo: Demo, network: Network) -> None:
        users = {name: member.user for name, member in demo.login_staff.items()}
        self.desk, self.manager, self.service = (
            users["dispatcher"],
            users["manager"],
            users["service"],
        )
        technician = demo.login_staff["technician"]
        self.network, self.technician = network, technician

    def crew(self, demo: Demo, unit: Any) -> tuple[Any, str]:
        """(user, label) of the crew member acting: crews without a demo login by number."""
        if unit.pk == self.technician.unit_id:
            return self.technician.user, self.technician.user.username
        return None, demo.rng.choice(self.network.crew[unit.pk]).employee_no


class Plan:
    """One history job in memory: the job and everything that hangs off it, written later."""

    def __init__(self, job: RescueJob) -> None:
        self.job = job
        self.steps: list[tuple[str, dt.datetime, Any, str, str, dict[str, Any]]] = []
        self.ticks: list[JobChecklistTick] = []
        self.reviews: list[ComplianceReview] = []
        self.form: ConfirmationForm | None = None
        self.final: FinalReview | None = None

    def step(self, state: str, at: dt.datetime, actor: Any, label: str = "", **kw: Any) -> None:
        label = label or (actor.username if actor is not None else "public")
        self.steps.append((state, at, actor, label, kw.get("reason", ""), kw.get("data", {})))


def play(demo: Demo, plan: Plan, net: Network, staff: Staffing, end: dt.datetime) -> bool:
    """Run one job from call to final review; False if it would still be open at ``end``."""
    rng, job = demo.rng, plan.job
    desk = staff.desk
    t = job.created_at
    by_phone = job.channel == Channel.PHONE
    job.created_by = desk if by_phone else None
    plan.step(S.CREATED, t, desk if by_phone else None, data={"channel": job.channel})
    cancel_at = rng.choice((S.CHECKED, S.DISPATCHED, S.EN_ROUTE)) if rng.random() < 0.03 else ""
    t += seconds(demo, 60, 180)
    plan.step(S.CHECKED, t, desk)
    electric = job.vehicle.is_electric
    choice = net.pick(job, t)
    if choice is None or cancel_at == S.CHECKED:
        t += seconds(demo, 120, 600)
        job.cancel_reason = rng.choice(CANCEL_REASONS) if choice else NO_UNIT
        plan.step(S.CANCELLED, t, desk, reason=job.cancel_reason)
        return t < end
    unit, leaves, dist = choice
    t = max(t + seconds(demo, 60, 120), leaves)  # a unit busy elsewhere is sent when it is free
    job.unit = unit
    travel = drive(demo, dist, t)
    job.eta_at = t + travel + dt.timedelta(seconds=90)
    plan.step(
        S.DISPATCHED,
        t,
        desk,
        data={
            "unit": unit.code,
            "eta_seconds": travel.total_seconds() + 90,
            "recommended_unit": None,
        },
    )
    actor, label = staff.crew(demo, unit)
    t += seconds(demo, 10, 55)
    if cancel_at != S.DISPATCHED:
        plan.step(S.ACCEPTED, t, actor, label)
        t += seconds(demo, 10, 60)
        plan.step(S.EN_ROUTE, t, actor, label)
    if cancel_at:
        t += seconds(demo, 60, 300)
        job.cancel_reason = rng.choice(CANCEL_REASONS[:3])
        plan.step(S.CANCELLED, t, desk, reason=job.cancel_reason)
        job.unit, job.eta_at = None, None  # as the cancel action releases the unit
        net.free_at[unit.pk] = t
        return t < end
    t += travel
    plan.step(S.ARRIVED, t, actor, label)
    arrived = t
    t += seconds(demo, 60, 240)
    plan.step(S.WORKING, t, actor, label)
    items = [ChecklistItem.WARNING_SIGN, ChecklistItem.BELONGINGS, ChecklistItem.PROCEDURE]
    if job.fault == FaultType.HV_FAULT:
        items.append(ChecklistItem.HV_ISOLATED)
    low, high = WORK_MINUTES[job.fault]
    t += seconds(demo, low * 60, high * 60)
    if job.fault in TOWED:
        items.append(ChecklistItem.VEHICLE_SECURED)
        job.destination_outlet = net.outlet_for(job, electric, timezone.localdate(t))
        plan.step(S.TOWING, t, actor, label, data={"outlet": job.destination_outlet.code})
        outlet = job.destination_outlet
        t += drive(demo, km(job.lat, job.lon, outlet.lat, outlet.lon), t) + seconds(demo, 300, 600)
    # Ticked on site in the app, spread over the time the crew spent there.
    span = (t - arrived).total_seconds()
    plan.ticks = [
        JobChecklistTick(item=item, by=actor, at=arrived + dt.timedelta(seconds=span * (n + 1) / 8))
        for n, item in enumerate(items)
    ]
    plan.step(S.COMPLETED, t, actor, label)
    net.free_at[unit.pk] = t + dt.timedelta(minutes=5)
    completed = t
    t += seconds(demo, 120, 600)
    plan.form = ConfirmationForm(
        work_done=WORK_DONE[job.fault],
        follow_up_advice=rng.choice(ADVICE),
        signature_svg=signature(demo),
        signed_name=job.caller_name,
        signed_at=t,
        created_at=completed + dt.timedelta(seconds=60),
    )
    plan.step(S.CONFIRMED, t, actor, label)
    if t >= end:
        return False
    review_at = arrived + seconds(demo, 10 * 60, 90 * 60)
    if rng.random() < 0.05:
        reasons = rng.choice(SENT_BACK_REASONS)
        plan.reviews.append(
            ComplianceReview(
                verdict="sent_back", reasons=reasons, reviewer=staff.manager, at=review_at
            )
        )
        review_at += seconds(demo, 20 * 60, 120 * 60)
    plan.reviews.append(ComplianceReview(verdict="accepted", reviewer=staff.manager, at=review_at))
    plan.reviews = [r for r in plan.reviews if r.at < end]  # the manager has not got to it yet
    reviewed = max(t, review_at) + seconds(demo, 2 * 3600, 26 * 3600)
    if reviewed < end and rng.random() < 0.97:
        ok = rng.random() < 0.95
        findings = "" if ok else "确认单填写不完整，已提醒班组"
        plan.final = FinalReview(
            process_ok=ok, findings=findings, reviewer=staff.service, at=reviewed
        )
        # The real review stores the FinalReview's key too; left out here because keys differ
        # between builds and the demo must be the same row for row.
        plan.step(S.REVIEWED, reviewed, staff.service, reason=findings, data={"process_ok": ok})
    return True


def build_rescue_history(demo: Demo) -> None:
    """Eight weeks of rescue jobs in Hangzhou, then the jobs open now (see the module doc)."""
    rng = demo.rng
    net, cars = Network(demo), Vehicles(demo)
    staff = Staffing(demo, net)
    start = demo.as_of - dt.timedelta(days=HISTORY_DAYS)
    # Calls stop a few hours before ``as_of`` so every history job is over by then; the jobs
    # open now are made by the real actions below.
    last_call = demo.as_of - dt.timedelta(hours=4)
    calls = []
    for back in range(HISTORY_DAYS, -1, -1):
        day = demo.today - dt.timedelta(days=back)
        for _ in range(max(12, round(rng.gauss(25, 3)))):
            hour = rng.choices(range(24), HOURLY)[0]
            at = local(day, hour * 3600 + rng.randrange(3600))
            if start <= at <= last_call:
                calls.append(at)
    calls.sort()
    plans = []
    for at in calls:
        vehicle = cars.draw(demo, at)
        if vehicle is None:
            continue
        plan = Plan(new_job(demo, vehicle, at))
        if play(demo, plan, net, staff, demo.as_of):
            plans.append(plan)
    write(demo, plans)


def write(demo: Demo, plans: list[Plan]) -> None:
    """Number the jobs per day, then write jobs, transitions, evidence and clocks in bulk."""
    seq: dict[str, int] = defaultdict(int)
    for plan in plans:
        job = plan.job
        day = timezone.localtime(job.created_at).strftime("%Y%m%d")
        seq[day] += 1
        job.number = f"RS{day}-{seq[day]:04d}"
        job.state, job.version = plan.steps[-1][0], len(plan.steps)
    persist(demo, [p.job for p in plans])
    transitions, ticks, reviews, forms, finals = [], [], [], [], []
    for plan in plans:
        before = ""
        for state, at, actor, label, reason, data in plan.steps:
            transitions.append(
                JobTransition(
                    job=plan.job,
                    from_state=before,
                    to_state=state,
                    at=at,
                    actor=actor,
                    actor_label=label,
                    reason=reason,
                    data=data,
                )
            )
            before = state
        for row in (*plan.ticks, *plan.reviews, plan.form, plan.final):
            if row is not None:
                row.job = plan.job
        ticks += plan.ticks
        reviews += plan.reviews
        forms += [plan.form] if plan.form else []
        finals += [plan.final] if plan.final else []
    persist(demo, transitions)
    persist(demo, ticks, dated=("at",))
    persist(demo, reviews, dated=("at",))
    persist(demo, forms, dated=("created_at",))
    persist(demo, finals, dated=("at",))
    build_clocks(demo, [(p.job, {s: at for s, at, *_r in p.steps}) for p in plans])
