"""What a detector's scores mean in practice: ROC curves, counts at a threshold, and base rates.

A score at or above the threshold counts as an alert ("flagged as fake"), the same rule the detector's
verdict bands use. Measured scores come from ``models/eval_scores.csv`` (written by ``python -m
core.training.evaluate``; columns ``path,label,kind,media,score[,families]``, label 0 real / 1 fake; ``families``
names the evaluation families an item belongs to, joined by ``"; "``). ``LAB_EVAL_SCORES`` points elsewhere (tests
use it).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.stats import rankdata
from sklearn.metrics import roc_auc_score, roc_curve

from core.config import ROOT, path_setting
from core.engine import labelled
from core.errors import DataFileError

REQUIRED_COLUMNS = ("label", "score")
FAMILY_SEPARATOR = "; "  # between an item's families in the scores file


def eval_scores_path() -> Path:
    """Where the measured evaluation scores live (``LAB_EVAL_SCORES`` or ``models/eval_scores.csv``)."""
    return path_setting("LAB_EVAL_SCORES", ROOT / "models" / "eval_scores.csv")


@dataclass(frozen=True)
class EvalScores:
    """Measured scores. labels: (N,) int8, 1 = fake; scores: (N,) float64; kinds/media/paths: N strings
    each (kinds is None when the file has no ``kind`` column); families: N tuples of family names (None when
    the file has no ``families`` column)."""

    labels: np.ndarray
    scores: np.ndarray
    kinds: list[str] | None
    media: list[str] | None
    paths: list[str] | None
    families: list[tuple[str, ...]] | None = None

    def __len__(self) -> int:
        return len(self.labels)

    def select(self, keep: np.ndarray) -> "EvalScores":
        """The rows where the (N,) bool mask ``keep`` is True."""
        idx = np.flatnonzero(keep)
        pick = (lambda xs: [xs[i] for i in idx] if xs is not None else None)
        return EvalScores(self.labels[idx], self.scores[idx], pick(self.kinds), pick(self.media), pick(self.paths),
                          pick(self.families))

    def sources(self) -> list[tuple[str, ...]] | None:
        """Each item's names for choosing what to count: its families where the file names them (readable,
        e.g. "FF++ c23 Deepfakes (video)"), else its kind; None when the file has neither."""
        if self.families is not None:
            kinds = self.kinds or [""] * len(self)
            return [f or ((k,) if k else ()) for f, k in zip(self.families, kinds)]
        return [(k,) for k in self.kinds] if self.kinds is not None else None

    def source_names(self, label: int) -> list[str]:
        """The sorted source names (see :meth:`sources`) of the items with this label (1 fake, 0 real)."""
        return sorted({n for src, y in zip(self.sources() or [], self.labels) if y == label for n in src})

    def from_sources(self, fakes: set[str], reals: set[str]) -> "EvalScores":
        """The fakes with a source in ``fakes`` and the real items with a source in ``reals``."""
        src = self.sources()
        if src is None:
            return self
        return self.select(np.array([bool(set(s) & (fakes if y == 1 else reals)) for s, y in zip(src, self.labels)],
                                    bool))


def parse_label(raw: str) -> int:
    """1 for a fake, 0 for a real item (the words of :data:`core.engine.labelled.LABEL_WORDS`); ValueError else."""
    label = labelled.parse_label(raw)
    if label is None:
        raise ValueError(f"label must be 0 (real) or 1 (fake), got {raw!r}")
    return label


def _label(raw: str, row: int) -> int:
    try:
        return parse_label(raw)
    except ValueError as exc:
        raise DataFileError(f"row {row}: {exc}") from None


def load_eval_scores(path: str | Path | None = None) -> EvalScores:
    """Read an evaluation-scores CSV. Raises FileNotFoundError when missing and DataFileError (a ValueError
    saying which row or column) when malformed."""
    path = Path(path) if path else eval_scores_path()
    try:
        return _read_eval_scores(path)
    except UnicodeDecodeError as err:
        raise DataFileError(f"{path.name} is not UTF-8 text ({err.reason})") from None


def _read_eval_scores(path: Path) -> EvalScores:
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        columns = [c.strip() for c in (reader.fieldnames or [])]
        missing = [c for c in REQUIRED_COLUMNS if c not in columns]
        if missing:
            raise DataFileError(f"{path.name} lacks the column(s) {', '.join(missing)}; "
                             "expected path,label,kind,media,score")
        labels, scores, kinds, media, paths, families = [], [], [], [], [], []
        for i, row in enumerate(reader, start=2):  # row 1 is the header
            row = {k.strip(): (v or "") for k, v in row.items() if k is not None}
            label = _label(row["label"], i)
            if not row["score"].strip():  # `evaluate` leaves the score empty where it found no face: not scored
                continue
            labels.append(label)
            try:
                score = float(row["score"])
            except ValueError:
                raise DataFileError(f"row {i}: score must be a number, got {row['score']!r}") from None
            if not math.isfinite(score):
                raise DataFileError(f"row {i}: score is not a finite number ({row['score']!r})")
            scores.append(score)
            kinds.append(row.get("kind", "").strip() or "unspecified")
            media.append(row.get("media", "").strip() or "unspecified")
            paths.append(row.get("path", "").strip())
            families.append(tuple(f.strip() for f in row.get("families", "").split(FAMILY_SEPARATOR.strip())
                                  if f.strip()))
    return EvalScores(np.asarray(labels, np.int8), np.asarray(scores, np.float64),
                      kinds if "kind" in columns else None, media if "media" in columns else None,
                      paths if "path" in columns else None, families if "families" in columns else None)


@dataclass(frozen=True)
class RocCurve:
    """fpr, tpr: (K,) float64 rising from 0 to 1; thresholds: (K,) float64, falling (the first is +inf:
    nothing flagged); auc: area under the curve; n_real / n_fake: how many items of each class."""

    fpr: np.ndarray
    tpr: np.ndarray
    thresholds: np.ndarray
    auc: float
    n_real: int
    n_fake: int


def _check(labels, scores) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(labels).astype(np.int64).ravel()
    s = np.asarray(scores, np.float64).ravel()
    if y.shape != s.shape:
        raise ValueError(f"labels and scores differ in length ({y.size} vs {s.size})")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be 0 (real) or 1 (fake)")
    return y, s


def roc(labels, scores) -> RocCurve:
    """The ROC curve of scores against labels (1 = fake). Needs at least one item of each class."""
    y, s = _check(labels, scores)
    n_fake, n_real = int(y.sum()), int((1 - y).sum())
    if n_fake == 0 or n_real == 0:
        raise ValueError(f"a ROC curve needs both real and fake items (got {n_real} real, {n_fake} fake)")
    fpr, tpr, thr = roc_curve(y, s, drop_intermediate=False)
    return RocCurve(fpr, tpr, thr, float(roc_auc_score(y, s)), n_real, n_fake)


def auc_interval(labels, scores, seed: int = 0, n: int = 2000) -> tuple[float, float]:
    """95% percentile interval of the AUC over ``n`` stratified bootstrap resamples (fakes and real items resampled
    separately, so every resample keeps both classes). Shows how far an AUC over few items could move by chance:
    14 real against 14 fake videos leave it wide."""
    y, s = _check(labels, scores)
    pos, neg = s[y == 1], s[y == 0]
    if len(pos) == 0 or len(neg) == 0:
        raise ValueError(f"an AUC needs both real and fake items (got {len(neg)} real, {len(pos)} fake)")
    rng = np.random.default_rng(seed)
    aucs = np.empty(n)
    for b in range(n):
        p, q = pos[rng.integers(0, len(pos), len(pos))], neg[rng.integers(0, len(neg), len(neg))]
        # Mann-Whitney: the share of (fake, real) pairs ranked the right way round, ties counting half.
        ranks = rankdata(np.concatenate([p, q]))[:len(p)]
        aucs[b] = (ranks.sum() - len(p) * (len(p) + 1) / 2) / (len(p) * len(q))
    lo, hi = np.percentile(aucs, [2.5, 97.5])
    return float(lo), float(hi)


@dataclass(frozen=True)
class Confusion:
    """Counts at one threshold (score >= threshold is an alert)."""

    threshold: float
    tp: int  # fakes flagged
    fp: int  # real items flagged
    tn: int  # real items passed
    fn: int  # fakes missed

    @property
    def tpr(self) -> float:
        """Share of fakes caught (recall, sensitivity); NaN without fakes."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")

    @property
    def fpr(self) -> float:
        """Share of real items wrongly flagged; NaN without real items."""
        return self.fp / (self.fp + self.tn) if self.fp + self.tn else float("nan")

    @property
    def precision(self) -> float:
        """Share of alerts that are fakes; NaN when nothing is flagged."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")


def confusion_at(labels, scores, threshold: float) -> Confusion:
    """True/false positives and negatives when everything scoring >= ``threshold`` is flagged."""
    y, s = _check(labels, scores)
    flagged = s >= threshold
    return Confusion(float(threshold), int((flagged & (y == 1)).sum()), int((flagged & (y == 0)).sum()),
                     int((~flagged & (y == 0)).sum()), int((~flagged & (y == 1)).sum()))


@dataclass(frozen=True)
class BaseRate:
    """Expected daily outcomes for a detector with a given TPR and FPR on a stream of items.

    All counts are expectations (floats); precision is NaN when no alerts are expected.
    """

    items_per_day: float
    fake_share: float
    tpr: float
    fpr: float
    fakes: float
    reals: float
    true_alarms: float
    false_alarms: float
    missed_fakes: float

    @property
    def alerts(self) -> float:
        return self.true_alarms + self.false_alarms

    @property
    def precision(self) -> float:
        return self.true_alarms / self.alerts if self.alerts > 0 else float("nan")


def base_rate(items_per_day: float, fake_share: float, tpr: float, fpr: float) -> BaseRate:
    """Expected true alarms, false alarms and missed fakes per day.

    ``fake_share``, ``tpr`` and ``fpr`` are fractions in [0, 1]; ``items_per_day`` is >= 0.
    """
    for name, value in (("fake_share", fake_share), ("tpr", tpr), ("fpr", fpr)):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must be a fraction between 0 and 1, got {value}")
    if items_per_day < 0:
        raise ValueError(f"items_per_day must not be negative, got {items_per_day}")
    fakes = items_per_day * fake_share
    reals = items_per_day - fakes
    return BaseRate(float(items_per_day), float(fake_share), float(tpr), float(fpr), fakes, reals,
                    fakes * tpr, reals * fpr, fakes * (1.0 - tpr))


def _count(x: float) -> str:
    """A count in words-friendly form: whole numbers with thousands separators, small ones with a decimal."""
    return f"{x:,.0f}" if x >= 9.95 or abs(x - round(x)) < 0.05 else f"{x:,.1f}"


def alerts_sentence(result: BaseRate) -> str:
    """The base-rate outcome in plain words, led by "of every 100 alerts, N are real fakes"."""
    if result.alerts <= 0:
        return ("The detector would raise no alerts at all: "
                f"{_count(result.missed_fakes)} fakes a day would pass unnoticed.")
    per100 = 100.0 * result.precision
    if per100 == 0:
        head = "Of every 100 alerts, none is a real fake: every alert is a real item flagged by mistake."
    elif per100 < 1:
        head = (f"Of every 100 alerts, fewer than 1 is a real fake (about 1 in {1 / result.precision:,.0f}); "
                "the rest are real items flagged by mistake.")
    else:
        n = round(per100)
        n = min(max(n, 1), 99) if 0 < result.precision < 1 else n  # never round a mix to "0" or "100"
        fakes = "1 is a real fake" if n == 1 else f"{n} are real fakes"
        if n == 100:
            head = "Of every 100 alerts, all 100 are real fakes: no real item is flagged by mistake."
        else:
            mistakes = "1 is a real item" if 100 - n == 1 else f"{100 - n} are real items"
            head = f"Of every 100 alerts, about {fakes} and {mistakes} flagged by mistake."
    return (f"{head} Each day: {_count(result.true_alarms)} fakes caught, {_count(result.false_alarms)} false "
            f"alarms and {_count(result.missed_fakes)} fakes missed.")


@dataclass(frozen=True)
class KindAuc:
    """How well scores separate one kind of fake from real items: ``auc`` over ``n_fake`` fakes and ``n_real``
    real items; ``real_items`` names which real items were used, in words."""

    auc: float
    n_fake: int
    n_real: int
    real_items: str


def auc_on_generated(data: EvalScores) -> KindAuc | None:
    """The detector's AUC for fully generated (GAN) faces against real photos, or None when the scores name
    no such kind (or no real items). Real photos of the same origin and format (FFHQ) are the comparison
    when present, else every real item."""
    if data.kinds is None:
        return None
    kinds = [k.lower() for k in data.kinds]
    matched = any(y == 0 and "ffhq" in k for k, y in zip(kinds, data.labels))
    keep = np.array([("gan" in k) if y == 1 else ("ffhq" in k or not matched) for k, y in zip(kinds, data.labels)],
                    dtype=bool)
    sub = data.select(keep)
    n_fake, n_real = int(sub.labels.sum()), int((sub.labels == 0).sum())
    if n_fake == 0 or n_real == 0:
        return None
    return KindAuc(roc(sub.labels, sub.scores).auc, n_fake, n_real, "real FFHQ photos" if matched else "real items")
