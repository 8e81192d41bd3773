"""Spreadsheet import and export of outlets, rescue units, staff and vehicles (NET-1..4)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from anxin.accounts.roles import Role
from anxin.audit.changelog import snapshot
from anxin.audit.models import ChangeLogEntry, PersonalDataAccess
from anxin.core.spreadsheets import read_table
from anxin.core.validators import make_vin
from anxin.customers.models import Customer, FleetCustomer, Vehicle
from anxin.network.importers import UPSERT
from anxin.network.imports import IMPORTERS, build_export
from anxin.network.models import Outlet, RescueUnit
from anxin.people.models import Staff
from tests.conftest import logged_in, make_user

VIN = make_vin("LSVAM4187C2", "184477")

OUTLET_HEADERS = ["网点编码", "网点名称", "大区编码", "城市", "纬度", "经度", "电话"]


def csv_bytes(rows: list[list[object]], encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[object]], *, as_text: bool = False) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    if as_text:  # what a user gets by typing into a text-formatted cell: never a formula
        for line in book.active.iter_rows():
            for cell in line:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run(kind: str, data: bytes, user, filename: str = "net.csv", mode: str = "create"):
    return IMPORTERS[kind].run(read_table(data, filename), user, mode)


def state() -> tuple[int, ...]:
    return (
        Outlet.objects.count(),
        RescueUnit.objects.count(),
        Staff.objects.count(),
        Vehicle.objects.count(),
        ChangeLogEntry.objects.count(),
    )


def errors_of(result) -> list[tuple[int, str]]:
    return [(e.row, e.field) for e in result.errors]


@pytest.fixture
def east_manager(east):
    return make_user("manager_east", Role.REGIONAL_MANAGER, east)


@pytest.fixture
def south_outlet(south, guangzhou) -> Outlet:
    return Outlet.objects.create(
        code="GZ-001", name="广州天河服务站", region=south, city=guangzhou, lat=23.13, lon=113.33
    )


@pytest.fixture
def network(outlet, base, unit, south_outlet):
    """One row of every kind in the east, with the references a round trip must keep."""
    owner = Customer.objects.create(name="刘德明", phone="13900001111", region=outlet.region)
    fleet = FleetCustomer.objects.create(
        name="杭州公交集团", kind="enterprise", region=outlet.region
    )
    Outlet.objects.filter(pk=outlet.pk).update(
        phone="0571-87654321", opens_at="07:45", body_shop=True
    )
    RescueUnit.objects.filter(pk=unit.pk).update(commissioned_on=dt.date(2023, 5, 6))
    Staff.objects.create(
        employee_no="E0001",
        name="王建国",
        phone="13812345678",
        role=Role.TECHNICIAN,
        region=outlet.region,
        base=base,
        unit=unit,
    )
    Vehicle.objects.create(
        vin=VIN,
        plate="浙A8K123",
        brand="吉利",
        model="银河E5",
        powertrain="bev",
        high_voltage=True,
        owner=owner,
        fleet=fleet,
        region=outlet.region,
        sold_on=dt.date(2024, 3, 1),
        warranty_until=dt.date(2032, 3, 1),
        mileage_km=12000,
    )


# A unit's live status and position come from dispatch and telematics, not from spreadsheets.
NOT_IN_SPREADSHEETS = {"id", "status", "last_lat", "last_lon", "last_seen_at"}


def _state_of(model, key: str) -> dict[str, dict]:
    return {
        getattr(o, key): {k: v for k, v in snapshot(o).items() if k not in NOT_IN_SPREADSHEETS}
        for o in model.objects.all()
    }


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize("kind", ["outlets", "units", "staff", "vehicles"])
def test_an_export_imports_back_to_the_same_rows(network, admin_user, kind, fmt):
    importer = IMPORTERS[kind]
    before = _state_of(importer.model, importer.key)
    exported = build_export(importer, admin_user, fmt)

    unchanged = run(kind, exported.content, admin_user, exported.filename, mode=UPSERT)
    assert unchanged.ok, unchanged.errors
    assert (unchanged.created, unchanged.updated, unchanged.unchanged) == (0, 0, len(before))

    if kind == "outlets":
        Staff.objects.update(outlet=None)
        Outlet.objects.filter(region__code="east").delete()
        before.pop("GZ-001")  # an admin sees the south too; keep it, so only east is recreated
    elif kind == "units":
        RescueUnit.objects.all().delete()
    else:
        importer.model.objects.all().delete()
    recreated = run(kind, exported.content, admin_user, exported.filename, mode=UPSERT)
    assert recreated.ok, recreated.errors
    assert recreated.created == len(before)
    after = _state_of(importer.model, importer.key)
    assert {k: after[k] for k in before} == before


def test_a_gb18030_csv_with_chinese_names_imports(east, hangzhou, east_manager):
    data = csv_bytes(
        [OUTLET_HEADERS, ["HZ-101", "杭州滨江旗舰服务中心", "east", "杭州市", 30.21, 120.21, ""]],
        encoding="gb18030",
    )
    result = run("outlets", data, east_manager)
    assert result.ok, result.errors
    assert result.encoding == "gb18030"
    assert Outlet.objects.get(code="HZ-101").name == "杭州滨江旗舰服务中心"


def test_a_utf8_csv_with_bom_and_english_headers_imports(east, hangzhou, east_manager):
    data = csv_bytes(
        [
            ["Code", "NAME", "region", "city code", "latitude", "longitude"],
            ["HZ-102", "杭州萧山服务站", "east", "330100", "30.18", "120.26"],
        ]
    )
    result = run("outlets", data, east_manager)
    assert result.ok, result.errors
    assert result.encoding == "utf-8-sig"
    assert Outlet.objects.get(code="HZ-102").city == hangzhou


def test_a_malformed_vin_names_row_and_field_and_saves_nothing(east, dispatcher):
    bad_vin = VIN[:8] + ("1" if VIN[8] != "1" else "2") + VIN[9:]
    data = csv_bytes(
        [
            ["车架号", "品牌", "车型", "动力类型", "大区编码"],
            [VIN, "吉利", "银河E5", "bev", "east"],
            [bad_vin, "吉利", "银河L7", "hev", "east"],
        ]
    )
    client = logged_in(dispatcher)  # signing in writes last_login, itself a logged change
    counts = state()
    response = client.post(
        reverse("network:imports"),
        {"kind": "vehicles", "mode": "create", "file": SimpleUploadedFile("cars.csv", data)},
    )
    assert response.status_code == 422
    result = response.context["result"]
    assert errors_of(result) == [(3, "车架号")]
    assert "check digit" in result.errors[0].message
    assert "check digit" in response.content.decode()
    assert state() == counts


def test_coordinates_outside_china_or_the_globe_are_refused(east, hangzhou, east_manager):
    data = csv_bytes(
        [
            OUTLET_HEADERS,
            ["HZ-201", "伦敦", "east", "杭州市", 51.5, -0.12, ""],
            ["HZ-202", "越界", "east", "杭州市", 91, 120.1, ""],
        ]
    )
    counts = state()
    result = run("outlets", data, east_manager)
    assert errors_of(result) == [(2, "经度"), (3, "纬度")]
    assert "outside China" in result.errors[0].message
    assert "between -90 and 90" in result.errors[1].message
    assert state() == counts


def test_a_phone_that_is_not_a_phone_is_refused(east, hangzhou, east_manager):
    data = csv_bytes(
        [OUTLET_HEADERS, ["HZ-301", "杭州东站", "east", "杭州市", 30.29, 120.21, "abc"]]
    )
    result = run("outlets", data, east_manager)
    assert errors_of(result) == [(2, "电话")]
    assert "is not a phone number" in result.errors[0].message


@pytest.mark.parametrize("filename", ["net.csv", "net.xlsx"])
def test_a_formula_cell_is_refused(east, hangzhou, east_manager, filename):
    rows = [
        OUTLET_HEADERS,
        ["HZ-401", '=HYPERLINK("http://x.example","点此")', "east", "杭州市", 30.2, 120.1, ""],
    ]
    data = csv_bytes(rows) if filename.endswith("csv") else xlsx_bytes(rows, as_text=True)
    counts = state()
    result = run("outlets", data, east_manager, filename)
    assert errors_of(result) == [(2, "网点名称")]
    assert "formula" in result.errors[0].message
    assert state() == counts


def test_a_negative_number_in_a_numeric_column_is_not_a_formula(east, hangzhou, east_manager):
    data = csv_bytes([OUTLET_HEADERS, ["HZ-402", "杭州南站", "east", "杭州市", 30.2, "-120.1", ""]])
    result = run("outlets", data, east_manager)
    assert errors_of(result) == [(2, "经度")]
    assert "formula" not in result.errors[0].message  # refused as a coordinate, not as a formula


def test_excel_floats_are_recovered_but_lost_digits_are_refused(east, hangzhou, east_manager):
    data = csv_bytes(
        [
            OUTLET_HEADERS,
            ["HZ-501", "杭州北站", "east", "杭州市", 30.3, 120.1, "13812345678.0"],
            ["HZ-502", "杭州西站", "east", "杭州市", 30.3, 120.0, "1.38123E+10"],
        ]
    )
    result = run("outlets", data, east_manager)
    assert errors_of(result) == [(3, "电话")]
    assert "scientific notation" in result.errors[0].message
    numeric = xlsx_bytes(
        [OUTLET_HEADERS, ["HZ-501", "杭州北站", "east", "杭州市", 30.3, 120.1, 13812345678.0]]
    )
    assert run("outlets", numeric, east_manager, "net.xlsx").ok
    assert Outlet.objects.get(code="HZ-501").phone == "13812345678"


def test_a_key_twice_in_the_file_names_both_rows(east, hangzhou, east_manager):
    data = csv_bytes(
        [
            OUTLET_HEADERS,
            ["HZ-601", "甲", "east", "杭州市", 30.2, 120.1, ""],
            ["HZ-602", "乙", "east", "杭州市", 30.2, 120.1, ""],
            ["HZ-601", "丙", "east", "杭州市", 30.2, 120.1, ""],
        ]
    )
    counts = state()
    result = run("outlets", data, east_manager)
    assert errors_of(result) == [(4, "网点编码")]
    assert "rows 2 and 4" in result.errors[0].message
    assert state() == counts


def test_an_existing_key_is_refused_in_create_mode_and_updated_with_before_and_after_in_upsert(
    outlet, east_manager
):
    data = csv_bytes(
        [OUTLET_HEADERS, ["HZ-001", "杭州西湖旗舰店", "east", "330100", 30.259, 120.130, ""]]
    )
    counts = state()
    refused = run("outlets", data, east_manager)
    assert errors_of(refused) == [(2, "网点编码")]
    assert "already exists" in refused.errors[0].message
    assert state() == counts

    updated = run("outlets", data, east_manager, mode=UPSERT)
    assert (updated.created, updated.updated) == (0, 1)
    outlet.refresh_from_db()
    assert outlet.name == "杭州西湖旗舰店"
    entry = ChangeLogEntry.objects.filter(model="network.outlet", object_pk=str(outlet.pk)).last()
    assert entry.action == "update"
    assert "杭州西湖服务站" in entry.before and "杭州西湖旗舰店" in entry.after


def test_upsert_does_not_touch_a_row_the_user_may_not_change(south_outlet, east_manager):
    data = csv_bytes([OUTLET_HEADERS, ["GZ-001", "改名", "east", "330100", 30.2, 120.1, ""]])
    counts = state()
    result = run("outlets", data, east_manager, mode=UPSERT)
    assert errors_of(result) == [(2, "网点编码")]
    assert state() == counts


def test_a_technician_may_not_import(south_technician, south, guangzhou):
    client = logged_in(south_technician)
    assert client.get(reverse("network:imports")).status_code == 403
    data = csv_bytes([OUTLET_HEADERS, ["GZ-901", "广州", "south", "440100", 23.1, 113.3, ""]])
    counts = state()
    response = client.post(
        reverse("network:imports"),
        {"kind": "outlets", "mode": "create", "file": SimpleUploadedFile("o.csv", data)},
    )
    assert response.status_code == 403
    assert state() == counts


def test_a_dispatcher_may_not_import_outlets_at_all(dispatcher, south, guangzhou):
    data = csv_bytes([OUTLET_HEADERS, ["GZ-902", "广州", "south", "440100", 23.1, 113.3, ""]])
    client = logged_in(dispatcher)
    counts = state()
    response = client.post(
        reverse("network:imports"),
        {"kind": "outlets", "mode": "create", "file": SimpleUploadedFile("o.csv", data)},
    )
    assert response.status_code == 403
    assert state() == counts


def test_nobody_in_the_east_may_import_into_the_south(
    east, south, guangzhou, east_manager, dispatcher
):
    client = logged_in(dispatcher)
    counts = state()
    outlets = csv_bytes([OUTLET_HEADERS, ["GZ-903", "广州", "south", "440100", 23.1, 113.3, ""]])
    result = run("outlets", outlets, east_manager)
    assert errors_of(result) == [(2, "大区编码")]
    assert "outside the regions you may change" in result.errors[0].message
    vehicles = csv_bytes(
        [
            ["车架号", "品牌", "车型", "动力类型", "大区编码"],
            [VIN, "吉利", "银河E5", "bev", "south"],
        ]
    )
    response = client.post(
        reverse("network:imports"),
        {"kind": "vehicles", "mode": "create", "file": SimpleUploadedFile("v.csv", vehicles)},
    )
    assert errors_of(response.context["result"]) == [(2, "大区编码")]
    assert state() == counts


def test_the_page_reports_counts_on_success(east, hangzhou, east_manager):
    data = xlsx_bytes(
        [
            OUTLET_HEADERS,
            ["HZ-701", "杭州临平服务站", "east", "杭州市", 30.42, 120.3, "0571-86001234"],
        ]
    )
    response = logged_in(east_manager).post(
        reverse("network:imports"),
        {"kind": "outlets", "mode": "create", "file": SimpleUploadedFile("o.xlsx", data)},
    )
    assert response.status_code == 200
    assert response.context["result"].created == 1
    assert ChangeLogEntry.objects.filter(model="network.outlet", action="create").count() == 1


def test_a_file_that_is_not_a_spreadsheet_is_a_form_error(east_manager):
    response = logged_in(east_manager).post(
        reverse("network:imports"),
        {"kind": "outlets", "mode": "create", "file": SimpleUploadedFile("o.pdf", b"%PDF-1.4")},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["file"]


def test_a_missing_required_column_is_reported_on_the_header_row(east_manager):
    result = run("outlets", csv_bytes([["网点编码", "网点名称"], ["HZ-1", "x"]]), east_manager)
    assert (1, "大区编码") in errors_of(result)


def test_an_export_escapes_text_that_would_run_as_a_formula(outlet, admin_user):
    Outlet.objects.filter(pk=outlet.pk).update(name='=HYPERLINK("http://x")')
    text = build_export(IMPORTERS["outlets"], admin_user, "csv").content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    sheet = load_workbook(
        io.BytesIO(build_export(IMPORTERS["outlets"], admin_user, "xlsx").content)
    ).active
    assert sheet["B2"].value.startswith("'=")
    assert sheet["B2"].data_type == "s"


def test_an_export_holds_only_the_users_region(outlet, south_outlet, east_manager):
    response = logged_in(east_manager).get(
        reverse("network:export", args=["outlets"]), {"format": "csv"}
    )
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    text = response.content.decode("utf-8-sig")
    assert "HZ-001" in text and "GZ-001" not in text


def test_xlsx_exports_keep_vins_and_phones_as_text_cells(network, admin_user):
    vehicles = load_workbook(
        io.BytesIO(build_export(IMPORTERS["vehicles"], admin_user, "xlsx").content)
    ).active
    vin, phone = vehicles["A2"], vehicles["I2"]
    assert vin.value == VIN and phone.value == "13900001111"
    assert vin.data_type == phone.data_type == "s"
    assert vin.number_format == phone.number_format == "@"
    assert vehicles.freeze_panes == "A2" and vehicles["A1"].font.b


def test_staff_phones_are_masked_unless_the_role_sees_personal_data(
    network, east_manager, admin_user
):
    masked = build_export(IMPORTERS["staff"], east_manager, "csv").content.decode("utf-8-sig")
    assert "138****5678" in masked and "13812345678" not in masked
    assert not PersonalDataAccess.objects.exists()

    full = build_export(IMPORTERS["staff"], admin_user, "csv").content.decode("utf-8-sig")
    assert "13812345678" in full
    access = PersonalDataAccess.objects.get()
    assert (access.user, access.model, access.object_pk, access.fields) == (
        admin_user,
        "people.staff",
        "*",
        "phone",
    )


def test_a_masked_export_can_be_imported_back_to_update_without_losing_phones(
    network, east_manager
):
    exported = build_export(IMPORTERS["staff"], east_manager, "xlsx")
    data = load_workbook(io.BytesIO(exported.content))
    data.active["B2"] = "王建军"
    out = io.BytesIO()
    data.save(out)
    result = run("staff", out.getvalue(), east_manager, "staff.xlsx", mode=UPSERT)
    assert result.ok, result.errors
    staff = Staff.objects.get(employee_no="E0001")
    assert (staff.name, staff.phone) == ("王建军", "13812345678")


def test_a_blank_template_has_the_headers_and_text_columns(east_manager):
    response = logged_in(east_manager).get(
        reverse("network:export", args=["staff"]), {"format": "xlsx", "template": "1"}
    )
    book = load_workbook(io.BytesIO(response.content))
    headers = [c.value for c in book.worksheets[0][1]]
    assert headers[:3] == ["工号", "姓名", "手机号"] and book.worksheets[0].max_row == 1
    assert book.worksheets[0].column_dimensions["C"].number_format == "@"


def test_the_import_command_prints_the_report_and_fails(tmp_path, east, hangzhou, capsys):
    path = tmp_path / "net.csv"
    path.write_bytes(
        csv_bytes([OUTLET_HEADERS, ["HZ-801", "杭州", "east", "杭州市", 30.2, 120.1, "abc"]])
    )
    counts = state()
    with pytest.raises(CommandError):
        call_command("import_master", "outlets", str(path))
    assert "row 2\t电话" in capsys.readouterr().out
    assert state() == counts


def test_the_commands_import_and_export(tmp_path, east, hangzhou, east_manager):
    source = tmp_path / "net.xlsx"
    source.write_bytes(
        xlsx_bytes([OUTLET_HEADERS, ["HZ-802", "杭州", "east", "杭州市", 30.2, 120.1, ""]])
    )
    call_command("import_master", "outlets", str(source), "--user", east_manager.username)
    entry = ChangeLogEntry.objects.get(model="network.outlet", action="create")
    assert entry.actor_id == east_manager.pk
    target = tmp_path / "out.csv"
    call_command("export_master", "outlets", str(target))
    assert "HZ-802" in target.read_bytes().decode("utf-8-sig")


def test_units_take_kinds_and_capabilities_by_value_or_label(base, east_manager):
    headers = ["救援车编号", "车牌号", "车辆类型", "基地编码", "救援能力"]
    data = csv_bytes([headers, ["T10", "浙a54321", "Flatbed", "HZB-1", "towing、Jump start"]])
    result = run("units", data, east_manager)
    assert result.ok, result.errors
    unit = RescueUnit.objects.get(code="T10")
    assert (unit.plate, unit.kind, unit.capabilities) == (
        "浙A54321",
        "flatbed",
        ["towing", "jump_start"],
    )

    bad = csv_bytes([headers, ["T11", "ABC", "crane", "HZB-1", "teleport"]])
    assert errors_of(run("units", bad, east_manager)) == [
        (2, "车牌号"),
        (2, "车辆类型"),
        (2, "救援能力"),
    ]


def test_staff_may_not_be_placed_at_an_outlet_of_another_region(outlet, south_outlet, admin_user):
    headers = ["工号", "姓名", "手机号", "岗位", "大区编码", "网点编码"]
    data = csv_bytes(
        [headers, ["E9", "李四", "+86 139 0000 2222", "service_advisor", "east", "GZ-001"]]
    )
    counts = state()
    result = run("staff", data, admin_user)
    assert errors_of(result) == [(2, "网点编码")]
    assert "another region" in result.errors[0].message
    assert state() == counts
    fixed = csv_bytes(
        [headers, ["E9", "李四", "+86 139 0000 2222", "service_advisor", "east", "HZ-001"]]
    )
    assert run("staff", fixed, admin_user).ok
    assert Staff.objects.get(employee_no="E9").phone == "13900002222"


def test_check_only_reports_but_saves_nothing(east, hangzhou, east_manager):
    data = csv_bytes([OUTLET_HEADERS, ["HZ-990", "杭州", "east", "杭州市", 30.2, 120.1, ""]])
    client = logged_in(east_manager)
    counts = state()
    response = client.post(
        reverse("network:imports"),
        {
            "kind": "outlets",
            "mode": "create",
            "check_only": "on",
            "file": SimpleUploadedFile("o.csv", data),
        },
    )
    assert response.status_code == 200 and response.context["result"].ok
    assert state() == counts
