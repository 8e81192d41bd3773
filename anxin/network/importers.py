"""The machinery of master-data imports and exports (NET-1..4); the kinds are in ``imports``.

An import is all or nothing. Every row is read, resolved (region, city, base, outlet by their
natural keys) and validated with the model's own ``full_clean``, so a spreadsheet gets the same
messages as the admin and the API. Only a file without a single error is written, in one
transaction, row by row through ``save()`` so the change log records each create and update.
Rows are found through the permission filter, and a row may only be written into a region the
user can see.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError, models, transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from anxin.accounts.permissions import may_change
from anxin.audit.changelog import snapshot
from anxin.core.masking import mask_phone
from anxin.core.spreadsheets import (
    YES,
    CellError,
    Column,
    RowError,
    Table,
    match_columns,
    parse_cell,
)
from anxin.core.spreadsheets import Kind as K
from anxin.core.validators import normalise_phone
from anxin.customers.models import Customer, FleetCustomer

from .models import City, Outlet, Region, RescueBase, RescueUnit

CREATE, UPSERT = "create", "upsert"


@dataclass(frozen=True)
class Spec:
    """A column and what it means for the model.

    ``attr`` names the model field the cell sets directly; reference columns leave it empty and
    are resolved by the importer. ``convert`` turns the read cell into the stored value.
    ``read`` gives the exported value of a row; ``pii`` names the model whose personal data
    the column holds, masked in exports unless the user may see it.
    """

    column: Column
    attr: str | None = None
    convert: Callable[[Any], Any] | None = None
    read: Callable[[Any], Any] | None = None
    unique: bool = False
    pii: str | None = None

    @property
    def key(self) -> str:
        return self.column.key


def col(
    key: str,
    header: str,
    kind: K = K.TEXT,
    *,
    required: bool = False,
    attr: str | None = None,
    aliases: tuple[str, ...] = (),
    **extra: Any,
) -> Spec:
    return Spec(Column(key, header, kind, required, aliases), attr=attr, **extra)


def choice(choices: type[models.TextChoices]) -> Callable[[str], str]:
    """Accept a choice by its stored value or by its label in any of the product's languages."""
    names: dict[str, str] = {}

    def convert(text: str) -> str:
        if not names:  # built on first use, when the translation catalogues are loaded
            for value, label in choices.choices:
                names[value.casefold()] = value
                for code, _name in settings.LANGUAGES:
                    with translation.override(code):
                        names.setdefault(str(label).casefold(), value)
        found = names.get(text.strip().casefold())
        if found is not None:
            return found
        raise CellError(
            _("“%(v)s” is not one of: %(options)s.")
            % {"v": text, "options": ", ".join(choices.values)}
        )

    return convert


@dataclass
class ImportResult:
    """What an import did, or, when ``errors`` is not empty, why it did nothing."""

    kind: str
    mode: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    encoding: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Planned:
    row: int
    obj: models.Model
    created: bool
    before: dict[str, Any] | None


class RowErrors:
    """Errors of one row, keyed by column key, so each column is reported once."""

    def __init__(self) -> None:
        self.by_key: dict[str, list[str]] = {}

    def add(self, key: str, message: Any) -> None:
        self.by_key.setdefault(key, []).append(str(message))

    def __contains__(self, key: str) -> bool:
        return key in self.by_key

    def __bool__(self) -> bool:
        return bool(self.by_key)


