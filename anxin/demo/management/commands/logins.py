"""``anxin logins``: the demo logins, to paste into the sign-in page."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from anxin.accounts.models import User
from anxin.demo.builder import DEMO_USERNAMES
from anxin.demo.catalog import DEMO_PASSWORD

URL = "http://127.0.0.1:8000/"


class Command(BaseCommand):
    help = "Print the demo logins (one per role) and where to sign in."

    def handle(self, *args: Any, **options: Any) -> None:
        users = {
            u.username: u
            for u in User.objects.filter(username__in=DEMO_USERNAMES).select_related("region")
        }
        if not users:
            self.stdout.write(_("No demo logins yet: run “anxin demo” to build the demo city."))
            return
        self.stdout.write(
            _("Sign in at %(url)s (password %(pw)s unless it was changed):")
            % {"url": URL, "pw": DEMO_PASSWORD}
        )
        header = (_("username"), _("password"), _("role"), _("region"))
        rows = [header] + [
            (u.username, DEMO_PASSWORD, str(u.get_role_display()), str(u.region or "—"))
            for name in DEMO_USERNAMES
            if (u := users.get(name)) is not None
        ]
        widths = [max(display_width(row[i]) for row in rows) for i in range(len(header))]
        for row in rows:
            self.stdout.write(
                "  ".join(pad(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip()
            )


def display_width(text: str) -> int:
    """Columns on a terminal: CJK characters take two."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))
