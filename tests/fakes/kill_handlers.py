"""A handler for the crash test: it records each execution in a table keyed by the job.

Imported by the worker process through ``ANXIN_WORKER_MODULES``. The table is created by
the test with plain SQL; its primary key makes a second execution of a job fail loudly.
"""

from __future__ import annotations

import time
from typing import Any

from django.db import connection

from anxin.worker.api import handler
from anxin.worker.models import Job

TABLE = "kill_test_execution"


@handler("test.record")
def record_execution(payload: dict[str, Any], job: Job) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (job_id, worker) VALUES (%s, %s)",  # noqa: S608
            [job.pk, job.locked_by],
        )
    time.sleep(payload.get("sleep", 0))  # keep the worker busy mid-batch when it is killed
