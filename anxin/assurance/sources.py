"""What an improvement action comes from: a (kind, id) reference resolved without importing
the source's app. The feedback app's complaints and ratings are looked up by model name, so
this app works whether or not feedback is installed yet."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from anxin.accounts.permissions import restrict

from .choices import JobKind, SourceKind

# kind -> (app label, model name) of the record it names
SOURCE_MODELS = {
    SourceKind.COMPLAINT: ("feedback", "Complaint"),
    SourceKind.RATING: ("feedback", "Rating"),
    SourceKind.FINDING: ("assurance", "AuditFinding"),
    SourceKind.CALLBACK: ("assurance", "Callback"),
    SourceKind.MYSTERY: ("assurance", "MysteryReport"),
}


@dataclass
class Source:
    kind: str
    id: str
    label: str
    obj: Any = None
    region_id: int | None = None
    outlet_id: int | None = None
    base_id: int | None = None
    customer_id: int | None = None


def parse(ref: str) -> tuple[str, str]:
    """``complaint:12`` -> ("complaint", "12"); a ValidationError for anything else."""
    kind, sep, ident = (ref or "").partition(":")
    if not sep or kind not in SourceKind.values or not ident.strip():
        raise ValidationError(
            {
                "source": _("name the source as kind:id, e.g. complaint:12 (kinds: %(kinds)s)")
                % {"kinds": ", ".join(SourceKind.values)}
            }
        )
    return kind, ident.strip()


def _job_scope(kind: str, job_id: Any) -> dict[str, Any]:
    from .records import record_for

    if not job_id:
        return {}
    record = record_for(kind, int(job_id))
    if record is None:
        return {}
    return {
        "region_id": record.region_id,
        "outlet_id": record.outlet_id,
        "base_id": record.base_id,
        "customer_id": record.customer_id,
    }


def _scope_of(obj: Any) -> dict[str, Any]:
    """Region, outlet, base and customer of a source record, from whatever it carries."""
    scope: dict[str, Any] = {}
    for name in ("region_id", "outlet_id", "base_id", "customer_id"):
        value = getattr(obj, name, None)
        if value:
            scope[name] = value
    # A source tied to a job (complaint about a rescue, rating of a work order, audited record).
    for attr, kind in (
        ("rescue_job_id", JobKind.RESCUE),
        ("work_order_id", JobKind.WORKORDER),
        ("workorder_id", JobKind.WORKORDER),
    ):
        if getattr(obj, attr, None):
            scope = {**_job_scope(kind, getattr(obj, attr)), **scope}
    kind, job_id = getattr(obj, "job_kind", None), getattr(obj, "job_id", None)
    if kind in JobKind.values and job_id:
        scope = {**_job_scope(kind, job_id), **scope}
    record = getattr(obj, "record", None)  # an audit finding
    if record is not None and getattr(record, "audit", None) is not None:
        scope = {
            **_job_scope(record.job_kind, record.job_id),
            "region_id": record.audit.region_id,
            **scope,
        }
    return scope


def _label(kind: str, obj: Any) -> str:
    for attr in ("number", "title", "summary", "subject", "rule"):
        value = getattr(obj, attr, None)
        if value:
            text = str(value)
            if kind == SourceKind.FINDING:
                text = f"{obj.record} · {obj.message}"
            return text[:200]
    return str(obj)[:200]


def resolve(ref_kind: str, ref_id: str, user: Any) -> Source:
    """The source as ``user`` may see it; a ValidationError when unknown or out of reach."""
    if ref_kind not in SourceKind.values:
        raise ValidationError({"source_kind": _("unknown source kind %(k)r") % {"k": ref_kind}})
    if ref_kind == SourceKind.REVIEW:
        # The monthly bad-review review is a meeting, named by its month (FB-6).
        return Source(ref_kind, ref_id, _("Bad-review review %(month)s") % {"month": ref_id})
    app_label, model_name = SOURCE_MODELS[ref_kind]
    try:
        model = apps.get_model(app_label, model_name)
    except LookupError as exc:
        raise ValidationError(
            {
                "source_id": _("%(kind)s records are not available in this installation")
                % {"kind": ref_kind}
            }
        ) from exc
    try:
        pk = int(ref_id)
    except (TypeError, ValueError) as exc:
        raise ValidationError({"source_id": _("the source id must be a number")}) from exc
    obj = restrict(model._default_manager.all(), user, "view").filter(pk=pk).first()
    if obj is None:
        raise ValidationError(
            {"source_id": _("no %(kind)s %(id)s that you may see") % {"kind": ref_kind, "id": pk}}
        )
    return Source(ref_kind, str(pk), _label(ref_kind, obj), obj, **_scope_of(obj))
