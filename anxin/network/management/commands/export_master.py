"""``anxin export_master outlets net.xlsx [--user NAME]``: the same file the web page exports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from anxin.audit.context import acting_as
from anxin.network.imports import FORMATS, IMPORTERS, build_export

from ..operator import operator_for


class Command(BaseCommand):
    help = "Export outlets, units, staff or vehicles to .xlsx or .csv (by the file's suffix)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(IMPORTERS))
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--user",
            help="export what this account may view; phones unmasked "
            "(and logged) if its role may see personal data",
        )
        parser.add_argument("--template", action="store_true", help="write a blank template")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        fmt = path.suffix.lower().lstrip(".")
        if fmt not in FORMATS:
            raise CommandError("the file name must end in .xlsx or .csv")
        user = operator_for(options["user"])
        with acting_as(
            user=user if options["user"] else None, label=None if options["user"] else "shell"
        ):
            result = build_export(
                IMPORTERS[options["kind"]], user, fmt, template=options["template"]
            )
        path.write_bytes(result.content)
        self.stdout.write(self.style.SUCCESS(f"wrote {result.rows} row(s) to {path}"))
