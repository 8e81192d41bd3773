"""Files written inside a transaction are removed again when that transaction rolls back.

A photo is written to storage before its row is saved; when the write that carried it is
refused (a sign-off missing a required answer, a lost race), the database forgets the row but
the disk would keep an orphaned image of the customer's car. :func:`store` records each file it
writes in the innermost :func:`discard_on_rollback` block; a block that rolls back (an
exception, or ``transaction.set_rollback(True)``) deletes its files, a block that commits hands
them to the enclosing block, which may still roll back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction

_written: ContextVar[list[tuple[Any, str]] | None] = ContextVar("workshop_written", default=None)


def store(field_file: Any, name: str, content: bytes) -> str:
    """Save ``content`` into the (unsaved) model's file field; the file is tracked."""
    field_file.save(name, ContentFile(content), save=False)
    written = _written.get()
    if written is not None:
        written.append((field_file.storage, field_file.name))
    return field_file.name


@contextmanager
def discard_on_rollback() -> Iterator[None]:
    """An atomic block whose stored files are deleted when it rolls back."""
    parent = _written.get()
    written: list[tuple[Any, str]] = []
    token = _written.set(written)
    rolled_back = True
    try:
        with transaction.atomic():
            yield
            rolled_back = transaction.get_rollback()
    finally:
        _written.reset(token)
        if rolled_back:
            for storage, name in written:
                storage.delete(name)
        elif parent is not None:
            parent.extend(written)
