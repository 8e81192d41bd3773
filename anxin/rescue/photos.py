"""Accept an on-site photo (RSC-3): check it is a real, reasonably sized image, read where and
when it was taken from EXIF, and re-encode it to a plain JPEG without any metadata.

The crew's phone writes the customer's position and the time into every photo; that is useful
evidence for the record (kept in the row) but personal data in a served file (stripped).
A hostile upload must be refused cheaply: the pixel count is read from the header before any
pixel is decoded, so a 50,000 × 50,000 PNG never allocates its 2.5 GB.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import io
import math
import re
import warnings
import zoneinfo
from dataclasses import dataclass
from html import escape
from typing import Any
from xml.etree import ElementTree

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageChops, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

register_heif_opener()

MAX_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 12_000
STORED_MAX_SIDE = 2_560
JPEG_QUALITY = 85
# Pillow's own bomb guard, lowered to our limit for the whole process: any other code path that
# opens an image (admin, imports) is then protected as well. Above twice this Pillow raises
# DecompressionBombError at open; between, it warns, which we turn into a refusal below.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
ALLOWED_FORMATS = ("JPEG", "PNG", "HEIF")
HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1")

# EXIF tags (numbers from the EXIF 2.32 standard).
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
DATETIME_ORIGINAL, OFFSET_TIME_ORIGINAL, DATETIME = 0x9003, 0x9011, 0x0132
GPS_LAT_REF, GPS_LAT, GPS_LON_REF, GPS_LON = 1, 2, 3, 4


@dataclass(frozen=True)
class ProcessedPhoto:
    """The re-encoded JPEG and what its EXIF said about time and place."""

    content: bytes
    width: int
    height: int
    taken_at: dt.datetime | None
    taken_lat: float | None
    taken_lon: float | None


def _refuse(message: str, code: str) -> ValidationError:
    # The code says which rule refused, whatever the language of the message.
    return ValidationError({"image": ValidationError(message, code=code)})


def sniff(head: bytes) -> str | None:
    """The image format the first bytes announce, or None: the name on the file is not trusted."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return "HEIF"
    return None


def _read_limited(upload: Any) -> bytes:
    """The upload's bytes, refusing early when the declared or real size is over the limit."""
    declared = getattr(upload, "size", None)
    if declared is not None and declared > MAX_BYTES:
        raise _refuse(_("The photo is larger than 15 MB."), "too_big")
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise _refuse(_("The photo is larger than 15 MB."), "too_big")
    return data


def _open_checked(data: bytes) -> Image.Image:
    """Open lazily (header only) and check the pixel count before anything is decoded."""
    kind = sniff(data[:16])
    if kind is None:
        raise _refuse(_("This file is not a JPEG, PNG or HEIC photo."), "not_an_image")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=[kind])
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _refuse(
                _("The photo has too many pixels (at most 40 megapixels)."), "too_many_pixels"
            ) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise _refuse(
                _("This file is not a readable JPEG, PNG or HEIC photo."), "not_an_image"
            ) from None
    width, height = image.size
    if width <= 0 or height <= 0:
        raise _refuse(_("This file is not a readable JPEG, PNG or HEIC photo."), "not_an_image")
    if width > MAX_SIDE or height > MAX_SIDE:
        raise _refuse(
            _("The photo is too large: each side must be at most 12,000 pixels."), "too_many_pixels"
        )
    if width * height > MAX_PIXELS:
        raise _refuse(
            _("The photo has too many pixels (at most 40 megapixels)."), "too_many_pixels"
        )
    return image


def _rational(value: Any) -> float:
    if isinstance(value, tuple) and len(value) == 2:  # (numerator, denominator)
        return float(value[0]) / float(value[1])
    return float(value)


def _degrees(dms: Any, ref: Any) -> float | None:
    try:
        d, m, s = (_rational(part) for part in dms)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    value = d + m / 60 + s / 3600
    ref = ref.decode("ascii", "ignore") if isinstance(ref, bytes) else str(ref or "")
    if ref.strip().upper() in ("S", "W"):
        value = -value
    return value


