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


def _answers(rights: list[bool], confidences: list[float]) -> list[Response]:
    return [Response(f"i{k}", 1 if ok else 0, 1, c, "you") for k, (ok, c) in enumerate(zip(rights, confidences))]


def test_confidence_note_concludes_only_when_the_slider_was_used_and_answers_suffice():
    from core.classroom.quiz_stats import confidence_note

    untouched = confidence_note(_answers([True, False] * 5, [0.7] * 10))
    assert "same confidence (70%)" in untouched and "did not mean being right" not in untouched
    used = confidence_note(_answers([True, False] * 3, [0.6, 0.9, 0.6, 0.9, 0.7, 0.8]))
    assert used.endswith("feeling sure did not mean being right.") and "**63%** when right" in used
    calibrated = confidence_note(_answers([True, False] * 3, [0.9, 0.6, 0.9, 0.6, 1.0, 0.5]))
    assert calibrated.endswith("you were surer when you were right.")
    few = confidence_note(_answers([True, True, False], [0.9, 0.8, 0.6]))
    assert "too few answers" in few and "did not mean being right" not in few
    assert confidence_note(_answers([True] * 5, [0.5, 0.6, 0.7, 0.8, 0.9])) is None  # nothing wrong to compare
    assert confidence_note([]) is None


def test_hardest_first_keeps_ties_in_order():
    from core.classroom.quiz_stats import ItemRow, hardest_first

    rows = [ItemRow(i, i, "real", 0, 3, acc, 0.7, 0.2, True) for i, acc in (("a", 1.0), ("b", 0.3), ("c", 0.3))]
    assert [r.item_id for r in hardest_first(rows)] == ["b", "c", "a"]
