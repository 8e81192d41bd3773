"""``anxin demo``: build the Hangzhou demo city into an empty database."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from tqdm import tqdm

from anxin.demo.builder import STEPS, build
from anxin.network.models import Outlet


def parse_day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(
            _("--today takes a date like 2026-11-23, not “%(v)s”.") % {"v": value}
        ) from exc


class Command(BaseCommand):
    help = (
        "Build the Hangzhou demo city: regions, outlets, rescue bases and units, staff, "
        "2,000 customers and vehicles, and one demo login per role (password anxin-demo)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seed",
            type=int,
            default=7,
            help="random seed; the same seed and --today give the same city",
        )
        parser.add_argument(
            "--today",
            type=parse_day,
            default=None,
            help="end the demo's history at noon of this date (YYYY-MM-DD) "
            "instead of now, for a reproducible build",
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing if the database already has outlets"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if Outlet.objects.exists():
            if options["if_empty"]:
                self.stdout.write(_("The database already has outlets: demo data not loaded."))
                return
            raise CommandError(
                _(
                    "The database already has outlets; the demo city needs an empty "
                    "database (use --if-empty to skip quietly)."
                )
            )
        day: dt.date | None = options["today"]
        if day is not None:
            as_of = timezone.make_aware(
                dt.datetime.combine(day, dt.time(12, 0)), timezone.get_default_timezone()
            )
        else:
            as_of = timezone.localtime().replace(microsecond=0)
        started = time.monotonic()
        # The bar names the step under way; the builder reports each step as it finishes.
        upcoming = iter([step.__name__.removeprefix("build_") for step in STEPS[1:]] + [""])
        with tqdm(
            total=len(STEPS),
            desc=_("demo city"),
            unit=_("step"),
            disable=options["verbosity"] < 1,
            postfix=STEPS[0].__name__.removeprefix("build_"),
        ) as bar:

            def step_done(name: str) -> None:
                bar.set_postfix_str(next(upcoming), refresh=False)
                bar.update(1)

            with transaction.atomic():
                counts = build(seed=options["seed"], as_of=as_of, progress=step_done)
        elapsed = time.monotonic() - started
        self.stdout.write(
            _("Demo city built (seed %(seed)s, history up to %(at)s) in %(s).1f s:")
            % {"seed": options["seed"], "at": as_of.isoformat(), "s": elapsed}
        )
        for label, count in counts.items():
            self.stdout.write(f"  {label:<32} {count:>6}")
        self.stdout.write(_("Run “anxin logins” to see the demo logins."))