def read_gps(exif: Image.Exif) -> tuple[float | None, float | None]:
    """WGS-84 latitude and longitude from the GPS IFD (GPS receivers report WGS-84)."""
    gps = exif.get_ifd(GPS_IFD)
    if not gps or GPS_LAT not in gps or GPS_LON not in gps:
        return None, None
    lat = _degrees(gps[GPS_LAT], gps.get(GPS_LAT_REF))
    lon = _degrees(gps[GPS_LON], gps.get(GPS_LON_REF))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None, None
    if lat == 0 and lon == 0:
        return None, None  # a phone without a fix writes zeros, which is not a place
    return round(lat, 7), round(lon, 7)


def _offset(text: Any) -> dt.tzinfo:
    """The EXIF offset ("+08:00"); without one, China's phones mean Asia/Shanghai time."""
    if isinstance(text, str) and len(text) == 6 and text[0] in "+-" and text[3] == ":":
        try:
            hours, minutes = int(text[1:3]), int(text[4:6])
        except ValueError:
            return SHANGHAI
        sign = -1 if text[0] == "-" else 1
        if hours <= 14 and minutes < 60:
            return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
    return SHANGHAI


def read_taken_at(exif: Image.Exif) -> dt.datetime | None:
    """DateTimeOriginal with OffsetTimeOriginal, as an aware datetime; None when absent or bad."""
    sub = exif.get_ifd(EXIF_IFD)
    raw = sub.get(DATETIME_ORIGINAL) or exif.get(DATETIME)
    if not isinstance(raw, str):
        return None
    try:
        # EXIF stores local wall-clock time; the offset tag (or Shanghai) makes it aware.
        taken = dt.datetime.strptime(raw.strip("\x00 ").strip(), "%Y:%m:%d %H:%M:%S").replace(
            tzinfo=_offset(sub.get(OFFSET_TIME_ORIGINAL))
        )
    except ValueError:
        return None
    return taken if timezone.is_aware(taken) else None


