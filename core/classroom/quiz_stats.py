"""Human vs detector on the same quiz items: accuracy, confusion matrices, per-item difficulty.

Pure functions over plain records, shared by the quiz page (one learner) and the teacher view (a class).
A confusion matrix is a (2, 2) int array: rows are the truth (real, fake), columns the answer (real, fake).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from core.classroom.gallery import Gallery


@dataclass(frozen=True)
class Response:
    """One answer to one item (by a learner); ``confidence`` in [0.5, 1]."""

    item_id: str
    answer: int
    truth: int
    confidence: float
    who: str = ""


@dataclass(frozen=True)
class ItemRow:
    """How one item went: class accuracy over ``n`` answers and the detector's answer on it."""

    item_id: str
    title: str
    kind: str
    truth: int
    n: int
    accuracy: float
    mean_confidence: float
    detector_prob: float | None
    detector_correct: bool


@dataclass(frozen=True)
class Comparison:
    """People vs the detector on the same answers (the detector is scored once per answer, so both
    accuracies weigh items alike)."""

    n_answers: int
    n_people: int
    people_accuracy: float
    detector_accuracy: float
    people_confusion: np.ndarray
    detector_confusion: np.ndarray
    items: list[ItemRow]
    unknown_items: list[str]


def confusion(truths: Iterable[int], answers: Iterable[int]) -> np.ndarray:
    m = np.zeros((2, 2), np.int64)
    for t, a in zip(truths, answers):
        m[int(t), int(a)] += 1
    return m


def accuracy(m: np.ndarray) -> float:
    total = int(m.sum())
    return float(np.trace(m) / total) if total else float("nan")


def compare(responses: Sequence[Response], gallery: Gallery) -> Comparison:
    """People's answers against the detector's on exactly the items they answered."""
    known = [r for r in responses if gallery.get(r.item_id) is not None and r.item_id in gallery.scores]
    unknown = sorted({r.item_id for r in responses} - {r.item_id for r in known})
    people = confusion((r.truth for r in known), (r.answer for r in known))
    machine = confusion((r.truth for r in known), (gallery.scores[r.item_id].answer for r in known))
    rows = []
    for item_id in dict.fromkeys(r.item_id for r in known):  # first-seen order
        rs = [r for r in known if r.item_id == item_id]
        item, score = gallery.get(item_id), gallery.scores[item_id]
        rows.append(ItemRow(item_id=item_id, title=item.title, kind=item.kind, truth=item.label, n=len(rs),
                            accuracy=sum(r.answer == r.truth for r in rs) / len(rs),
                            mean_confidence=sum(r.confidence for r in rs) / len(rs),
                            detector_prob=score.fake_prob, detector_correct=gallery.detector_correct(item_id)))
    return Comparison(n_answers=len(known), n_people=len({r.who for r in known}), people_accuracy=accuracy(people),
                      detector_accuracy=accuracy(machine), people_confusion=people, detector_confusion=machine,
                      items=rows, unknown_items=unknown)


def by_kind(responses: Sequence[Response], gallery: Gallery) -> dict[str, tuple[float, float, int]]:
    """Per kind of item: (people's accuracy, detector's accuracy, number of answers)."""
    out: dict[str, list] = {}
    for r in responses:
        item = gallery.get(r.item_id)
        if item is None or r.item_id not in gallery.scores:
            continue
        acc = out.setdefault(item.kind, [0, 0, 0])
        acc[0] += r.answer == r.truth
        acc[1] += gallery.detector_correct(r.item_id)
        acc[2] += 1
    return {k: (p / n, d / n, n) for k, (p, d, n) in out.items()}


def confidence_when(responses: Sequence[Response]) -> tuple[float, float]:
    """Mean confidence on right and on wrong answers (NaN when there are none)."""
    right = [r.confidence for r in responses if r.answer == r.truth]
    wrong = [r.confidence for r in responses if r.answer != r.truth]
    return (float(np.mean(right)) if right else float("nan"), float(np.mean(wrong)) if wrong else float("nan"))


MIN_ANSWERS_FOR_A_CONCLUSION = 4  # and at least two right and two wrong answers


def confidence_note(responses: Sequence[Response]) -> str | None:
    """One sentence (Markdown) on how sure the learner was when right and when wrong, or None when there is
    nothing fair to say (no answers, or none right or none wrong).

    A conclusion ("feeling sure did not mean being right") is drawn only when the learner actually moved the
    confidence slider (not every answer at one value) and gave enough answers both right and wrong; with every
    answer at one value the note says so instead.
    """
    if not responses:
        return None
    levels = {round(r.confidence, 2) for r in responses}
    if len(levels) == 1:
        return (f"You gave every answer the same confidence ({levels.pop():.0%}), so this round cannot tell whether "
                "feeling sure went with being right. Next time, move **How sure are you?**: 50% for a guess, 100% "
                "when you are certain.")
    n_right = sum(r.answer == r.truth for r in responses)
    n_wrong = len(responses) - n_right
    if not n_right or not n_wrong:
        return None
    sure_right, sure_wrong = confidence_when(responses)
    text = f"Your mean confidence was **{sure_right:.0%}** when right and **{sure_wrong:.0%}** when wrong"
    if len(responses) < MIN_ANSWERS_FOR_A_CONCLUSION or n_right < 2 or n_wrong < 2:
        return text + " (too few answers to read much into the difference)."
    if sure_wrong >= sure_right:
        return text + " — feeling sure did not mean being right."
    return text + " — you were surer when you were right."


def hardest_first(rows: Sequence[ItemRow]) -> list[ItemRow]:
    """Items from the lowest class accuracy to the highest (ties keep their order): the teacher's list and chart."""
    return sorted(rows, key=lambda r: r.accuracy)