class Importer:
    """One kind of master data: its columns, natural key, references and export rows."""

    kind: str
    model: type[models.Model]
    title: Any
    key = "code"
    specs: tuple[Spec, ...] = ()
    # Model fields set from a column of another name (a vehicle's owner from the owner's phone).
    field_columns: dict[str, str] = {}

    @property
    def columns(self) -> list[Column]:
        return [s.column for s in self.specs]

    def spec(self, key: str) -> Spec:
        return next(s for s in self.specs if s.key == key)

    # -- references, overridden per kind ----------------------------------------------
    def resolve(self, obj: Any, values: dict[str, Any], ctx: References, errors: RowErrors) -> None:
        """Set reference fields from natural keys; check the row's region may be written."""

    def export_queryset(self, user: Any) -> models.QuerySet[Any]:
        return self.model.objects.restrict(user, "view")  # type: ignore[attr-defined]

    # -- import ------------------------------------------------------------------------
    def run(
        self, table: Table, user: Any, mode: str = CREATE, *, commit: bool = True
    ) -> ImportResult:
        """Validate every row; write all of them in one transaction only if none has an error."""
        result = ImportResult(
            kind=self.kind, mode=mode, rows=len(table.rows), encoding=table.encoding
        )
        if not may_change(user, self.model):
            result.errors = [
                RowError(1, "", str(_("You may not change %(what)s.") % {"what": self.title}))
            ]
            return result
        mapping, result.ignored_columns, header_errors = match_columns(table.headers, self.columns)
        if header_errors:
            result.errors = header_errors
            return result
        parsed = [(row.number, *self._read(row.cells, mapping)) for row in table.rows]
        ctx = References(self, user, [values for _n, values, _e in parsed])
        first_seen: dict[tuple[str, Any], int] = {}
        plan: list[_Planned] = []
        for number, values, errors in parsed:
            self._check_duplicates(number, values, errors, first_seen)
            planned = self._prepare(number, values, errors, ctx, mode)
            for key, messages in errors.by_key.items():
                header = (mapping.get(key) or self.spec(key).column.header) if key else ""
                result.errors.extend(RowError(number, header, m) for m in messages)
            if planned is not None and not errors:
                plan.append(planned)
        if result.errors or not commit:
            return result
        self._write(plan, result)
        return result

    def _read(
        self, cells: dict[str, Any], mapping: dict[str, str]
    ) -> tuple[dict[str, Any], RowErrors]:
        values: dict[str, Any] = {}
        errors = RowErrors()
        for spec in self.specs:
            header = mapping.get(spec.key)
            if header is None:
                continue  # an optional column the file leaves out: the field is left alone
            try:
                value = parse_cell(spec.column, cells.get(header))
                if value is not None and spec.convert is not None:
                    value = spec.convert(value)
            except CellError as exc:
                errors.add(spec.key, exc)
                continue
            except ValidationError as exc:
                for message in exc.messages:
                    errors.add(spec.key, message)
                continue
            if value is None and spec.column.required:
                errors.add(spec.key, _("This column is required."))
                continue
            values[spec.key] = value
        return values, errors

    def _check_duplicates(
        self,
        number: int,
        values: dict[str, Any],
        errors: RowErrors,
        first_seen: dict[tuple[str, Any], int],
    ) -> None:
        for spec in self.specs:
            value = values.get(spec.key)
            if not spec.unique or value in (None, ""):
                continue
            seen_at = first_seen.setdefault((spec.key, value), number)
            if seen_at != number:
                errors.add(
                    spec.key,
                    _("“%(v)s” appears twice in the file: rows %(first)d and %(row)d.")
                    % {"v": value, "first": seen_at, "row": number},
                )

    def _prepare(
        self, number: int, values: dict[str, Any], errors: RowErrors, ctx: References, mode: str
    ) -> _Planned | None:
        if self.key in errors:
            return None
        natural = values[self.key]
        existing = ctx.existing.get(natural)
        if existing is not None and mode != UPSERT:
            errors.add(
                self.key,
                _("“%(v)s” already exists; to change it, import with “update existing ones”.")
                % {"v": natural},
            )
            return None
        if existing is not None and existing.pk not in ctx.changeable:
            errors.add(
                self.key, _("“%(v)s” exists but is outside what you may change.") % {"v": natural}
            )
            return None
        obj = existing if existing is not None else self.model()
        before = snapshot(obj) if existing is not None else None
        for spec in self.specs:
            if spec.attr is None or spec.key not in values or spec.key in errors:
                continue
            self._assign(obj, spec, values[spec.key], created=existing is None)
        self.resolve(obj, values, ctx, errors)
        self._check_unique(obj, values, ctx, errors)
        self._full_clean(obj, errors)
        return _Planned(number, obj, existing is None, before)

    def _assign(self, obj: Any, spec: Spec, value: Any, *, created: bool) -> None:
        model_field = self.model._meta.get_field(spec.attr)  # type: ignore[arg-type]
        current = getattr(obj, spec.attr)  # type: ignore[arg-type]
        if spec.pii and not created and isinstance(value, str) and value == mask_phone(current):
            return  # the masked value of a round trip by a user who may not see it: keep it
        if value is None:
            if not (model_field.blank or model_field.null):
                return  # blank cell: the default for a new row, the current value for an old one
            if model_field.null:
                value = None
            elif model_field.has_default():
                value = model_field.get_default()  # e.g. a unit's empty capability list
            else:
                value = ""
        setattr(obj, spec.attr, value)  # type: ignore[arg-type]

    def _check_unique(
        self, obj: Any, values: dict[str, Any], ctx: References, errors: RowErrors
    ) -> None:
        for spec in self.specs:
            if not spec.unique or spec.key == self.key or spec.key in errors:
                continue
            owner = ctx.taken.get(spec.key, {}).get(values.get(spec.key))
            if owner is not None and owner != obj.pk:
                errors.add(
                    spec.key,
                    _("“%(v)s” is already used by another record.") % {"v": values[spec.key]},
                )

    def _full_clean(self, obj: models.Model, errors: RowErrors) -> None:
        by_field = {s.attr or s.key: s.key for s in self.specs} | self.field_columns
        skip = [name for name, key in by_field.items() if key in errors]
        try:
            # Uniqueness is checked above in bulk: one query per file instead of per row.
            obj.full_clean(exclude=skip, validate_unique=False)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                key = by_field.get(name)
                if key is None and name != NON_FIELD_ERRORS:
                    label = self.model._meta.get_field(name).verbose_name
                    messages = [f"{label}: {m}" for m in messages]
                for message in messages:
                    errors.add(key or "", message)

    def _write(self, plan: list[_Planned], result: ImportResult) -> None:
        row = plan[0].row if plan else 1
        try:
            with transaction.atomic():
                for item in plan:
                    row = item.row
                    if item.before is not None and item.before == snapshot(item.obj):
                        result.unchanged += 1
                        continue
                    item.obj.save()  # the change-log signals record create/update with before/after
                    if item.created:
                        result.created += 1
                    else:
                        result.updated += 1
        except DatabaseError as exc:
            # A concurrent writer took a key between validation and the write: nothing was saved.
            result.created = result.updated = result.unchanged = 0
            result.errors = [RowError(row, "", str(_("Could not be saved: %(e)s") % {"e": exc}))]

    # -- export ------------------------------------------------------------------------
    def export_rows(self, user: Any, *, reveal: bool) -> tuple[list[list[Any]], set[str]]:
        """Rows of what the user may view, and the models whose personal data they reveal."""
        rows, revealed = [], set()
        for obj in self.export_queryset(user):
            line = []
            for spec in self.specs:
                value = spec.read(obj) if spec.read else getattr(obj, spec.attr or spec.key)
                if spec.pii and value:
                    if reveal:
                        revealed.add(spec.pii)
                    else:
                        value = mask_phone(value)
                line.append(value)
            rows.append(line)
        return rows, revealed


