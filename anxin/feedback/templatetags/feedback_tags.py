"""Small template helpers of the feedback pages."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item_safe(mapping: Any, key: str) -> Any:
    """``mapping[key]`` or empty: for per-field values and errors in a form-less page."""
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""
