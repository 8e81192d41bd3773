"""Demo customers: fleets with designated-repair contracts, private owners, consents, vehicles."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from anxin.customers.models import (
    Consent,
    Customer,
    CustomerTier,
    FleetCustomer,
    RepairContract,
    Vehicle,
)

from . import catalog
from .catalog import unique
from .context import HISTORY_DAYS, Demo, log_created, persist

CUSTOMERS = 2000
VEHICLES = 2000
# Private customers without a car of their own (callers who borrowed one, owners who sold).
CARLESS = 150


def build_fleets(demo: Demo) -> None:
    """Government and enterprise fleets, each with a contract naming its designated outlets."""
    rng = demo.rng
    fleets = []
    for spec in catalog.FLEETS:
        city = demo.cities[spec.city]
        fleets.append(
            FleetCustomer(
                name=spec.name,
                kind=spec.kind,
                region=city.region,
                contact_name=catalog.person_name(rng),
                contact_phone=unique(lambda: catalog.mobile(rng), demo.phones),
            )
        )
    demo.fleets = persist(demo, fleets)

    contracts = []
    for n, (spec, fleet) in enumerate(zip(catalog.FLEETS, demo.fleets, strict=True), start=1):
        valid_from = demo.days_ago(30, 600)
        contracts.append(
            RepairContract(
                fleet=fleet,
                number=f"AX-DX-{valid_from.year}-{n:03d}",
                valid_from=valid_from,
                # Two-year contracts signed at most 600 days ago: all in force today.
                valid_until=add_years(valid_from, 2) - dt.timedelta(days=1),
                labour_discount_pct=Decimal(spec.labour_discount),
                parts_discount_pct=Decimal(spec.parts_discount),
                payment_terms_days=rng.choice((30, 45, 60)),
                terms="定点维修：工时与配件按全国统一价执行折扣；维修完工后出具电子工单；"
                "救援车辆优先送指定网点。",
            )
        )
    for contract, spec in zip(persist(demo, contracts), catalog.FLEETS, strict=True):
        # A handful of contracts: the m2m signal logs each set of outlets as an update.
        contract.outlets.set([demo.outlets[code] for code in spec.outlets])


def build_customers(demo: Demo) -> None:
    """2,000 customers registered over the demo's history: fleet drivers, then private owners."""
    rng = demo.rng
    rows: list[tuple[Customer, dt.datetime]] = []
    for spec, fleet in zip(catalog.FLEETS, demo.fleets, strict=True):
        for _ in range(spec.drivers):
            # Fleets were onboarded in the platform's first two weeks.
            created = demo.past_moment(14) - dt.timedelta(days=HISTORY_DAYS - 14)
            rows.append(
                (
                    Customer(
                        name=catalog.person_name(rng),
                        phone=unique(lambda: catalog.mobile(rng), demo.phones),
                        tier=CustomerTier.FLEET,
                        region=fleet.region,
                        city=demo.cities[spec.city],
                        fleet=fleet,
                    ),
                    created,
                )
            )
    cities = [code for code, _ in catalog.CUSTOMER_CITIES]
    weights = [share for _, share in catalog.CUSTOMER_CITIES]
    tiers = [CustomerTier.VIP] * 5 + [CustomerTier.KEY] * 15 + [CustomerTier.REGULAR] * 80
    while len(rows) < CUSTOMERS:
        city = demo.cities[rng.choices(cities, weights)[0]]
        rows.append(
            (
                Customer(
                    name=catalog.person_name(rng),
                    phone=unique(lambda: catalog.mobile(rng), demo.phones),
                    tier=rng.choice(tiers),
                    region=city.region,
                    city=city,
                ),
                demo.past_moment(HISTORY_DAYS),
            )
        )
    # Ids follow registration order, as they would have in production.
    rows.sort(key=lambda row: row[1])
    customers = [customer for customer, _ in rows]
    for customer, created in rows:
        customer.created_at = created
    # ``created_at`` is auto_now_add, which bulk_create overwrites with the clock: the rows are
    # inserted and their historical registration time is written straight back.
    Customer.objects.bulk_create(customers, batch_size=500)
    for customer, created in rows:
        customer.created_at = created
    Customer.objects.bulk_update(customers, ["created_at"], batch_size=500)
    log_created(customers)
    demo.counts[Customer._meta.label_lower] += len(customers)
    demo.customers = customers


