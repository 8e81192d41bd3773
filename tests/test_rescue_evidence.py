"""On-site evidence, the confirmation form and the second and third reviews (RSC-3..RSC-5)."""

import datetime as dt
import io
import json
import struct
import time
import tracemalloc
import zlib

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import resolve
from PIL import Image

from anxin.accounts.models import ApiToken
from anxin.accounts.roles import Role
from anxin.api.base import Conflict
from anxin.notifications.models import Message, MessageTemplate
from anxin.rescue import actions, evidence
from anxin.rescue.models import (
    ComplianceReview,
    ConfirmationForm,
    FinalReview,
    JobChecklistTick,
    JobNote,
    JobPhoto,
    RescueJob,
)

from .conftest import logged_in, make_user

T0 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
GOOD_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 150">'
    '<path d="M10 80 L40 40 L70 90 L120 30 L180 100 L260 60"/></svg>'
)


# --- personas and a job at any point of its life ----------------------------------------------
@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def south_manager(south):
    return make_user("manager_south", Role.REGIONAL_MANAGER, south)


@pytest.fixture
def sent_back_template(db):
    # Ships in the rescue app's data migration.
    return MessageTemplate.objects.get(
        code=evidence.SENT_BACK_TEMPLATE, channel="sms", language="zh-hans"
    )


PATH = ["check", "dispatch", "accept", "depart", "arrive", "start_work", "complete"]


@pytest.fixture
def job_at(dispatcher, east, hangzhou, unit, crew):
    """A job moved along the happy path up to ``state`` (ticking the checklist on the way)."""

    def make(state: str) -> RescueJob:
        with time_machine.travel(T0, tick=False):
            job = actions.create_job(
                actor=dispatcher,
                at=T0,
                fault="flat_battery",
                needs=["jump_start"],
                lat=30.25,
                lon=120.16,
                region=east,
                city=hangzhou,
                caller_phone="13812345678",
                caller_name="李四",
                address="文一西路",
            )
        for minute, name in enumerate(PATH, start=1):
            if job.state == state:
                return job
            at = T0 + dt.timedelta(minutes=minute * 5)
            if name == "dispatch":
                job = actions.dispatch(job, unit, actor=dispatcher, at=at)
                continue
            if name == "complete":
                for item in ("warning_sign", "belongings", "procedure"):
                    evidence.tick_checklist(job, item, actor=crew)
            job = actions.perform(job, name, actor=dispatcher if name == "check" else crew, at=at)
        return job

    return make


def jpeg(size=(800, 600), exif=None, fmt="JPEG"):
    out = io.BytesIO()
    kwargs = {"exif": exif} if exif is not None else {}
    Image.new("RGB", size, (200, 30, 30)).save(out, fmt, **kwargs)
    return out.getvalue()


def gps_exif():
    exif = Image.Exif()
    exif[0x0112] = 6  # the phone was held upright: rotate 90°
    sub = exif.get_ifd(0x8769)
    sub[0x9003], sub[0x9011] = "2026:11:23 10:15:30", "+08:00"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (30.0, 15.0, 0.0), "E", (120.0, 9.0, 36.0)
    return exif


def png_header(width, height):
    """A valid PNG that declares ``width`` × ``height`` but holds a few bytes of pixel data."""

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def upload(data, name="scene.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def refusal(err, field):
    """Which rule refused ``field`` (the code, whatever the language of the message)."""
    return [e.code for e in err.value.error_dict[field]]


# --- photo rules --------------------------------------------------------------------------------
def test_a_photo_keeps_exif_time_and_place_in_the_record_and_none_in_the_served_file(job_at, crew):
    job = job_at("working")
    photo = evidence.add_photo(
        job, upload(jpeg(exif=gps_exif())), actor=crew, caption="警示牌已放置"
    )
    assert photo.taken_at == dt.datetime(2026, 11, 23, 10, 15, 30, tzinfo=T0.tzinfo)
    assert (photo.taken_lat, photo.taken_lon) == (30.25, 120.16)
    assert (photo.width, photo.height) == (600, 800)  # orientation applied before it was dropped
    with photo.image.open("rb") as stored:
        served = Image.open(io.BytesIO(stored.read()))
    assert served.format == "JPEG" and len(served.getexif()) == 0 and "exif" not in served.info
    assert not photo.image.name.endswith("scene.jpg")  # the uploader's file name is not kept


def test_a_photo_without_an_exif_offset_is_read_as_shanghai_time(job_at, crew):
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2026:11:23 09:00:00"
    photo = evidence.add_photo(job_at("working"), upload(jpeg(exif=exif)), actor=crew)
    assert photo.taken_at == dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)
    assert photo.taken_lat is None


