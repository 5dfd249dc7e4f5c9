"""roc lab: ROC/AUC, counts at a threshold, base-rate arithmetic, and the evaluation-scores file."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.labs.roc import alerts_sentence, auc_interval, base_rate, confusion_at, load_eval_scores, roc

# A small case worked by hand: fakes score 0.35 and 0.8, real items 0.1 and 0.4.
LABELS = [0, 0, 1, 1]
SCORES = [0.1, 0.4, 0.35, 0.8]


def test_roc_small_case_matches_hand_computation():
    curve = roc(LABELS, SCORES)
    # Of the 4 (fake, real) pairs, the fake outscores the real item in 3 → AUC = 3/4.
    assert curve.auc == pytest.approx(0.75)
    # Lowering the threshold past 0.8, 0.4, 0.35, 0.1 flags: 1 fake; +1 real; +1 fake; +1 real.
    assert list(zip(curve.fpr, curve.tpr)) == [(0, 0), (0, 0.5), (0.5, 0.5), (0.5, 1), (1, 1)]
    assert list(curve.thresholds[1:]) == [0.8, 0.4, 0.35, 0.1]
    assert (curve.n_real, curve.n_fake) == (2, 2)


def test_roc_ties_count_half_and_perfect_separation_is_one():
    assert roc([0, 1], [0.5, 0.5]).auc == pytest.approx(0.5)
    assert roc([0, 0, 1], [0.1, 0.2, 0.9]).auc == pytest.approx(1.0)
    assert roc([1, 1, 0], [0.1, 0.2, 0.9]).auc == pytest.approx(0.0)


def test_roc_needs_both_classes():
    with pytest.raises(ValueError, match="both real and fake"):
        roc([1, 1], [0.2, 0.3])


def test_roc_confusion_at_threshold_counts_equal_scores_as_alerts():
    c = confusion_at(LABELS, SCORES, 0.4)  # flags 0.4 (real) and 0.8 (fake)
    assert (c.tp, c.fp, c.tn, c.fn) == (1, 1, 1, 1)
    assert (c.tpr, c.fpr, c.precision) == (0.5, 0.5, 0.5)
    c = confusion_at(LABELS, SCORES, 0.81)
    assert (c.tp, c.fp, c.tn, c.fn) == (0, 0, 2, 2)
    assert math.isnan(c.precision)


def test_roc_confusion_agrees_with_curve_points():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    s = rng.random(200) + 0.3 * y
    curve = roc(y, s)
    for t, fpr, tpr in list(zip(curve.thresholds, curve.fpr, curve.tpr))[1::17]:
        c = confusion_at(y, s, t)
        assert (c.fpr, c.tpr) == pytest.approx((fpr, tpr))


def test_roc_base_rate_million_real_videos_gives_fifty_thousand_false_alarms():
    # The example: a "95% accurate" detector screening a million real videos a day.
    r = base_rate(1_000_000, 0.0, tpr=0.95, fpr=0.05)
    assert r.false_alarms == pytest.approx(50_000)
    assert (r.true_alarms, r.missed_fakes, r.precision) == (0, 0, 0)
    text = alerts_sentence(r)
    assert "none is a real fake" in text and "50,000 false alarms" in text


def test_roc_base_rate_one_percent_fakes():
    # 10,000 fakes and 990,000 real items: 9,000 caught, 1,000 missed, 9,900 false alarms.
    r = base_rate(1_000_000, 0.01, tpr=0.90, fpr=0.01)
    assert (r.fakes, r.reals) == pytest.approx((10_000, 990_000))
    assert (r.true_alarms, r.false_alarms, r.missed_fakes) == pytest.approx((9_000, 9_900, 1_000))
    assert r.precision == pytest.approx(9_000 / 18_900)
    assert alerts_sentence(r).startswith("Of every 100 alerts, about 48 are real fakes and 52 are real items")


def test_roc_base_rate_rare_fakes_and_no_alerts():
    rare = base_rate(1_000_000, 0.0001, tpr=0.9, fpr=0.01)  # 90 caught among ~10,090 alerts
    assert "fewer than 1 is a real fake (about 1 in 112)" in alerts_sentence(rare)
    silent = base_rate(1_000, 0.5, tpr=0.0, fpr=0.0)
    assert math.isnan(silent.precision)
    assert "no alerts" in alerts_sentence(silent) and "500 fakes" in alerts_sentence(silent)


@pytest.mark.parametrize("args", [(100, 1.5, 0.9, 0.1), (100, 0.1, -0.1, 0.1), (-1, 0.1, 0.9, 0.1)])
def test_roc_base_rate_rejects_impossible_inputs(args):
    with pytest.raises(ValueError):
        base_rate(*args)


def test_roc_load_eval_scores(tmp_path):
    path = tmp_path / "scores.csv"
    path.write_text("path,label,kind,media,score\n"
                    "a.jpg,0,FFHQ photo,image,0.10\n"
                    "b.jpg,1,StyleGAN2,image,0.20\n"
                    "c.mp4,fake,DFDC face swap,video,0.90\n")
    data = load_eval_scores(path)
    assert list(data.labels) == [0, 1, 1] and list(data.scores) == [0.1, 0.2, 0.9]
    assert data.kinds == ["FFHQ photo", "StyleGAN2", "DFDC face swap"]
    sub = data.select(np.array([False, True, True]))
    assert len(sub) == 2 and sub.paths == ["b.jpg", "c.mp4"]


def test_roc_load_eval_scores_says_what_is_wrong(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("path,label,score\na.jpg,maybe,0.5\n")
    with pytest.raises(ValueError, match="row 2: label"):
        load_eval_scores(bad)
    bad.write_text("path,label\na.jpg,1\n")
    with pytest.raises(ValueError, match="score"):
        load_eval_scores(bad)
    plain = tmp_path / "plain.csv"
    plain.write_text("label,score\n1,0.7\n")
    assert load_eval_scores(plain).kinds is None


def test_auc_on_generated_compares_gan_fakes_with_matching_real_photos():
    from core.labs.roc import EvalScores, auc_on_generated

    kinds = ["FFHQ real", "FFHQ real", "LFW real", "StyleGAN2 GAN", "StyleGAN2 GAN", "self-blend"]
    labels = np.array([0, 0, 0, 1, 1, 1], np.int8)
    scores = np.array([0.1, 0.2, 0.95, 0.3, 0.4, 0.0])
    got = auc_on_generated(EvalScores(labels, scores, kinds, None, None))
    # Only the two GAN fakes against the two FFHQ photos: the LFW photo and the self-blend are left out.
    assert got is not None and got.auc == 1.0 and (got.n_fake, got.n_real) == (2, 2)
    assert got.real_items == "real FFHQ photos"
    no_ffhq = auc_on_generated(EvalScores(labels[2:], scores[2:], kinds[2:], None, None))
    assert no_ffhq.real_items == "real items" and no_ffhq.auc == 0.0 and no_ffhq.n_real == 1
    assert auc_on_generated(EvalScores(labels, scores, None, None, None)) is None
    assert auc_on_generated(EvalScores(labels[:3], scores[:3], kinds[:3], None, None)) is None


def test_items_without_a_face_have_no_score_and_are_left_out(tmp_path):
    from core.labs.roc import load_eval_scores

    path = tmp_path / "scores.csv"
    path.write_text("path,label,kind,media,score,n_faces,error\n"
                    "a.jpg,0,x,image,0.2,1,\nb.jpg,1,x,image,,0,\nc.jpg,1,x,image,0.9,1,\n", encoding="utf-8")
    scores = load_eval_scores(path)
    assert scores.labels.tolist() == [0, 1] and scores.scores.tolist() == [0.2, 0.9]
    assert scores.paths == ["a.jpg", "c.jpg"]


def test_families_column_names_the_choices(tmp_path):
    """With a families column the choices are family names (an item may belong to several); without one,
    the kinds."""
    p = tmp_path / "scores.csv"
    p.write_text('path,label,kind,score,families\n'
                 'a.mp4,0,FF++ c23 original,0.2,FF++ c23 Deepfakes (video); FF++ c23 FaceSwap (video)\n'
                 'b.mp4,1,FF++ c23 Deepfakes,0.9,FF++ c23 Deepfakes (video)\n'
                 'c.mp4,1,FF++ c23 FaceSwap,0.4,FF++ c23 FaceSwap (video)\n'
                 'd.jpg,0,"odd raw / none",0.1,\n')
    data = load_eval_scores(p)
    assert data.source_names(1) == ["FF++ c23 Deepfakes (video)", "FF++ c23 FaceSwap (video)"]
    assert data.source_names(0) == ["FF++ c23 Deepfakes (video)", "FF++ c23 FaceSwap (video)", "odd raw / none"]
    sub = data.from_sources({"FF++ c23 FaceSwap (video)"}, {"FF++ c23 FaceSwap (video)"})
    assert sub.paths == ["a.mp4", "c.mp4"]
    assert load_eval_scores(p).select(np.array([True, False, False, False])).families == [
        ("FF++ c23 Deepfakes (video)", "FF++ c23 FaceSwap (video)")]


def test_write_scores_names_families_and_model_card_fills_old_files(tmp_path):
    from core.training.evaluate import Item, write_scores
    from core.training.model_card import scores_with_families

    out = tmp_path / "scores.csv"
    write_scores([Item(path=tmp_path / "x.mp4", name="x.mp4", label=1, media="video", kind="k",
                       families=["Fam A", "Fam B"], score=0.5, n_faces=3)], out)
    assert load_eval_scores(out).families == [("Fam A", "Fam B")]
    old = "path,label,kind,media,score\nx.mp4,1,k,video,0.5\ny.mp4,0,other,video,0.1\n"
    filled = tmp_path / "filled.csv"
    filled.write_text(scores_with_families(old, {"k": ["Fam A"]}))
    assert load_eval_scores(filled).families == [("Fam A",), ("other",)]


def test_auc_interval_brackets_the_auc_and_narrows_with_more_items():
    """14 real vs 14 fake videos leave a wide interval; 1,000 a side a narrow one, around the same AUC."""
    rng = np.random.default_rng(7)
    widths = {}
    for n in (14, 1000):
        labels = np.r_[np.zeros(n), np.ones(n)]
        scores = rng.normal(size=2 * n) + 1.0 * labels  # two unit normals one apart: AUC about 0.76
        lo, hi = auc_interval(labels, scores, seed=1)
        assert lo < roc(labels, scores).auc < hi
        widths[n] = hi - lo
    assert widths[14] > 0.25 and widths[1000] < 0.06
    assert auc_interval(LABELS, SCORES, seed=3) == auc_interval(LABELS, SCORES, seed=3)  # reproducible


def test_auc_interval_of_perfect_separation_is_one_and_needs_both_classes():
    assert auc_interval([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]) == (1.0, 1.0)
    with pytest.raises(ValueError, match="both real and fake"):
        auc_interval([1, 1], [0.2, 0.3])
