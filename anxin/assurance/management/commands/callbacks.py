"""``anxin callbacks draw --month 2026-11 [--region CODE] [--seed N]`` and
``anxin callbacks verify DRAW_ID``: the manager-callback draw by hand, and its check."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from anxin.api.base import Conflict
from anxin.network.models import Region


class Command(BaseCommand):
    help = "Draw the month's manager callbacks (10% of served customers) or verify a draw."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        draw = sub.add_parser("draw", help="draw a month's callbacks")
        draw.add_argument("--month", required=True, help="YYYY-MM (Asia/Shanghai)")
        draw.add_argument("--region", help="region code (default: every region)")
        draw.add_argument("--seed", type=int, help="seed (default: a random one, stored)")
        verify = sub.add_parser("verify", help="run a stored draw again and compare")
        verify.add_argument("draw_id", type=int)

    def handle(self, *args: Any, **opts: Any) -> None:
        from anxin.assurance.actions.draws import draw_callbacks, verify_draw
        from anxin.assurance.models import Draw

        if opts["action"] == "verify":
            draw = Draw.objects.filter(pk=opts["draw_id"]).first()
            if draw is None:
                raise CommandError(f"no draw {opts['draw_id']}")
            check = verify_draw(draw)
            self.stdout.write(
                f"draw {draw.pk} {draw.purpose} {draw.region.code} {draw.period} seed={draw.seed}\n"
                f"  sample reproduced from stored population: {check.sample_reproduced}\n"
                f"  stored population hash consistent:        {check.stored_hash_ok}\n"
                f"  population unchanged in the records:      {check.population_unchanged}"
                f" (now {check.current_size}, stored {draw.population_size})\n"
                + ("OK" if check.ok else "MISMATCH")
            )
            if not check.ok:
                raise CommandError("the draw does not verify")
            return
        regions = Region.objects.order_by("code")
        if opts.get("region"):
            regions = regions.filter(code=opts["region"])
            if not regions.exists():
                raise CommandError(f"no region {opts['region']!r}")
        for region in regions:
            try:
                draw = draw_callbacks(region, opts["month"], seed=opts.get("seed"))
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from exc
            except Conflict as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(
                f"{region.code} {draw.period}: {draw.sample_size} of {draw.population_size} "
                f"served customers, seed {draw.seed}, population sha256 {draw.population_hash}"
            )
