"""Reading and writing the operators' spreadsheets (.xlsx and .csv): the format, not the models.

Operators keep their network in Excel, and Excel damages data in well-known ways: it turns
phone numbers into floats (``13812345678.0``), keeps only 15 significant digits and, when a
sheet is saved as CSV, writes what it displays (``1.38123E+10``). A cell beginning with
``=``, ``+``, ``-`` or ``@`` is run as a formula when someone opens an export, so such cells are
refused on the way in and escaped on the way out. This module knows those traps; the importers
in the apps declare their columns with :class:`Column` and add the business rules.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel

MAX_ROWS = 20_000
BOM = b"\xef\xbb\xbf"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
FORMULA_STARTS = ("=", "+", "-", "@")
YES, NO = "是", "否"
_TRUE_WORDS = frozenset({"是", "y", "yes", "true", "1", "✓", "√", "有", "t"})
_FALSE_WORDS = frozenset({"否", "n", "no", "false", "0", "✗", "×", "无", "f"})
# What Excel writes for a long number it displays in scientific notation: digits are gone.
_SCIENTIFIC = re.compile(r"^[+-]?\d+(?:\.\d+)?[eE][+-]?\d+$")
_WHOLE_WITH_ZEROS = re.compile(r"^(\d+)\.0+$")
_SIGNED_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")
_INTL_PHONE = re.compile(r"^\+\d[\d\s-]*$")
_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]00:00(?::00)?)?$"
)
_TIME = re.compile(r"^(\d{1,2})\s*[:：]\s*(\d{2})(?:\s*[:：]\s*(\d{2}))?$")
# Excel keeps 15 significant digits: a float at or beyond this cannot be trusted as an id.
_EXACT_FLOAT_LIMIT = 10**15


class Kind(StrEnum):
    """How a column's cells are read and written."""

    TEXT = "text"
    CODE = "code"  # an identifier written as digits and letters (VIN, plate, code): always text
    PHONE = "phone"  # a CODE that may start with "+" and a country code
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    DATE = "date"
    TIME = "time"


TEXT_KINDS = frozenset({Kind.TEXT, Kind.CODE, Kind.PHONE})


def _header_key(name: str) -> str:
    """Headers match case-insensitively, ignoring a required-marker star and ``_`` vs space."""
    return re.sub(r"[\s_]+", " ", str(name or "").strip().rstrip("*＊").strip()).casefold()


@dataclass(frozen=True)
class Column:
    """A spreadsheet column: its English key, Chinese header and how its cells are read."""

    key: str
    header: str
    kind: Kind = Kind.TEXT
    required: bool = False
    aliases: tuple[str, ...] = ()
    note: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return (self.header, self.key, *self.aliases)

    def matches(self, header: str) -> bool:
        return _header_key(header) in {_header_key(n) for n in self.names}


@dataclass(frozen=True)
class RowError:
    """One problem in an upload: spreadsheet row (header is row 1), column, message."""

    row: int
    field: str
    message: str


class SpreadsheetError(ValueError):
    """The file as a whole cannot be read (wrong type, broken, empty, too large)."""


class CellError(ValueError):
    """A single cell cannot be read as its column's kind."""


@dataclass
class Row:
    number: int
    cells: dict[str, Any]


@dataclass
class Table:
    """An uploaded sheet: header names as written and the data rows, blank rows skipped."""

    headers: list[str]
    rows: list[Row]
    file_format: str
    encoding: str | None = None
    ignored: list[str] = field(default_factory=list)


# --- reading ------------------------------------------------------------------------------


