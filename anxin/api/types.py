"""Types shared by the API schemas, so the OpenAPI document states the real limits."""

import datetime as dt
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer

from anxin.core.validators import CHINA_BOUNDS

# Row ids fit SQLite's and PostgreSQL's 64-bit integers; a larger id is a 422, not a 500.
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


def _coordinate(axis: str, world: tuple[float, float]) -> Any:
    lo, hi = CHINA_BOUNDS[axis]
    name = "latitude" if axis == "lat" else "longitude"

    def check(value: Any) -> Any:
        # Runs before the numeric bounds so the message says what is wrong in words.
        try:
            number = float(value)
        except (TypeError, ValueError):
            return value
        if not world[0] <= number <= world[1]:
            raise ValueError(f"{name} must be between {world[0]:g} and {world[1]:g}")
        if not lo <= number <= hi:
            raise ValueError(f"{name} {number:g} is outside China ({lo} to {hi})")
        return value

    return check


Latitude = Annotated[
    float,
    BeforeValidator(_coordinate("lat", (-90, 90))),
    Field(
        ge=CHINA_BOUNDS["lat"][0],
        le=CHINA_BOUNDS["lat"][1],
        description="WGS-84 latitude, within China",
    ),
]
Longitude = Annotated[
    float,
    BeforeValidator(_coordinate("lon", (-180, 180))),
    Field(
        ge=CHINA_BOUNDS["lon"][0],
        le=CHINA_BOUNDS["lon"][1],
        description="WGS-84 longitude, within China",
    ),
]

# Wall-clock times of day as "HH:MM" (JSON Schema's `time` format demands an offset).
ClockTime = Annotated[
    Any,
    PlainSerializer(lambda t: t.strftime("%H:%M") if t is not None else None, return_type=str),
    Field(json_schema_extra={"type": "string", "pattern": r"^\d{2}:\d{2}$"}),
]


def _iso_text(value: Any) -> Any:
    # JSON has no time type: a number here is a broken client, not an epoch to guess at.
    if not isinstance(value, str | dt.datetime):
        raise ValueError(
            "give the time as ISO 8601 text with its offset, e.g. 2026-11-23T10:00:00+08:00"
        )
    return value


def _real_offset(value: dt.datetime) -> dt.datetime:
    # Offsets on Earth lie within ±14 h; PostgreSQL refuses anything beyond ±16 h with a 500.
    offset = value.utcoffset()
    if offset is not None and abs(offset) > dt.timedelta(hours=14):
        raise ValueError("the time-zone offset must lie between -14:00 and +14:00")
    return value


IsoDateTime = Annotated[dt.datetime, BeforeValidator(_iso_text), AfterValidator(_real_offset)]
