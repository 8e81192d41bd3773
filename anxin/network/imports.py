"""Spreadsheet import and export pages (being built: see the import/export work)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse


@login_required
def import_page(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


@login_required
def export(request: HttpRequest, kind: str) -> HttpResponse:
    raise NotImplementedError
