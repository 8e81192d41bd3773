"""What feedback needs to know about a served job, whichever app owns it.

Rescue jobs (anxin.rescue) and work orders (anxin.workshop) are read through their models'
``restrict`` and plain attributes only, so this app never depends on their internals; a kind
whose app is not installed (or not yet built) simply resolves to nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anxin.accounts.permissions import restrict

MODELS = {"rescue": ("rescue", "RescueJob"), "workorder": ("workshop", "WorkOrder")}
SERVICE_LABELS = {
    "rescue": gettext_lazy("road rescue"),
    "workorder": gettext_lazy("repair service"),
}
# Labels in the customer's language for the SMS (zh-Hans first).
SERVICE_LABELS_ZH = {"rescue": "道路救援服务", "workorder": "维修保养服务"}


@dataclass
class JobInfo:
    kind: str
    id: str
    number: str
    region_id: int | None
    outlet_id: int | None
    customer: Any
    vehicle: Any
    phone: str
    hint: str  # a feature for the classifier: rescue, workorder, workorder_rework

    def linked_fields(self) -> dict[str, Any]:
        return {
            "job_kind": self.kind,
            "job_id": self.id,
            "job_number": self.number,
            "region_id": self.region_id,
            "outlet_id": self.outlet_id,
            "customer": self.customer,
            "vehicle": self.vehicle,
        }


def job_model(kind: str) -> Any:
    spec = MODELS.get(kind)
    if spec is None:
        return None
    try:
        return apps.get_model(*spec)
    except LookupError:
        return None


def info(kind: str, job: Any) -> JobInfo:
    """The feedback-relevant facts of ``job`` (a RescueJob or WorkOrder instance)."""
    customer = getattr(job, "customer", None)
    phone = getattr(customer, "phone", "") or getattr(job, "caller_phone", "") or ""
    outlet_id = getattr(job, "outlet_id", None) or getattr(job, "destination_outlet_id", None)
    hint = kind
    if kind == "workorder" and (
        getattr(job, "is_rework", False) or getattr(job, "rework_of_id", None)
    ):
        hint = "workorder_rework"
    return JobInfo(
        kind=kind,
        id=str(job.pk),
        number=str(getattr(job, "number", "") or job.pk),
        region_id=getattr(job, "region_id", None),
        outlet_id=outlet_id,
        customer=customer,
        vehicle=getattr(job, "vehicle", None),
        phone=phone,
        hint=hint,
    )


def find(kind: str, ref: str, user: Any) -> JobInfo:
    """The job ``ref`` (id or number) of ``kind`` as ``user`` may see it.

    A job outside the user's region is refused with a message, not silently ignored: a
    complaint must not be filed against another region's job.
    """
    model = job_model(kind)
    if model is None:
        raise PermissionDenied(_("unknown job kind %(kind)r") % {"kind": kind})
    ref = str(ref).strip()
    lookup = {"pk": int(ref)} if ref.isdigit() else {"number": ref}
    job = model._default_manager.filter(**lookup).first()
    if job is None:
        raise PermissionDenied(_("no such job: %(ref)s") % {"ref": ref})
    if not restrict(model._default_manager.filter(pk=job.pk), user, "view").exists():
        raise PermissionDenied(
            _("job %(ref)s is in another region than yours; it cannot be complained about here")
            % {"ref": getattr(job, "number", ref)}
        )
    return info(kind, job)