def test_a_large_photo_is_stored_at_most_2560_pixels_wide(job_at, crew):
    photo = evidence.add_photo(job_at("working"), upload(jpeg(size=(4000, 1000))), actor=crew)
    assert (photo.width, photo.height) == (2560, 640)


def test_a_heic_photo_is_accepted_and_re_encoded_as_jpeg(job_at, crew):
    photo = evidence.add_photo(
        job_at("working"),
        upload(jpeg(fmt="HEIF", exif=gps_exif()), "IMG_0001.HEIC", "image/heic"),
        actor=crew,
    )
    assert photo.taken_lat == 30.25
    with photo.image.open("rb") as stored:
        assert Image.open(io.BytesIO(stored.read())).format == "JPEG"


@pytest.mark.parametrize(
    "data, name",
    [
        (b"<html><body><script>alert(1)</script></body></html>", "photo.jpg"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="10" height="10"/></svg>',
            "photo.svg",
        ),
        (b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "photo.pdf"),
    ],
)
def test_a_file_that_is_not_really_an_image_is_refused_and_nothing_is_saved(
    job_at, crew, data, name
):
    job = job_at("working")
    with pytest.raises(ValidationError) as err:
        evidence.add_photo(job, upload(data, name), actor=crew)
    assert refusal(err, "image") == ["not_an_image"]
    assert not JobPhoto.objects.exists()


def test_a_50000_by_50000_png_is_refused_quickly_without_allocating_it(job_at, crew):
    job = job_at("working")
    bomb = png_header(50_000, 50_000)
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(ValidationError) as err:
        evidence.add_photo(job, upload(bomb, "bomb.png", "image/png"), actor=crew)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert refusal(err, "image") == ["too_many_pixels"]
    assert elapsed < 1.0 and peak < 20 * 1024 * 1024
    assert not JobPhoto.objects.exists()


def test_a_photo_with_a_side_over_12000_pixels_is_refused(job_at, crew):
    with pytest.raises(ValidationError) as err:
        evidence.add_photo(
            job_at("working"), upload(png_header(12_001, 10), "long.png"), actor=crew
        )
    assert refusal(err, "image") == ["too_many_pixels"]


