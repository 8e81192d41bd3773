"""``anxin complaints``: the complaint classifier from the command line (FB-2).

* ``anxin complaints classify TEXT [--job rescue|workorder|workorder_rework]`` prints one JSON
  line: ``{"class": ..., "confidence": 0.xx, "unsure": ..., ...}`` — the same code the
  complaint desk uses.
* ``anxin complaints retrain`` trains on the shipped set plus the desk's confirmed and
  corrected classes, makes it the model in use and prints its hold-out accuracy.
* ``anxin complaints evaluate`` prints the current model's hold-out accuracy.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Classify complaint text, retrain the classifier, evaluate it."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        classify = sub.add_parser("classify", help="propose a class for TEXT (one JSON line)")
        classify.add_argument("text", nargs="+")
        classify.add_argument("--job", default="", help="job hint: rescue, workorder, ...")
        retrain = sub.add_parser("retrain", help="retrain with the desk's labels")
        retrain.add_argument(
            "--without-corrections", action="store_true", help="the shipped set only"
        )
        sub.add_parser("evaluate", help="hold-out accuracy of the model in use")

    def handle(self, *args: Any, **options: Any) -> None:
        from anxin.feedback import classifier, conf

        action = options["action"]
        if action == "classify":
            text = " ".join(options["text"]).strip()
            if not text:
                raise CommandError("give the complaint text")
            proposal = classifier.propose(text, job_hint=options["job"])
            self.stdout.write(json.dumps(proposal.as_dict(), ensure_ascii=False))
        elif action == "retrain":
            info = classifier.retrain(include_corrections=not options["without_corrections"])
            result = classifier.evaluate(
                classifier.current_model(),
                classifier.read_csv(classifier.HOLDOUT_CSV),
                conf.unsure_below(),
            )
            info["holdout_accuracy"] = round(result["accuracy"], 4)
            self.stdout.write(json.dumps(info, ensure_ascii=False))
        else:
            result = classifier.evaluate(
                classifier.current_model(),
                classifier.read_csv(classifier.HOLDOUT_CSV),
                conf.unsure_below(),
            )
            self.stdout.write(json.dumps(result, ensure_ascii=False))
