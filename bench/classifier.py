"""Benchmark of the complaint classifier (issue 7, FB-2): run ``python -m bench.classifier``.

Trains the classifier on ``anxin/feedback/data/complaints_train.csv`` exactly as the product
does (no desk corrections) and measures it on ``complaints_holdout.csv``, a set written apart
from the training set in other words (customers' own voice, forum style), with the technical-first
rule and the "unsure" threshold the desk uses. Also times training and one proposal.
The last line printed is one JSON object with the figures, the targets and ``targets_met``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import statistics
import time


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anxin.settings")
    import django

    django.setup()
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    from anxin.feedback import classifier, conf

    train_set = classifier.read_csv(classifier.TRAIN_CSV)
    holdout = classifier.read_csv(classifier.HOLDOUT_CSV)
    started = time.perf_counter()
    model = classifier.train(train_set)
    train_seconds = time.perf_counter() - started
    result = classifier.evaluate(model, holdout, conf.unsure_below())
    saved_margin = classifier.TECHNICAL_MARGIN
    classifier.TECHNICAL_MARGIN = -1.0
    plain = classifier.evaluate(model, holdout, conf.unsure_below())
    classifier.TECHNICAL_MARGIN = saved_margin
    timings = []
    for ex in holdout[:100]:
        t0 = time.perf_counter()
        model.predict_proba([classifier.model_input(ex.text, ex.job_hint)])
        timings.append((time.perf_counter() - t0) * 1000)
    figures = {
        "holdout_accuracy": round(result["accuracy"], 4),
        "holdout_accuracy_without_technical_first": round(plain["accuracy"], 4),
        "per_class_recall": {
            k: round(v, 4) for k, v in result["per_class"].items() if v is not None
        },
        "unsure_share": round(result["unsure_share"], 4),
        "train_items": len(train_set),
        "holdout_items": len(holdout),
        "train_seconds": round(train_seconds, 2),
        "proposal_ms_p50": round(statistics.median(timings), 2),
    }
    targets = {"holdout_accuracy": 0.80}
    met = {"holdout_accuracy": figures["holdout_accuracy"] >= targets["holdout_accuracy"]}
    print(
        f"hold-out accuracy {figures['holdout_accuracy']:.1%} on {len(holdout)} items "
        f"(without technical-first {figures['holdout_accuracy_without_technical_first']:.1%}); "
        f"unsure {figures['unsure_share']:.1%}; train {train_seconds:.1f} s"
    )
    summary = {
        "bench": "classifier",
        "date": dt.datetime.now(dt.UTC).date().isoformat(),
        "machine": f"{platform.machine()} {os.cpu_count()} cores, {platform.system()}",
        "python": platform.python_version(),
        "figures": figures,
        "targets": targets,
        "targets_met": all(met.values()),
    }
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
