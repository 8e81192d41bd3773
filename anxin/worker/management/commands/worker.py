"""``anxin worker``: run background jobs and periodic sweeps until told to stop."""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connection

from anxin.worker.runner import run_once

log = logging.getLogger("anxin.worker")


class Command(BaseCommand):
    help = "Run background jobs and periodic sweeps (several workers may run at once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Run one batch and exit.")
        parser.add_argument("--batch", type=int, default=50, help="Jobs claimed per round.")
        parser.add_argument(
            "--sleep", type=float, default=1.0, help="Seconds to wait when there was nothing to do."
        )
        parser.add_argument(
            "--lease-seconds",
            type=int,
            default=60,
            help="How long a claimed job is ours before others may take it.",
        )
        parser.add_argument(
            "--id",
            dest="worker_id",
            default="",
            help="Worker name in the job table (default host:pid).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        worker_id = options["worker_id"] or f"{socket.gethostname()}:{os.getpid()}"
        self.stopping = False

        def on_signal(signum: int, frame: FrameType | None) -> None:
            # Finish the job in hand, then leave: its lease would otherwise have to expire.
            log.info("%s received, finishing the current job", signal.strsignal(signum))
            self.stopping = True

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        log.info(
            "worker %s started (batch %s, lease %ss)",
            worker_id,
            options["batch"],
            options["lease_seconds"],
        )
        total = 0
        while not self.stopping:
            if not connection.in_atomic_block:  # (call_command inside a test transaction)
                # Drops a connection the database closed meanwhile (restart, failover).
                close_old_connections()
            done = run_once(
                worker_id=worker_id,
                batch=options["batch"],
                lease_seconds=options["lease_seconds"],
                stop=lambda: self.stopping,
            )
            total += done
            if done:
                log.info("worker %s processed %s", worker_id, done)
            if options["once"]:
                break
            if not done:
                # Sleep in small steps so a signal is answered promptly.
                deadline = time.monotonic() + options["sleep"]
                while not self.stopping and time.monotonic() < deadline:
                    time.sleep(min(0.1, options["sleep"]))
        log.info("worker %s stopped after %s", worker_id, total)
