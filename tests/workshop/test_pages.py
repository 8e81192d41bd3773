"""The workshop pages: who sees what, bad input shown on the form with nothing changed, the
customer's links, and the electronic work order's PDF rendered by the worker."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from anxin.accounts.roles import Role
from anxin.core.validators import make_vin
from anxin.customers.models import Customer, Vehicle
from anxin.worker.models import Job
from anxin.worker.runner import claim, run_job
from anxin.workshop import appointments as booking
from anxin.workshop.choices import AppointmentState, InspectionStage, WorkOrderState
from anxin.workshop.ework import RENDER_JOB
from anxin.workshop.models import (
    Appointment,
    ExpertRequest,
    Inspection,
    InspectionPhoto,
    WorkOrder,
    WorkOrderTransition,
)
from tests.conftest import logged_in, make_user

from .conftest import good_results, photo_upload

S = WorkOrderState
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def south_advisor(south):
    return make_user("advisor_south", Role.SERVICE_ADVISOR, south)


def soon() -> str:
    at = timezone.localtime(timezone.now() + dt.timedelta(days=1)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    return at.strftime("%Y-%m-%dT%H:%M")


def booking_data(hangzhou, **over):
    data = {
        "vin": make_vin("LAX1E2A3P4", "000777"),
        "plate": "浙A F7777",
        "brand": "安心",
        "model": "星驰 EV",
        "powertrain": "bev",
        "contact_name": "陈女士",
        "contact_phone": "13700001111",
        "job_type": "maintenance",
        "service_items": "更换空调滤芯, 常规保养",
        "description": "",
        "preferred_at": soon(),
        "city": hangzhou.pk,
        "lat": "30.26",
        "lon": "120.13",
        "address": "文三路",
    }
    data.update(over)
    return data


def post(client, wo, what, data, **extra):
    return client.post(reverse("workshop:act", args=[wo.pk, what]), data, **extra)


# --- board and scoping -------------------------------------------------------------------
def test_the_board_shows_the_advisors_open_work_orders_and_not_another_regions(
    advisor, south_advisor, open_order, car
):
    wo = open_order(car)
    page = logged_in(advisor).get(reverse("workshop:board"))
    assert page.status_code == 200
    assert wo.number in page.content.decode()
    other = logged_in(south_advisor).get(reverse("workshop:board"))
    assert wo.number not in other.content.decode()
    assert (
        logged_in(south_advisor).get(reverse("workshop:work_order", args=[wo.pk])).status_code
        == 404
    )


def test_a_regional_manager_narrows_the_board_to_one_outlet(
    manager, east, hangzhou, shop, open_order, car
):
    from anxin.network.models import Outlet

    other = Outlet.objects.create(
        code="HZ-002", name="杭州滨江服务站", region=east, city=hangzhou, lat=30.2, lon=120.2
    )
    wo = open_order(car)
    client = logged_in(manager)
    assert wo.number in client.get(reverse("workshop:board")).content.decode()
    narrowed = client.get(reverse("workshop:board") + f"?outlet={other.pk}").content.decode()
    assert wo.number not in narrowed
    assert "杭州滨江服务站" in narrowed


def test_pages_need_a_login_but_the_customer_links_do_not(client, open_order, car):
    wo = open_order(car)
    assert client.get(reverse("workshop:board")).status_code == 302
    assert client.get(reverse("workshop:work_order", args=[wo.pk])).status_code == 302
    assert client.get(reverse("workshop:public_book")).status_code == 200


def test_a_technician_sees_his_jobs_on_the_phone_view(technician, hv_tech_staff, open_order, car):
    wo = open_order(car, technician=hv_tech_staff)
    page = logged_in(technician).get(reverse("workshop:tech"))
    assert wo.number in page.content.decode()
    job = logged_in(technician).get(reverse("workshop:tech_job", args=[wo.pk]))
    assert job.status_code == 200
    assert "next-step" in job.content.decode()


# --- booking -----------------------------------------------------------------------------
def test_phone_booking_assigns_an_outlet_and_shows_why(advisor, shop, hangzhou):
    response = logged_in(advisor).post(reverse("workshop:book"), booking_data(hangzhou))
    assert response.status_code == 302, response.content.decode()[:2000]
    appt = Appointment.objects.get()
    assert appt.outlet == shop
    assert appt.channel == "phone"
    page = logged_in(advisor).get(response["Location"]).content.decode()
    assert shop.name in page
    assert "assignment" in page


def test_a_vin_failing_its_check_digit_is_a_form_error_and_nothing_is_stored(advisor, hangzhou):
    vin = make_vin("LAX1E2A3P4", "000777")
    bad = vin[:8] + ("0" if vin[8] != "0" else "1") + vin[9:]
    response = logged_in(advisor).post(reverse("workshop:book"), booking_data(hangzhou, vin=bad))
    assert response.status_code == 422
    assert "VIN" in response.content.decode() or "vin" in response.content.decode()
    assert not Appointment.objects.exists()
    assert not Vehicle.objects.filter(vin=bad).exists()
    assert not Customer.objects.filter(phone="13700001111").exists()


def test_a_technician_may_not_book_by_phone(technician):
    assert logged_in(technician).get(reverse("workshop:book")).status_code == 403


def test_the_public_booking_page_books_without_a_login_and_is_rate_limited(client, shop, hangzhou):
    data = booking_data(hangzhou, consent="on", website="")
    response = client.post(reverse("workshop:public_book"), data)
    assert response.status_code == 302
    appt = Appointment.objects.get()
    assert appt.channel == "web"
    assert response["Location"] == reverse("workshop:appointment_public", args=[appt.token])
    status = client.get(response["Location"])
    assert status.status_code == 200
    assert shop.name in status.content.decode()
    codes = [client.post(reverse("workshop:public_book"), data).status_code for _ in range(6)]
    assert codes[-1] == 429


def test_the_public_page_refuses_a_booking_without_consent(client, shop, hangzhou):
    response = client.post(reverse("workshop:public_book"), booking_data(hangzhou))
    assert response.status_code == 422
    assert not Appointment.objects.exists()


# --- appointment page --------------------------------------------------------------------
@pytest.fixture
def appt(advisor, shop, car):
    return booking.book_appointment(
        actor=advisor,
        vehicle=car,
        customer=car.owner,
        contact_phone="13812345678",
        job_type="maintenance",
        preferred_at=timezone.now() + dt.timedelta(hours=3),
        lat=30.26,
        lon=120.13,
    )


def test_declining_without_a_reason_is_a_form_error_and_the_appointment_stays(advisor, appt):
    client = logged_in(advisor)
    url = reverse("workshop:appointment_act", args=[appt.pk, "respond"])
    response = client.post(url, {"kind": "decline", "note": ""})
    assert response.status_code == 422
    appt.refresh_from_db()
    assert appt.state == AppointmentState.BOOKED
    response = client.post(url, {"kind": "confirm", "note": ""})
    assert response.status_code == 302
    appt.refresh_from_db()
    assert appt.state == AppointmentState.CONFIRMED


def test_the_customer_accepts_a_proposed_slot_on_the_personal_link(client, advisor, appt):
    later = timezone.localtime(appt.preferred_at + dt.timedelta(days=1)).replace(
        hour=14, minute=0, second=0, microsecond=0
    )
    url = reverse("workshop:appointment_act", args=[appt.pk, "respond"])
    proposed = logged_in(advisor).post(
        url,
        {"kind": "propose", "proposed_at": later.strftime("%Y-%m-%dT%H:%M"), "note": "上午已满"},
    )
    assert proposed.status_code == 302, proposed.content.decode()[:2000]
    link = reverse("workshop:appointment_public", args=[appt.token])
    page = client.get(link).content.decode()
    assert "上午已满" in page and 'value="accept"' in page
    assert client.post(link, {"what": "accept"}).status_code == 302
    appt.refresh_from_db()
    assert appt.state == AppointmentState.CONFIRMED
    assert appt.slot_start == later
    again = client.post(link, {"what": "accept"})
    assert again.status_code == 409


def test_reception_opens_the_work_order_from_the_appointment(advisor, appt):
    client = logged_in(advisor)
    client.post(reverse("workshop:appointment_act", args=[appt.pk, "respond"]), {"kind": "confirm"})
    response = client.post(
        reverse("workshop:appointment_act", args=[appt.pk, "open"]), {"mileage_km": "12345"}
    )
    assert response.status_code == 302
    wo = WorkOrder.objects.get(appointment=appt)
    assert wo.mileage_km == 12345
    assert response["Location"] == reverse("workshop:work_order", args=[wo.pk])


def test_reassigning_without_a_reason_is_a_form_error(advisor, appt, shop):
    url = reverse("workshop:appointment_act", args=[appt.pk, "reassign"])
    response = logged_in(advisor).post(url, {"outlet": shop.pk, "reason": ""})
    assert response.status_code == 422
    assert appt.assignments.count() == 1


def test_the_full_phone_number_is_shown_on_request_and_logged(advisor, technician, appt):
    from anxin.audit.models import PersonalDataAccess

    page = logged_in(advisor).get(reverse("workshop:appointment", args=[appt.pk]))
    assert "13812345678" not in page.content.decode()
    url = reverse("workshop:appointment_contact", args=[appt.pk])
    shown = logged_in(advisor).get(url)
    assert "13812345678" in shown.content.decode()
    assert PersonalDataAccess.objects.filter(user=advisor).count() == 1
    refused = logged_in(technician).get(url)
    assert refused.status_code == 403 and "13812345678" not in refused.content.decode()
    assert not PersonalDataAccess.objects.filter(user=technician).exists()


def test_another_regions_advisor_cannot_see_the_appointment(south_advisor, appt):
    url = reverse("workshop:appointment", args=[appt.pk])
    assert logged_in(south_advisor).get(url).status_code == 404


# --- work order page ---------------------------------------------------------------------
def test_a_part_not_in_the_catalog_is_a_form_error_and_nothing_changes(
    advisor, open_order, car, walk
):
    wo = walk(open_order(car), S.DIAGNOSIS)
    version = wo.version
    response = post(logged_in(advisor), wo, "add_part", {"part": "NO-SUCH-PART", "quantity": "1"})
    assert response.status_code == 422
    assert "NO-SUCH-PART" in response.content.decode()
    wo.refresh_from_db()
    assert wo.version == version
    assert not wo.part_lines.exists()


def test_lines_and_transitions_go_through_the_page(advisor, open_order, car, walk):
    wo = walk(open_order(car), S.DIAGNOSIS)
    client = logged_in(advisor)
    assert post(client, wo, "add_labour", {"operation": "L-BRK-PAD-F"}).status_code == 302
    assert post(client, wo, "details", {"diagnosis": "前制动片磨损", "version": wo.version + 1})
    wo.refresh_from_db()
    assert wo.diagnosis == "前制动片磨损"
    assert post(client, wo, "transition", {"name": "prepare_quote"}).status_code == 302
    assert post(client, wo, "transition", {"name": "send_quote"}).status_code == 302
    wo.refresh_from_db()
    assert wo.state == S.APPROVAL
    page = client.get(reverse("workshop:work_order", args=[wo.pk])).content.decode()
    assert reverse("workshop:quote", args=[wo.quote_token]) in page


def test_delivery_before_the_completion_check_is_refused_and_nothing_changes(
    advisor, open_order, car, walk
):
    wo = walk(open_order(car), S.IN_WORK)
    count = WorkOrderTransition.objects.filter(work_order=wo).count()
    response = post(logged_in(advisor), wo, "transition", {"name": "deliver"})
    assert response.status_code == 409
    wo.refresh_from_db()
    assert wo.state == S.IN_WORK
    assert WorkOrderTransition.objects.filter(work_order=wo).count() == count


def test_the_deliver_button_is_disabled_with_what_is_missing(advisor, open_order, car, walk):
    wo = walk(open_order(car), S.IN_WORK)
    page = logged_in(advisor).get(reverse("workshop:work_order", args=[wo.pk])).content.decode()
    assert 'class="transition transition-finish_work blocked"' in page
    assert "In-process inspection" in page


def test_hv_work_cannot_start_without_the_discharge_check(advisor, open_order, ev, walk):
    wo = walk(open_order(ev, high_voltage=True), S.APPROVAL)
    wo = walk(wo, S.APPROVED)
    response = post(logged_in(advisor), wo, "transition", {"name": "start_work"})
    assert response.status_code == 422
    assert "HV certificate" in response.content.decode()
    wo.refresh_from_db()
    assert wo.state == S.APPROVED


def test_an_hv_check_by_an_uncertified_technician_is_refused_on_the_form(
    advisor, open_order, ev, walk, plain_staff
):
    wo = walk(open_order(ev, high_voltage=True), S.APPROVED)
    response = post(
        logged_in(advisor),
        wo,
        "hv_check",
        {
            "technician": plain_staff.pk,
            "discharged": "on",
            "residual_voltage": "2",
            "insulation_mohm": "600",
        },
    )
    assert response.status_code == 422
    assert plain_staff.name in response.content.decode()
    assert not wo.hv_checks.exists()


def test_a_checklist_missing_a_required_photo_is_refused_and_nothing_is_stored(
    advisor, open_order, car, hv_tech_staff
):
    wo = open_order(car)
    inspection_items = logged_in(advisor)  # the page opens the entry inspection's form
    page = inspection_items.get(reverse("workshop:work_order", args=[wo.pk])).content.decode()
    assert 'id="inspection-entry"' in page
    results = good_results(wo, InspectionStage.ENTRY)
    data = {f"entry-results_{code}": ("ok" if v is True else v) for code, v in results.items()}
    data.update({"stage": "entry", "sign": "1", "entry-responsible": hv_tech_staff.pk})
    response = post(logged_in(advisor), wo, "inspection", data)
    assert response.status_code == 422
    assert "photo" in response.content.decode()
    assert not Inspection.objects.filter(work_order=wo, signed_at__isnull=False).exists()
    assert not InspectionPhoto.objects.exists()


def test_a_signed_checklist_with_its_photos_completes_the_entry_inspection(
    advisor, open_order, car, hv_tech_staff
):
    from anxin.workshop import checks

    wo = open_order(car)
    template = checks.template_for("entry", wo.job_type)
    results = good_results(wo, InspectionStage.ENTRY)
    data = {f"entry-results_{code}": ("ok" if v is True else v) for code, v in results.items()}
    data.update({"stage": "entry", "sign": "1", "entry-responsible": hv_tech_staff.pk})
    for item in template.items:
        if item.get("photo_required"):
            data[f"entry-photo_{item['code']}"] = photo_upload(f"{item['code']}.jpg")
    response = post(logged_in(advisor), wo, "inspection", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    inspection = Inspection.objects.get(work_order=wo, stage="entry")
    assert inspection.signed_at is not None
    assert inspection.responsible == hv_tech_staff


def test_a_check_out_of_its_step_is_refused_with_the_reason(advisor, open_order, car):
    wo = open_order(car)
    response = post(logged_in(advisor), wo, "inspection", {"stage": "completion", "sign": "1"})
    assert response.status_code == 422
    assert "Completion inspection" in response.content.decode()
    assert not Inspection.objects.filter(work_order=wo).exists()


def test_a_technician_of_another_region_cannot_act_on_the_work_order(
    south_technician, open_order, car
):
    wo = open_order(car)
    response = post(logged_in(south_technician), wo, "transition", {"name": "start_diagnosis"})
    assert response.status_code == 404


def test_customer_service_may_read_but_not_move_a_work_order(service, open_order, car):
    wo = open_order(car)
    client = logged_in(service)
    assert client.get(reverse("workshop:work_order", args=[wo.pk])).status_code == 200
    response = post(client, wo, "transition", {"name": "cancel", "reason": "客户要求"})
    assert response.status_code == 403
    wo.refresh_from_db()
    assert wo.state == S.RECEPTION


def test_the_technicians_phone_starts_and_finishes_an_operation(
    technician, hv_tech_staff, open_order, car, walk
):
    wo = walk(open_order(car, technician=hv_tech_staff), S.IN_WORK)
    line = wo.labour_lines.get()
    client = logged_in(technician)
    back = reverse("workshop:tech_job", args=[wo.pk])
    common = {"line": line.pk, "view": "tech", "next": back}
    started = post(client, wo, "start_operation", common)
    assert started.status_code == 302 and started["Location"] == back
    too_long = post(client, wo, "finish_operation", {**common, f"l{line.pk}-actual_hours": "-1"})
    assert too_long.status_code == 422
    line.refresh_from_db()
    assert line.finished_at is None
    done = post(client, wo, "finish_operation", {**common, f"l{line.pk}-actual_hours": "0.9"})
    assert done.status_code == 302
    line.refresh_from_db()
    assert line.finished_at is not None and str(line.actual_hours) == "0.90"


# --- the customer's quote link -----------------------------------------------------------
def test_the_quote_link_approves_once(client, open_order, car, walk):
    wo = walk(open_order(car), S.APPROVAL)
    url = reverse("workshop:quote", args=[wo.quote_token])
    page = client.get(url)
    assert page.status_code == 200
    assert (
        "前轮制动片" in page.content.decode()
        or wo.quote["lines"][0]["name"] in page.content.decode()
    )
    data = {"decision": "approve", "signer_name": "刘先生", "quote_version": wo.quote_version}
    assert client.post(url, data).status_code == 302
    wo.refresh_from_db()
    assert wo.state == S.APPROVED
    assert wo.approved_via == "link"
    again = client.post(url, data)
    assert again.status_code == 409
    assert WorkOrderTransition.objects.filter(work_order=wo, to_state=S.APPROVED).count() == 1


def test_approving_without_a_name_is_a_form_error(client, open_order, car, walk):
    wo = walk(open_order(car), S.APPROVAL)
    url = reverse("workshop:quote", args=[wo.quote_token])
    response = client.post(url, {"decision": "approve", "quote_version": wo.quote_version})
    assert response.status_code == 422
    wo.refresh_from_db()
    assert wo.state == S.APPROVAL


def test_an_unknown_quote_link_is_not_found(client):
    assert client.get(reverse("workshop:quote", args=["nope"])).status_code == 404


# --- the electronic work order -----------------------------------------------------------
def run_render_jobs() -> list[str]:
    states = []
    for job in Job.objects.filter(kind=RENDER_JOB):
        claimed = claim(job.pk, worker_id="test", now=timezone.now(), lease_seconds=60)
        assert claimed is not None
        states.append(run_job(claimed, worker_id="test"))
    return states


def test_delivery_queues_the_pdf_and_the_worker_renders_it_with_the_code(
    advisor, client, open_order, car, walk
):
    wo = walk(open_order(car), S.DELIVERED, parts=("P-BRK-PAD-F",))
    assert not wo.ework_pdf
    staff_page = logged_in(advisor).get(reverse("workshop:ework", args=[wo.pk]))
    assert "pdf-pending" in staff_page.content.decode()
    assert run_render_jobs() == [Job.State.DONE]
    wo.refresh_from_db()
    assert wo.ework_pdf and wo.ework_rendered_at is not None
    if os.environ.get("ANXIN_PDF_DUMP"):  # for a person to look at
        with open(os.environ["ANXIN_PDF_DUMP"], "wb") as out:
            out.write(wo.ework_pdf.open("rb").read())
    text = "".join(p.extract_text() for p in PdfReader(wo.ework_pdf.open("rb")).pages)
    compact = text.replace(" ", "").replace("\n", "")
    assert wo.verification_code in compact
    assert wo.outlet.name in compact
    assert "B2026-11-01" in compact  # the part's batch
    # The customer's link shows the page and serves the same PDF.
    page = client.get(reverse("workshop:ework_public", args=[wo.quote_token]))
    assert page.status_code == 200
    assert wo.verification_code in page.content.decode()
    pdf = client.get(reverse("workshop:ework_public_pdf", args=[wo.quote_token]))
    assert pdf.status_code == 200
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")


def test_anyone_can_verify_a_delivered_work_order_by_number_and_code(client, open_order, car, walk):
    wo = walk(open_order(car), S.DELIVERED)
    url = reverse("workshop:verify")
    good = client.post(url, {"number": wo.number.lower(), "code": wo.verification_code})
    assert good.status_code == 200 and 'id="verified"' in good.content.decode()
    wrong = client.post(url, {"number": wo.number, "code": "AAAAAAAAAA"})
    assert wrong.status_code == 404 and 'id="verified"' not in wrong.content.decode()


def test_the_ework_link_does_not_open_before_delivery(client, open_order, car, walk):
    wo = walk(open_order(car), S.READY)
    assert client.get(reverse("workshop:ework_public", args=[wo.quote_token])).status_code == 404


# --- archive and experts -----------------------------------------------------------------
def test_the_vehicle_archive_lists_the_work_orders_and_parts(advisor, open_order, car, walk):
    wo = walk(open_order(car), S.DELIVERED, parts=("P-BRK-PAD-F",))
    page = logged_in(advisor).get(reverse("workshop:archive", args=[car.pk])).content.decode()
    assert wo.number in page
    assert "B2026-11-01" in page


def test_the_archive_filters_by_kind(advisor, open_order, car, walk):
    wo = walk(open_order(car), S.DELIVERED, parts=("P-BRK-PAD-F",))
    url = reverse("workshop:archive", args=[car.pk]) + "?kind=part"
    page = logged_in(advisor).get(url).content.decode()
    assert "B2026-11-01" in page
    assert 'data-kind="work_order"' not in page
    assert wo.number in page  # the part names its work order


def test_a_technician_asks_an_expert_and_the_expert_answers(technician, east, open_order, car):
    wo = open_order(car)
    response = post(
        logged_in(technician),
        wo,
        "expert",
        {"question": "P0A80 电池包单体压差大，是否需要均衡？", "fault_codes": "P0A80"},
    )
    assert response.status_code == 302
    req = ExpertRequest.objects.get()
    expert = make_user("expert_east", Role.TECHNICAL_EXPERT, east)
    queue = logged_in(expert).get(reverse("workshop:experts")).content.decode()
    assert "P0A80" in queue
    answered = logged_in(expert).post(
        reverse("workshop:expert_act", args=[req.pk, "answer"]), {"body": "先做均衡充电再测。"}
    )
    assert answered.status_code == 302
    req.refresh_from_db()
    assert req.first_response_at is not None


def test_an_empty_expert_answer_is_a_form_error(technician, east, open_order, car):
    wo = open_order(car)
    post(logged_in(technician), wo, "expert", {"question": "怎么办？"})
    req = ExpertRequest.objects.get()
    expert = make_user("expert_east", Role.TECHNICAL_EXPERT, east)
    response = logged_in(expert).post(
        reverse("workshop:expert_act", args=[req.pk, "answer"]), {"body": ""}
    )
    assert response.status_code == 422
    req.refresh_from_db()
    assert req.first_response_at is None