def build_consents(demo: Demo) -> None:
    """What each customer agreed to when registering; a few later withdrawals (PIPL)."""
    rng = demo.rng
    P = Consent.Purpose
    shares = {P.SERVICE_CONTACT: 1.0, P.LOCATION: 0.9, P.SURVEY: 0.75, P.MARKETING: 0.3}
    consents: list[Consent] = []
    for customer in demo.customers:
        channel = rng.choice(catalog.CONSENT_CHANNELS)
        at = customer.created_at + dt.timedelta(seconds=rng.randint(5, 300))
        at = min(at, demo.as_of)
        granted = {}
        for purpose, share in shares.items():
            granted[purpose] = rng.random() < share
            consents.append(
                Consent(
                    customer=customer,
                    purpose=purpose,
                    granted=granted[purpose],
                    channel=channel,
                    recorded_at=at,
                )
            )
        if rng.random() < 0.04:
            purpose = P.MARKETING if granted[P.MARKETING] else P.SURVEY
            if granted[purpose]:
                consents.append(
                    Consent(
                        customer=customer,
                        purpose=purpose,
                        granted=False,
                        channel="app",
                        recorded_at=demo.past_moment(HISTORY_DAYS, not_before=at),
                    )
                )
    consents.sort(key=lambda c: (c.recorded_at, c.customer.pk, c.purpose))
    persist(demo, consents)


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def build_vehicles(demo: Demo) -> None:
    """2,000 vehicles with valid VINs: one per fleet driver, the rest with private owners."""
    rng = demo.rng
    by_name = {car.model: car for car in catalog.CAR_MODELS}
    weights = [car.weight for car in catalog.CAR_MODELS]
    prefixes = {c["code"]: c["plate"] for c in catalog.places()["cities"]}
    fleet_kinds = {fleet.pk: fleet.kind for fleet in demo.fleets}
    drivers = [c for c in demo.customers if c.fleet_id]
    private = [c for c in demo.customers if not c.fleet_id]
    # Most private customers own one car; some own two and some none.
    carless = {c.pk for c in rng.sample(private, CARLESS)}
    owners = drivers + [c for c in private if c.pk not in carless]
    owners += [rng.choice(private) for _ in range(VEHICLES - len(owners))]
    vins: set[str] = set()
    vehicles = []
    for serial, owner in enumerate(owners, start=100001):
        kind = fleet_kinds.get(owner.fleet_id)
        if kind:
            car = by_name[rng.choice(catalog.FLEET_MODELS[kind])]
            sold = demo.days_ago(120, 4 * 365)
        else:
            car = rng.choices(catalog.CAR_MODELS, weights)[0]
            # One in twenty is a new car whose owner registered with the first service.
            sold = owner.created_at.date() if rng.random() < 0.05 else demo.days_ago(60, 6 * 365)
        model_year = sold.year + (1 if sold.month >= 10 and rng.random() < 0.5 else 0)
        years_used = (demo.today - sold).days / 365
        per_year = rng.randint(60000, 90000) if kind == "ride_hailing" else rng.randint(8000, 20000)
        vehicles.append(
            Vehicle(
                vin=unique(lambda c=car, y=model_year, s=serial: catalog.vin(rng, c, y, s), vins),
                plate=unique(
                    lambda c=car, o=owner: catalog.plate(rng, prefixes[o.city.code], c.nev_plate),
                    demo.plates,
                ),
                brand=car.brand,
                model=car.model,
                model_year=model_year,
                powertrain=car.powertrain,
                high_voltage=car.v800,
                owner=owner,
                fleet_id=owner.fleet_id,
                region=owner.region,
                sold_on=sold,
                warranty_until=add_years(sold, car.warranty_years),
                mileage_km=int(years_used * per_year) + rng.randint(0, 800),
            )
        )
    demo.vehicles = persist(demo, vehicles)
