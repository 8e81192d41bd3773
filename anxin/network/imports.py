"""Spreadsheet import and export of the network's master data (NET-1..4), and their pages.

Each kind (outlets, rescue units, staff, vehicles) declares its columns, in Chinese and English,
and how its references resolve; the machinery in :mod:`anxin.network.importers` does the rest.
The page and the ``import_master`` / ``export_master`` commands share :data:`IMPORTERS` and
:func:`build_export`, so the web and the shell apply the same rules: the permission filter,
all-or-nothing imports and masked personal data in exports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anxin.accounts.permissions import may_change
from anxin.accounts.roles import Role
from anxin.audit.context import current_actor
from anxin.audit.models import PersonalDataAccess
from anxin.core.masking import mask_phone
from anxin.core.spreadsheets import (
    CSV_CONTENT_TYPE,
    XLSX_CONTENT_TYPE,
    SpreadsheetError,
    Table,
    read_table,
    write_csv,
    write_xlsx,
)
from anxin.core.spreadsheets import Kind as K
from anxin.core.validators import normalise_phone, normalise_vin, validate_plate
from anxin.customers.models import Powertrain, Vehicle
from anxin.people.models import Staff

from .choices import UnitCapability, UnitKind
from .importers import (
    CREATE,
    UPSERT,
    Importer,
    ImportResult,
    References,
    RowErrors,
    choice,
    col,
    template_notes,
)
from .models import Outlet, RescueUnit

# --- the kinds -----------------------------------------------------------------------------


def capability_list(text: str) -> list[str]:
    """Capabilities in one cell, by value or label: "towing、jump_start" or "Towing, Winch"."""
    one = choice(UnitCapability)
    # Labels may hold spaces ("Jump start"), so only list separators split the cell.
    return [one(part.strip()) for part in re.split(r"[,，、;；\n]+", text) if part.strip()]


def plate(text: str) -> str:
    """A rescue truck's plate, upper-cased and checked like any vehicle's."""
    value = text.strip().upper()
    validate_plate(value)  # the unit model has no plate validator (yet): imports check it here
    return value


def _code(obj: models.Model | None) -> str | None:
    """The natural key a reference is exported as (blank when there is none)."""
    return getattr(obj, "code", None) if obj is not None else None


REGION = col(
    "region",
    "大区编码",
    K.CODE,
    required=True,
    aliases=("大区", "region code"),
    read=lambda o: o.region.code,
)
ACTIVE = col("active", "启用", K.BOOLEAN, attr="active", aliases=("是否启用",))


class OutletImporter(Importer):
    """Service outlets (网点): placed in a region and one of its cities."""

    kind, model, title = "outlets", Outlet, _("Service outlets")
    specs = (
        col(
            "code",
            "网点编码",
            K.CODE,
            required=True,
            attr="code",
            unique=True,
            aliases=("outlet code",),
        ),
        col("name", "网点名称", required=True, attr="name", aliases=("名称",)),
        REGION,
        col(
            "city",
            "城市",
            K.CODE,
            required=True,
            aliases=("城市编码", "city code"),
            read=lambda o: o.city.code,
        ),
        col("address", "地址", attr="address"),
        col("phone", "电话", K.PHONE, attr="phone", convert=normalise_phone, aliases=("联系电话",)),
        col("lat", "纬度", K.DECIMAL, required=True, attr="lat", aliases=("latitude",)),
        col("lon", "经度", K.DECIMAL, required=True, attr="lon", aliases=("longitude", "lng")),
        col("opens_at", "开门时间", K.TIME, attr="opens_at", aliases=("opens",)),
        col("closes_at", "关门时间", K.TIME, attr="closes_at", aliases=("closes",)),
        col("open_24h", "24小时服务", K.BOOLEAN, attr="open_24h", aliases=("24h",)),
        col(
            "ev_high_voltage",
            "新能源高压维修",
            K.BOOLEAN,
            attr="ev_high_voltage",
            aliases=("EV high voltage",),
        ),
        col("diag_800v", "800V诊断", K.BOOLEAN, attr="diag_800v"),
        col("body_shop", "钣喷", K.BOOLEAN, attr="body_shop", aliases=("钣金喷漆",)),
        col("tow_reception", "接收拖车", K.BOOLEAN, attr="tow_reception"),
        col(
            "daily_capacity", "日接待能力", K.INTEGER, attr="daily_capacity", aliases=("日接待量",)
        ),
        col("bays", "工位数", K.INTEGER, attr="bays"),
        ACTIVE,
    )

    def resolve(self, obj: Any, values: dict[str, Any], ctx: References, errors: RowErrors) -> None:
        region = ctx.region(values["region"], errors) if "region" in values else None
        if region is not None:
            obj.region = region
        if "city" in values:
            city = ctx.city(values["city"], region, errors)
            if city is not None:
                obj.city = city

    def export_queryset(self, user: Any) -> models.QuerySet[Any]:
        return super().export_queryset(user).select_related("region", "city")


class UnitImporter(Importer):
    """Rescue units (救援车辆) at a base; live status and position are not master data."""

    kind, model, title = "units", RescueUnit, _("Rescue units")
    specs = (
        col(
            "code",
            "救援车编号",
            K.CODE,
            required=True,
            attr="code",
            unique=True,
            aliases=("unit code", "车辆编号"),
        ),
        col(
            "plate",
            "车牌号",
            K.CODE,
            required=True,
            attr="plate",
            unique=True,
            convert=plate,
            aliases=("车牌",),
        ),
        col(
            "kind",
            "车辆类型",
            required=True,
            attr="kind",
            convert=choice(UnitKind),
            aliases=("类型",),
        ),
        col(
            "base",
            "基地编码",
            K.CODE,
            required=True,
            aliases=("救援基地", "base code"),
            read=lambda o: o.base.code,
        ),
        col(
            "capabilities",
            "救援能力",
            attr="capabilities",
            convert=capability_list,
            read=lambda o: ",".join(o.capabilities or []),
        ),
        col("shift_start", "班次开始", K.TIME, attr="shift_start"),
        col("shift_end", "班次结束", K.TIME, attr="shift_end"),
        col(
            "commissioned_on",
            "投入使用日期",
            K.DATE,
            attr="commissioned_on",
            aliases=("commissioned",),
        ),
        ACTIVE,
    )

    def resolve(self, obj: Any, values: dict[str, Any], ctx: References, errors: RowErrors) -> None:
        if "base" in values:
            base = ctx.one(ctx.bases, "base", values["base"], errors, _("rescue base"))
            if base is not None and ctx.writable(base.region, errors, "base") is not None:
                obj.base = base

    def export_queryset(self, user: Any) -> models.QuerySet[Any]:
        return super().export_queryset(user).select_related("base")


class StaffImporter(Importer):
    """Staff by employee number; the phone is personal data, masked in exports by default."""

    kind, model, title, key = "staff", Staff, _("Staff"), "employee_no"
    specs = (
        col(
            "employee_no",
            "工号",
            K.CODE,
            required=True,
            attr="employee_no",
            unique=True,
            aliases=("employee number",),
        ),
        col("name", "姓名", required=True, attr="name"),
        col(
            "phone",
            "手机号",
            K.PHONE,
            required=True,
            attr="phone",
            convert=normalise_phone,
            pii="people.staff",
            aliases=("手机", "电话"),
        ),
        col("role", "岗位", required=True, attr="role", convert=choice(Role), aliases=("角色",)),
        REGION,
        col("outlet", "网点编码", K.CODE, aliases=("outlet code",), read=lambda o: _code(o.outlet)),
        col("base", "基地编码", K.CODE, aliases=("base code",), read=lambda o: _code(o.base)),
        col("unit", "救援车编号", K.CODE, aliases=("unit code",), read=lambda o: _code(o.unit)),
        ACTIVE,
    )

    def resolve(self, obj: Any, values: dict[str, Any], ctx: References, errors: RowErrors) -> None:
        region = ctx.region(values["region"], errors) if "region" in values else None
        if region is not None:
            obj.region = region
        for key, table, what in (
            ("outlet", ctx.outlets, _("outlet")),
            ("base", ctx.bases, _("rescue base")),
            ("unit", ctx.units, _("rescue unit")),
        ):
            if key not in values:
                continue
            target = ctx.one(table, key, values[key], errors, what) if values[key] else None
            if values[key] and target is None:
                continue
            if (
                key == "unit"
                and target is not None
                and region is not None
                and target.base.region_id != region.pk
            ):
                errors.add("unit", _("The rescue unit belongs to another region."))
                continue
            setattr(obj, key, target)

    def export_queryset(self, user: Any) -> models.QuerySet[Any]:
        return super().export_queryset(user).select_related("region", "outlet", "base", "unit")


class VehicleImporter(Importer):
    """Vehicles by VIN; the owner is linked by a phone number of a customer the user can see."""

    kind, model, title, key = "vehicles", Vehicle, _("Vehicles"), "vin"
    field_columns = {"owner": "owner_phone"}
    specs = (
        col(
            "vin",
            "车架号",
            K.CODE,
            required=True,
            attr="vin",
            unique=True,
            convert=normalise_vin,
            aliases=("车辆识别代号", "车架号(VIN)", "vin code"),
        ),
        col(
            "plate",
            "车牌号",
            K.CODE,
            attr="plate",
            convert=lambda v: v.strip().upper(),
            aliases=("车牌",),
        ),
        col("brand", "品牌", required=True, attr="brand"),
        col("model", "车型", required=True, attr="model"),
        col("model_year", "年款", K.INTEGER, attr="model_year"),
        col("powertrain", "动力类型", required=True, attr="powertrain", convert=choice(Powertrain)),
        col("high_voltage", "800V平台", K.BOOLEAN, attr="high_voltage", aliases=("800V",)),
        REGION,
        col(
            "owner_phone",
            "车主手机号",
            K.PHONE,
            convert=normalise_phone,
            pii="customers.customer",
            aliases=("车主电话", "owner phone"),
            read=lambda o: o.owner.phone if o.owner else None,
        ),
        col(
            "fleet",
            "单位客户",
            aliases=("fleet customer",),
            read=lambda o: o.fleet.name if o.fleet else None,
        ),
        col("sold_on", "销售日期", K.DATE, attr="sold_on"),
        col("warranty_until", "质保截止日期", K.DATE, attr="warranty_until", aliases=("质保截止",)),
        col("mileage_km", "里程(km)", K.INTEGER, attr="mileage_km", aliases=("里程", "mileage")),
    )

    def resolve(self, obj: Any, values: dict[str, Any], ctx: References, errors: RowErrors) -> None:
        region = ctx.region(values["region"], errors) if "region" in values else None
        if region is not None:
            obj.region = region
        phone = values.get("owner_phone")
        if "owner_phone" in values and not phone:
            obj.owner = None
        elif phone and not (obj.owner_id and phone == mask_phone(obj.owner.phone)):
            owners = ctx.customers.get(phone, [])
            if len(owners) == 1:
                obj.owner = owners[0]
            else:
                errors.add(
                    "owner_phone",
                    _("No customer you can see has this phone number.")
                    if not owners
                    else _("Several customers have this phone number; link the owner by hand."),
                )
        if "fleet" in values:
            name = values["fleet"]
            obj.fleet = (
                ctx.one(ctx.fleets, "fleet", name, errors, _("fleet customer")) if name else None
            )

    def export_queryset(self, user: Any) -> models.QuerySet[Any]:
        return super().export_queryset(user).select_related("region", "owner", "fleet")


IMPORTERS: dict[str, Importer] = {
    i.kind: i for i in (OutletImporter(), UnitImporter(), StaffImporter(), VehicleImporter())
}


def importable_kinds(user: Any) -> list[Importer]:
    """The kinds this user's role may change, in menu order."""
    return [i for i in IMPORTERS.values() if may_change(user, i.model)]