class References:
    """What a file refers to, loaded once per import instead of once per row."""

    def __init__(self, importer: Importer, user: Any, rows: list[dict[str, Any]]) -> None:
        self.user = user
        model = importer.model
        wanted = lambda key: {r[key] for r in rows if r.get(key) not in (None, "")}  # noqa: E731
        keys = wanted(importer.key)
        self.existing = {
            getattr(o, importer.key): o
            for o in model._default_manager.filter(**{f"{importer.key}__in": keys})
        }
        self.changeable = set(
            model.objects.restrict(user, "change")
            .filter(  # type: ignore[attr-defined]
                pk__in=[o.pk for o in self.existing.values()]
            )
            .values_list("pk", flat=True)
        )
        self.taken = {
            s.key: dict(
                model._default_manager.filter(**{f"{s.attr}__in": wanted(s.key)}).values_list(
                    s.attr, "pk"
                )
            )
            for s in importer.specs
            if s.unique and s.attr and s.key != importer.key
        }
        self.regions = {r.code.casefold(): r for r in Region.objects.all()}
        self.visible_regions = set(
            Region.objects.restrict(user, "view").values_list("pk", flat=True)
        )
        self.cities: dict[str, list[City]] = {}
        for city in City.objects.filter(Q(code__in=wanted("city")) | Q(name__in=wanted("city"))):
            for name in {city.code, city.name}:
                self.cities.setdefault(name, []).append(city)
        self.outlets = Outlet.objects.select_related("region").in_bulk(
            wanted("outlet"), field_name="code"
        )
        self.bases = RescueBase.objects.select_related("region").in_bulk(
            wanted("base"), field_name="code"
        )
        self.units = RescueUnit.objects.select_related("base").in_bulk(
            wanted("unit"), field_name="code"
        )
        phones = {normalise_phone(p) for p in wanted("owner_phone")}
        self.customers: dict[str, list[Customer]] = {}
        for customer in Customer.objects.restrict(user, "view").filter(phone__in=phones):
            self.customers.setdefault(normalise_phone(customer.phone), []).append(customer)
        self.fleets = {
            f.name: f
            for f in FleetCustomer.objects.restrict(user, "view").filter(name__in=wanted("fleet"))
        }

    def region(self, code: str, errors: RowErrors, key: str = "region") -> Region | None:
        region = self.regions.get(code.casefold())
        if region is None:
            errors.add(key, _("Unknown region code “%(v)s”.") % {"v": code})
            return None
        return self.writable(region, errors, key)

    def writable(self, region: Region, errors: RowErrors, key: str) -> Region | None:
        if region.pk not in self.visible_regions:
            errors.add(
                key, _("Region “%(r)s” is outside the regions you may change.") % {"r": region.code}
            )
            return None
        return region

    def city(self, text: str, region: Region | None, errors: RowErrors) -> City | None:
        found = self.cities.get(text, [])
        if len(found) > 1 and region is not None:
            found = [c for c in found if c.region_id == region.pk] or found
        if not found:
            errors.add(
                "city",
                _("Unknown city “%(v)s”: give its administrative code or name.") % {"v": text},
            )
        elif len({c.pk for c in found}) > 1:
            errors.add(
                "city",
                _("“%(v)s” names several cities; give the administrative code.") % {"v": text},
            )
        else:
            return found[0]
        return None

    def one(self, table: dict[str, Any], key: str, code: str, errors: RowErrors, what: Any) -> Any:
        obj = table.get(code)
        if obj is None:
            errors.add(key, _("Unknown %(what)s “%(v)s”.") % {"what": what, "v": code})
        return obj


def template_notes(importer: Importer) -> list[list[str]]:
    """The notes sheet of a blank template: each column, whether required, accepted names."""
    lines = [[str(_("column")), str(_("also accepted")), str(_("required")), str(_("format"))]]
    for spec in importer.specs:
        c = spec.column
        lines.append([c.header, " / ".join(c.names[1:]), YES if c.required else "", c.kind.value])
    return lines
