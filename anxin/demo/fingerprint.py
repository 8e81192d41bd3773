"""A digest of the demo's data that does not depend on primary-key values.

Two builds with the same seed must give the same city; their keys may still differ
(PostgreSQL sequences are not rolled back with a transaction). So every key is replaced by
the row's rank in its table, ordered by key: the same insert order gives the same ranks.
"""

from __future__ import annotations

import hashlib
import json

from django.apps import apps
from django.db import models

from anxin.audit.changelog import _jsonable

# The demo's tables. Password hashes are salted at random, and the change log records when
# it was written: both are left out.
MODELS = (
    "network.region",
    "network.city",
    "network.outlet",
    "network.outletqualification",
    "network.outletequipment",
    "network.rescuebase",
    "network.rescueunit",
    "people.staff",
    "people.certification",
    "customers.fleetcustomer",
    "customers.repaircontract",
    "customers.customer",
    "customers.consent",
    "customers.vehicle",
    "accounts.user",
    "network.unitdailycheck",
    "network.unitposition",
    "rescue.rescuejob",
    "rescue.jobtransition",
    "rescue.jobchecklisttick",
    "rescue.compliancereview",
    "rescue.confirmationform",
    "rescue.finalreview",
    "commitments.clock",
    "commitments.breach",
    "commitments.clockevent",
)
# Tracking tokens are drawn from ``secrets`` on purpose (they are the customer's link to the
# job, and must not be guessable from the seed): left out like the password hashes.
SKIPPED_FIELDS = frozenset({"password", "last_login", "tracking_token"})
# Keys held as plain values rather than foreign keys: clocks name their job by kind and id
# text, and keep the job's region id in their attributes.
# Clock job kinds (commitments.Clock.job_kind) and the model whose id their job_id holds.
JOB_MODELS = {
    "rescue": "rescue.rescuejob",
    "work_order": "workshop.workorder",
    "appointment": "workshop.appointment",
    "expert_request": "workshop.expertrequest",
    "complaint": "feedback.complaint",
    "rating_follow_up": "feedback.followup",
    "callback": "assurance.callback",
    "quality_review": "quality.reviewtask",
}


def fingerprint() -> str:
    ranks: dict[type[models.Model], dict[object, int]] = {}

    def rank(model: type[models.Model], pk: object) -> int | None:
        if pk is None:
            return None
        if model not in ranks:
            ranks[model] = {
                v: i
                for i, v in enumerate(
                    model._base_manager.order_by("pk").values_list("pk", flat=True)
                )
            }
        return ranks[model][pk]

    digest = hashlib.sha256()
    for label in MODELS:
        model = apps.get_model(label)
        fields = [
            f
            for f in model._meta.concrete_fields
            if not f.primary_key and f.name not in SKIPPED_FIELDS
        ]
        for obj in model._base_manager.order_by("pk").iterator(chunk_size=2000):
            row = [label]
            for f in fields:
                value = f.value_from_object(obj)
                if f.is_relation:
                    value = rank(f.related_model, value)
                elif f.name == "job_id" and getattr(obj, "job_kind", None) in JOB_MODELS:
                    value = rank(apps.get_model(JOB_MODELS[obj.job_kind]), int(value))
                elif f.name == "attrs" and isinstance(value, dict) and "region" in value:
                    region = apps.get_model("network.region")
                    value = {**value, "region": rank(region, value["region"])}
                row.append(_jsonable(value))
            for m2m in model._meta.many_to_many:
                keys = getattr(obj, m2m.name).values_list("pk", flat=True)
                row.append(sorted(rank(m2m.related_model, k) for k in keys))
            digest.update(json.dumps(row, ensure_ascii=False, sort_keys=True).encode())
    return digest.hexdigest()
