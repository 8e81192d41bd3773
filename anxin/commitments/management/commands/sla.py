"""``anxin sla``: compute a due time with the clocks' own code, and list the calendars.

anxin sla due --calendar cn-workday --start 2026-09-30T16:00+08:00 --target 2h
anxin sla calendars
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ... import calendars
from ...calendar import CalendarError, zone
from ...durations import DurationError, parse_duration
from ...models import Calendar


def parse_start(text: str) -> dt.datetime:
    """An ISO 8601 time that names its offset; a local time without one is ambiguous."""
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise CommandError(
            f"--start {text!r} is not an ISO 8601 time (e.g. 2026-09-30T16:00+08:00)"
        ) from exc
    if value.tzinfo is None or value.utcoffset() is None:
        raise CommandError(
            f"--start {text!r} has no UTC offset: write it like "
            f"{value.isoformat(timespec='minutes')}+08:00"
        )
    return value


class Command(BaseCommand):
    help = "Service-commitment arithmetic: due times and the calendars they use."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{due,calendars}")
        due = actions.add_parser("due", help="Print the due time of a target started at a time.")
        due.add_argument("--calendar", required=True, help="calendar name, e.g. cn-workday")
        due.add_argument("--start", required=True, help="ISO 8601 with offset")
        due.add_argument("--target", required=True, help="duration such as 30m, 2h, 48h, 3d")
        actions.add_parser("calendars", help="List the calendars.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "calendars":
            for calendar in Calendar.objects.order_by("name"):
                horizon = (
                    f"  holidays until {calendar.holidays_until}" if calendar.holidays_until else ""
                )
                self.stdout.write(f"{calendar.name}\t{calendar.kind}{horizon}")
            return
        start = parse_start(options["start"])
        try:
            target = parse_duration(options["target"])
        except DurationError as exc:
            raise CommandError(f"--target: {exc}") from exc
        try:
            calendar = calendars.get_calendar(options["calendar"])
            result = calendars.due(calendar.name, start, target)
        except (calendars.UnknownCalendar, CalendarError) as exc:
            raise CommandError(str(exc)) from exc
        for year in sorted(result.fallback_years):
            self.stderr.write(
                f"warning: calendar {calendar.name} has no holiday data for "
                f"{year}: using the weekly rule"
            )
        self.stdout.write(result.at.astimezone(zone(calendar.timezone)).isoformat())
