"""The complaint classifier (FB-2): proposes 服务态度 / 技术问题 / 流程效率 from the text.

jieba word segmentation (words and word bigrams) and character 1–3-grams, both TF-IDF
weighted, feed one multinomial logistic regression; the linked job's kind (rescue, work order,
rework) is one more feature. The model is trained from the labelled set in ``data/`` — plus the
desk's corrections when retrained with ``anxin complaints retrain`` — deterministically, and
cached in memory and on disk keyed by the training data's hash.

Technical first: when the technical class is close behind the winner, technical wins (a
complaint that mixes a long wait with an unfixed fault is a technical complaint). The
classifier never blocks intake: below the confidence threshold, or on any error, it answers
"unsure" and the desk chooses.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import pickle
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

log = logging.getLogger(__name__)

DATA = Path(__file__).resolve().parent / "data"
TRAIN_CSV = DATA / "complaints_train.csv"
HOLDOUT_CSV = DATA / "complaints_holdout.csv"
CLASSES = ("technical", "attitude", "process")
LABELS_ZH = {"technical": "技术问题", "attitude": "服务态度", "process": "流程效率"}
SEP = "\x01"  # separates the text from the job hint inside one model input
# Technical wins when it is at most this far behind the winner (and not negligible).
TECHNICAL_MARGIN = 0.12
TECHNICAL_FLOOR = 0.25
PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)

_lock = threading.Lock()
_cache: dict[str, Any] = {}
_quiet: list[bool] = []


# --- features -------------------------------------------------------------------------------
def _split(doc: str) -> tuple[str, str]:
    text, _sep, hint = doc.partition(SEP)
    return text, hint


def words(doc: str) -> list[str]:
    """jieba words and word bigrams of the text, plus the job hint as a token."""
    import jieba

    if not _quiet:
        jieba.setLogLevel(logging.WARNING)
        _quiet.append(True)
    text, hint = _split(doc)
    tokens = [t for t in jieba.lcut(text) if not PUNCT.fullmatch(t)]
    out = tokens + [f"{a}|{b}" for a, b in zip(tokens, tokens[1:], strict=False)]
    if hint:
        out.append(f"job={hint}")
    return out


def chars(doc: str) -> list[str]:
    """Character 1–3-grams within runs of text (punctuation breaks a run)."""
    text, _hint = _split(doc)
    grams: list[str] = []
    for run in PUNCT.split(text):
        for n in (1, 2, 3):
            grams.extend(run[i : i + n] for i in range(len(run) - n + 1))
    return grams


def model_input(text: str, job_hint: str = "") -> str:
    return f"{text.strip()}{SEP}{job_hint or ''}"


# --- data -----------------------------------------------------------------------------------
@dataclass
class Example:
    text: str
    label: str
    job_hint: str = ""


def read_csv(path: Path | str) -> list[Example]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return [
            Example(row["text"].strip(), row["label"].strip(), (row.get("job_hint") or "").strip())
            for row in csv.DictReader(f)
            if (row.get("text") or "").strip() and row.get("label") in CLASSES
        ]


def corrections() -> list[Example]:
    """The desk's confirmed and corrected classes, as training examples."""
    from .models import ClassificationLabel

    hint = {"rescue": "rescue", "workorder": "workorder"}
    return [
        Example(text, label, hint.get(kind, ""))
        for text, label, kind in ClassificationLabel.objects.order_by("pk").values_list(
            "text", "label", "job_kind"
        )
    ]


def fingerprint(examples: list[Example]) -> str:
    import sklearn

    digest = hashlib.sha256(sklearn.__version__.encode())
    for ex in examples:
        digest.update(f"{ex.text}\t{ex.label}\t{ex.job_hint}\n".encode())
    return digest.hexdigest()[:16]


# --- the model ------------------------------------------------------------------------------
def build_pipeline() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    vectorizers = FeatureUnion(
        [
            ("words", TfidfVectorizer(analyzer=words, sublinear_tf=True, min_df=1)),
            ("chars", TfidfVectorizer(analyzer=chars, sublinear_tf=True, min_df=1)),
        ]
    )
    return Pipeline(
        [
            ("features", vectorizers),
            ("linear", LogisticRegression(C=8.0, max_iter=3000, class_weight="balanced")),
        ]
    )


def train(examples: list[Example]) -> Any:
    pipeline = build_pipeline()
    pipeline.fit([model_input(e.text, e.job_hint) for e in examples], [e.label for e in examples])
    return pipeline


def model_dir() -> Path:
    configured = getattr(settings, "ANXIN_CLASSIFIER_DIR", None)
    return Path(configured) if configured else Path(settings.DATA_DIR) / "classifier"


def _load(path: Path) -> Any | None:
    try:
        with open(path, "rb") as f:
            return pickle.load(f)  # noqa: S301 — our own file, written by train_and_store
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None