def _to_rgb(image: Image.Image) -> Image.Image:
    """RGB for JPEG; transparent areas become white rather than black."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def process_photo(upload: Any) -> ProcessedPhoto:
    """Check, read and re-encode one uploaded photo; ValidationError on field ``image``."""
    data = _read_limited(upload)
    image = _open_checked(data)
    try:
        exif = image.getexif()
        taken_at = read_taken_at(exif)
        taken_lat, taken_lon = read_gps(exif)
    except Exception:  # noqa: BLE001 - broken EXIF is not a reason to lose the photo
        taken_at, taken_lat, taken_lon = None, None, None
    try:
        if image.format == "JPEG":
            # Decode a large JPEG at a reduced scale directly: far less memory and time.
            image.draft("RGB", (STORED_MAX_SIDE, STORED_MAX_SIDE))
        image.load()
        # A phone photo is stored sideways with an orientation flag; apply it before the flag
        # goes away with the rest of the metadata.
        image = ImageOps.exif_transpose(image)
        image = _to_rgb(image)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _refuse(_("The photo is damaged or incomplete; take it again."), "damaged") from None
    image.thumbnail((STORED_MAX_SIDE, STORED_MAX_SIDE), Image.Resampling.LANCZOS)
    # A fresh image carries no info dict, so nothing (EXIF, GPS, XMP, ICC) can leak through.
    clean = Image.new("RGB", image.size)
    clean.paste(image)
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return ProcessedPhoto(
        content=out.getvalue(),
        width=clean.width,
        height=clean.height,
        taken_at=taken_at,
        taken_lat=taken_lat,
        taken_lon=taken_lon,
    )


def thumbnail_bytes(stored: Any, side: int = 480) -> bytes:
    """A small JPEG of a stored (already clean) photo for the evidence gallery."""
    with Image.open(stored, formats=["JPEG"]) as image:
        image.draft("RGB", (side, side))
        image = image.convert("RGB")
        image.thumbnail((side, side), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=80)
    return out.getvalue()


# --- the customer's drawn signature (救援服务确认单) ---------------------------------------------
# The signature pad sends either SVG path data or a PNG drawn on a canvas. Neither is stored as
# received: the SVG is parsed, every element and attribute checked against a short allow-list,
# and a fresh SVG is written from the numbers alone; the PNG is decoded and re-encoded. What is
# stored is therefore always our own markup, which pages show through <img> only.
SVG_NS = "http://www.w3.org/2000/svg"
MAX_SIGNATURE_CHARS = 200_000
MAX_PATH_NUMBERS = 40_000
PNG_DATA_URL = "data:image/png;base64,"
PATH_TOKEN = re.compile(r"[MLHVCSQTAZmlhvcsqtaz]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
PATH_ALLOWED = re.compile(r"^[MLHVCSQTZmlhvcsqtz0-9eE.,+\-\s]*$")
SVG_ATTRS = {"viewBox", "width", "height", "version", "fill", "stroke", "stroke-width"}
PATH_ATTRS = {"d", "fill", "stroke", "stroke-width", "stroke-linecap", "stroke-linejoin"}
GROUP_ATTRS = {"fill", "stroke", "stroke-width", "stroke-linecap", "stroke-linejoin"}


def _sig_refuse(message: str, code: str = "invalid") -> ValidationError:
    return ValidationError({"signature": ValidationError(message, code=code)})


def _number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or abs(value) > 100_000:
        raise _sig_refuse(_("The signature has coordinates out of range."))
    return value


def _clean_path(d: str) -> tuple[str, list[float], list[float]]:
    """Re-written path data and the x and y of its points (to judge whether it is a drawing)."""
    if not PATH_ALLOWED.match(d):
        raise _sig_refuse(_("The signature path contains characters that are not path data."))
    tokens = PATH_TOKEN.findall(d)
    if len(tokens) > MAX_PATH_NUMBERS:
        raise _sig_refuse(_("The signature is too detailed."))
    out: list[str] = []
    xs: list[float] = []
    ys: list[float] = []
    pending: list[float] = []
    for token in tokens:
        if token.isalpha():
            out.append(token)
            continue
        value = _number(token)
        out.append(f"{value:.1f}".rstrip("0").rstrip("."))
        pending.append(value)
        if len(pending) == 2:
            xs.append(pending[0])
            ys.append(pending[1])
            pending = []
    if not out or out[0] not in ("M", "m"):
        raise _sig_refuse(_("The signature path must start with a move (M)."))
    return " ".join(out), xs, ys


def _viewbox(root: Any) -> tuple[float, float, float, float]:
    raw = root.get("viewBox")
    if raw is None:
        width, height = root.get("width", ""), root.get("height", "")
        raw = f"0 0 {width} {height}"
    parts = re.split(r"[\s,]+", raw.strip())
    try:
        box = tuple(_number(p) for p in parts)
    except ValueError:
        raise _sig_refuse(_("The signature has no valid size (viewBox).")) from None
    if len(box) != 4 or box[2] <= 0 or box[3] <= 0:
        raise _sig_refuse(_("The signature has no valid size (viewBox)."))
    return box  # type: ignore[return-value]


def clean_signature_svg(text: str) -> str:
    """A fresh SVG with the drawing's paths only; ValidationError on field ``signature``."""
    if not text or not text.strip():
        raise _sig_refuse(_("Ask the customer to sign in the box."), "blank")
    if len(text) > MAX_SIGNATURE_CHARS:
        raise _sig_refuse(_("The signature is too large."))
    if re.search(r"<!|<\?(?!xml\s)", text):  # DOCTYPE, ENTITY, CDATA, processing instructions
        raise _sig_refuse(_("The signature may contain only drawn lines."), "not_a_drawing")
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError:
        raise _sig_refuse(_("The signature is not a valid SVG drawing.")) from None
    if root.tag != f"{{{SVG_NS}}}svg":
        raise _sig_refuse(_("The signature is not a valid SVG drawing."))
    box = _viewbox(root)
    paths: list[str] = []
    xs: list[float] = []
    ys: list[float] = []
    for element in root.iter():
        tag = element.tag.split("}", 1)[-1] if element.tag.startswith(f"{{{SVG_NS}}}") else None
        allowed = {"svg": SVG_ATTRS, "path": PATH_ATTRS, "g": GROUP_ATTRS}.get(tag or "")
        if allowed is None:
            raise _sig_refuse(
                _("The signature may contain only drawn lines (found “%(tag)s”).")
                % {"tag": str(element.tag).split("}")[-1][:40]},
                "not_a_drawing",
            )
        extra = set(element.attrib) - allowed
        if extra:
            raise _sig_refuse(
                _("The signature has attributes that are not allowed: %(names)s.")
                % {"names": ", ".join(sorted(n.split("}")[-1] for n in extra))[:100]},
                "not_a_drawing",
            )
        if (element.text or "").strip() or (element.tail or "").strip():
            raise _sig_refuse(_("The signature may contain only drawn lines."), "not_a_drawing")
        if tag == "path":
            d, px, py = _clean_path(element.get("d", ""))
            paths.append(d)
            xs += px
            ys += py
    span = max((max(xs) - min(xs)) if xs else 0, (max(ys) - min(ys)) if ys else 0)
    if len(xs) < 3 or span < max(box[2], box[3]) * 0.03:
        raise _sig_refuse(
            _("That is not a signature yet: ask the customer to sign in the box."), "blank"
        )
    body = "".join(f'<path d="{escape(d)}"/>' for d in paths)
    return (
        f'<svg xmlns="{SVG_NS}" viewBox="{" ".join(f"{v:g}" for v in box)}" fill="none" '
        f'stroke="#111" stroke-width="2.5" stroke-linecap="round" stroke-linejoin="round">'
        f"{body}</svg>"
    )


