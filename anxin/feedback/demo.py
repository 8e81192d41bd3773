"""The demo city's feedback: ratings of the served rescue jobs, low-rating follow-ups,
complaints at every stage (with their clocks), one engineering case, social-media posts.

Deterministic from the demo's seed and ``as_of``; rows are bulk-inserted with their change-log
entries (:func:`anxin.demo.context.persist`). Proposals come from the labelled training set
rather than the classifier, so building the demo does not train a model.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from anxin.accounts.models import User
from anxin.commitments.api import on_event, on_state
from anxin.demo.context import Demo, persist
from anxin.rescue.models import JobTransition, RescueJob

from . import classifier, escalation, ratings
from .choices import ComplaintState, FollowUpState, InviteChannel, LowReason, Platform
from .models import (
    ClassificationLabel,
    Complaint,
    ComplaintTransition,
    FollowUp,
    Rating,
    RatingInvitation,
    SocialPost,
)
from .models.ratings import CODE_ALPHABET, CODE_LENGTH
from .ratings import is_low
from .social import match, sentiment, topics
from .transitions import CLOCK_STATE, TRANSITIONS

H = dt.timedelta(hours=1)
COMMENTS_GOOD = ["师傅很专业，来得也快", "服务周到，谢谢", "", "", "处理及时", "态度很好"]
COMMENTS_BAD = ["等了很久才到", "师傅不太耐烦", "问题没彻底解决", "没人告诉我进度", ""]
PATH = [
    "acknowledge",
    "investigate",
    "find_root_cause",
    "propose_solution",
    "customer_confirms",
    "close",
]
POSTS = [
    ("{brand}{model}在高速上趴窝，救援四十分钟就到了，点赞", 0),
    ("{brand}{model}保养排队两个小时，太慢了，失望", 0),
    ("{brand}{model}的电池续航掉得厉害，售后说正常，无语", 0),
    ("{brand}的服务顾问很耐心，给我讲得很清楚，满意", 0),
    ("{brand}{model}空调修了三次还是不制冷，避雷", 0),
    ("提车一年了，{brand}{model}整体还行", 0),
    ("{brand}4S店乱收费，报价和结算不一样，坑人", 0),
    ("半夜抛锚打了{brand}救援电话，师傅态度很好，感谢", 0),
]


def _code(demo: Demo) -> str:
    return "".join(demo.rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _scores(demo: Demo) -> dict[str, Any]:
    rng = demo.rng
    low = rng.random() < 0.09
    base = rng.choice([1, 2, 2, 3]) if low else rng.choice([4, 5, 5, 5])
    subs = {
        k: max(1, min(5, base + rng.choice([-1, 0, 0, 1])))
        for k in ("timeliness", "attitude", "professionalism", "result")
    }
    return {"overall": base, **subs}


def build_feedback(demo: Demo) -> None:
    rng, as_of = demo.rng, demo.as_of
    service = User.objects.filter(username="service").first()
    served = dict(
        JobTransition.objects.filter(to_state="completed", at__lt=as_of).values_list("job_id", "at")
    )
    jobs = list(
        RescueJob.objects.filter(pk__in=served)
        .select_related("vehicle")
        .order_by("created_at", "pk")
    )
    invitations, ratings_, follow_ups = [], [], []
    for job in jobs:
        at = served[job.pk]
        invitations.append(
            RatingInvitation(
                job_kind="rescue",
                job_id=str(job.pk),
                job_number=job.number,
                region_id=job.region_id,
                outlet_id=job.destination_outlet_id,
                customer_id=job.customer_id,
                vehicle_id=job.vehicle_id,
                token=f"demo{rng.getrandbits(96):024x}",
                code=_code(demo),
                channel=InviteChannel.SMS if job.caller_phone else InviteChannel.NONE,
                service_label="道路救援服务",
                served_at=at,
                created_at=at,
                expires_at=at + 7 * 24 * H,
            )
        )
    invitations = persist(demo, invitations)
    for inv in invitations:
        if rng.random() > 0.62:
            continue
        submitted = inv.served_at + dt.timedelta(minutes=rng.randrange(10, 2 * 24 * 60))
        if submitted >= as_of:
            continue
        scores = _scores(demo)
        low = is_low(scores)
        reasons = rng.sample(list(LowReason.values), rng.choice([1, 1, 2])) if low else []
        inv.used_at = submitted
        ratings_.append(
            Rating(
                invitation=inv,
                job_kind="rescue",
                job_id=inv.job_id,
                job_number=inv.job_number,
                region_id=inv.region_id,
                outlet_id=inv.outlet_id,
                customer_id=inv.customer_id,
                vehicle_id=inv.vehicle_id,
                reasons=reasons,
                is_low=low,
                submitted_at=submitted,
                comment=rng.choice(COMMENTS_BAD if low else COMMENTS_GOOD),
                **scores,
            )
        )
    RatingInvitation.objects.bulk_update([r.invitation for r in ratings_], ["used_at"])
    ratings_ = persist(demo, ratings_)
    for rating in ratings_:
        if not rating.is_low:
            continue
        closed = as_of - rating.submitted_at > 2 * 24 * H
        follow_ups.append(
            FollowUp(
                rating=rating,
                job_kind="rescue",
                job_id=rating.job_id,
                job_number=rating.job_number,
                region_id=rating.region_id,
                outlet_id=rating.outlet_id,
                customer_id=rating.customer_id,
                vehicle_id=rating.vehicle_id,
                due_at=rating.submitted_at + 24 * H,
                created_at=rating.submitted_at,
                state=FollowUpState.CLOSED if closed else FollowUpState.OPEN,
                outcome="已电话致歉，说明原因并记录改进" if closed else "",
                closed_at=rating.submitted_at + rng.randrange(2, 20) * H if closed else None,
                closed_by=service if closed else None,
            )
        )
    for follow_up in persist(demo, follow_ups):
        # The call-back clock of each, as the live desk runs it (the call closes it here).
        at, kind = follow_up.created_at, ratings.FOLLOWUP_CLOCK_KIND
        on_event(kind, follow_up.pk, "opened", at=at, attrs={"region": follow_up.region_id})
        if follow_up.closed_at is not None:
            on_event(kind, follow_up.pk, "contacted", at=follow_up.closed_at)
            on_event(kind, follow_up.pk, "closed", at=follow_up.closed_at)
    build_complaints(demo, jobs, served, service)
    build_posts(demo)


def build_complaints(demo: Demo, jobs: list[RescueJob], served: dict, actor: Any) -> None:
    rng, as_of = demo.rng, demo.as_of
    examples = classifier.read_csv(classifier.TRAIN_CSV)
    with_vehicle = [j for j in jobs if j.vehicle_id]
    if not with_vehicle:
        return
    picks = rng.sample(with_vehicle, min(24, len(with_vehicle)))
    # The same battery fault on one model three times: the engineering case of the demo.
    model = picks[0].vehicle.model
    repeat = [j for j in with_vehicle if j.vehicle.model == model and j not in picks][:3]
    plans = []
    for n, job in enumerate(picks + repeat):
        repeated = n >= len(picks)
        pool = [e for e in examples if e.label == "technical"] if repeated else examples
        ex = rng.choice(pool)
        # A third of the complaints are still open on the desk (received in the last 4 days).
        recent = repeated or n % 3 == 0
        back = rng.uniform(0.3, 96) if recent else rng.uniform(7 * 24, 30 * 24)
        received = max(as_of - back * H, served[job.pk] + H)
        steps = 6 if not recent else 0 if back < 3 else rng.randrange(1, 5)
        plans.append((job, ex, received, steps, repeated))
    plans.sort(key=lambda p: p[2])
    complaints, seq = [], {}
    for job, ex, received, steps, repeated in plans:
        day = timezone.localtime(received).strftime("%Y%m%d")
        seq[day] = seq.get(day, 0) + 1
        state = ComplaintState.RECEIVED
        for name in PATH[:steps]:
            state = TRANSITIONS[name].target
        complaints.append(
            Complaint(
                number=f"TS{day}-{seq[day]:04d}",
                state=state,
                version=1 + steps,
                channel="hotline",
                text=ex.text,
                job_kind="rescue",
                job_id=str(job.pk),
                job_number=job.number,
                region_id=job.region_id,
                customer_id=job.customer_id,
                vehicle_id=job.vehicle_id,
                vehicle_model=job.vehicle.model,
                proposed_class=ex.label,
                proposed_confidence=round(rng.uniform(0.55, 0.97), 2),
                category=ex.label if steps else "",
                classified_by=actor if steps else None,
                classified_at=received + H if steps else None,
                system="battery" if repeated else "",
                fault_code="P1A00" if repeated else "",
                root_cause="配件批次问题，已反馈供应商" if steps >= 3 else "",
                solution="免费更换并延长质保" if steps >= 4 else "",
                received_at=received,
                created_by=actor,
                closed_at=received + 40 * H if steps == 6 else None,
            )
        )
    complaints = persist(demo, complaints)
    rows, labels = [], []
    for c, (_job, _ex, received, steps, _r) in zip(complaints, plans, strict=True):
        rows.append(
            ComplaintTransition(
                complaint=c,
                name="receive",
                to_state="received",
                at=received,
                actor=actor,
                actor_label="service",
            )
        )
        # Clocks run through the commitments' own code for the complaints still open (the
        # desk's deadlines); closed ones from weeks ago keep their timeline only, which keeps
        # the demo build fast.
        live = c.state != ComplaintState.CLOSED
        if live:
            on_event("complaint", c.pk, "received", at=received, attrs={"region": c.region_id})
        state, at = ComplaintState.RECEIVED, received
        for name in PATH[:steps]:
            t = TRANSITIONS[name]
            at = at + rng.randrange(1, 8) * H
            rows.append(
                ComplaintTransition(
                    complaint=c,
                    name=name,
                    from_state=state,
                    to_state=t.target,
                    at=at,
                    actor=actor,
                    actor_label="service",
                    note="已联系客户" if t.needs_note else "",
                )
            )
            if live:
                for event in t.events:
                    on_event("complaint", c.pk, event, at=at, attrs={"region": c.region_id})
                on_state("complaint", c.pk, CLOCK_STATE[t.target], at=at)
            state = t.target
        if c.category:
            labels.append(
                ClassificationLabel(
                    complaint=c,
                    text=c.text,
                    job_kind="rescue",
                    label=c.category,
                    proposed=c.proposed_class,
                    at=c.classified_at,
                    by=actor,
                )
            )
    persist(demo, rows)
    persist(demo, labels)
    last = complaints[-1] if complaints else None
    for c in complaints:
        if c.fault_code:
            last = c
    if last is not None and last.fault_code:
        escalation.escalate(last, at=as_of)


def build_posts(demo: Demo) -> None:
    from anxin.demo.catalog import CAR_MODELS

    rng, as_of = demo.rng, demo.as_of
    brands = {m.brand for m in CAR_MODELS}
    pairs = {(m.brand, m.model) for m in CAR_MODELS}
    posts = []
    for n in range(90):
        car = rng.choice(CAR_MODELS)
        template, _w = rng.choice(POSTS)
        text = template.format(brand=car.brand, model=car.model)
        label, score = sentiment(text)
        found_brands, found_models = match(text, brands, pairs)
        at = as_of - dt.timedelta(minutes=rng.randrange(60, 60 * 24 * 60))
        platform = rng.choice(list(Platform.values[:-1]))
        posts.append(
            SocialPost(
                platform=platform,
                external_id=f"demo-{n:04d}",
                author=f"车主{rng.randrange(1000, 9999)}",
                text=text,
                posted_at=at,
                brands=found_brands,
                models_mentioned=found_models,
                topics=topics(text),
                sentiment=label,
                sentiment_score=score,
                imported_at=as_of,
            )
        )
    persist(demo, posts)
