"""``anxin report monthly --month 2026-10 --format pdf|xlsx --out FILE`` (KPI-4)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from anxin.quality import report


class Command(BaseCommand):
    help = "Write the monthly quality report (月度报告) as a PDF or a spreadsheet."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=["monthly"])
        parser.add_argument("--month", required=True, help="YYYY-MM (Asia/Shanghai)")
        parser.add_argument("--format", choices=["pdf", "xlsx"], default="xlsx")
        parser.add_argument("--out", required=True, help="file to write")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            data = report.monthly_data(options["month"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        content = report.to_pdf(data) if options["format"] == "pdf" else report.to_xlsx(data)
        Path(options["out"]).write_bytes(content)
        self.stdout.write(
            self.style.SUCCESS(
                f"wrote {options['out']} ({len(content)} bytes, {len(data.sections)} sections)"
            )
        )