def read_table(data: bytes, filename: str, *, max_rows: int = MAX_ROWS) -> Table:
    """Read an uploaded ``.xlsx`` or ``.csv`` into its header row and data rows."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix == "xlsx":
        headers, body = _read_xlsx(data, max_rows)
        encoding = None
    elif suffix == "csv":
        text, encoding = decode_csv(data)
        headers, body = _read_csv(text, max_rows)
    else:
        raise SpreadsheetError(_("Upload an Excel workbook (.xlsx) or a CSV file (.csv)."))
    headers = [_clean_header(h) for h in headers]
    while headers and not headers[-1]:
        headers.pop()
    if not any(headers):
        raise SpreadsheetError(_("The first row must hold the column headers; it is empty."))
    rows = []
    for number, values in body:
        cells = {
            h: _trim(values[i]) if i < len(values) else None for i, h in enumerate(headers) if h
        }
        if all(v is None or v == "" for v in cells.values()):
            continue  # blank lines between blocks of data are common in hand-kept sheets
        rows.append(Row(number=number, cells=cells))
    return Table(headers=headers, rows=rows, file_format=suffix, encoding=encoding)


def decode_csv(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes as UTF-8 (with or without BOM), else GB18030; return text and codec."""
    if data.startswith(BOM):
        try:
            return data[len(BOM) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise SpreadsheetError(_("The file starts as UTF-8 but is not valid UTF-8.")) from exc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        # Excel on Chinese Windows saves "CSV" in the ANSI code page (GBK), a subset of GB18030.
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise SpreadsheetError(_("The CSV file is neither UTF-8 nor GB18030 text.")) from exc


def _read_csv(text: str, max_rows: int) -> tuple[list[Any], list[tuple[int, list[Any]]]]:
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        headers = next(reader, [])
        body = []
        for values in reader:
            if len(body) >= max_rows:
                raise SpreadsheetError(
                    _("The file has more than %(n)d rows; split it.") % {"n": max_rows}
                )
            body.append((reader.line_num, list(values)))
    except csv.Error as exc:
        raise SpreadsheetError(_("The CSV file is malformed: %(e)s") % {"e": exc}) from exc
    # csv line numbers count physical lines; a quoted cell with a newline would shift them,
    # so number the records instead: header is row 1, as in the spreadsheet program.
    return headers, [(i + 2, values) for i, (_line, values) in enumerate(body)]


def _read_xlsx(data: bytes, max_rows: int) -> tuple[list[Any], list[tuple[int, list[Any]]]]:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise SpreadsheetError(_("The file is not a readable Excel workbook (.xlsx).")) from exc
    try:
        if not book.worksheets:
            raise SpreadsheetError(_("The workbook has no sheet."))
        sheet = book.worksheets[0]  # the data sheet; a template's notes sheet comes after it
        rows = sheet.iter_rows(values_only=True)
        headers = list(next(rows, ()) or ())
        body = []
        for number, values in enumerate(rows, start=2):
            if len(body) >= max_rows:
                raise SpreadsheetError(
                    _("The file has more than %(n)d rows; split it.") % {"n": max_rows}
                )
            body.append((number, list(values)))
        return headers, body
    finally:
        book.close()


def _clean_header(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _trim(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def match_columns(
    headers: Sequence[str], columns: Sequence[Column]
) -> tuple[dict[str, str], list[str], list[RowError]]:
    """Map each column key to the header the file uses; report unknown and missing headers."""
    found: dict[str, str] = {}
    ignored: list[str] = []
    errors: list[RowError] = []
    for header in headers:
        if not header:
            continue
        column = next((c for c in columns if c.matches(header)), None)
        if column is None:
            ignored.append(header)
        elif column.key in found:
            errors.append(
                RowError(
                    1,
                    header,
                    str(
                        _("Two columns mean the same thing: “%(a)s” and “%(b)s”.")
                        % {"a": found[column.key], "b": header}
                    ),
                )
            )
        else:
            found[column.key] = header
    for column in columns:
        if column.required and column.key not in found:
            errors.append(
                RowError(
                    1,
                    column.header,
                    str(
                        _("The required column “%(h)s” (%(k)s) is missing.")
                        % {"h": column.header, "k": column.key}
                    ),
                )
            )
    return found, ignored, errors


# --- cells --------------------------------------------------------------------------------


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


def _formula_error(text: str) -> CellError:
    return CellError(
        _("Starts with “%(c)s”: a spreadsheet would run it as a formula, so it is not accepted.")
        % {"c": text[:1]}
    )


def parse_cell(column: Column, raw: Any) -> Any:
    """The cell as a Python value of the column's kind, ``None`` when blank; or CellError."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    kind = column.kind
    if kind in TEXT_KINDS:
        return _text(raw, kind)
    if isinstance(raw, str):
        raw = raw.strip()
        if looks_like_formula(raw) and not (
            kind in (Kind.INTEGER, Kind.DECIMAL) and _SIGNED_NUMBER.match(raw)
        ):
            raise _formula_error(raw)
    return _READERS[kind](raw)


def _text(raw: Any, kind: Kind) -> str:
    identifier = kind in (Kind.CODE, Kind.PHONE)
    if isinstance(raw, bool):
        text = YES if raw else NO
    elif isinstance(raw, int):
        text = str(raw)
    elif isinstance(raw, float):
        text = _float_as_text(raw, identifier)
    elif isinstance(raw, dt.datetime | dt.date | dt.time):
        text = raw.isoformat()
    else:
        text = str(raw).strip()
        if identifier and _SCIENTIFIC.match(text):
            raise CellError(
                _(
                    "“%(v)s” is in scientific notation: Excel has dropped digits. Format the "
                    "column as text and enter the full value again."
                )
                % {"v": text}
            )
        whole = _WHOLE_WITH_ZEROS.match(text) if identifier else None
        if whole:
            text = whole.group(1)  # "13812345678.0": a float that passed through text
    if looks_like_formula(text) and not (kind == Kind.PHONE and _INTL_PHONE.match(text)):
        raise _formula_error(text)
    return text


def _float_as_text(value: float, identifier: bool) -> str:
    if not math.isfinite(value):
        raise CellError(_("Not a usable value."))
    if identifier and abs(value) >= _EXACT_FLOAT_LIMIT:
        raise CellError(
            _(
                "Excel stored this as a number and kept only 15 digits (%(v)s). Format the "
                "column as text and enter the full value again."
            )
            % {"v": f"{value:.6g}"}
        )
    if value.is_integer():
        return str(int(value))
    if identifier:
        raise CellError(_("“%(v)s” is a number with decimals, not an identifier.") % {"v": value})
    return repr(value)


def _integer(raw: Any) -> int:
    if isinstance(raw, bool):
        raise CellError(_("Enter a whole number."))
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if math.isfinite(raw) and raw.is_integer():
            return int(raw)
        raise CellError(_("Enter a whole number."))
    text = str(raw).replace(",", "").strip()
    whole = _WHOLE_WITH_ZEROS.match(text.lstrip("+-"))
    try:
        return int(text if not whole else text.split(".")[0])
    except ValueError as exc:
        raise CellError(_("“%(v)s” is not a whole number.") % {"v": raw}) from exc


def _decimal(raw: Any) -> float:
    if isinstance(raw, bool):
        raise CellError(_("Enter a number."))
    try:
        value = (
            float(raw) if isinstance(raw, int | float) else float(str(raw).replace(",", "").strip())
        )
    except ValueError as exc:
        raise CellError(_("“%(v)s” is not a number.") % {"v": raw}) from exc
    if not math.isfinite(value):
        raise CellError(_("“%(v)s” is not a number.") % {"v": raw})
    return value


def _boolean(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    word = str(int(raw) if isinstance(raw, float) and raw.is_integer() else raw).strip().casefold()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise CellError(_("“%(v)s” is not yes or no: write 是 or 否 (Y/N).") % {"v": raw})


def _date(raw: Any) -> dt.date:
    if isinstance(raw, dt.datetime):
        return raw.date()  # Excel dates carry no zone: the calendar day is what was meant
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        try:
            return from_excel(raw).date()
        except (ValueError, OverflowError, AttributeError) as exc:
            raise CellError(_("“%(v)s” is not a date.") % {"v": raw}) from exc
    match = _DATE.match(str(raw).strip())
    if match:
        try:
            return dt.date(*(int(g) for g in match.groups()))
        except ValueError:
            pass
    raise CellError(_("“%(v)s” is not a date: write it as 2026-03-31.") % {"v": raw})


def _time(raw: Any) -> dt.time:
    if isinstance(raw, dt.datetime):
        return raw.time()
    if isinstance(raw, dt.time):
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool) and 0 <= raw < 1:
        seconds = round(raw * 86400)  # Excel keeps a time of day as a fraction of a day
        return dt.time(seconds // 3600, seconds % 3600 // 60, seconds % 60)
    match = _TIME.match(str(raw).strip())
    if match:
        hour, minute, second = (int(g) if g else 0 for g in match.groups())
        if hour < 24 and minute < 60 and second < 60:
            return dt.time(hour, minute, second)
    raise CellError(_("“%(v)s” is not a time of day: write it as 08:30.") % {"v": raw})


_READERS = {
    Kind.INTEGER: _integer,
    Kind.DECIMAL: _decimal,
    Kind.BOOLEAN: _boolean,
    Kind.DATE: _date,
    Kind.TIME: _time,
}


# --- writing ------------------------------------------------------------------------------


def escape_text(text: str) -> str:
    """Text as it may safely sit in a cell: formula-like text gets a leading apostrophe."""
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return "'" + text if looks_like_formula(text) else text


def _out(column: Column, value: Any) -> Any:
    """The value written for a cell: text escaped, yes/no in words, numbers as numbers."""
    if value is None:
        return None
    if column.kind in TEXT_KINDS:
        return escape_text(str(value))
    if column.kind == Kind.BOOLEAN:
        return YES if value else NO
    return value


def write_xlsx(
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    *,
    title: str = "data",
    notes: Sequence[Sequence[str]] = (),
) -> bytes:
    """A workbook with a bold frozen Chinese header; identifier and text columns as text cells."""
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append([c.header for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    formats = [_number_format(c) for c in columns]
    for index, column in enumerate(columns, start=1):
        dimension = sheet.column_dimensions[get_column_letter(index)]
        dimension.width = 22 if column.kind in (Kind.CODE, Kind.PHONE, Kind.TEXT) else 14
        if formats[index - 1] == "@":
            # Cells typed later into a blank template stay text, so Excel cannot eat digits.
            dimension.number_format = "@"
    for values in rows:
        sheet.append([_out(c, v) for c, v in zip(columns, values, strict=True)])
        for cell, number_format in zip(sheet[sheet.max_row], formats, strict=True):
            if number_format:
                cell.number_format = number_format
    if notes:
        extra = book.create_sheet("说明")
        for line in notes:
            extra.append([escape_text(str(v)) for v in line])
        for cell in extra[1]:
            cell.font = Font(bold=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _number_format(column: Column) -> str | None:
    if column.kind in TEXT_KINDS or column.kind == Kind.BOOLEAN:
        return "@"
    if column.kind == Kind.DATE:
        return "yyyy-mm-dd"
    if column.kind == Kind.TIME:
        return "hh:mm"
    return None


def write_csv(columns: Sequence[Column], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with BOM, so Excel on Chinese Windows opens it without mangling the characters."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([c.header for c in columns])
    for values in rows:
        writer.writerow([_csv_value(c, v) for c, v in zip(columns, values, strict=True)])
    return BOM + buffer.getvalue().encode("utf-8")


def _csv_value(column: Column, value: Any) -> str:
    out = _out(column, value)
    if out is None:
        return ""
    if isinstance(out, dt.time):
        return out.strftime("%H:%M") if not out.second else out.strftime("%H:%M:%S")
    if isinstance(out, dt.date):
        return out.isoformat()
    return str(out)
