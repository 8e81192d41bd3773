"""The monthly report (KPI-4): one sheet per section, IDs as text, a PDF that embeds its font,
scheduled by the worker on the 1st (Asia/Shanghai)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from anxin.quality import handlers, report
from anxin.quality.models import MonthlyReport
from anxin.worker.models import Job

from .helpers import T0, make_units, rescue

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 3, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def october(admin_user, east, hangzhou, base):
    units = make_units(base, 3)
    # One unit is slow on every job: it should stand out as a problem area.
    for i in range(12):
        rescue(admin_user, east, hangzhou, units[0], T0 + dt.timedelta(hours=2 * i), 35)
        rescue(admin_user, east, hangzhou, units[1], T0 + dt.timedelta(hours=2 * i, minutes=20), 8)
        rescue(admin_user, east, hangzhou, units[2], T0 + dt.timedelta(hours=2 * i, minutes=40), 9)
    return units


def test_the_spreadsheet_has_one_sheet_per_section_and_ids_as_text(october, east, tmp_path):
    out = tmp_path / "r.xlsx"
    call_command("report", "monthly", "--month", "2026-10", "--format", "xlsx", "--out", str(out))
    wb = load_workbook(io.BytesIO(out.read_bytes()))
    assert {"indicators", "regions", "hotspots", "alerts", "tasks", "scores", "daily",
            "complaints", "improvements"} <= set(wb.sheetnames)  # fmt: skip
    rows = list(wb["indicators"].iter_rows(values_only=True))
    mean = next(r for r in rows if r[0] == "rescue_response_mean")
    assert mean[4] == pytest.approx((35 * 12 + 8 * 12 + 9 * 12) / 36, abs=0.01)
    region_row = next(r for r in wb["regions"].iter_rows(values_only=True) if r[1] == east.name)
    assert isinstance(region_row[0], str)
    hot = [r for r in wb["hotspots"].iter_rows(values_only=True) if r[2] == str(october[0].pk)]
    assert hot and hot[0][5] == 12 and hot[0][8] >= 2  # 12 problems of 12, z ≥ 2
    assert all(isinstance(r[2], str) for r in wb["hotspots"].iter_rows(min_row=4, values_only=True))


def test_the_pdf_embeds_a_chinese_font(october, tmp_path):
    out = tmp_path / "r.pdf"
    call_command("report", "monthly", "--month", "2026-10", "--format", "pdf", "--out", str(out))
    data = out.read_bytes()
    assert data.startswith(b"%PDF") and b"/FontFile2" in data and b"NotoSansSC" in data


def test_a_future_month_is_refused(tmp_path):
    with pytest.raises(CommandError, match="future"):
        call_command("report", "monthly", "--month", "2027-02", "--format", "xlsx",
                     "--out", str(tmp_path / "x.xlsx"))  # fmt: skip


def test_the_worker_schedules_last_months_report_once_and_stores_it(october):
    assert handlers.schedule_monthly_report(NOW) == 1
    handlers.schedule_monthly_report(NOW)
    job = Job.objects.get(kind="quality.monthly_report")
    assert job.payload == {"month": "2026-10"}
    handlers.build_monthly_report(job.payload, job)
    stored = MonthlyReport.objects.get(month=dt.date(2026, 10, 1))
    assert stored.xlsx and stored.pdf
    assert handlers.schedule_monthly_report(NOW) == 0


def test_month_boundaries_are_shanghai_days(admin_user, east, hangzhou, base):
    (unit,) = make_units(base, 1)
    # 23:50 on 31 October in Shanghai is 15:50 UTC: an October job.
    late = dt.datetime(2026, 10, 31, 23, 50, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    rescue(admin_user, east, hangzhou, unit, late, 12)
    assert report.monthly_data("2026-10").daily[-1][2] == 1
    assert sum(n for _d, _v, n in report.monthly_data("2026-11").daily) == 0


def test_the_report_is_downloadable_in_the_app_by_national_roles(october, auditor, dispatcher):
    from ..conftest import logged_in

    report.store_report("2026-10")
    client = logged_in(auditor)
    assert "2026-10" in client.get("/quality/reports/").content.decode()
    response = client.get("/quality/reports/2026-10.xlsx")
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:2] == b"PK"
    assert logged_in(dispatcher).get("/quality/reports/2026-10.pdf").status_code == 404
    # Asking for a month in the app queues it for the worker.
    client.post("/quality/reports/", {"month": "2026-09"})
    assert Job.objects.filter(kind="quality.monthly_report", payload={"month": "2026-09"}).exists()
