"""``anxin import_master outlets net.xlsx [--mode upsert] [--user NAME]``: all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from anxin.audit.context import acting_as
from anxin.core.spreadsheets import SpreadsheetError, read_table
from anxin.network.importers import CREATE, UPSERT
from anxin.network.imports import IMPORTERS

from ..operator import operator_for


class Command(BaseCommand):
    help = (
        "Import outlets, units, staff or vehicles from .xlsx/.csv; "
        "nothing is saved if any row has an error."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(IMPORTERS))
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--mode",
            choices=(CREATE, UPSERT),
            default=CREATE,
            help="create: an existing key is an error; upsert: update existing rows",
        )
        parser.add_argument(
            "--user", help="act with this account's role and region (and be logged as it)"
        )
        parser.add_argument("--check", action="store_true", help="validate only, save nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        user = operator_for(options["user"])
        try:
            table = read_table(path.read_bytes(), path.name)
        except SpreadsheetError as exc:
            raise CommandError(str(exc)) from exc
        importer = IMPORTERS[options["kind"]]
        if options["user"]:
            with acting_as(user=user):  # the change log names the account, not the shell
                result = importer.run(table, user, options["mode"], commit=not options["check"])
        else:
            result = importer.run(table, user, options["mode"], commit=not options["check"])
        if result.encoding:
            self.stdout.write(f"read as {result.encoding}")
        if result.ignored_columns:
            self.stdout.write("ignored columns: " + ", ".join(result.ignored_columns))
        if not result.ok:
            for error in result.errors:
                self.stdout.write(f"row {error.row}\t{error.field}\t{error.message}")
            raise CommandError(f"{len(result.errors)} error(s) in {path.name}: nothing was saved")
        verb = "checked" if options["check"] else "imported"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {result.rows} row(s): {result.created} created, {result.updated} updated, "
                f"{result.unchanged} unchanged"
            )
        )
