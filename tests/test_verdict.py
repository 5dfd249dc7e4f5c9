"""The one verdict vocabulary: bands from the checkpoint's thresholds, one label, colour and reading each."""

import json

from core.engine.detector import VERDICTS, DetectorMeta, untrained_detector
from core.engine.draw import VERDICT_COLOURS
from core.engine.verdict import Verdict, score_points


def test_bands_follow_the_thresholds_at_their_edges():
    assert Verdict.of(0.2999, 0.3, 0.7) is Verdict.REAL
    assert Verdict.of(0.3, 0.3, 0.7) is Verdict.UNCERTAIN
    assert Verdict.of(0.6999, 0.3, 0.7) is Verdict.UNCERTAIN
    assert Verdict.of(0.7, 0.3, 0.7) is Verdict.MANIPULATED
    det = untrained_detector()
    det.meta = DetectorMeta(likely_real_below=0.1, likely_manipulated_from=0.2)
    assert det.verdict(0.15) is Verdict.UNCERTAIN and det.verdict(0.2) is Verdict.MANIPULATED


def test_a_verdict_is_its_label_in_text_reports_and_lookups():
    assert VERDICTS == (Verdict.REAL, Verdict.UNCERTAIN, Verdict.MANIPULATED)
    assert Verdict.REAL == "likely real" and f"{Verdict.MANIPULATED}" == "likely manipulated"
    assert json.loads(json.dumps({"v": Verdict.UNCERTAIN})) == {"v": "uncertain"}
    assert VERDICT_COLOURS["likely real"] == Verdict.REAL.colour == (0, 114, 178)
    assert Verdict("uncertain").css(0.5) == "rgba(230,159,0,0.5)"


def test_each_verdict_has_its_own_colour_mark_and_reading():
    assert len({v.colour for v in Verdict}) == len({v.mark for v in Verdict}) == len({v.reading for v in Verdict}) == 3
    assert all("proof" in v.reading or "cannot tell" in v.reading for v in Verdict)


def test_scores_are_shown_as_whole_points_out_of_100():
    assert [score_points(x) for x in (0.0, 0.274, 0.6868, 1.0)] == ["0", "27", "69", "100"]
