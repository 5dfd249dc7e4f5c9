"""Attributions (core/engine/explain.py) on real face crops from the bundled samples."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch

from core.engine.explain import METHODS, explain, overlay, randomized_copy, sanity_check


@pytest.fixture(scope="module")
def crops(lab, grace, astronaut) -> list[np.ndarray]:
    return [lab.analyze_image(img).faces[0].crop for img in (grace, astronaut)]


@pytest.mark.parametrize("method", sorted(METHODS))
def test_heatmap_shape_range_and_score(lab, crops, method):
    s = lab.detector.input_size
    maps = []
    for crop in crops:
        e = explain(lab.detector, crop, method)
        assert e.method == method
        assert e.heatmap.shape == (s, s) and e.heatmap.dtype == np.float32
        assert np.isfinite(e.heatmap).all() and e.heatmap.min() >= 0 and e.heatmap.max() <= 1
        assert e.heatmap.max() in (0.0, 1.0)  # normalised to its peak (or blank)
        assert e.fake_prob == pytest.approx(float(lab.detector.predict(crop)[0]), abs=1e-5)
        maps.append(e.heatmap)
    if method != "gradcam":  # input-level methods always depend on the picture
        assert not np.allclose(maps[0], maps[1])
    assert all(p.grad is None and not p.requires_grad for p in lab.detector.model.parameters())


def test_unknown_method_is_refused(lab, crops):
    with pytest.raises(ValueError, match="unknown method"):
        explain(lab.detector, crops[0], "saliency_by_guessing")


@pytest.mark.parametrize("method", ["gradcam", "integrated_gradients"])
def test_sanity_check(lab, crops, method):
    check = sanity_check(lab.detector, crops[0], method)
    s = lab.detector.input_size
    assert check.trained.heatmap.shape == check.randomized.heatmap.shape == (s, s)
    assert -1.0 <= check.similarity <= 1.0
    assert check.trained.method == check.randomized.method == method
    # The randomised network is a different model: it scores the same crop differently.
    assert check.randomized.fake_prob != pytest.approx(check.trained.fake_prob, abs=1e-6)


def test_gradcam_sanity_check_compares_signed_maps(lab, crops):
    """The random network's Grad-CAM is blank after the ReLU on the bundled faces, yet the check still
    compares real maps: the signed ones, which vary over the face."""
    for crop in crops:
        check = sanity_check(lab.detector, crop, "gradcam")
        rnd = check.randomized
        assert rnd.signed.shape == rnd.heatmap.shape and rnd.signed.std() > 0
        assert np.array_equal(rnd.heatmap > 0, rnd.signed > 0)  # the heatmap is the positive part of the signed map
        assert check.similarity != 0.0
        # Grad-CAM of the trained model passes the randomisation test: its map is not the random one's.
        assert check.similarity < 0.5
        if rnd.blank:
            view = rnd.magnitude_overlay()
            assert view.shape == crop.shape and not np.array_equal(view, crop)


def test_randomized_copy_leaves_the_global_rng_alone(lab):
    state = torch.get_rng_state()
    rnd = randomized_copy(lab.detector, seed=4242)
    assert torch.equal(state, torch.get_rng_state())
    assert randomized_copy(lab.detector, seed=4242) is rnd  # cached
    assert rnd.meta is lab.detector.meta and rnd.model is not lab.detector.model


def test_overlay(crops):
    crop = crops[0]
    heat = np.linspace(0, 1, 64 * 64, dtype=np.float32).reshape(64, 64)  # smaller than the crop: resized
    out = overlay(crop, heat, 0.5)
    assert out.shape == crop.shape and out.dtype == np.uint8
    assert np.array_equal(overlay(crop, heat, 0.0), crop)
    full = overlay(crop, heat, 1.0)
    assert not np.array_equal(full, crop)
    # Full opacity is the colormap alone: the same wherever the heatmap is the same, whatever the photo.
    assert np.array_equal(full, overlay(np.zeros_like(crop), heat, 1.0))


def test_concurrent_explanations_match_a_single_call(lab, crops):
    """Sessions are threads sharing one network: hooks and gradients must not leak between them."""
    alone = {m: explain(lab.detector, crops[i % 2], m).heatmap for i, m in enumerate(["gradcam", "integrated_gradients"])}
    jobs = [("gradcam", 0), ("integrated_gradients", 1)] * 3

    def work(job):
        method, i = job
        if i == 1:
            lab.detector.predict(crops[0])  # plain inference interleaved with attribution
        return method, explain(lab.detector, crops[i], method).heatmap

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(work, jobs))
    for method, heat in results:
        np.testing.assert_allclose(heat, alone[method], atol=1e-5)


def test_lab_explain_returns_a_heatmap_ready_to_overlay(lab, grace):
    face = lab.analyze_image(grace).faces[0]
    exp = lab.explain(face, "gradcam")
    assert exp.heatmap.shape == face.crop.shape[:2] and exp.crop is face.crop
    assert abs(exp.fake_prob - face.fake_prob) < 1e-4  # the same calibrated score as the analysis
    shown = exp.overlay(0.0)
    assert shown.shape == face.crop.shape and np.array_equal(shown, face.crop)  # alpha 0: the crop itself
    assert not np.array_equal(exp.overlay(0.6), face.crop)
    with pytest.raises(ValueError):
        lab.explain(face.crop[:64, :64], "gradcam")