def _store(path: Path, model: Any) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as f:
            pickle.dump(model, f)
        tmp.replace(path)
    except OSError:
        log.warning("could not cache the classifier at %s", path)


def train_and_store(examples: list[Example]) -> tuple[Any, str]:
    key = fingerprint(examples)
    model = train(examples)
    _store(model_dir() / f"complaints-{key}.pkl", model)
    return model, key


def current_model() -> Any:
    """The model in use: the last retrained one if any, else the one from the shipped data."""
    with _lock:
        pointer = model_dir() / "CURRENT"
        key = ""
        try:
            key = pointer.read_text().strip()
        except OSError:
            pass
        if not key:
            key = fingerprint(read_csv(TRAIN_CSV))
        if key in _cache:
            return _cache[key]
        model = _load(model_dir() / f"complaints-{key}.pkl")
        if model is None:
            model, key = train_and_store(read_csv(TRAIN_CSV))
        _cache.clear()
        _cache[key] = model
        return model


def retrain(*, include_corrections: bool = True) -> dict[str, Any]:
    """Train on the shipped set plus the desk's labels and make it the model in use."""
    examples = read_csv(TRAIN_CSV)
    extra = corrections() if include_corrections else []
    model, key = train_and_store(examples + extra)
    pointer = model_dir() / "CURRENT"
    try:
        pointer.parent.mkdir(parents=True, exist_ok=True)
        pointer.write_text(key)
    except OSError:
        log.warning("could not record the retrained classifier")
    with _lock:
        _cache.clear()
        _cache[key] = model
    return {"model": key, "examples": len(examples), "corrections": len(extra)}


# --- proposing ------------------------------------------------------------------------------
@dataclass
class Proposal:
    cls: str
    confidence: float
    unsure: bool
    probabilities: dict[str, float] = field(default_factory=dict)
    technical_first: bool = False
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "class": self.cls,
            "confidence": round(self.confidence, 2),
            "unsure": self.unsure,
            "label": LABELS_ZH.get(self.cls, ""),
            "probabilities": {k: round(v, 3) for k, v in self.probabilities.items()},
        }
        if self.technical_first:
            out["technical_first"] = True
        if self.error:
            out["error"] = self.error
        return out


def decide(probabilities: dict[str, float], threshold: float) -> Proposal:
    """The class from the probabilities, technical first, with the unsure flag."""
    ranked = sorted(probabilities.items(), key=lambda kv: (-kv[1], CLASSES.index(kv[0])))
    cls, confidence = ranked[0]
    tech = probabilities.get("technical", 0.0)
    technical_first = False
    if cls != "technical" and tech >= TECHNICAL_FLOOR and confidence - tech <= TECHNICAL_MARGIN:
        cls, confidence, technical_first = "technical", tech, True
    return Proposal(
        cls=cls,
        confidence=float(confidence),
        unsure=confidence < threshold,
        probabilities=probabilities,
        technical_first=technical_first,
    )


def propose(text: str, *, job_hint: str = "") -> Proposal:
    """The proposed class of ``text``; never raises (an error answers "unsure")."""
    from . import conf

    text = (text or "").strip()
    if not text:
        return Proposal(cls="", confidence=0.0, unsure=True, error="empty text")
    try:
        model = current_model()
        probs = model.predict_proba([model_input(text, job_hint)])[0]
        probabilities = {str(c): float(p) for c, p in zip(model.classes_, probs, strict=True)}
        return decide(probabilities, conf.unsure_below())
    except Exception as exc:  # noqa: BLE001 — intake goes on without a proposal
        log.exception("complaint classifier failed")
        return Proposal(cls="", confidence=0.0, unsure=True, error=type(exc).__name__)


def evaluate(model: Any, examples: list[Example], threshold: float = 0.5) -> dict[str, Any]:
    """Accuracy (all items, technical-first rule applied) and per-class figures."""
    inputs = [model_input(e.text, e.job_hint) for e in examples]
    rows = model.predict_proba(inputs)
    correct = 0
    unsure = 0
    per: dict[str, list[int]] = {c: [0, 0] for c in CLASSES}
    for ex, probs in zip(examples, rows, strict=True):
        p = decide(
            {str(c): float(v) for c, v in zip(model.classes_, probs, strict=True)}, threshold
        )
        hit = p.cls == ex.label
        correct += hit
        unsure += p.unsure
        per[ex.label][0] += hit
        per[ex.label][1] += 1
    return {
        "n": len(examples),
        "accuracy": correct / len(examples) if examples else 0.0,
        "unsure_share": unsure / len(examples) if examples else 0.0,
        "per_class": {c: (h / n if n else None) for c, (h, n) in per.items()},
    }


def to_csv(examples: list[Example]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["text", "label", "job_hint"])
    for e in examples:
        w.writerow([e.text, e.label, e.job_hint])
    return buf.getvalue()