def clean_signature_png(data_url: str) -> str:
    """A signature drawn on a canvas (PNG data URL), re-encoded and wrapped in our own SVG."""
    if not data_url.startswith(PNG_DATA_URL):
        raise _sig_refuse(_("The signature must be a PNG image drawn on the pad."))
    if len(data_url) > MAX_SIGNATURE_CHARS * 10:
        raise _sig_refuse(_("The signature is too large."))
    try:
        raw = base64.b64decode(data_url[len(PNG_DATA_URL) :], validate=True)
    except (binascii.Error, ValueError):
        raise _sig_refuse(_("The signature image is damaged.")) from None
    if sniff(raw[:16]) != "PNG":
        raise _sig_refuse(_("The signature must be a PNG image drawn on the pad."))
    try:
        with Image.open(io.BytesIO(raw), formats=["PNG"]) as image:
            if image.width > 3000 or image.height > 1500 or image.width < 40 or image.height < 20:
                raise _sig_refuse(_("The signature image has an unusual size."))
            image.load()
            rgba = image.convert("RGBA")
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _sig_refuse(_("The signature image is damaged.")) from None
    # Ink is whatever is opaque and dark: a transparent canvas or a plain white one is blank.
    ink = Image.eval(rgba.convert("L"), lambda v: 255 if v < 160 else 0)
    ink = ImageChops.multiply(ink, rgba.getchannel("A").point(lambda a: 255 if a > 64 else 0))
    box = ink.getbbox()
    if box is None or max(box[2] - box[0], box[3] - box[1]) < max(rgba.size) * 0.05:
        raise _sig_refuse(
            _("That is not a signature yet: ask the customer to sign in the box."), "blank"
        )
    clean = Image.new("RGBA", rgba.size)
    clean.paste(rgba)
    out = io.BytesIO()
    clean.save(out, format="PNG", optimize=True)
    encoded = base64.b64encode(out.getvalue()).decode("ascii")
    w, h = rgba.size
    return (
        f'<svg xmlns="{SVG_NS}" viewBox="0 0 {w} {h}"><image width="{w}" height="{h}" '
        f'href="{PNG_DATA_URL}{encoded}"/></svg>'
    )


def signature_src(svg: str) -> str:
    """An <img> source for a stored signature: shown as an image, never inlined as markup."""
    if not svg:
        return ""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
