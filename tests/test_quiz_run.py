"""The quiz round's state machine, session resume and tallies (core/classroom/quiz.py), without a page."""

import pytest

from core.classroom.quiz import QuizRun, resume, tally
from core.classroom.quiz_stats import Response


def test_a_round_goes_ask_reveal_ask_then_done_and_times_answers():
    run = QuizRun.start(["a", "b"])
    assert (run.i, run.phase, run.item, run.is_last) == (0, "ask", "a", False)
    run.mark_shown(10.0)
    run.mark_shown(11.0)  # a rerun does not restart the clock
    assert run.answer(1, 0, 0.8, now=12.5) == 2500
    assert run.phase == "reveal" and run.records == [Response("a", 1, 0, 0.8, "you")]
    with pytest.raises(ValueError):
        run.answer(0, 0, 0.5, now=13.0)  # one answer per picture
    run.next()
    assert (run.i, run.phase, run.item, run.is_last) == (1, "ask", "b", True)
    assert run.answer(0, 0, 0.6, now=20.0) == 0  # never shown: no time recorded
    run.next()
    assert run.phase == "done" and len(run.records) == 2
    with pytest.raises(ValueError):
        run.next()


def test_resume_continues_at_the_first_unanswered_picture():
    saved = [Response("b", 1, 1, 0.9), Response("a", 0, 1, 0.7), Response("d", 1, 0, 0.5)]
    records = resume(["a", "b", "c", "d"], saved)
    assert [r.item_id for r in records] == ["a", "b"]  # "d" was answered out of order: asked again after "c"
    run = QuizRun.start(["a", "b", "c", "d"], records, token="t", nickname="kit")
    assert (run.i, run.phase, run.item, run.nickname) == (2, "ask", "c", "kit")
    assert QuizRun.start(["a", "b"], resume(["a", "b"], saved)).phase == "done"


def test_tally_against_the_detector():
    records = [Response("a", 1, 1, 0.9), Response("b", 0, 1, 0.6), Response("c", 1, 0, 0.7), Response("d", 0, 0, 0.5)]
    detector_right = {"a": False, "b": False, "c": True, "d": True}
    t = tally(records, detector_right.__getitem__)
    assert (t.n, t.you_right, t.detector_right) == (4, 2, 2)
    assert (t.only_you_wrong, t.only_detector_wrong, t.both_wrong) == (1, 1, 1)
