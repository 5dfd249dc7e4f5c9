"""Robustness lab (core.labs.robustness): curves have one point per setting, scores are probabilities, and
each change does what its name says."""

import numpy as np
import pytest

from core.labs.robustness import PERTURBATIONS, apply_chain, perturb, robustness_curves


@pytest.fixture(scope="module")
def crop(lab, grace):
    faces = lab.extractor.detect(grace)
    assert faces
    c, _ = lab.crop(grace, faces[0])
    return c


def test_robust_one_point_per_setting_and_probabilities(lab, crop):
    rep = robustness_curves(lab.detector, crop)
    assert set(rep.curves) == set(PERTURBATIONS)
    for kind, curve in rep.curves.items():
        assert len(curve.strengths) == len(PERTURBATIONS[kind].strengths) == len(curve.probs)
        np.testing.assert_allclose(curve.strengths, PERTURBATIONS[kind].strengths)
        assert curve.probs.dtype == np.float32
        assert np.all((curve.probs >= 0) & (curve.probs <= 1))
    assert 0.0 <= rep.base_prob <= 1.0


def test_robust_custom_strengths_and_batching_match_single_scores(lab, crop):
    pts = {"jpeg": (90, 30), "noise": (0.0, 5.0, 10.0)}
    rep = robustness_curves(lab.detector, crop, kinds=("jpeg", "noise"), strengths=pts, seed=3)
    assert list(rep.curves) == ["jpeg", "noise"]
    assert len(rep.curves["jpeg"].probs) == 2 and len(rep.curves["noise"].probs) == 3
    # The batched pass gives the same scores as scoring each changed crop on its own.
    single = lab.detector.predict(np.stack([perturb(crop, "noise", s, seed=3) for s in pts["noise"]]))
    np.testing.assert_allclose(rep.curves["noise"].probs, single, atol=1e-5)
    assert rep.base_prob == pytest.approx(float(lab.detector.predict(crop)[0]), abs=1e-5)


@pytest.mark.parametrize("kind", sorted(PERTURBATIONS))
def test_robust_identity_strength_leaves_crop_alone_and_stronger_changes_more(crop, kind):
    p = PERTURBATIONS[kind]
    out = perturb(crop, kind, p.identity)
    assert out.shape == crop.shape and out.dtype == np.uint8
    err = lambda s: np.abs(perturb(crop, kind, s).astype(np.float64) - crop).mean()  # noqa: E731
    if kind == "jpeg":
        assert err(100) < 3.0  # quality 100 is still lossy (colour is stored at half resolution), barely
    else:
        np.testing.assert_array_equal(out, crop)
    others = sorted((s for s in p.strengths if s != p.identity), key=lambda s: abs(s - p.identity))
    weakest, strongest = others[0], others[-1]
    assert err(strongest) > err(weakest) > 0


def test_robust_noise_is_reproducible_for_a_seed(crop):
    np.testing.assert_array_equal(perturb(crop, "noise", 10, seed=1), perturb(crop, "noise", 10, seed=1))
    assert not np.array_equal(perturb(crop, "noise", 10, seed=1), perturb(crop, "noise", 10, seed=2))


def test_robust_chain_applies_all_and_rejects_unknown(crop):
    both = apply_chain(crop, {"blur": 1.0, "jpeg": 50})
    np.testing.assert_array_equal(both, perturb(perturb(crop, "blur", 1.0), "jpeg", 50))
    with pytest.raises(ValueError):
        apply_chain(crop, {"sepia": 1.0})
    with pytest.raises(ValueError):
        robustness_curves(None, crop[..., 0])
