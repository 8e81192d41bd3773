"""Append to and verify the hash-chained change log (SEC-3)."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from .context import current_actor
from .models import ChainHead, ChangeLogEntry

GENESIS = "0" * 64
REDACTED_FIELDS = frozenset({"password", "key_hash"})


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, dt.datetime):
        return (
            value.astimezone(dt.UTC).isoformat() if timezone.is_aware(value) else value.isoformat()
        )
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if hasattr(value, "name") and hasattr(value, "storage"):  # FieldFile
        return value.name or ""
    return value


def snapshot(instance: models.Model) -> dict[str, Any]:
    """The stored state of a row as plain JSON values (foreign keys by id, secrets redacted)."""
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if field.name in REDACTED_FIELDS:
            data[field.attname] = "***"
            continue
        value = field.value_from_object(instance)
        if value is not None and not field.is_relation:
            # The in-memory value may still be what the caller assigned ("08:30", 1): store
            # what the database will hand back, so an unchanged row snapshots identically.
            try:
                value = field.to_python(value)
            except Exception:  # noqa: BLE001 - validation is not this function's job
                pass
        data[field.attname] = _jsonable(value)
    return data


def canonical(data: dict[str, Any] | None) -> str:
    if data is None:
        return ""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def entry_hash(
    prev_hash: str,
    *,
    seq: int,
    at: dt.datetime,
    actor_id: int | None,
    actor_label: str,
    request_id: str,
    action: str,
    model: str,
    object_pk: str,
    before: str,
    after: str,
) -> str:
    payload = json.dumps(
        [
            prev_hash,
            seq,
            at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            actor_id,
            actor_label,
            request_id,
            action,
            model,
            object_pk,
            before,
            after,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class Change:
    action: str
    model: str
    object_pk: str
    object_repr: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def change_for(
    instance: models.Model, action: str, before: dict[str, Any] | None, after: dict[str, Any] | None
) -> Change:
    return Change(
        action=action,
        model=instance._meta.label_lower,
        object_pk=str(instance.pk),
        object_repr=str(instance)[:200],
        before=before,
        after=after,
    )


def record(changes: Iterable[Change]) -> list[ChangeLogEntry]:
    """Append changes to the chain in one transaction, in order. Returns the stored entries."""
    changes = list(changes)
    if not changes:
        return []
    actor = current_actor()
    with transaction.atomic():
        ChainHead.objects.get_or_create(pk=1)
        head = ChainHead.objects.select_for_update().get(pk=1)
        seq, prev = head.last_seq, head.last_hash
        at = timezone.now()
        entries = []
        for change in changes:
            seq += 1
            before, after = canonical(change.before), canonical(change.after)
            digest = entry_hash(
                prev,
                seq=seq,
                at=at,
                actor_id=actor.user_id,
                actor_label=actor.label,
                request_id=actor.request_id,
                action=change.action,
                model=change.model,
                object_pk=change.object_pk,
                before=before,
                after=after,
            )
            entries.append(
                ChangeLogEntry(
                    seq=seq,
                    at=at,
                    actor_id=actor.user_id,
                    actor_label=actor.label[:150],
                    request_id=actor.request_id[:64],
                    action=change.action,
                    model=change.model,
                    object_pk=change.object_pk[:64],
                    object_repr=change.object_repr,
                    before=before,
                    after=after,
                    prev_hash=prev,
                    hash=digest,
                )
            )
            prev = digest
        ChangeLogEntry.objects.bulk_create(entries, batch_size=500)
        ChainHead.objects.filter(pk=1).update(last_seq=seq, last_hash=prev)
    return entries


@dataclass(frozen=True)
class Verdict:
    ok: bool
    checked: int
    head_hash: str
    broken_seq: int | None = None
    reason: str = ""


def verify(progress: Any = None) -> Verdict:
    """Recompute the whole chain; report the first entry that does not fit."""
    prev, expected_seq, checked = GENESIS, 1, 0
    for entry in ChangeLogEntry.objects.order_by("seq").iterator(chunk_size=2000):
        if entry.seq != expected_seq:
            return Verdict(
                False,
                checked,
                prev,
                expected_seq,
                f"entry #{expected_seq} is missing (next stored is #{entry.seq})",
            )
        if entry.prev_hash != prev:
            return Verdict(
                False,
                checked,
                prev,
                entry.seq,
                f"entry #{entry.seq} does not link to #{entry.seq - 1}",
            )
        digest = entry_hash(
            prev,
            seq=entry.seq,
            at=entry.at,
            actor_id=entry.actor_id,
            actor_label=entry.actor_label,
            request_id=entry.request_id,
            action=entry.action,
            model=entry.model,
            object_pk=entry.object_pk,
            before=entry.before,
            after=entry.after,
        )
        if digest != entry.hash:
            return Verdict(
                False,
                checked,
                prev,
                entry.seq,
                f"entry #{entry.seq} was altered after it was written",
            )
        prev, expected_seq, checked = digest, expected_seq + 1, checked + 1
        if progress is not None:
            progress.update(1)
    head = ChainHead.objects.filter(pk=1).first()
    last_seq, last_hash = (head.last_seq, head.last_hash) if head else (0, GENESIS)
    if last_seq != checked or last_hash != prev:
        return Verdict(
            False,
            checked,
            prev,
            checked + 1 if last_seq > checked else last_seq,
            f"the chain ends at #{checked} but its head records #{last_seq}: entries were removed",
        )
    return Verdict(True, checked, prev)
