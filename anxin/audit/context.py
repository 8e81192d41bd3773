"""Who is acting and under which request id, for the change log.

Set by the request middleware for web and API calls (resolved lazily, so a user signed in by
an API token after the middleware ran is still the actor), by the ``anxin`` command for work
started by hand, and by the worker for its own jobs.
"""

from __future__ import annotations

import contextlib
import contextvars
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    label: str
    request_id: str


@dataclass
class _Source:
    request_id: str
    user: Any = None
    label: str | None = None
    request: Any = None


_current: contextvars.ContextVar[_Source | None] = contextvars.ContextVar(
    "anxin_actor", default=None
)


def _actor_from(user: Any, label: str | None, request_id: str) -> Actor:
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    user_id = getattr(user, "pk", None) if authenticated else None
    name = label or (getattr(user, "username", None) if authenticated else None) or "anonymous"
    return Actor(user_id=user_id, label=name, request_id=request_id)


def current_actor() -> Actor:
    source = _current.get()
    if source is None:
        return Actor(user_id=None, label="system", request_id="")
    user = source.user
    if source.request is not None:
        user = getattr(source.request, "user", None)
    return _actor_from(user, source.label, source.request_id)


@contextlib.contextmanager
def acting_as(
    user: Any = None, label: str | None = None, request_id: str | None = None, request: Any = None
) -> Iterator[None]:
    token = _current.set(
        _Source(request_id=request_id or uuid.uuid4().hex, user=user, label=label, request=request)
    )
    try:
        yield
    finally:
        _current.reset(token)
