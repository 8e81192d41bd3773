"""The notifications outbox: written before sending, sent once, polite at night."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction

from anxin.notifications.api import notify
from anxin.notifications.channels import Outgoing, ProviderError
from anxin.notifications.channels.sms_aliyun import AliyunSms
from anxin.notifications.channels.sms_tencent import TencentSms
from anxin.notifications.channels.wechat import WechatTemplate
from anxin.notifications.models import Message, MessageTemplate, ProviderHealth
from anxin.worker.models import Job
from anxin.worker.runner import run_once

from .conftest import logged_in
from .fakes.providers import FakeAliyun, FakeTencent, FakeWechat

pytestmark = pytest.mark.usefixtures("core_sweeps_only")

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
DAYTIME = dt.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
NIGHT = dt.datetime(2026, 11, 23, 23, 0, tzinfo=SHANGHAI)
PHONE = "13812345678"


@pytest.fixture
def sms_template(db) -> MessageTemplate:
    return MessageTemplate.objects.create(
        code="test.progress",
        channel="sms",
        language="zh-hans",
        provider_template_id="SMS_42",
        body="救援单{job_no}进度：{status}，预计{eta}到达。",
    )


@pytest.fixture
def aliyun(settings):
    with FakeAliyun() as fake:
        settings.ANXIN_SMS_PROVIDER = "aliyun"
        settings.ANXIN_ALIYUN_SMS_URL = fake.url
        settings.ANXIN_ALIYUN_ACCESS_KEY_ID = fake.key_id
        settings.ANXIN_ALIYUN_ACCESS_KEY_SECRET = fake.secret
        yield fake


@pytest.fixture
def tencent(settings):
    with FakeTencent() as fake:
        settings.ANXIN_SMS_PROVIDER = "tencent"
        settings.ANXIN_TENCENT_SMS_URL = fake.url
        settings.ANXIN_TENCENT_SECRET_ID = fake.secret_id
        settings.ANXIN_TENCENT_SECRET_KEY = fake.secret_key
        settings.ANXIN_TENCENT_SMS_APP_ID = "1400000001"
        yield fake


@pytest.fixture
def wechat(settings):
    with FakeWechat() as fake:
        settings.ANXIN_WECHAT_API_URL = fake.url
        settings.ANXIN_WECHAT_APP_ID = fake.app_id
        settings.ANXIN_WECHAT_APP_SECRET = fake.app_secret
        yield fake


def progress(i: int = 1, **kw) -> Message:
    defaults = {
        "job_ref": f"rescue:{i}",
        "purpose": "progress",
        "template": "test.progress",
        "recipient": PHONE,
        "context": {"job_no": f"R{i}", "status": "在途", "eta": "10:30"},
    }
    return notify(**{**defaults, **kw})


# --- The outbox ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_notify_twice_with_the_same_key_queues_one_message(sms_template):
    first = progress(sequence=3)
    second = progress(sequence=3, context={"job_no": "other", "status": "x", "eta": "y"})
    assert second.pk == first.pk
    assert Message.objects.count() == 1 and Job.objects.count() == 1
    assert first.body == "救援单R1进度：在途，预计10:30到达。"
    assert Job.objects.get().dedupe_key == f"notify:{first.pk}"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_notification_in_a_transaction_that_rolls_back_is_never_sent():
    MessageTemplate.objects.update_or_create(
        code="test.progress",
        channel="sms",
        language="zh-hans",
        defaults={"body": "救援单{job_no}进度：{status}，预计{eta}到达。"},
    )
    with pytest.raises(RuntimeError), transaction.atomic():
        progress()
        raise RuntimeError("the business change failed")
    assert not Message.objects.exists() and not Job.objects.exists()


@pytest.mark.django_db
def test_the_console_provider_sends_in_development(sms_template, caplog):
    with time_machine.travel(DAYTIME, tick=False):
        message = progress()
        assert run_once(worker_id="w") == 1
    message.refresh_from_db()
    assert (message.state, message.provider, message.attempts) == ("sent", "console", 1)
    assert "138****5678" in caplog.text and PHONE not in caplog.text


@pytest.mark.django_db
def test_a_message_without_recipient_is_suppressed_not_queued(sms_template):
    message = progress(recipient="  ")
    assert message.state == Message.State.SUPPRESSED and not Job.objects.exists()


@pytest.mark.django_db
def test_an_unknown_template_is_refused(sms_template):
    with pytest.raises(LookupError):
        progress(template="no.such.template")


@pytest.mark.django_db
def test_an_english_template_is_used_when_asked_and_zh_hans_otherwise(sms_template):
    english = notify(
        job_ref="rescue:9",
        purpose="progress",
        template="rescue.progress",
        recipient=PHONE,
        language="en",
        context={"job_no": "R9", "status": "arrived", "eta": "now", "hotline": "400-000-0000"},
    )
    fallback = progress(language="en")  # test.progress exists only in zh-Hans
    assert english.body.startswith("Rescue update: job R9")
    assert fallback.language == "zh-hans"


# --- Retries, circuit breaker, quiet hours -------------------------------------------------


@pytest.mark.django_db
def test_a_provider_failure_is_retried_with_back_off(sms_template, aliyun, settings):
    settings.ANXIN_WORKER_BACKOFF_BASE = 10
    aliyun.fail(1, "isp.SYSTEM_ERROR")
    with time_machine.travel(DAYTIME, tick=False):
        message = progress()
        run_once(worker_id="w")
    message.refresh_from_db()
    job = Job.objects.get()
    assert message.state == Message.State.FAILED and "isp.SYSTEM_ERROR" in message.last_error
    wait = (message.next_attempt_at - DAYTIME).total_seconds()
    assert 5 <= wait <= 10 and job.run_at == message.next_attempt_at
    with time_machine.travel(message.next_attempt_at - dt.timedelta(seconds=1), tick=False):
        assert run_once(worker_id="w") == 0
    with time_machine.travel(message.next_attempt_at, tick=False):
        assert run_once(worker_id="w") == 1
    message.refresh_from_db()
    assert (message.state, message.attempts) == (Message.State.SENT, 2)
    assert aliyun.sends[message.out_id] == 1


@pytest.mark.django_db
def test_a_permanent_provider_error_gives_up_at_once(sms_template, aliyun):
    aliyun.fail(1, "isv.MOBILE_NUMBER_ILLEGAL")
    with time_machine.travel(DAYTIME, tick=False):
        message = progress()
        run_once(worker_id="w")
    message.refresh_from_db()
    assert message.state == Message.State.DEAD and message.attempts == 1
    assert ProviderHealth.objects.get(provider="aliyun").consecutive_failures == 0


@pytest.mark.django_db
def test_the_circuit_opens_after_repeated_failures_and_half_opens_later(
    sms_template, aliyun, settings
):
    settings.ANXIN_CIRCUIT_THRESHOLD = 3
    settings.ANXIN_CIRCUIT_COOLDOWN = 300
    aliyun.fail(100, "isp.SYSTEM_ERROR")
    with time_machine.travel(DAYTIME, tick=False):
        messages = [progress(i) for i in range(5)]
        run_once(worker_id="w")
    assert 100 - aliyun.failures_left == 3  # the provider was called three times, not five
    health = ProviderHealth.objects.get(provider="aliyun")
    assert health.open_until == DAYTIME + dt.timedelta(seconds=300)
    waiting = Message.objects.get(pk=messages[4].pk)
    assert waiting.state == Message.State.PENDING and waiting.next_attempt_at == health.open_until
    deferred = Job.objects.get(payload={"message_id": waiting.pk})
    assert (deferred.state, deferred.attempts) == (Job.State.QUEUED, 0)

    aliyun.fail(0, "")
    with time_machine.travel(health.open_until + dt.timedelta(seconds=1), tick=False):
        run_once(worker_id="w")
    health.refresh_from_db()
    assert health.open_until is None and health.consecutive_failures == 0
    with time_machine.travel(DAYTIME + dt.timedelta(hours=2), tick=False):
        run_once(worker_id="w")
    assert set(Message.objects.values_list("state", flat=True)) == {Message.State.SENT}
    assert sorted(aliyun.sends.values()) == [1] * 5


@pytest.mark.django_db
def test_quiet_hours_defer_a_routine_message_to_the_morning(sms_template):
    with time_machine.travel(NIGHT, tick=False):
        message = progress()
        assert run_once(worker_id="w") == 0
    morning = dt.datetime(2026, 11, 24, 8, 0, tzinfo=SHANGHAI)
    message.refresh_from_db()
    assert message.state == Message.State.PENDING and message.next_attempt_at == morning
    with time_machine.travel(morning, tick=False):
        assert run_once(worker_id="w") == 1
    message.refresh_from_db()
    assert message.state == Message.State.SENT


@pytest.mark.django_db
def test_quiet_hours_do_not_hold_back_an_urgent_message(sms_template):
    with time_machine.travel(NIGHT, tick=False):
        message = progress(urgent=True)
        run_once(worker_id="w")
    message.refresh_from_db()
    assert message.state == Message.State.SENT


@pytest.mark.django_db
def test_a_routine_message_that_falls_due_at_night_waits_for_the_morning(sms_template):
    with time_machine.travel(DAYTIME.replace(hour=20, minute=59), tick=False):
        message = progress()
    with time_machine.travel(DAYTIME.replace(hour=21, minute=30), tick=False):
        run_once(worker_id="w")
    job = Job.objects.get()
    assert job.state == Job.State.QUEUED and job.attempts == 0
    assert job.run_at == dt.datetime(2026, 11, 24, 8, 0, tzinfo=SHANGHAI)
    assert Message.objects.get(pk=message.pk).state == Message.State.PENDING


# --- A crash between "sending" and "sent" --------------------------------------------------


def interrupted(message: Message, provider: str) -> Message:
    """As if the worker died after marking the message sending (and maybe after the call)."""
    Message.objects.filter(pk=message.pk).update(
        state=Message.State.SENDING, attempts=1, provider=provider, last_attempt_at=DAYTIME
    )
    return message


@pytest.mark.django_db
def test_an_interrupted_message_the_provider_has_is_marked_sent_not_resent(sms_template, aliyun):
    with time_machine.travel(DAYTIME, tick=False):
        message = progress()
        AliyunSms().send(
            Outgoing(
                recipient=PHONE,
                body=message.body,
                out_id=message.out_id,
                params=message.params,
                template_id="SMS_42",
            )
        )
        interrupted(message, "aliyun")
        run_once(worker_id="w")
    message.refresh_from_db()
    assert message.state == Message.State.SENT and aliyun.sends[message.out_id] == 1


@pytest.mark.django_db
def test_an_interrupted_message_the_provider_never_got_is_sent_once(sms_template, aliyun):
    with time_machine.travel(DAYTIME, tick=False):
        message = interrupted(progress(), "aliyun")
        run_once(worker_id="w")
    message.refresh_from_db()
    assert message.state == Message.State.SENT and aliyun.sends[message.out_id] == 1


@pytest.mark.django_db
def test_an_interrupted_message_that_cannot_be_looked_up_waits_for_a_person(wechat):
    MessageTemplate.objects.create(
        code="test.wx",
        channel="wechat",
        language="zh-hans",
        provider_template_id="TPL",
        body="救援单{job_no}",
    )
    with time_machine.travel(DAYTIME, tick=False):
        message = notify(
            job_ref="rescue:1",
            purpose="p",
            template="test.wx",
            channel="wechat",
            recipient="openid-1",
            context={"job_no": "R1"},
        )
        interrupted(message, "wechat")
        run_once(worker_id="w")
    message.refresh_from_db()
    assert message.state == Message.State.UNKNOWN and "check" in message.last_error
    assert not wechat.sends


# --- Channel adapters against fake servers that check the signature ----------------------


def outgoing(**kw) -> Outgoing:
    return Outgoing(
        **{
            "recipient": PHONE,
            "body": "b",
            "out_id": "anxin-7",
            "params": {"job_no": "R7", "status": "已到达"},
            "param_order": ("job_no", "status"),
            "template_id": "SMS_42",
            **kw,
        }
    )


@pytest.mark.django_db
def test_aliyun_requests_carry_a_valid_rpc_signature(aliyun):
    biz_id = AliyunSms().send(outgoing())
    record = aliyun.records[0]
    assert biz_id and aliyun.bad_signatures == 0
    assert record["OutId"] == "anxin-7" and record["TemplateParam"] == {
        "job_no": "R7",
        "status": "已到达",
    }


@pytest.mark.django_db
def test_the_aliyun_fake_refuses_a_wrong_signature(aliyun, settings):
    settings.ANXIN_ALIYUN_ACCESS_KEY_SECRET = "not-the-secret"
    with pytest.raises(ProviderError, match="SignatureDoesNotMatch"):
        AliyunSms().send(outgoing())
    assert aliyun.bad_signatures == 1 and not aliyun.sends


@pytest.mark.django_db
def test_tencent_requests_carry_a_valid_tc3_signature(tencent):
    serial = TencentSms().send(outgoing())
    payload = tencent.records[0]
    assert serial and tencent.bad_signatures == 0
    assert payload["PhoneNumberSet"] == ["+8613812345678"]
    assert payload["TemplateParamSet"] == ["R7", "已到达"]  # positional, in template order
    assert payload["SessionContext"] == "anxin-7"


@pytest.mark.django_db
def test_the_tencent_fake_refuses_a_wrong_signature(tencent, settings):
    settings.ANXIN_TENCENT_SECRET_KEY = "not-the-key"
    with pytest.raises(ProviderError, match="AuthFailure.SignatureFailure"):
        TencentSms().send(outgoing())
    assert tencent.bad_signatures == 1


@pytest.mark.django_db
def test_wechat_template_messages_renew_a_stale_access_token(wechat):
    adapter = WechatTemplate()
    adapter.send(outgoing(recipient="openid-1", params={"job_no": "R7", "url": "https://x/r/1"}))
    wechat.revoke_tokens()
    adapter.send(outgoing(recipient="openid-1", out_id="anxin-8"))
    first = wechat.records[0]
    assert first["touser"] == "openid-1" and first["data"] == {"job_no": {"value": "R7"}}
    assert first["url"] == "https://x/r/1"
    assert wechat.token_requests == 2 and len(wechat.records) == 2


@pytest.mark.django_db
def test_email_goes_through_djangos_backend(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(DAYTIME, tick=False):
        message = notify(
            job_ref="rescue:5",
            purpose="sla.warning",
            template="sla.warning",
            channel="email",
            recipient="lead@example.cn",
            context={
                "job_ref": "rescue:5",
                "commitment": "紧急到场",
                "due": "10:30",
                "remaining": "6分钟",
            },
        )
        run_once(worker_id="w")
    message.refresh_from_db()
    assert message.state == Message.State.SENT
    assert mail.outbox[0].subject == "服务承诺预警：rescue:5"


# --- Templates are data, and SMS templates follow the providers' rules -------------------


@pytest.mark.django_db
def test_the_shipped_templates_exist_in_both_languages():
    for code in ("rescue.progress", "sla.warning", "sla.breach", "service.completed"):
        for language in ("zh-hans", "en"):
            assert MessageTemplate.objects.filter(
                code=code, channel="sms", language=language
            ).exists(), (code, language)
    completed = MessageTemplate.objects.get(
        code="service.completed", channel="sms", language="zh-hans"
    )
    assert completed.name == "服务完成通知"
    assert "https://anxin.example.cn/q" in completed.body and "{code}" in completed.body
    for word in ("好评", "评价", "问卷"):
        assert word not in completed.body


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("服务已完成，请点击 https://anxin.example.cn/r/{token} 评价", "variable"),
        ("服务已完成，诚邀您给我们五星好评", "ratings"),
        ("服务已完成，邀请好评：回复1", "ratings"),
        ("请填写问卷 https://anxin.example.cn/q", "ratings"),
        ("详情见 https://t.cn/abc", "Short links"),
        ("详情见 https://evil.example.com/q", "operator's domain"),
        ("详情见 {link}", "looks like a link"),
    ],
)
@pytest.mark.django_db
def test_an_sms_template_breaking_the_providers_rules_is_refused(body, reason):
    with pytest.raises(ValidationError) as refused:
        MessageTemplate.objects.create(code="bad", channel="sms", body=body)
    assert reason in str(refused.value)
    assert not MessageTemplate.objects.filter(code="bad").exists()


@pytest.mark.django_db
def test_a_wechat_template_may_carry_a_personal_link():
    MessageTemplate.objects.create(code="ok", channel="wechat", body="服务已完成 {url}")


# --- Admin ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_admin_lists_messages_with_masked_recipients(sms_template, admin_user):
    progress()
    page = logged_in(admin_user).get("/admin/notifications/message/").content.decode()
    assert "138****5678" in page and PHONE not in page
