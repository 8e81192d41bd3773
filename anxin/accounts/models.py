from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from .roles import NATIONAL_ROLES, PII_ROLES, Role


class User(AbstractUser):
    """A person who signs in: their role and region decide what they see (SEC-1)."""

    role = models.CharField(_("role"), max_length=32, choices=Role.choices, default=Role.DISPATCHER)
    region = models.ForeignKey(
        "network.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    outlet = models.ForeignKey(
        "network.Outlet",
        verbose_name=_("outlet"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="users",
    )
    base = models.ForeignKey(
        "network.RescueBase",
        verbose_name=_("rescue base"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="users",
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def is_national(self) -> bool:
        return self.is_superuser or self.role in NATIONAL_ROLES

    @property
    def may_see_pii(self) -> bool:
        return self.is_superuser or self.role in PII_ROLES


class ApiToken(models.Model):
    """A bearer token for the REST API. Only the SHA-256 of the token is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.user} / {self.name}"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User, name: str) -> tuple[ApiToken, str]:
        key = "ax_" + secrets.token_urlsafe(32)
        return cls.objects.create(user=user, name=name, key_hash=cls.hash_key(key)), key