def test_a_truncated_photo_and_one_over_15_mb_are_refused(job_at, crew):
    job = job_at("working")
    whole = jpeg(size=(1200, 900))
    with pytest.raises(ValidationError) as err:
        evidence.add_photo(job, upload(whole[: len(whole) // 2]), actor=crew)
    assert refusal(err, "image") == ["damaged"]
    with pytest.raises(ValidationError) as err:
        evidence.add_photo(job, upload(whole + b"\0" * (15 * 1024 * 1024)), actor=crew)
    assert refusal(err, "image") == ["too_big"]
    assert not JobPhoto.objects.exists()


# --- who may add evidence -------------------------------------------------------------------
def test_a_technician_not_on_the_crew_cannot_add_photos_notes_or_ticks(job_at, other_tech):
    job = job_at("working")
    with pytest.raises(PermissionDenied):
        evidence.add_photo(job, upload(jpeg()), actor=other_tech)
    with pytest.raises(PermissionDenied):
        evidence.tick_checklist(job, "warning_sign", actor=other_tech)
    with pytest.raises(PermissionDenied):
        evidence.add_note(job, "到达现场", actor=other_tech)
    assert (
        not JobPhoto.objects.exists()
        and not JobChecklistTick.objects.exists()
        and not JobNote.objects.exists()
    )


def test_the_dispatcher_and_the_manager_may_add_photos_but_not_tick(job_at, dispatcher, manager):
    job = job_at("working")
    assert evidence.add_photo(job, upload(jpeg()), actor=dispatcher).uploaded_by == dispatcher
    assert evidence.add_photo(job, upload(jpeg()), actor=manager).pk
    with pytest.raises(PermissionDenied):
        evidence.tick_checklist(job, "warning_sign", actor=dispatcher)


def test_no_photos_on_a_cancelled_job(job_at, dispatcher, crew):
    job = actions.perform(job_at("en_route"), "cancel", actor=dispatcher, reason="客户已自行解决")
    with pytest.raises(Conflict):
        evidence.add_photo(job, upload(jpeg()), actor=dispatcher)
    assert not JobPhoto.objects.exists()


def test_ticking_twice_keeps_the_first_tick_and_an_unknown_item_is_refused(job_at, crew):
    job = job_at("arrived")
    first, created = evidence.tick_checklist(job, "warning_sign", actor=crew)
    again, created_again = evidence.tick_checklist(job, "warning_sign", actor=crew)
    assert created and not created_again and first.pk == again.pk
    with pytest.raises(ValidationError) as err:
        evidence.tick_checklist(job, "coffee_served", actor=crew)
    assert "item" in err.value.message_dict
    assert JobChecklistTick.objects.filter(job=job).count() == 1


# --- 二级审核 ----------------------------------------------------------------------------------
def test_a_manager_of_another_region_cannot_review(job_at, south_manager):
    job = job_at("working")
    with pytest.raises(PermissionDenied):
        evidence.review_compliance(job, actor=south_manager, verdict="accepted")
    assert not ComplianceReview.objects.exists()


def test_sending_back_needs_reasons_and_tells_the_crew(job_at, manager, sent_back_template):
    job = job_at("working")
    with pytest.raises(ValidationError) as err:
        evidence.review_compliance(job, actor=manager, verdict="sent_back", reasons="  ")
    assert "reasons" in err.value.message_dict
    assert not ComplianceReview.objects.exists() and not Message.objects.exists()
    review = evidence.review_compliance(
        job, actor=manager, verdict="sent_back", reasons="警示牌距离不足150米"
    )
    message = Message.objects.get()
    assert message.recipient == "13900000001" and "警示牌距离不足150米" in message.body
    assert message.job_ref == f"rescue:{job.pk}" and message.sequence == review.pk


def test_accepting_needs_the_checklist_ticked(job_at, manager, crew):
    job = job_at("working")
    with pytest.raises(ValidationError) as err:
        evidence.review_compliance(job, actor=manager, verdict="accepted")
    assert "verdict" in err.value.message_dict and not ComplianceReview.objects.exists()
    for item in ("warning_sign", "belongings", "procedure"):
        evidence.tick_checklist(job, item, actor=crew)
    assert evidence.review_compliance(job, actor=manager, verdict="accepted").verdict == "accepted"


def test_no_compliance_review_before_the_crew_is_on_site(job_at, manager):
    with pytest.raises(Conflict):
        evidence.review_compliance(
            job_at("en_route"), actor=manager, verdict="sent_back", reasons="x"
        )


# --- the signature ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "svg",
    [
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 150"><script>alert(1)</script>'
        '<path d="M10 80 L40 40 L70 90 L120 30"/></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 150"><foreignObject><p>x</p></foreignObject></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 300 150">'
        '<path xlink:href="javascript:alert(1)" d="M10 80 L40 40 L70 90"/></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 150" onload="alert(1)"><path d="M10 80 L200 40 L70 90"/></svg>',
        '<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 150"><path d="M1 1 L200 100 L9 9"/></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 150"><path d="M10 10 L10.5 10.5 L11 11"/></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 150"></svg>',
    ],
)
def test_a_signature_that_is_not_just_drawn_lines_is_refused(job_at, crew, svg):
    job = job_at("completed")
    evidence.fill_confirmation(job, actor=crew, work_done="搭电启动")
    with pytest.raises(ValidationError) as err:
        evidence.sign_confirmation(job, actor=crew, signed_name="李四", signature_svg=svg)
    assert "signature" in err.value.message_dict
    assert not ConfirmationForm.objects.get(job=job).is_signed


def test_a_drawn_signature_is_stored_as_our_own_svg(job_at, crew):
    job = job_at("completed")
    evidence.fill_confirmation(
        job, actor=crew, work_done="搭电启动", follow_up_advice="建议更换蓄电池"
    )
    sneaky = GOOD_SVG.replace("<path ", '<path stroke="url(#x)" ')
    form = evidence.sign_confirmation(job, actor=crew, signed_name="李四", signature_svg=sneaky)
    assert form.is_signed and form.signed_name == "李四"
    assert form.signature_svg.startswith(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 150"'
    )
    assert "url(" not in form.signature_svg and "M 10 80 L 40 40" in form.signature_svg


def test_a_canvas_png_signature_is_re_encoded_and_a_blank_one_refused(job_at, crew):
    job = job_at("completed")
    evidence.fill_confirmation(job, actor=crew, work_done="搭电启动")
    import base64

    from PIL import ImageDraw

    blank = Image.new("RGBA", (300, 150), (0, 0, 0, 0))
    out = io.BytesIO()
    blank.save(out, "PNG")
    with pytest.raises(ValidationError) as err:
        evidence.sign_confirmation(
            job,
            actor=crew,
            signed_name="李四",
            signature_png="data:image/png;base64," + base64.b64encode(out.getvalue()).decode(),
        )
    assert refusal(err, "signature") == ["blank"]
    ImageDraw.Draw(blank).line(
        [(10, 100), (80, 20), (150, 120), (280, 30)], fill=(0, 0, 0, 255), width=3
    )
    out = io.BytesIO()
    blank.save(out, "PNG")
    form = evidence.sign_confirmation(
        job,
        actor=crew,
        signed_name="李四",
        signature_png="data:image/png;base64," + base64.b64encode(out.getvalue()).decode(),
    )
    assert form.is_signed and 'href="data:image/png;base64,' in form.signature_svg


# --- 救援服务确认单, confirm, 三级审核 -------------------------------------------------------------
def test_the_signed_form_lets_the_crew_confirm_and_cannot_be_changed_after(job_at, crew):
    job = job_at("completed")
    with pytest.raises(Conflict):
        evidence.sign_confirmation(job, actor=crew, signed_name="李四", signature_svg=GOOD_SVG)
    evidence.fill_confirmation(
        job, actor=crew, work_done="搭电启动", follow_up_advice="建议检测蓄电池"
    )
    evidence.sign_confirmation(job, actor=crew, signed_name="李四", signature_svg=GOOD_SVG)
    with pytest.raises(Conflict):
        evidence.fill_confirmation(job, actor=crew, work_done="改过的内容")
    job = actions.perform(RescueJob.objects.get(pk=job.pk), "confirm", actor=crew)
    assert job.state == "confirmed"
    assert ConfirmationForm.objects.get(job=job).work_done == "搭电启动"


def test_the_customer_can_sign_through_the_tracking_link_only_with_the_right_token(job_at, crew):
    job = job_at("completed")
    evidence.fill_confirmation(job, actor=crew, work_done="搭电启动")
    with pytest.raises(PermissionDenied):
        evidence.sign_confirmation(job, token="guessed", signed_name="李四", signature_svg=GOOD_SVG)
    form = evidence.sign_confirmation(
        job, token=job.tracking_token, signed_name="李四", signature_svg=GOOD_SVG
    )
    assert form.is_signed


def confirmed(job_at, crew, manager, *, photo=False):
    job = job_at("completed")
    if photo:
        evidence.add_photo(job, upload(jpeg()), actor=crew, caption="完工照片")
    evidence.review_compliance(job, actor=manager, verdict="accepted")
    evidence.fill_confirmation(
        job, actor=crew, work_done="搭电启动", follow_up_advice="建议检测蓄电池"
    )
    evidence.sign_confirmation(job, actor=crew, signed_name="李四", signature_svg=GOOD_SVG)
    return actions.perform(
        RescueJob.objects.get(pk=job.pk), "confirm", actor=crew, at=T0 + dt.timedelta(minutes=50)
    )


def test_only_customer_service_makes_the_final_review_and_it_closes_the_job(
    job_at, crew, manager, service, dispatcher
):
    job = confirmed(job_at, crew, manager)
    for outsider in (manager, dispatcher, crew):
        with pytest.raises(PermissionDenied):
            evidence.final_review(job, actor=outsider, process_ok=True)
    with pytest.raises(ValidationError) as err:
        evidence.final_review(job, actor=service, process_ok=False, findings="")
    assert "findings" in err.value.message_dict
    review = evidence.final_review(job, actor=service, process_ok=True, findings="流程完整")
    job.refresh_from_db()
    assert job.state == "reviewed" and review.reviewer == service
    assert job.transitions.filter(to_state="reviewed", data__final_review=review.pk).exists()


def test_a_final_review_the_transition_refuses_is_not_kept(
    job_at, crew, manager, service, sent_back_template
):
    job = job_at("completed")
    evidence.review_compliance(job, actor=manager, verdict="accepted")
    evidence.review_compliance(job, actor=manager, verdict="sent_back", reasons="照片不清晰")
    evidence.fill_confirmation(job, actor=crew, work_done="搭电启动")
    evidence.sign_confirmation(job, actor=crew, signed_name="李四", signature_svg=GOOD_SVG)
    job = actions.perform(RescueJob.objects.get(pk=job.pk), "confirm", actor=crew)
    with pytest.raises(ValidationError) as err:
        evidence.final_review(job, actor=service, process_ok=True)
    assert "requires" in err.value.message_dict
    assert (
        not FinalReview.objects.exists() and RescueJob.objects.get(pk=job.pk).state == "confirmed"
    )


# --- through the API ----------------------------------------------------------------------------
@pytest.fixture
def api_urls():
    """The evidence routes are mounted on the one API under /api/v1/rescue/."""
    assert resolve("/api/v1/rescue/jobs/1/photos")


def api_for(user):
    return Client(HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(user, 't')[1]}")


def post(client, url, body, method="post"):
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def test_the_api_takes_a_photo_by_multipart_and_refuses_html_with_422(
    api_urls, job_at, crew, other_tech
):
    job = job_at("working")
    api = api_for(crew)
    url = f"/api/v1/rescue/jobs/{job.pk}/photos"
    bad = api.post(url, {"image": upload(b"<html></html>", "x.jpg"), "caption": "x"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "image"
    assert api_for(other_tech).post(url, {"image": upload(jpeg())}).status_code in (403, 404)
    made = api.post(url, {"image": upload(jpeg(exif=gps_exif())), "caption": "现场"})
    assert made.status_code == 201 and made.json()["taken_lat"] == 30.25
    listed = api.get(url).json()
    assert [p["caption"] for p in listed] == ["现场"] and listed[0]["url"].startswith("/rescue/")


def test_the_api_walks_the_reviews_and_the_form(
    api_urls, job_at, crew, manager, service, sent_back_template
):
    job = job_at("working")
    base = f"/api/v1/rescue/jobs/{job.pk}"
    crew_api, manager_api = api_for(crew), api_for(manager)
    assert post(crew_api, f"{base}/notes", {"text": "已到达，开始搭电"}).status_code == 201
    for item in ("warning_sign", "belongings", "procedure"):
        assert post(crew_api, f"{base}/checklist", {"item": item}).json()["created"] is True
    assert post(crew_api, f"{base}/checklist", {"item": "procedure"}).json()["created"] is False
    refused = post(manager_api, f"{base}/compliance-reviews", {"verdict": "sent_back"})
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"][-1] == "reasons"
    assert (
        post(manager_api, f"{base}/compliance-reviews", {"verdict": "accepted"}).status_code == 201
    )
    actions.perform(RescueJob.objects.get(pk=job.pk), "complete", actor=crew)
    assert (
        post(crew_api, f"{base}/confirmation", {"work_done": "搭电启动"}, "put").status_code == 200
    )
    script = GOOD_SVG.replace("</svg>", "<script>alert(1)</script></svg>")
    refused = post(
        crew_api, f"{base}/confirmation/signature", {"signed_name": "李四", "signature_svg": script}
    )
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"][-1] == "signature"
    signed = post(
        crew_api,
        f"{base}/confirmation/signature",
        {"signed_name": "李四", "signature_svg": GOOD_SVG},
    )
    assert signed.json()["is_signed"] is True
    early = post(api_for(service), f"{base}/final-review", {"process_ok": True})
    assert early.status_code == 409  # not confirmed yet
    actions.perform(RescueJob.objects.get(pk=job.pk), "confirm", actor=crew)
    done = post(api_for(service), f"{base}/final-review", {"process_ok": True})
    assert done.status_code == 201 and done.json()["job_state"] == "reviewed"


# --- pages ----------------------------------------------------------------------------------
def test_the_photo_view_serves_the_crew_and_refuses_an_outsider(job_at, crew, south_technician):
    photo = evidence.add_photo(job_at("working"), upload(jpeg(size=(1600, 1200))), actor=crew)
    url = f"/rescue/evidence/photos/{photo.pk}.jpg"
    assert logged_in(south_technician).get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to the sign-in page, not the file
    full = logged_in(crew).get(url)
    assert (
        full.status_code == 200
        and full["Content-Type"] == "image/jpeg"
        and "private" in full["Cache-Control"]
    )
    thumb = logged_in(crew).get(url + "?size=thumb")
    assert max(Image.open(io.BytesIO(thumb.content)).size) == 480


def test_a_bad_note_by_htmx_comes_back_422_with_the_field_and_saves_nothing(job_at, crew):
    job = job_at("working")
    client = logged_in(crew)
    url = f"/rescue/jobs/{job.pk}/evidence/notes/"
    refused = client.post(url, {"text": "   "}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 422 and "errorlist" in refused.content.decode()
    plain = client.post(url, {"text": ""})
    assert plain.status_code == 200 and "errorlist" in plain.content.decode()
    assert not JobNote.objects.exists()
    ok = client.post(url, {"text": "客户车辆已搭电成功"}, HTTP_HX_REQUEST="true")
    assert ok.status_code == 200 and "客户车辆已搭电成功" in ok.content.decode()


def test_the_partials_offer_the_crew_the_upload_and_the_manager_the_review(job_at, crew, manager):
    job = job_at("working")
    evidence_part = (
        logged_in(crew).get(f"/rescue/jobs/{job.pk}/evidence/part/evidence/").content.decode()
    )
    assert 'capture="environment"' in evidence_part and 'accept="image/*"' in evidence_part
    reviews = (
        logged_in(manager).get(f"/rescue/jobs/{job.pk}/evidence/part/reviews/").content.decode()
    )
    assert 'name="verdict"' in reviews
    assert (
        'name="verdict"'
        not in logged_in(crew).get(f"/rescue/jobs/{job.pk}/evidence/part/reviews/").content.decode()
    )


def test_the_signature_page_posts_the_drawing_and_refuses_a_script(job_at, crew):
    job = job_at("completed")
    client = logged_in(crew)
    client.post(f"/rescue/jobs/{job.pk}/evidence/confirmation/", {"work_done": "搭电启动"})
    page = client.get(f"/rescue/jobs/{job.pk}/evidence/part/confirmation/").content.decode()
    assert "data-signature-pad" in page and "rescue/signature.js" in page
    url = f"/rescue/jobs/{job.pk}/evidence/confirmation/signature/"
    script = GOOD_SVG.replace("</svg>", "<script>alert(1)</script></svg>")
    refused = client.post(
        url, {"signed_name": "李四", "signature_svg": script}, HTTP_HX_REQUEST="true"
    )
    assert refused.status_code == 422 and not ConfirmationForm.objects.get(job=job).is_signed
    assert client.post(url, {"signed_name": "李四", "signature_svg": GOOD_SVG}).status_code == 302
    assert ConfirmationForm.objects.get(job=job).is_signed


def test_the_printed_form_shows_the_title_times_masked_crew_and_signature(job_at, crew, manager):
    job = confirmed(job_at, crew, manager)
    page = (
        logged_in(crew).get(f"/rescue/jobs/{job.pk}/evidence/confirmation/print/").content.decode()
    )
    assert "救援服务确认单" in page and job.number in page
    assert "2026-11-23 10:00" in page  # the call
    assert "2026-11-23 10:25" in page  # arrival, from the transitions
    assert "2026-11-23 10:35" in page  # completion
    assert "139****0001" in page and "13900000001" not in page
    assert "建议检测蓄电池" in page and 'src="data:image/svg+xml;base64,' in page
    assert "@page" in page and "A4" in page


def test_the_final_review_page_shows_everything_and_closes_the_job(job_at, crew, manager, service):
    job = confirmed(job_at, crew, manager, photo=True)
    client = logged_in(service)
    page = client.get(
        f"/rescue/jobs/{job.pk}/final-review/", HTTP_ACCEPT_LANGUAGE="zh-CN"
    ).content.decode()
    assert "救援服务确认单" in page and "三级审核" in page and "完工照片" in page
    assert "/rescue/evidence/photos/" in page and "/media/" not in page
    refused = client.post(
        f"/rescue/jobs/{job.pk}/final-review/", {"process_ok": "no", "findings": ""}
    )
    assert refused.status_code == 200 and "errorlist" in refused.content.decode()
    assert not FinalReview.objects.exists()
    done = client.post(f"/rescue/jobs/{job.pk}/final-review/", {"process_ok": "yes"})
    assert done.status_code == 302 and RescueJob.objects.get(pk=job.pk).state == "reviewed"
