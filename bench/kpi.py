"""Benchmark of the KPI rollups (issue 8, "Performance"); see docs/benchmarks.md.

    python -m bench.kpi [--jobs 1000000] [--orders 1000000] [--outlets 300] [--months 24]
                        [--db /tmp/anxin-kpi-bench.sqlite3] [--repeats 20]

Builds a SQLite file database (migrated from scratch) with a network of regions, cities,
outlets, rescue bases and units, then ``--jobs`` rescue jobs (with their created, dispatched
and arrived transitions) and ``--orders`` delivered work orders (with a timed labour line) over
``--months`` months, and a daily check per unit and day. The source rows are written with raw
INSERTs (fast, and not what is measured); the rollups are then filled through the *same code
path the incremental updater uses* (:func:`anxin.quality.rollup.refresh`, in batches of
``--batch`` records), which is timed as the incremental throughput. The last 2,000 jobs are
refreshed one per transaction, as the job signal does, for the unbatched rate.

Measured in the same run:

* the dashboard's KPI figures for one region and one month (``rollup.figures`` of every
  dashboard indicator), median of ``--repeats`` runs;
* the whole monthly report's data (``report.monthly_data``; not its rendering), median of 3;
* the reference: the same region/month KPI figures computed by DuckDB straight from the raw
  rows (jobs with call and arrival times, work orders with hours, daily checks) loaded into
  DuckDB tables beforehand (loading not timed), median of ``--repeats`` runs; and the report's
  core aggregates (network and per-region figures for the month and the one before, problem
  rates per region/city/outlet/unit/model/fault) by DuckDB for comparison.

Ends with one JSON line: figures, reference, targets, targets_met.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGETS = {
    "dashboard_region_month_ms": 200.0,
    "monthly_report_data_s": 10.0,
    "dashboard_vs_duckdb_ratio_max": 2.0,
    "incremental_events_per_s_min": 2000.0,
}
TZ = dt.timezone(dt.timedelta(hours=8))
FAULTS = [
    "breakdown",
    "flat_battery",
    "tyre",
    "accident",
    "out_of_fuel",
    "hv_fault",
    "stuck",
    "lockout",
]
SYSTEMS = [
    "engine",
    "brakes",
    "hv_battery",
    "electrical",
    "suspension",
    "tyres",
    "air_conditioning",
    "body",
]
MODELS = [f"车型{i:02d}" for i in range(20)]


def setup(db: Path, fresh: bool) -> None:
    if fresh and db.exists():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anxin.settings")
    os.environ.setdefault("ANXIN_DATA_DIR", tempfile.mkdtemp(prefix="anxin-bench-"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def utc(at: dt.datetime) -> str:
    """How Django's SQLite backend stores an aware datetime (UTC, naive text)."""
    return at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


class Inserter:
    """Raw INSERTs for a model: one template row of defaults, a few columns set per row.

    The id column is included (None lets SQLite number the row)."""

    def __init__(self, model: Any) -> None:
        from django.db import connection

        self.connection = connection
        template: dict[str, Any] = {}
        columns: dict[str, str] = {}
        for f in model._meta.concrete_fields:
            columns[f.attname] = f.column
            if f.primary_key:
                template[f.attname] = None
                continue
            if f.has_default():
                value = f.get_default()
            elif f.null:
                value = None
            else:
                value = ""
            if value not in ("", None):
                value = f.get_db_prep_save(value, connection)
            template[f.attname] = value
        self.template = template
        self.columns = list(template)
        self.sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 (table names from the code, values bound)
            model._meta.db_table,
            ", ".join(f'"{columns[c]}"' for c in self.columns),
            ", ".join(["%s"] * len(self.columns)),
        )

    def insert(self, items: list[dict[str, Any]]) -> None:
        rows = []
        for item in items:
            row = dict(self.template)
            row.update(item)
            rows.append(tuple(row[c] for c in self.columns))
        with self.connection.cursor() as cursor:
            cursor.executemany(self.sql, rows)


