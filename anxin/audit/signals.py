"""Record every create, update and delete of the product's models in the change log.

Receivers rather than per-view code, so admin edits, imports, API calls and action functions
are all covered. Bulk writes (``QuerySet.update``, ``bulk_create``) bypass signals; code that
uses them calls :func:`anxin.audit.changelog.record` itself.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from .changelog import change_for, record, snapshot

UNTRACKED = frozenset(
    {
        "audit.changelogentry",
        "audit.chainhead",
        "audit.personaldataaccess",
        "core.idempotencyrecord",
        "accounts.apitoken",
    }
)


def tracked(model: type[models.Model]) -> bool:
    meta = model._meta
    return (
        model.__module__.startswith("anxin.")
        and meta.label_lower not in UNTRACKED
        and not getattr(model, "changelog_exempt", False)
        and not meta.auto_created
    )


@receiver(pre_save)
def remember_before(
    sender: type[models.Model], instance: models.Model, raw: bool = False, **kw: Any
) -> None:
    if raw or not tracked(sender):
        return
    before = None
    if not instance._state.adding and instance.pk is not None:
        old = sender._default_manager.filter(pk=instance.pk).first()
        before = snapshot(old) if old is not None else None
    instance._anxin_before = before  # type: ignore[attr-defined]


@receiver(post_save)
def log_save(
    sender: type[models.Model],
    instance: models.Model,
    created: bool,
    raw: bool = False,
    update_fields: Any = None,
    **kw: Any,
) -> None:
    if raw or not tracked(sender):
        return
    before = None if created else getattr(instance, "_anxin_before", None)
    after = snapshot(instance)
    if not created and before == after:
        return  # a save that changed nothing is not a change
    record([change_for(instance, "create" if created else "update", before, after)])


@receiver(post_delete)
def log_delete(sender: type[models.Model], instance: models.Model, **kw: Any) -> None:
    if not tracked(sender):
        return
    record([change_for(instance, "delete", snapshot(instance), None)])


@receiver(m2m_changed)
def log_m2m(
    sender: Any,
    instance: models.Model,
    action: str,
    reverse: bool,
    model: Any,
    pk_set: Any,
    **kw: Any,
) -> None:
    if (
        reverse
        or not tracked(type(instance))
        or action
        not in {"pre_add", "pre_remove", "pre_clear", "post_add", "post_remove", "post_clear"}
    ):
        return
    field = next((f for f in instance._meta.many_to_many if f.remote_field.through is sender), None)
    if field is None:
        return
    current = sorted(str(pk) for pk in getattr(instance, field.name).values_list("pk", flat=True))
    if action.startswith("pre_"):
        instance._anxin_m2m_before = current  # type: ignore[attr-defined]
        return
    before = getattr(instance, "_anxin_m2m_before", None)
    if before == current:
        return
    record([change_for(instance, "update", {field.name: before}, {field.name: current})])
