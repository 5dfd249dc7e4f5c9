"""Detector: checkpoint format, safety, calibration, and the shipped model's behaviour on a sample face."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

from core.config import model_path
from core.engine.detector import BlendNet, DetectorMeta, fit_temperature, load_detector, save_detector, untrained_detector
from core.fakes.forge import ForgeSettings, self_blend


def test_save_load_round_trip_gives_identical_outputs(tmp_path):
    det = untrained_detector(seed=3)
    det.meta.temperature, det.meta.version = 1.7, "round-trip"
    path = tmp_path / "d.safetensors"
    det.save(path)
    again = load_detector(path, device="cpu")
    crops = np.random.default_rng(0).integers(0, 256, (4, 128, 128, 3), dtype=np.uint8)
    np.testing.assert_array_equal(det.predict(crops), again.predict(crops))
    assert again.meta.version == "round-trip" and again.meta.temperature == 1.7


def test_seam_head_round_trips_and_its_map_is_a_per_pixel_chance(tmp_path):
    from core.engine.detector import Detector

    torch.manual_seed(0)
    det = Detector(BlendNet(seam_head=True), DetectorMeta(seam_head=True, version="seam"), "cpu")
    det.save(tmp_path / "s.safetensors")
    again = load_detector(tmp_path / "s.safetensors", device="cpu")
    crops = np.random.default_rng(1).integers(0, 256, (3, 128, 128, 3), dtype=np.uint8)
    maps = again.seam_maps(crops)
    assert again.has_seam_head and maps.shape == (3, 128, 128) and maps.dtype == np.float32
    assert 0 <= maps.min() and maps.max() <= 1 and np.ptp(maps) > 0
    np.testing.assert_allclose(maps, det.seam_maps(crops), atol=1e-6)
    np.testing.assert_array_equal(det.predict(crops), again.predict(crops))  # the score is unchanged by the head
    plain = untrained_detector()
    assert not plain.has_seam_head
    with pytest.raises(ValueError, match="no seam head"):
        plain.seam_maps(crops)


class Payload:  # an object whose unpickling would run code
    def __reduce__(self):
        return (print, ("this must never run",))


def test_pickled_payload_checkpoint_is_refused(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"model": Payload(), "meta": DetectorMeta().to_json()}, path)
    with pytest.raises(pickle.UnpicklingError):
        load_detector(path)


def test_safetensors_without_lab_metadata_is_refused(tmp_path):
    from safetensors.torch import save_file

    path = tmp_path / "other.safetensors"
    save_file({k: v.contiguous() for k, v in BlendNet().state_dict().items()}, str(path))
    with pytest.raises(ValueError, match="not a Deepfake Lab detector"):
        load_detector(path)


def test_probabilities_in_unit_interval_and_verdict_bands():
    det = untrained_detector()
    crops = np.random.default_rng(1).integers(0, 256, (5, 128, 128, 3), dtype=np.uint8)
    p = det.predict(crops)
    assert p.shape == (5,) and p.dtype == np.float32 and ((p >= 0) & (p <= 1)).all()
    lo, hi = det.meta.likely_real_below, det.meta.likely_manipulated_from
    assert det.verdict(lo - 1e-3) == "likely real" and det.verdict(hi) == "likely manipulated"
    assert det.verdict((lo + hi) / 2) == "uncertain"


def test_temperature_scaling_recovers_a_known_temperature():
    rng = np.random.default_rng(0)
    true_logits = rng.normal(0, 2, 20000)
    labels = (rng.random(20000) < 1 / (1 + np.exp(-true_logits))).astype(float)
    t = fit_temperature(true_logits * 3.0, labels)  # over-confident by 3×
    assert t == pytest.approx(3.0, rel=0.08)


def test_shipped_checkpoint_scores_real_below_and_selfblend_above(lab, astronaut):
    """The committed model: the real astronaut sample reads below "likely manipulated", a strong self-blend
    of it reads above "likely real". (The Grace Hopper sample is a documented false alarm: see the card.)"""
    assert model_path().exists(), "models/detector.safetensors must be committed"
    det = load_detector(model_path(), device="cpu")
    assert det.trained
    face = lab.extractor.detect(astronaut)[0]
    fake = self_blend(astronaut, face.landmarks, seed=7, settings=ForgeSettings(blend=1.0, color_shift=1.0)).fake
    real_p = det.predict(lab.crop(astronaut, face)[0])[0]
    fake_p = det.predict(lab.crop(fake, face)[0])[0]
    assert real_p < det.meta.likely_manipulated_from
    assert fake_p >= det.meta.likely_real_below
    assert fake_p > real_p


def test_one_calibration_for_tensors_and_arrays():
    import torch

    from core.engine.detector import calibrate

    z = np.array([-3.0, 0.0, 2.5], np.float32)
    expected = 1 / (1 + np.exp(-z / 1.7))
    assert np.allclose(calibrate(z, 1.7), expected, atol=1e-6)
    assert np.allclose(calibrate(torch.from_numpy(z), 1.7).numpy(), expected, atol=1e-6)
    det = untrained_detector()
    crop = np.random.default_rng(0).integers(0, 256, (2, det.input_size, det.input_size, 3), dtype=np.uint8)
    with torch.inference_mode():
        z = det.logits(det.to_tensor(crop)).numpy()
    assert np.allclose(det.predict(crop), calibrate(z, det.meta.temperature), atol=1e-6)