# --- pages ---------------------------------------------------------------------------------

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
FORMATS = ("xlsx", "csv")
MODES = (
    (CREATE, _("Add new rows only (an existing code is an error)")),
    (UPSERT, _("Add new rows and update existing ones")),
)


class ImportForm(forms.Form):
    """Kind, mode and file of an upload; the file is read here so a broken file is a form error."""

    kind = forms.ChoiceField(label=_("What to import"))
    mode = forms.ChoiceField(
        label=_("Mode"), choices=MODES, initial=CREATE, widget=forms.RadioSelect
    )
    file = forms.FileField(label=_("Spreadsheet (.xlsx or .csv)"))
    check_only = forms.BooleanField(label=_("Check only, save nothing"), required=False)

    def __init__(self, *args: Any, kinds: list[Importer], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(i.kind, i.title) for i in kinds]
        self.table: Table | None = None

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 10 MB; split it."))
        try:
            self.table = read_table(upload.read(), upload.name)
        except SpreadsheetError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return upload


@login_required
def import_page(request: HttpRequest) -> HttpResponse:
    """Upload a spreadsheet of one kind; show the per-row report or what was saved."""
    kinds = importable_kinds(request.user)
    if not kinds:
        raise PermissionDenied
    result: ImportResult | None = None
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        if kind in IMPORTERS and IMPORTERS[kind] not in kinds:
            raise PermissionDenied  # a role that may not change this model may not import it
        form = ImportForm(request.POST, request.FILES, kinds=kinds)
        if form.is_valid() and form.table is not None:
            importer = IMPORTERS[form.cleaned_data["kind"]]
            result = importer.run(
                form.table,
                request.user,
                form.cleaned_data["mode"],
                commit=not form.cleaned_data["check_only"],
            )
    else:
        form = ImportForm(kinds=kinds, initial={"kind": request.GET.get("kind", kinds[0].kind)})
    status = 422 if result is not None and not result.ok else 200
    return render(
        request,
        "network/import.html",
        {
            "form": form,
            "result": result,
            "kinds": kinds,
            "all_kinds": list(IMPORTERS.values()),
            "checked_only": request.method == "POST"
            and form.is_valid()
            and form.cleaned_data["check_only"],
        },
        status=status,
    )


