from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from anxin.audit.changelog import verify
from anxin.audit.models import ChangeLogEntry


class Command(BaseCommand):
    help = "Recompute the change log's hash chain; exit non-zero naming the first broken entry."

    def handle(self, *args: Any, **options: Any) -> None:
        total = ChangeLogEntry.objects.count()
        with tqdm(
            total=total,
            desc="verify change log",
            unit="entry",
            disable=options["verbosity"] < 1 or total < 5000,
        ) as bar:
            verdict = verify(progress=bar)
        if not verdict.ok:
            raise CommandError(
                f"change log broken at entry #{verdict.broken_seq}: {verdict.reason} "
                f"({verdict.checked} entries verified before it)"
            )
        self.stdout.write(f"change log intact: {verdict.checked} entries, head {verdict.head_hash}")
