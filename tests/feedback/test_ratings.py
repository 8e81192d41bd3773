"""Ratings (FB-1): a served job invites its customer once; a link works once and expires;
a low score opens a follow-up; bad input stores nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from anxin.customers.models import Consent
from anxin.feedback import ratings
from anxin.feedback.choices import FollowUpState, InviteChannel
from anxin.feedback.models import FollowUp, Rating, RatingInvitation
from anxin.notifications.models import Message
from anxin.notifications.rules import sms_problems

from .conftest import serve

GOOD = {"overall": 5, "timeliness": 5, "attitude": 4, "professionalism": 5, "result": 5}
BAD = {
    "overall": 2,
    "timeliness": 1,
    "attitude": 3,
    "professionalism": 3,
    "result": 2,
    "reasons": ["slow_arrival", "not_informed"],
    "comment": "等了两个小时",
}

pytestmark = pytest.mark.django_db


def invitation_of(job) -> RatingInvitation:
    return RatingInvitation.objects.get(job_kind="rescue", job_id=str(job.pk))


def test_a_completed_rescue_invites_the_customer_by_a_neutral_sms(rescue_job):
    serve(rescue_job)
    invitation = invitation_of(rescue_job)
    assert invitation.channel == InviteChannel.SMS
    assert invitation.region_id == rescue_job.region_id
    message = Message.objects.get(job_ref=f"rescue:{rescue_job.pk}", purpose="rating_invitation")
    assert message.recipient == "13812345678"
    assert invitation.code in message.body
    assert "/feedback/q" in message.body
    # No personal data and nothing a provider would refuse in the text.
    assert "刘" not in message.body and "13812345678" not in message.body
    assert rescue_job.number not in message.body
    assert sms_problems(message.template.body) == []


def test_the_same_job_served_twice_is_invited_once(rescue_job):
    serve(rescue_job)
    serve(rescue_job)
    assert RatingInvitation.objects.count() == 1
    assert Message.objects.filter(purpose="rating_invitation").count() == 1


def test_other_states_invite_nobody(rescue_job):
    from anxin.core.events import job_state_changed

    job_state_changed.send(
        sender=None,
        kind="rescue",
        job=rescue_job,
        state="arrived",
        previous="en_route",
        at=timezone.now(),
        actor=None,
    )
    assert not RatingInvitation.objects.exists()


def test_a_delivered_work_order_invites_too(work_order):
    serve(work_order, kind="workorder")
    invitation = RatingInvitation.objects.get(job_kind="workorder")
    assert invitation.job_number == "WO20261123-0001"
    assert invitation.outlet_id == work_order.outlet_id
    assert invitation.service_label == "维修保养服务"


def test_a_customer_who_withdrew_survey_consent_is_not_asked(rescue_job, customer):
    Consent.objects.create(
        customer=customer, purpose=Consent.Purpose.SURVEY, granted=False, recorded_at=timezone.now()
    )
    serve(rescue_job)
    assert invitation_of(rescue_job).channel == InviteChannel.NONE
    assert not Message.objects.filter(purpose="rating_invitation").exists()


def test_a_failing_invitation_never_breaks_the_job(rescue_job, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("outbox down")

    monkeypatch.setattr(ratings, "invite", boom)
    serve(rescue_job)  # no exception reaches the rescue app
    assert not RatingInvitation.objects.exists()


def test_a_good_rating_is_stored_and_opens_nothing(rescue_job):
    serve(rescue_job)
    rating = ratings.submit_rating(invitation_of(rescue_job), GOOD)
    assert rating.overall == 5 and not rating.is_low
    assert rating.region_id == rescue_job.region_id
    assert not FollowUp.objects.exists()


def test_a_low_rating_opens_a_follow_up_for_customer_service(rescue_job, settings):
    settings.ANXIN_RATING_FOLLOWUP_HOURS = 24
    serve(rescue_job)
    at = timezone.now()
    rating = ratings.submit_rating(invitation_of(rescue_job), BAD, at=at)
    assert rating.is_low and rating.reasons == ["slow_arrival", "not_informed"]
    follow_up = FollowUp.objects.get(rating=rating)
    assert follow_up.state == FollowUpState.OPEN
    assert follow_up.due_at == at + dt.timedelta(hours=24)
    assert follow_up.region_id == rescue_job.region_id


def test_one_bad_sub_score_is_enough(rescue_job):
    serve(rescue_job)
    rating = ratings.submit_rating(invitation_of(rescue_job), {**GOOD, "attitude": 1})
    assert rating.is_low and FollowUp.objects.filter(rating=rating).exists()


def test_the_low_threshold_is_configurable(rescue_job, settings):
    settings.ANXIN_RATING_LOW_OVERALL = 4
    serve(rescue_job)
    rating = ratings.submit_rating(invitation_of(rescue_job), {**GOOD, "overall": 4})
    assert rating.is_low


def test_a_link_works_once(rescue_job):
    serve(rescue_job)
    invitation = invitation_of(rescue_job)
    ratings.submit_rating(invitation, GOOD)
    with pytest.raises(ratings.InvitationRefused) as refused:
        ratings.submit_rating(RatingInvitation.objects.get(pk=invitation.pk), BAD)
    assert refused.value.code == "used"
    assert Rating.objects.count() == 1 and Rating.objects.get().overall == 5


def test_a_stale_copy_of_the_invitation_cannot_rate_twice(rescue_job):
    """Two submissions racing: the second holds the invitation as it was before the first."""
    serve(rescue_job)
    first = invitation_of(rescue_job)
    second = RatingInvitation.objects.get(pk=first.pk)
    ratings.submit_rating(first, GOOD)
    with pytest.raises(ratings.InvitationRefused):
        ratings.submit_rating(second, BAD)
    assert Rating.objects.count() == 1 and not FollowUp.objects.exists()


def test_an_expired_link_is_refused_and_stores_nothing(rescue_job, settings):
    settings.ANXIN_RATING_EXPIRY_HOURS = 48
    served = timezone.now() - dt.timedelta(hours=49)
    serve(rescue_job, at=served)
    invitation = invitation_of(rescue_job)
    assert invitation.expires_at == served + dt.timedelta(hours=48)
    with pytest.raises(ratings.InvitationRefused) as refused:
        ratings.submit_rating(invitation, GOOD)
    assert refused.value.code == "expired"
    assert not Rating.objects.exists()
    invitation.refresh_from_db()
    assert invitation.used_at is None


@pytest.mark.parametrize("bad", [0, 6, -1, "5.5", "", None, "五"])
def test_a_score_out_of_range_is_refused_and_stores_nothing(rescue_job, bad):
    serve(rescue_job)
    invitation = invitation_of(rescue_job)
    with pytest.raises(ValidationError) as error:
        ratings.submit_rating(invitation, {**GOOD, "timeliness": bad})
    assert "timeliness" in error.value.message_dict
    invitation.refresh_from_db()
    assert invitation.used_at is None and not Rating.objects.exists()


def test_unknown_reasons_are_refused(rescue_job):
    serve(rescue_job)
    with pytest.raises(ValidationError) as error:
        ratings.submit_rating(invitation_of(rescue_job), {**BAD, "reasons": ["hacked"]})
    assert "reasons" in error.value.message_dict


def test_the_signed_link_and_the_lookup_code_find_the_invitation(rescue_job):
    serve(rescue_job)
    invitation = invitation_of(rescue_job)
    assert ratings.invitation_for_signed(ratings.signed_token(invitation)) == invitation
    code = invitation.code.lower()
    assert ratings.invitation_for_code(f" {code[:4]}-{code[4:]} ") == invitation
    with pytest.raises(ratings.InvitationRefused):
        ratings.invitation_for_signed(ratings.signed_token(invitation) + "x")
    with pytest.raises(ratings.InvitationRefused):
        ratings.invitation_for_code("ZZZZZZZZ")


def test_customer_service_records_the_call_and_closes_the_follow_up(rescue_job, service):
    serve(rescue_job)
    rating = ratings.submit_rating(invitation_of(rescue_job), BAD)
    follow_up = FollowUp.objects.get(rating=rating)
    with pytest.raises(ValidationError):
        ratings.move_follow_up(follow_up, "close", actor=service, note="  ")
    ratings.move_follow_up(follow_up, "contact", actor=service, note="客户说救援车来晚了")
    follow_up.refresh_from_db()
    assert follow_up.state == FollowUpState.CONTACTED and "来晚了" in follow_up.notes
    ratings.move_follow_up(follow_up, "close", actor=service, note="已致歉并赠送保养券")
    follow_up.refresh_from_db()
    assert follow_up.state == FollowUpState.CLOSED and follow_up.closed_by == service


def test_a_stale_follow_up_loses_with_a_conflict(rescue_job, service):
    from anxin.api.base import Conflict

    serve(rescue_job)
    rating = ratings.submit_rating(invitation_of(rescue_job), BAD)
    first = FollowUp.objects.get(rating=rating)
    second = FollowUp.objects.get(rating=rating)
    ratings.move_follow_up(first, "close", actor=service, note="已处理")
    with pytest.raises(Conflict):
        ratings.move_follow_up(second, "contact", actor=service, note="再次致电")


def test_a_dispatcher_cannot_close_follow_ups(rescue_job, dispatcher):
    from django.core.exceptions import PermissionDenied

    serve(rescue_job)
    rating = ratings.submit_rating(invitation_of(rescue_job), BAD)
    with pytest.raises(PermissionDenied):
        ratings.move_follow_up(
            FollowUp.objects.get(rating=rating), "close", actor=dispatcher, note="x"
        )


# --- the follow-up's call-back clock ------------------------------------------------------
def follow_up_clock(follow_up):
    from anxin.commitments.models import Clock

    return Clock.objects.get(job_kind="rating_follow_up", job_id=str(follow_up.pk))


def test_a_low_rating_starts_the_24_hour_call_back_clock(rescue_job):
    serve(rescue_job)
    at = timezone.now()
    follow_up = FollowUp.objects.get(
        rating=ratings.submit_rating(invitation_of(rescue_job), BAD, at=at)
    )
    clock = follow_up_clock(follow_up)
    assert clock.commitment.code == "rating-follow-up-contact"
    assert clock.state == "running" and clock.due_at == at + dt.timedelta(hours=24)
    assert follow_up.due_at == clock.due_at


def test_the_follow_up_is_due_when_its_commitment_says(rescue_job, settings):
    from anxin.commitments.models import Commitment

    settings.ANXIN_RATING_FOLLOWUP_HOURS = 24
    Commitment.objects.filter(code="rating-follow-up-contact").update(target=4 * 3600)
    serve(rescue_job)
    at = timezone.now()
    follow_up = FollowUp.objects.get(
        rating=ratings.submit_rating(invitation_of(rescue_job), BAD, at=at)
    )
    assert follow_up.due_at == at + dt.timedelta(hours=4) == follow_up_clock(follow_up).due_at


def test_the_first_call_stops_the_clock_in_time_and_closing_ends_it(rescue_job, service):
    serve(rescue_job)
    at = timezone.now()
    follow_up = FollowUp.objects.get(
        rating=ratings.submit_rating(invitation_of(rescue_job), BAD, at=at)
    )
    ratings.move_follow_up(
        follow_up, "contact", actor=service, note="客户说来晚了", at=at + dt.timedelta(hours=3)
    )
    clock = follow_up_clock(follow_up)
    assert clock.state == "stopped" and clock.met is True
    follow_up.refresh_from_db()
    ratings.move_follow_up(
        follow_up, "close", actor=service, note="已致歉", at=at + dt.timedelta(hours=30)
    )
    assert follow_up_clock(follow_up).met is True  # the call was in time; closing later is fine


def test_a_call_back_too_late_is_a_breach(rescue_job, service):
    from anxin.commitments.handlers import sweep
    from anxin.commitments.models import Breach

    serve(rescue_job)
    at = timezone.now()
    follow_up = FollowUp.objects.get(
        rating=ratings.submit_rating(invitation_of(rescue_job), BAD, at=at)
    )
    sweep(at + dt.timedelta(hours=25))
    breach = Breach.objects.get(clock=follow_up_clock(follow_up))
    assert breach.due_at == at + dt.timedelta(hours=24)
    # Closed straight away, without a call recorded first: the close is the call, late.
    ratings.move_follow_up(
        follow_up, "close", actor=service, note="已致歉", at=at + dt.timedelta(hours=26)
    )
    clock = follow_up_clock(follow_up)
    assert clock.state == "stopped" and clock.met is False
