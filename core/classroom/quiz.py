"""One learner's round of Spot the fake, as a small state machine the quiz page drives and renders.

Phases: ``ask`` (a picture waits for an answer) → ``reveal`` (the truth and the detector's answer) → ``ask``
for the next picture, … → ``done``. UI-free: the page calls :meth:`QuizRun.answer` and :meth:`QuizRun.next`
and shows what :attr:`QuizRun.phase` says; :func:`resume` rebuilds a class round after a page reload.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Literal, Sequence

from core.classroom.quiz_stats import Response

Phase = Literal["ask", "reveal", "done"]


@dataclass
class QuizRun:
    """items: the round's item ids in order; records: the answers so far (one per item, in order); i: the
    picture being asked or revealed; token/nickname/code/session_title: the class seat (None when playing
    alone); shown_at: when picture ``i`` was first shown (monotonic seconds, for the answer time)."""

    items: list[str]
    records: list[Response] = field(default_factory=list)
    i: int = 0
    phase: Phase = "ask"
    token: str | None = None
    nickname: str | None = None
    code: str | None = None
    session_title: str | None = None
    shown: int | None = None
    shown_at: float = 0.0
    store_error: str | None = None

    @classmethod
    def start(cls, items: Sequence[str], records: Sequence[Response] = (), **seat: str | None) -> "QuizRun":
        """A round over ``items`` that continues after ``records`` (done when every item is answered)."""
        records = list(records)
        return cls(items=list(items), records=records, i=len(records),
                   phase="done" if len(records) >= len(items) else "ask", **seat)

    @property
    def item(self) -> str:
        """The id of the picture being asked or revealed."""
        return self.items[self.i]

    @property
    def is_last(self) -> bool:
        return self.i == len(self.items) - 1

    def mark_shown(self, now: float) -> None:
        """Start the answer clock the first time picture ``i`` is shown (reruns do not restart it)."""
        if self.shown != self.i:
            self.shown, self.shown_at = self.i, now

    def answer(self, answer: int, truth: int, confidence: float, now: float) -> int:
        """Record the answer (1 = fake) to the current picture and reveal it; returns the answer time in ms."""
        if self.phase != "ask":
            raise ValueError(f"no picture is waiting for an answer (phase {self.phase!r})")
        self.records.append(Response(self.item, int(answer), int(truth), float(confidence), "you"))
        self.phase = "reveal"
        return max(0, int(1000 * (now - self.shown_at))) if self.shown == self.i else 0

    def next(self) -> None:
        """After a reveal: the next picture, or the results after the last one."""
        if self.phase != "reveal":
            raise ValueError(f"nothing is revealed (phase {self.phase!r})")
        self.phase = "done" if self.is_last else "ask"
        self.i += 1


def resume(items: Sequence[str], answers: Iterable[Response]) -> list[Response]:
    """The records of a round whose answers were saved: answers are given in the round's order, so the
    answered pictures come first; the round continues at the first unanswered one."""
    done = {a.item_id: a for a in answers}
    records = []
    for item_id in items:
        if item_id not in done:
            break
        records.append(done[item_id])
    return records


@dataclass(frozen=True)
class Tally:
    """A finished round: right answers by the learner and by the detector, and who got which pictures wrong."""

    n: int
    you_right: int
    detector_right: int
    only_you_wrong: int
    only_detector_wrong: int
    both_wrong: int


def tally(records: Sequence[Response], detector_correct: Callable[[str], bool]) -> Tally:
    """Count a round against the detector's answers on the same pictures."""
    you = [r.answer == r.truth for r in records]
    det = [bool(detector_correct(r.item_id)) for r in records]
    return Tally(n=len(records), you_right=sum(you), detector_right=sum(det),
                 only_you_wrong=sum(not y and d for y, d in zip(you, det)),
                 only_detector_wrong=sum(y and not d for y, d in zip(you, det)),
                 both_wrong=sum(not y and not d for y, d in zip(you, det)))
