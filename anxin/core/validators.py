"""Validators for the field's identifiers, shared by models, forms, imports and the API."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# ISO 3779 / GB 16735: I, O and Q never appear; position 9 is a check digit in China.
_VIN_VALUES = {
    **{str(d): d for d in range(10)},
    "A": 1,
    "B": 2,
    "C": 3,
    "D": 4,
    "E": 5,
    "F": 6,
    "G": 7,
    "H": 8,
    "J": 1,
    "K": 2,
    "L": 3,
    "M": 4,
    "N": 5,
    "P": 7,
    "R": 9,
    "S": 2,
    "T": 3,
    "U": 4,
    "V": 5,
    "W": 6,
    "X": 7,
    "Y": 8,
    "Z": 9,
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_VIN_RE = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")


def vin_check_digit(vin: str) -> str:
    total = sum(_VIN_VALUES[c] * w for c, w in zip(vin, _VIN_WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def normalise_vin(value: str) -> str:
    return (value or "").strip().upper().replace(" ", "")


def validate_vin(value: str) -> None:
    vin = normalise_vin(value)
    if len(vin) != 17:
        raise ValidationError(
            _("A VIN has 17 characters; this one has %(n)d."),
            code="vin_length",
            params={"n": len(vin)},
        )
    if not _VIN_RE.match(vin):
        raise ValidationError(
            _("A VIN uses only digits and capital letters other than I, O and Q."), code="vin_chars"
        )
    expected = vin_check_digit(vin)
    if vin[8] != expected:
        raise ValidationError(
            _("VIN check digit (9th character) is %(got)s but should be %(want)s."),
            code="vin_check",
            params={"got": vin[8], "want": expected},
        )


def make_vin(prefix: str, serial6: str) -> str:
    """A valid VIN from positions 1-8 and 10-11 (10 characters) or 1-11 (11, the 9th replaced)
    and a 6-character serial: the check digit is computed. Used by the demo and tests."""
    if len(prefix) == 11:
        prefix = prefix[:8] + prefix[9:]
    if len(prefix) != 10 or len(serial6) != 6:
        raise ValueError("make_vin needs a 10- or 11-character prefix and a 6-character serial")
    body = prefix[:8] + "0" + prefix[8:10] + serial6
    return body[:8] + vin_check_digit(body) + body[9:]


_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
_SERVICE_RE = re.compile(r"^(?:400|800)-?\d{3}-?\d{4}$|^\d{3,5}$")  # 400 hotlines, 12122, 122


def normalise_phone(value: str) -> str:
    phone = (value or "").strip().replace(" ", "")
    if phone.startswith("+86"):
        phone = phone[3:]
    return phone


def validate_phone(value: str) -> None:
    phone = normalise_phone(value)
    if not (_MOBILE_RE.match(phone) or _LANDLINE_RE.match(phone) or _SERVICE_RE.match(phone)):
        raise ValidationError(
            _(
                "“%(value)s” is not a phone number: use 11 digits for a mobile (13812345678) or an area code and number (0571-87654321)."
            ),
            code="phone",
            params={"value": value},
        )


# A generous box around the mainland, Hainan and the South China Sea coast: a coordinate
# outside it is almost always swapped lat/lon or a typo, not a rescue in China.
CHINA_BOUNDS = {"lat": (3.5, 54.0), "lon": (73.0, 135.5)}


def validate_latitude(value: float) -> None:
    if value is None or not (-90.0 <= float(value) <= 90.0):
        raise ValidationError(_("Latitude must be between -90 and 90."), code="lat_range")
    lo, hi = CHINA_BOUNDS["lat"]
    if not lo <= float(value) <= hi:
        raise ValidationError(
            _("Latitude %(v)s is outside China (%(lo)s to %(hi)s)."),
            code="lat_china",
            params={"v": value, "lo": lo, "hi": hi},
        )


def validate_longitude(value: float) -> None:
    if value is None or not (-180.0 <= float(value) <= 180.0):
        raise ValidationError(_("Longitude must be between -180 and 180."), code="lon_range")
    lo, hi = CHINA_BOUNDS["lon"]
    if not lo <= float(value) <= hi:
        raise ValidationError(
            _("Longitude %(v)s is outside China (%(lo)s to %(hi)s)."),
            code="lon_china",
            params={"v": value, "lo": lo, "hi": hi},
        )


_PLATE_RE = re.compile(
    r"^[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领][A-HJ-NP-Z][A-HJ-NP-Z0-9]{4,5}[A-HJ-NP-Z0-9挂学警港澳]$"
)


def validate_plate(value: str) -> None:
    if value and not _PLATE_RE.match(value.strip().upper()):
        raise ValidationError(
            _("“%(value)s” is not a Chinese licence plate (e.g. 浙A12345 or 浙AD12345)."),
            code="plate",
            params={"value": value},
        )