@dataclass(frozen=True)
class Export:
    content: bytes
    filename: str
    content_type: str
    rows: int


def build_export(importer: Importer, user: Any, fmt: str, *, template: bool = False) -> Export:
    """The rows ``user`` may view, in the import's columns; a blank template when asked.

    Personal data is masked unless the user may see it; an export that holds it unmasked is
    logged once, as a view of every row (object "*"), because the file leaves the system.
    """
    if fmt not in FORMATS:
        raise ValueError(fmt)
    show = getattr(user, "may_see_pii", False)
    rows, revealed = ([], set()) if template else importer.export_rows(user, reveal=show)
    columns = importer.columns
    if fmt == "xlsx":
        notes = template_notes(importer) if template else ()
        content = write_xlsx(columns, rows, title=importer.kind, notes=notes)
    else:
        content = write_csv(columns, rows)
    for model in sorted(revealed):
        PersonalDataAccess.objects.create(
            user=user,
            request_id=current_actor().request_id,
            model=model,
            object_pk="*",
            fields="phone",
            purpose=f"export {importer.kind} ({len(rows)} rows)",
        )
    stamp = timezone.localdate().strftime("%Y%m%d")
    name = f"{importer.kind}-template.{fmt}" if template else f"{importer.kind}-{stamp}.{fmt}"
    return Export(
        content, name, XLSX_CONTENT_TYPE if fmt == "xlsx" else CSV_CONTENT_TYPE, len(rows)
    )


@login_required
def export(request: HttpRequest, kind: str) -> HttpResponse:
    """Download the user's rows (``?format=xlsx|csv``) or a blank template (``&template=1``)."""
    importer = IMPORTERS.get(kind)
    if importer is None:
        raise Http404
    fmt = request.GET.get("format", "xlsx")
    if fmt not in FORMATS:
        raise Http404
    result = build_export(importer, request.user, fmt, template=request.GET.get("template") == "1")
    response = HttpResponse(result.content, content_type=result.content_type)
    response["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    response["Cache-Control"] = "no-store"  # exports may carry personal data
    return response
