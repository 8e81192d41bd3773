"""Inspection and expert-request photos, served to those who may see their work order.

Not under MEDIA_URL (which the product does not serve): the photos show the customer's car
and what was in it, so each request goes through ``restrict()`` like the pages that link them.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from anxin.rescue.photos import thumbnail_bytes

from ..models import ExpertPhoto, InspectionPhoto
from .experts import visible as visible_requests
from .workorders import visible as visible_orders


def _image(photo: Any, request: HttpRequest) -> HttpResponse:
    try:
        with photo.image.open("rb") as stored:
            thumb = request.GET.get("size") == "thumb"
            body = thumbnail_bytes(stored) if thumb else stored.read()
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    response = HttpResponse(body, content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = f'inline; filename="photo-{photo.pk}.jpg"'
    return response


@login_required
@require_GET
@never_cache
def inspection_photo(request: HttpRequest, photo_id: int) -> HttpResponse:
    photos = InspectionPhoto.objects.restrict(request.user, "view").filter(
        inspection__work_order__in=visible_orders(request.user)
    )
    return _image(get_object_or_404(photos, pk=photo_id), request)


@login_required
@require_GET
@never_cache
def expert_photo(request: HttpRequest, photo_id: int) -> HttpResponse:
    photos = ExpertPhoto.objects.restrict(request.user, "view").filter(
        request__in=visible_requests(request.user)
    )
    return _image(get_object_or_404(photos, pk=photo_id), request)
