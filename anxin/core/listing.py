"""The base list page: rows only through the permission filter, paginated, searchable."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import models
from django.db.models import Q
from django.utils.text import capfirst
from django.views.generic import ListView

from anxin.accounts.permissions import restrict


class RestrictedListView(LoginRequiredMixin, ListView):
    """Subclasses name ``model``, ``columns`` (field names or callables) and ``search_fields``."""

    paginate_by = 50
    template_name = "core/list.html"
    columns: list[tuple[str, Any]] = []
    search_fields: tuple[str, ...] = ()
    title: Any = ""
    with_map = False
    export_kind: str | None = None

    def get_queryset(self) -> models.QuerySet[Any]:
        qs = restrict(self.model._default_manager.all(), self.request.user, "view")
        term = self.request.GET.get("q", "").strip()
        if term and self.search_fields:
            query = Q()
            for field in self.search_fields:
                query |= Q(**{f"{field}__icontains": term})
            qs = qs.filter(query)
        return self.decorate(qs)

    def decorate(self, qs: models.QuerySet[Any]) -> models.QuerySet[Any]:
        return qs

    def cells(self, obj: Any) -> list[Any]:
        out = []
        for _label, spec in self.columns:
            if callable(spec):
                out.append(spec(obj))
            else:
                value = obj
                for part in spec.split("."):
                    value = getattr(value, part, None)
                display = getattr(obj, f"get_{spec}_display", None)
                out.append(display() if display and "." not in spec else value)
        return out

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["title"] = capfirst(self.title or self.model._meta.verbose_name_plural)
        ctx["headers"] = [capfirst(label) for label, _spec in self.columns]
        ctx["rows"] = [(obj, self.cells(obj)) for obj in ctx["object_list"]]
        ctx["q"] = self.request.GET.get("q", "")
        ctx["with_map"] = self.with_map
        ctx["export_kind"] = self.export_kind
        return ctx