def build_network(rng: random.Random, outlets: int) -> dict[str, Any]:
    from anxin.customers.models import Customer, Vehicle
    from anxin.network.models import City, Outlet, Region, RescueBase, RescueUnit
    from anxin.people.models import Certification, Staff

    regions = [Region.objects.create(code=f"r{i:02d}", name=f"大区{i:02d}") for i in range(10)]
    cities, out, bases, units = [], [], [], []
    n_cities = max(10, outlets // 5)
    for c in range(n_cities):
        region = regions[c % len(regions)]
        lat, lon = 22 + (c % 12) * 1.2, 105 + (c // 12) * 1.5
        cities.append(
            City.objects.create(
                region=region, code=f"{100000 + c}", name=f"城市{c:03d}", lat=lat, lon=lon
            )
        )
    for o in range(outlets):
        city = cities[o % n_cities]
        out.append(Outlet(code=f"OT{o:04d}", name=f"网点{o:04d}", region=city.region, city=city,
                          lat=city.lat + 0.01 * (o % 7), lon=city.lon, open_24h=o % 4 == 0))  # fmt: skip
    Outlet.objects.bulk_create(out)
    out = list(Outlet.objects.order_by("pk"))
    for i, city in enumerate(cities):
        bases.append(RescueBase(code=f"B{i:03d}", name=f"基地{i:03d}", region=city.region, city=city,
                                lat=city.lat, lon=city.lon, open_24h=i % 5 != 0))  # fmt: skip
    RescueBase.objects.bulk_create(bases)
    bases = list(RescueBase.objects.order_by("pk"))
    for i in range(len(bases) * 10):
        base = bases[i % len(bases)]
        units.append(RescueUnit(code=f"U{i:04d}", plate=f"浙A{i:05d}", kind="tow_truck", base=base,
                                capabilities=["towing"]))  # fmt: skip
    RescueUnit.objects.bulk_create(units)
    units = list(RescueUnit.objects.select_related("base").order_by("pk"))
    staff = [Staff(employee_no=f"E{i:05d}", name=f"员工{i}", phone="13800000000", role="technician",
                   region=u.base.region, base=u.base, unit=u) for i, u in enumerate(units)]  # fmt: skip
    Staff.objects.bulk_create(staff)
    staff = list(Staff.objects.order_by("pk"))
    Certification.objects.bulk_create(
        Certification(
            staff=s,
            skill="towing",
            issued_on=dt.date(2023, 1, 1),
            expires_on=dt.date(2030, 1, 1) if i % 10 else dt.date(2025, 6, 30),
        )  # fmt: skip
        for i, s in enumerate(staff)
    )
    customers = [Customer(name=f"客户{i}", phone=f"139{i:08d}", region=regions[i % 10],
                          created_at=dt.datetime(2024, 1, 1, tzinfo=TZ)) for i in range(2000)]  # fmt: skip
    Customer.objects.bulk_create(customers)
    customers = list(Customer.objects.order_by("pk"))
    vehicles = [Vehicle(vin=f"LBENCH{i:011d}", brand="安心", model=MODELS[i % len(MODELS)],
                        powertrain="bev", region=c.region, owner=c) for i, c in enumerate(customers)]  # fmt: skip
    Vehicle.objects.bulk_create(vehicles)
    vehicles = list(Vehicle.objects.order_by("pk"))
    return {
        "regions": regions,
        "cities": cities,
        "outlets": out,
        "units": units,
        "vehicles": vehicles,
    }


def gen_jobs(
    net: dict[str, Any], n: int, start: dt.datetime, days: int, rng: random.Random
) -> list[dict[str, Any]]:
    """Rescue jobs spread uniformly over the period; a slow minority of units and cities."""
    units = net["units"]
    jobs = []
    step = days * 86400 / max(1, n)
    for i in range(n):
        created = start + dt.timedelta(seconds=i * step + rng.random() * step)
        unit = units[rng.randrange(len(units))]
        slow = 1.6 if unit.pk % 17 == 0 else 1.0
        arrived = rng.random() < 0.93
        minutes = rng.lognormvariate(2.55, 0.45) * slow
        jobs.append({
            "created": created, "unit": unit, "region_id": unit.base.region_id, "city_id": unit.base.city_id,
            "fault": FAULTS[rng.randrange(len(FAULTS))], "priority": "emergency" if rng.random() < 0.3 else "routine",
            "area": "remote" if rng.random() < 0.15 else "urban",
            "vehicle": net["vehicles"][rng.randrange(len(net["vehicles"]))],
            "dispatched": created + dt.timedelta(minutes=min(minutes * 0.2, 5)),
            "arrived": created + dt.timedelta(minutes=minutes) if arrived else None,
        })  # fmt: skip
    return jobs


def insert_jobs(jobs: list[dict[str, Any]], first_pk: int) -> list[int]:
    from anxin.rescue.models import JobTransition, RescueJob

    ji, ti = Inserter(RescueJob), Inserter(JobTransition)
    rows, trans, ids = [], [], []
    for k, j in enumerate(jobs):
        pk = first_pk + k
        ids.append(pk)
        state = "completed" if j["arrived"] else "cancelled"
        rows.append({
            "id": pk, "number": f"RS{pk:09d}", "state": state, "priority": j["priority"], "area": j["area"],
            "fault": j["fault"], "lat": 30.0, "lon": 120.0, "region_id": j["region_id"], "city_id": j["city_id"],
            "vehicle_id": j["vehicle"].pk, "caller_phone": "13800000000",
            "unit_id": j["unit"].pk if j["arrived"] else None, "created_at": utc(j["created"]),
            "tracking_token": f"bench-{pk}",
        })  # fmt: skip
        trans.append(
            {
                "job_id": pk,
                "from_state": "",
                "to_state": "created",
                "at": utc(j["created"]),
                "data": "{}",
            }
        )
        trans.append({"job_id": pk, "from_state": "checked", "to_state": "dispatched", "at": utc(j["dispatched"]),
                      "data": json.dumps({"unit": j["unit"].code})})  # fmt: skip
        if j["arrived"]:
            trans.append(
                {
                    "job_id": pk,
                    "from_state": "en_route",
                    "to_state": "arrived",
                    "at": utc(j["arrived"]),
                    "data": "{}",
                }
            )
    ji.insert(rows)
    ti.insert(trans)
    return ids


def gen_orders(
    net: dict[str, Any], n: int, start: dt.datetime, days: int, rng: random.Random
) -> list[dict[str, Any]]:
    outlets = net["outlets"]
    orders = []
    step = days * 86400 / max(1, n)
    for i in range(n):
        received = start + dt.timedelta(seconds=i * step + rng.random() * step)
        outlet = outlets[rng.randrange(len(outlets))]
        system = SYSTEMS[rng.randrange(len(SYSTEMS))]
        bad = 3.0 if (outlet.pk % 23 == 0 and system == "hv_battery") else 1.0
        std = rng.choice([1, 1.5, 2, 3, 4])
        actual = round(std * rng.lognormvariate(0, 0.15), 2)
        orders.append({
            "received": received, "delivered": received + dt.timedelta(hours=rng.uniform(2, 30)),
            "outlet": outlet, "system": system, "rework": rng.random() < 0.03 * bad,
            "vehicle": net["vehicles"][rng.randrange(len(net["vehicles"]))], "std": std, "actual": actual,
        })  # fmt: skip
    return orders


def insert_orders(orders: list[dict[str, Any]], first_pk: int, op_id: int) -> list[int]:
    from anxin.workshop.models import LabourLine, WorkOrder

    wi, li = Inserter(WorkOrder), Inserter(LabourLine)
    rows, lines, ids = [], [], []
    for k, o in enumerate(orders):
        pk = first_pk + k
        ids.append(pk)
        v = o["vehicle"]
        rows.append({
            "id": pk, "number": f"WO{pk:09d}", "state": "settled", "customer_id": v.owner_id, "vehicle_id": v.pk,
            "outlet_id": o["outlet"].pk, "region_id": o["outlet"].region_id, "job_type": "fault_repair",
            "systems": json.dumps([o["system"]]), "received_at": utc(o["received"]),
            "work_finished_at": utc(o["delivered"] - dt.timedelta(hours=1)), "delivered_at": utc(o["delivered"]),
            # A rework points at the chain's first job; the bench points every one at order 1.
            "rework_of_id": 1 if (o["rework"] and pk != 1) else None,
            "rework_system": o["system"] if o["rework"] and pk != 1 else "",
            "quote_token": f"q{pk}", "verification_code": f"V{pk}",
        })  # fmt: skip
        lines.append({
            "work_order_id": pk, "operation_id": op_id, "standard_hours": str(o["std"]),
            "actual_hours": f"{o['actual']:.2f}", "unit_price": "100", "amount": "100",
            "added_at": utc(o["received"]), "discount_pct": "0",
        })  # fmt: skip
    wi.insert(rows)
    li.insert(lines)
    return ids


def insert_checks(units: list[Any], start: dt.date, days: int, rng: random.Random) -> list[int]:
    from anxin.network.models import UnitDailyCheck

    ci = Inserter(UnitDailyCheck)
    rows = []
    for d in range(days):
        day = start + dt.timedelta(days=d)
        for u in units:
            rows.append({"unit_id": u.pk, "day": day.isoformat(), "passed": rng.random() > 0.04,
                         "items": "{}", "checked_at": utc(dt.datetime.combine(day, dt.time(7), TZ))})  # fmt: skip
    for k in range(0, len(rows), 50_000):
        ci.insert(rows[k : k + 50_000])
    return list(UnitDailyCheck.objects.order_by("pk").values_list("pk", flat=True))


def refresh_batched(source: str, ids: list[int], batch: int) -> float:
    from django.db import transaction

    from anxin.quality import rollup

    t0 = time.perf_counter()
    for k in range(0, len(ids), batch):
        with transaction.atomic():
            rollup.refresh(source, ids[k : k + batch])
    return time.perf_counter() - t0


def refresh_single(source: str, ids: list[int]) -> float:
    from django.db import transaction

    from anxin.quality import rollup

    t0 = time.perf_counter()
    for pk in ids:
        with transaction.atomic():
            rollup.refresh(source, [pk])
    return time.perf_counter() - t0


def median_time(fn: Any, repeats: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


# --- DuckDB reference --------------------------------------------------------------------
def duck_load(jobs_csv: Path, wo_csv: Path, ck_csv: Path) -> Any:
    import duckdb

    con = duckdb.connect()
    con.execute(f"CREATE TABLE jobs AS SELECT * FROM read_csv('{jobs_csv}', header=true, "  # noqa: S608 (table names from the code, values bound)
                "columns={'id':'BIGINT','created':'TIMESTAMP','arrived':'TIMESTAMP','region':'INTEGER',"
                "'city':'INTEGER','unit':'INTEGER','fault':'VARCHAR','model':'VARCHAR','priority':'VARCHAR',"
                "'area':'VARCHAR'})")  # fmt: skip
    con.execute(f"CREATE TABLE wo AS SELECT * FROM read_csv('{wo_csv}', header=true, "  # noqa: S608 (table names from the code, values bound)
                "columns={'id':'BIGINT','delivered':'TIMESTAMP','region':'INTEGER','city':'INTEGER',"
                "'outlet':'INTEGER','fault':'VARCHAR','model':'VARCHAR','rework':'BOOLEAN',"
                "'std':'DOUBLE','actual':'DOUBLE'})")  # fmt: skip
    con.execute(
        f"CREATE TABLE ck AS SELECT * FROM read_csv('{ck_csv}', header=true, "  # noqa: S608 (table names from the code, values bound)
        "columns={'day':'DATE','region':'INTEGER','unit':'INTEGER','passed':'BOOLEAN'})"
    )
    return con


DUCK_DASHBOARD = """
WITH j AS (
  SELECT date_diff('millisecond', created, arrived) AS ms, priority, area FROM jobs
  WHERE region = $region AND created >= $lo AND created < $hi AND arrived IS NOT NULL
), w AS (SELECT rework, std, actual FROM wo WHERE region = $region AND delivered >= $lo AND delivered < $hi)
SELECT
  (SELECT avg(ms) / 60000 FROM j),
  (SELECT quantile_disc(ms, 0.5) / 60000 FROM j),
  (SELECT quantile_disc(ms, 0.9) / 60000 FROM j),
  (SELECT 100 * avg((ms <= 900000)::INT) FROM j),
  (SELECT 100 * avg((ms <= CASE WHEN area = 'remote' THEN 3000000 ELSE 1800000 END)::INT) FROM j WHERE priority = 'emergency'),
  (SELECT 100 * avg((ms <= 7200000)::INT) FROM j WHERE priority = 'routine'),
  (SELECT 100 * avg(passed::INT) FROM ck WHERE region = $region AND day >= $lo::DATE AND day < $hi::DATE),
  (SELECT 100 * avg((actual <= 1.2 * std)::INT) FROM w),
  (SELECT 100 * avg(rework::INT) FROM w)
"""

DUCK_REPORT = (
    [
        # network and per-region figures, this month and the one before
        """SELECT region, created >= $lo AS this_month, avg(date_diff('millisecond', created, arrived)),
              quantile_disc(date_diff('millisecond', created, arrived), 0.9),
              avg((date_diff('millisecond', created, arrived) <= 900000)::INT)
       FROM jobs WHERE created >= $plo AND created < $hi AND arrived IS NOT NULL GROUP BY ALL""",
        """SELECT region, delivered >= $lo, avg(rework::INT), avg((actual <= 1.2 * std)::INT)
       FROM wo WHERE delivered >= $plo AND delivered < $hi GROUP BY ALL""",
        """SELECT region, avg(passed::INT) FROM ck WHERE day >= $plo::DATE AND day < $hi::DATE GROUP BY ALL""",
    ]
    + [
        f"""SELECT {col}, count(*), sum((date_diff('millisecond', created, arrived) > 900000)::INT)
        FROM jobs WHERE created >= $lo AND created < $hi AND arrived IS NOT NULL GROUP BY {col}"""  # noqa: S608
        for col in ("region", "city", "unit", "model", "fault")
    ]
    + [
        f"""SELECT {col}, count(*), sum(rework::INT) FROM wo WHERE delivered >= $lo AND delivered < $hi GROUP BY {col}"""  # noqa: S608
        for col in ("region", "city", "outlet", "model", "fault")
    ]
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--outlets", type=int, default=300)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--db", type=Path, default=Path(tempfile.gettempdir()) / "anxin-kpi-bench.sqlite3"
    )
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    timings: dict[str, float] = {}

    t0 = time.perf_counter()
    setup(args.db, fresh=True)
    from django.db import transaction

    from anxin.quality import report, rollup
    from anxin.quality.catalog import DASHBOARD
    from anxin.workshop.models import LabourOperation

    timings["migrate_s"] = time.perf_counter() - t0
    days = args.months * 30
    start = dt.datetime(2026, 11, 1, tzinfo=TZ) - dt.timedelta(days=days)
    t0 = time.perf_counter()
    with transaction.atomic():
        net = build_network(rng, args.outlets)
        op = LabourOperation.objects.create(code="BENCH", name="工时", system="general",
                                            standard_hours=1, national_price=100)  # fmt: skip
    jobs = gen_jobs(net, args.jobs, start, days, rng)
    orders = gen_orders(net, args.orders, start, days, rng)
    chunk = 100_000
    job_ids: list[int] = []
    order_ids: list[int] = []
    for k in range(0, len(jobs), chunk):
        with transaction.atomic():
            job_ids += insert_jobs(jobs[k : k + chunk], 1 + k)
    for k in range(0, len(orders), chunk):
        with transaction.atomic():
            order_ids += insert_orders(orders[k : k + chunk], 1 + k, op.pk)
    with transaction.atomic():
        check_ids = insert_checks(net["units"], start.date(), days, rng)
    timings["generate_rows_s"] = time.perf_counter() - t0
    print(f"rows: {len(job_ids)} jobs, {len(order_ids)} work orders, {len(check_ids)} daily checks "
          f"({timings['generate_rows_s']:.0f} s)", file=sys.stderr)  # fmt: skip

    # Incremental rollups through the updater's own code path.
    tail = min(2000, len(job_ids) // 10)
    t_jobs = refresh_batched("rescue", job_ids[: len(job_ids) - tail], args.batch)
    t_orders = refresh_batched("workorder", order_ids, args.batch)
    t_checks = refresh_batched("unitcheck", check_ids, args.batch * 5)
    with transaction.atomic():  # as in the job's own transaction: each refresh is a savepoint
        t_single = refresh_single("rescue", job_ids[len(job_ids) - tail :])
    events = len(job_ids) - tail + len(order_ids)
    figures: dict[str, Any] = {
        "rescue_jobs": len(job_ids), "work_orders": len(order_ids), "daily_checks": len(check_ids),
        "outlets": args.outlets, "months": args.months,
        "incremental_batched_events_per_s": round(events / (t_jobs + t_orders), 1),
        "incremental_rescue_batched_per_s": round((len(job_ids) - tail) / t_jobs, 1),
        "incremental_workorder_batched_per_s": round(len(order_ids) / t_orders, 1),
        "incremental_single_event_per_s": round(tail / t_single, 1) if tail else None,
        "daily_checks_per_s": round(len(check_ids) / t_checks, 1),
    }  # fmt: skip
    print(f"rollups filled: {figures}", file=sys.stderr)

    # Dashboard figures for one region and month.
    month = "2026-10"
    lo, hi = dt.date(2026, 10, 1), dt.date(2026, 10, 31)
    region = net["regions"][3]
    rollup.figures(DASHBOARD, "region", str(region.pk), lo, hi)  # warm the connection
    dash_s, figs = median_time(
        lambda: rollup.figures(DASHBOARD, "region", str(region.pk), lo, hi), args.repeats
    )
    figures["dashboard_region_month_ms"] = round(dash_s * 1000, 2)
    rep_s, rep = median_time(lambda: report.monthly_data(month, today=dt.date(2026, 11, 3)), 3)
    figures["monthly_report_data_s"] = round(rep_s, 3)
    figures["monthly_report_sections"] = len(rep.sections)

    # The reference: DuckDB straight from the raw rows.
    tmp = Path(tempfile.mkdtemp(prefix="anxin-kpi-duck-"))
    jobs_csv, wo_csv, ck_csv = tmp / "jobs.csv", tmp / "wo.csv", tmp / "ck.csv"
    local = lambda at: at.astimezone(TZ).strftime("%Y-%m-%d %H:%M:%S.%f")  # noqa: E731
    with jobs_csv.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "id",
                "created",
                "arrived",
                "region",
                "city",
                "unit",
                "fault",
                "model",
                "priority",
                "area",
            ]
        )
        for pk, j in zip(job_ids, jobs, strict=True):
            w.writerow([pk, local(j["created"]), local(j["arrived"]) if j["arrived"] else "", j["region_id"],
                        j["city_id"], j["unit"].pk, j["fault"], j["vehicle"].model, j["priority"], j["area"]])  # fmt: skip
    with wo_csv.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "id",
                "delivered",
                "region",
                "city",
                "outlet",
                "fault",
                "model",
                "rework",
                "std",
                "actual",
            ]
        )
        for pk, o in zip(order_ids, orders, strict=True):
            rework = bool(o["rework"] and pk != 1)
            w.writerow([pk, local(o["delivered"]), o["outlet"].region_id, o["outlet"].city_id, o["outlet"].pk,
                        o["system"], o["vehicle"].model, rework, o["std"], o["actual"]])  # fmt: skip
    from anxin.network.models import UnitDailyCheck

    with ck_csv.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["day", "region", "unit", "passed"])
        for day, reg, unit, passed in UnitDailyCheck.objects.values_list(
            "day", "unit__base__region_id", "unit_id", "passed"
        ).iterator(chunk_size=20000):
            w.writerow([day.isoformat(), reg, unit, passed])
    con = duck_load(jobs_csv, wo_csv, ck_csv)
    params = {"region": region.pk, "lo": "2026-10-01 00:00:00", "hi": "2026-11-01 00:00:00"}
    con.execute(DUCK_DASHBOARD, params).fetchall()
    duck_s, duck_row = median_time(
        lambda: con.execute(DUCK_DASHBOARD, params).fetchall()[0], args.repeats
    )
    rparams = {
        "lo": "2026-10-01 00:00:00",
        "hi": "2026-11-01 00:00:00",
        "plo": "2026-09-01 00:00:00",
    }

    def duck_report() -> None:
        for sql in DUCK_REPORT:
            con.execute(sql, {k: v for k, v in rparams.items() if f"${k}" in sql}).fetchall()

    duck_rep_s, _ = median_time(duck_report, 3)
    reference = {
        "duckdb_dashboard_region_month_ms": round(duck_s * 1000, 2),
        "duckdb_report_core_s": round(duck_rep_s, 3),
        "duckdb_response_mean_min": round(duck_row[0], 4) if duck_row[0] is not None else None,
        "ours_response_mean_min": round(figs["rescue_response_mean"].value, 4),
        "duckdb_p90_min": duck_row[2],
        "ours_p90_min": round(figs["rescue_response_p90"].value, 4),
        "duckdb_within_15_pct": round(duck_row[3], 4),
        "ours_within_15_pct": round(figs["rescue_within_15"].value, 4),
        "duckdb_rework_pct": round(duck_row[8], 4) if duck_row[8] is not None else None,
        "ours_rework_pct": round(figs["rework_rate"].value, 4) if figs["rework_rate"].value is not None else None,
    }  # fmt: skip
    figures["dashboard_vs_duckdb_ratio"] = round(dash_s / duck_s, 3)
    figures.update({k: round(v, 1) for k, v in timings.items()})
    met = {
        "dashboard_region_month_ms": figures["dashboard_region_month_ms"] < TARGETS["dashboard_region_month_ms"],
        "monthly_report_data_s": figures["monthly_report_data_s"] < TARGETS["monthly_report_data_s"],
        "dashboard_vs_duckdb_ratio_max": figures["dashboard_vs_duckdb_ratio"] <= TARGETS["dashboard_vs_duckdb_ratio_max"],
        "incremental_events_per_s_min": figures["incremental_batched_events_per_s"] >= TARGETS["incremental_events_per_s_min"],
    }  # fmt: skip
    print(json.dumps({"figures": figures, "reference": reference, "targets": TARGETS,
                      "targets_met": all(met.values()), "met": met}, ensure_ascii=False))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
