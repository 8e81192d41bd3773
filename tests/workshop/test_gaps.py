"""Gaps closed after the first build: refused sign-offs leave no photo files, the inspection
photos are served only to those who see the job, the customer's links go out through the
outbox, and the demo's workshop history has real photos and SLA clocks."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.urls import reverse

from anxin.workshop import checks, files
from anxin.workshop.choices import InspectionStage, WorkOrderState
from anxin.workshop.models import Inspection, InspectionPhoto
from tests.conftest import logged_in

from .conftest import good_results, photo_upload

S = WorkOrderState
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    yield
    cache.clear()


def stored_files(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


# --- 4. a refused sign-off keeps no files -------------------------------------------------
def test_a_refused_sign_off_deletes_the_photos_it_wrote(
    settings, advisor, open_order, car, hv_tech_staff
):
    wo = open_order(car)
    template = checks.template_for("entry", wo.job_type)
    results = good_results(wo, InspectionStage.ENTRY)
    results.pop("mileage")  # a required answer missing: the sign-off is refused
    data = {f"entry-results_{code}": ("ok" if v is True else v) for code, v in results.items()}
    data.update({"stage": "entry", "sign": "1", "entry-responsible": hv_tech_staff.pk})
    photo_items = [i["code"] for i in template.items if i.get("photo_required")]
    assert photo_items
    for code in photo_items:
        data[f"entry-photo_{code}"] = photo_upload(f"{code}.jpg")
    response = logged_in(advisor).post(reverse("workshop:act", args=[wo.pk, "inspection"]), data)
    assert response.status_code == 422
    assert not InspectionPhoto.objects.exists()
    assert not Inspection.objects.filter(work_order=wo, signed_at__isnull=False).exists()
    assert not settings.MEDIA_ROOT.exists() or stored_files(settings.MEDIA_ROOT) == []


def test_an_accepted_sign_off_keeps_its_photos(settings, advisor, open_order, car, hv_tech_staff):
    wo = open_order(car)
    template = checks.template_for("entry", wo.job_type)
    results = good_results(wo, InspectionStage.ENTRY)
    data = {f"entry-results_{code}": ("ok" if v is True else v) for code, v in results.items()}
    data.update({"stage": "entry", "sign": "1", "entry-responsible": hv_tech_staff.pk})
    for item in template.items:
        if item.get("photo_required"):
            data[f"entry-photo_{item['code']}"] = photo_upload(f"{item['code']}.jpg")
    response = logged_in(advisor).post(reverse("workshop:act", args=[wo.pk, "inspection"]), data)
    assert response.status_code == 302
    photos = list(InspectionPhoto.objects.all())
    assert photos and all(default_storage.exists(p.image.name) for p in photos)
    assert len(stored_files(settings.MEDIA_ROOT)) == len(photos)


def test_files_of_a_committed_inner_block_go_when_the_outer_block_rolls_back(
    settings, advisor, open_order, car
):
    wo = open_order(car)
    with pytest.raises(RuntimeError):
        with files.discard_on_rollback():
            checks.add_inspection_photo(wo, "entry", "damage_photos", photo_upload(), actor=advisor)
            assert len(stored_files(settings.MEDIA_ROOT)) == 1
            raise RuntimeError("refused later in the same request")
    assert stored_files(settings.MEDIA_ROOT) == []
    assert not InspectionPhoto.objects.exists()


# --- 2. inspection photos are served through restrict() -----------------------------------
def test_an_inspection_photo_is_served_to_its_outlet_and_not_to_another_region(
    advisor, open_order, car, south
):
    from anxin.accounts.roles import Role
    from tests.conftest import make_user

    wo = open_order(car)
    photo = checks.add_inspection_photo(wo, "entry", "damage_photos", photo_upload(), actor=advisor)
    url = reverse("workshop:inspection_photo", args=[photo.pk])
    page = logged_in(advisor).get(reverse("workshop:work_order", args=[wo.pk])).content.decode()
    assert url in page
    response = logged_in(advisor).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response.content[:2] == b"\xff\xd8"
    assert logged_in(advisor).get(url + "?size=thumb").status_code == 200
    other = make_user("advisor_south_gap", Role.SERVICE_ADVISOR, south)
    assert logged_in(other).get(url).status_code == 404


# --- 3. the customer's links go out through the outbox ------------------------------------
def customer_sms(job_ref: str, purpose: str):
    from anxin.notifications.models import Message

    return list(Message.objects.filter(job_ref=job_ref, purpose=purpose, channel="sms"))


def assert_neutral(body: str, *, customer, vehicle=None) -> None:
    from anxin.notifications import rules
    from anxin.notifications.conf import public_base_url

    assert f"{public_base_url()}/workshop/l/" in body
    assert rules.sms_problems(body) == []
    assert customer.name not in body and customer.phone not in body
    if vehicle is not None:
        assert vehicle.vin not in body and (not vehicle.plate or vehicle.plate not in body)


def test_the_quote_sms_leads_to_the_quote_page_by_number_and_lookup_code(
    client, advisor, open_order, walk, car, customer
):
    from anxin.workshop import messages
    from anxin.workshop.lookup import lookup_code

    wo = walk(open_order(car), S.APPROVAL)
    wo.refresh_from_db()
    [sms] = customer_sms(f"workorder:{wo.pk}", "quote")
    code = lookup_code(wo.quote_token)
    assert sms.recipient == customer.phone and code in sms.body and wo.number in sms.body
    assert_neutral(sms.body, customer=customer, vehicle=car)
    messages.quote_ready(wo)  # a retried transition does not send it twice
    assert len(customer_sms(f"workorder:{wo.pk}", "quote")) == 1
    response = client.post(reverse("workshop:lookup"), {"number": wo.number, "code": code})
    assert response.status_code == 302
    assert response["Location"] == reverse("workshop:quote", args=[wo.quote_token])
    typed = f"{code[:4].lower()}-{code[4:].lower()}"  # as read off a phone
    response = client.post(reverse("workshop:lookup"), {"number": wo.number, "code": typed})
    assert response.status_code == 302
    wrong = client.post(reverse("workshop:lookup"), {"number": wo.number, "code": "ABCDEFGH"})
    assert wrong.status_code == 404 and wo.quote_token not in wrong.content.decode()


def test_delivery_sends_the_electronic_work_order_notice_once(
    client, advisor, open_order, walk, car, customer
):
    from anxin.workshop.lookup import lookup_code

    wo = walk(open_order(car), S.DELIVERED)
    wo.refresh_from_db()
    [ready] = customer_sms(f"workorder:{wo.pk}", "ready")
    assert customer.name not in ready.body and (not car.plate or car.plate not in ready.body)
    [sms] = customer_sms(f"workorder:{wo.pk}", "ework")
    code = lookup_code(wo.quote_token)
    assert sms.template.code == "workshop.ework_ready" and code in sms.body
    assert_neutral(sms.body, customer=customer, vehicle=car)
    response = client.post(reverse("workshop:lookup"), {"number": wo.number, "code": code})
    assert response["Location"] == reverse("workshop:ework_public", args=[wo.quote_token])
    assert client.get(response["Location"]).status_code == 200


def test_an_answered_appointment_tells_the_customer_how_to_open_it(client, advisor, shop, car):
    import datetime as dt

    from django.utils import timezone

    from anxin.workshop import appointments as booking
    from anxin.workshop.lookup import lookup_code

    appt = booking.book_appointment(
        actor=advisor,
        vehicle=car,
        contact_phone="13812345678",
        job_type="maintenance",
        preferred_at=timezone.now() + dt.timedelta(days=1),
        lat=shop.lat,
        lon=shop.lon,
    )
    assert appt.outlet == shop
    appt = booking.respond(appt, actor=advisor, kind="confirm")
    [sms] = customer_sms(f"appointment:{appt.pk}", "answer-confirm")
    code = lookup_code(appt.token)
    assert sms.recipient == "13812345678" and code in sms.body and appt.number in sms.body
    assert_neutral(sms.body, customer=car.owner, vehicle=car)
    response = client.post(reverse("workshop:lookup"), {"number": appt.number, "code": code})
    assert response["Location"] == reverse("workshop:appointment_public", args=[appt.token])
    assert client.get(response["Location"]).status_code == 200
