"""Indicators of the network's state on a day rather than of records that happen.

24-hour coverage and certification coverage describe the network and its people as they are;
they are small (cities, crews), so they are computed when asked rather than rolled up.
Certification coverage is exact for any past day (certificates carry their dates); coverage
reads the network as it is now, since bases and units keep no dated history.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q

from .catalog import Indicator


def _figure(ind: Indicator, num: int, n: int, note: str = "") -> Any:
    from .rollup import Figure

    value = 100.0 * num / n if n else None
    return Figure(ind, value, n, num, note=note)


def covered_cities(city_ids: set[int] | None = None) -> tuple[set[int], set[int]]:
    """(all cities in scope, those with 24-hour rescue)."""
    from anxin.network.models import City, Outlet, RescueUnit

    cities = City.objects.all()
    if city_ids is not None:
        cities = cities.filter(pk__in=city_ids)
    all_ids = set(cities.values_list("pk", flat=True))
    with_units = set(
        RescueUnit.objects.filter(active=True, base__open_24h=True, base__city_id__in=all_ids)
        .values_list("base__city_id", flat=True)
        .distinct()
    )
    with_outlets = set(
        Outlet.objects.filter(active=True, open_24h=True, city_id__in=all_ids)
        .values_list("city_id", flat=True)
        .distinct()
    )
    return all_ids, (with_units | with_outlets) & all_ids


def coverage(scope: str, key: str) -> tuple[int, int] | None:
    from anxin.network.models import City

    if scope == "network":
        ids = None
    elif scope == "region":
        ids = set(City.objects.filter(region_id=key).values_list("pk", flat=True))
    elif scope == "city":
        ids = {int(key)}
    else:
        return None
    all_ids, covered = covered_cities(ids)
    return len(covered), len(all_ids)


def crew_query(scope: str, key: str) -> Any:
    from anxin.accounts.roles import Role
    from anxin.people.models import Staff

    crews = Staff.objects.filter(active=True, role=Role.TECHNICIAN).filter(
        Q(unit__isnull=False) | Q(base__isnull=False)
    )
    if scope == "network":
        return crews
    if scope == "region":
        return crews.filter(region_id=key)
    if scope == "city":
        return crews.filter(Q(base__city_id=key) | Q(unit__base__city_id=key))
    if scope == "unit":
        return crews.filter(unit_id=key)
    if scope == "staff":
        return crews.filter(pk=key)
    return None


def certified(scope: str, key: str, day: dt.date) -> tuple[int, int] | None:
    """Crew holding a valid towing certificate (and HV where their unit carries an HV kit)."""
    from anxin.people.models import Certification, Skill

    crews = crew_query(scope, key)
    if crews is None:
        return None
    people = list(crews.values_list("pk", "unit__capabilities"))
    valid = Certification.objects.filter(
        staff_id__in=[p for p, _c in people], issued_on__lte=day, expires_on__gte=day
    ).values_list("staff_id", "skill")
    held: dict[int, set[str]] = {}
    for staff_id, skill in valid:
        held.setdefault(staff_id, set()).add(skill)
    ok = 0
    for pk, caps in people:
        needs = {Skill.TOWING}
        if "ev_hv_kit" in (caps or []):
            needs.add(Skill.EV_HV)
        if needs <= held.get(pk, set()):
            ok += 1
    return ok, len(people)


def figure(ind: Indicator, scope: str, key: str, day: dt.date) -> Any:
    if ind.code == "coverage_24h":
        counts = coverage(scope, key)
    elif ind.code == "certification_coverage":
        counts = certified(scope, key, day)
    else:
        counts = None
    if counts is None:
        return _figure(ind, 0, 0, note="not kept at this scope")
    return _figure(ind, counts[0], counts[1])


def uncertified(scope: str, key: str, day: dt.date) -> list[int]:
    """The staff behind a certification-coverage gap (drill-down)."""
    from anxin.people.models import Certification, Skill

    crews = crew_query(scope, key)
    if crews is None:
        return []
    people = list(crews.values_list("pk", "unit__capabilities"))
    held: dict[int, set[str]] = {}
    for staff_id, skill in Certification.objects.filter(
        staff_id__in=[p for p, _ in people], issued_on__lte=day, expires_on__gte=day
    ).values_list("staff_id", "skill"):
        held.setdefault(staff_id, set()).add(skill)
    out = []
    for pk, caps in people:
        needs = {Skill.TOWING} | ({Skill.EV_HV} if "ev_hv_kit" in (caps or []) else set())
        if not needs <= held.get(pk, set()):
            out.append(pk)
    return out
