"""spectrum lab: the 1-D power spectrum, the shipped spectrum classifier, and its training script."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from core.config import ROOT
from core.labs.spectrum import (N_BINS, SIZE, azimuthal_spectrum, frequencies, load_spectrum_model, power_spectrum,
                           to_gray_square)


def grating(size: int, cycles_x: float, cycles_y: float) -> np.ndarray:
    """A (size, size) sinusoid in [0, 1] with the given whole number of cycles across the image in x and y."""
    yy, xx = np.mgrid[0:size, 0:size] / size
    return 0.5 + 0.4 * np.sin(2 * np.pi * (cycles_x * xx + cycles_y * yy))


def test_spectrum_of_a_grating_peaks_at_its_frequency():
    spec = azimuthal_spectrum(grating(SIZE, 16, 0))  # period 16 px → 1/16 cycle per pixel
    assert spec.shape == (N_BINS,)
    assert frequencies()[np.argmax(spec)] == pytest.approx(1 / 16)
    # Direction does not matter: 12 cycles across and 16 down is radius 20 (Pythagoras).
    spec = azimuthal_spectrum(grating(SIZE, 12, 16))
    assert frequencies()[np.argmax(spec)] == pytest.approx(20 / SIZE)
    others = np.delete(spec, np.argmax(spec))
    assert spec.max() - others.max() > 3  # a pure tone stands clear of every other ring (dB)


def test_spectrum_resizes_and_crops_inputs_to_a_common_frame():
    # A 512×640 RGB image whose centre square has period 32 px becomes period 16 px at 256.
    g = (grating(640, 20, 0)[:512] * 255).astype(np.uint8)
    rgb = np.repeat(g[..., None], 3, axis=2)
    square = to_gray_square(rgb)
    assert square.shape == (SIZE, SIZE) and 0 <= square.min() and square.max() <= 1
    assert frequencies()[np.argmax(power_spectrum(rgb))] == pytest.approx(1 / 16)


def test_spectrum_of_photo_falls_and_of_noise_is_flat(grace):
    photo = power_spectrum(grace)
    assert photo[:8].mean() - photo[-8:].mean() > 20  # natural images: most energy at low frequencies
    noise = power_spectrum(np.random.default_rng(0).integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8))
    assert np.ptp(noise[4:]) < 3  # white noise: the same strength at every frequency (within a few dB)


def test_spectrum_refuses_bad_shapes():
    with pytest.raises(ValueError, match="too small"):
        power_spectrum(np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(ValueError, match="expected"):
        power_spectrum(np.zeros((10, 10, 4), np.uint8))


def test_spectrum_shipped_model_loads_and_gives_probabilities(grace, astronaut):
    model = load_spectrum_model(ROOT / "models" / "spectrum.json")
    assert (model.size, model.n_bins) == (SIZE, N_BINS)
    noise = np.random.default_rng(1).integers(0, 256, (300, 200, 3), dtype=np.uint8)
    probs = [model.probability(img) for img in (grace, astronaut, noise)]
    assert all(0.0 <= p <= 1.0 for p in probs)
    # Its own class averages must fall on the right sides: the file's parts belong together.
    p_real, p_fake = model.probability_from_spectra(np.stack([model.real_mean, model.fake_mean]))
    assert p_fake > 0.5 > p_real
    m = model.metrics
    assert 0.5 < m["held_out_auc"] <= 1 and 0.5 < m["cv_auc_mean"] <= 1 and m["n_test"] > 0


def test_spectrum_model_file_is_checked(tmp_path):
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"weights": [1, 2, 3]}))
    with pytest.raises(ValueError, match="not a Deepfake Lab spectrum model"):
        load_spectrum_model(other)
    broken = tmp_path / "broken.json"
    broken.write_text("{ not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_spectrum_model(broken)


def test_spectrum_training_script_end_to_end(tmp_path, capsys):
    """On a tiny made-up set with an obvious up-sampling fingerprint the script must separate the classes,
    write a model that loads, and end with one JSON line of figures."""
    from core.training.train_spectrum import main

    rng = np.random.default_rng(0)
    for sub in ("real", "fake"):
        (tmp_path / sub).mkdir()
    for i in range(24):
        smooth = Image.fromarray(rng.integers(0, 256, (128, 128), dtype=np.uint8)).resize((256, 256), Image.BICUBIC)
        smooth.convert("RGB").save(tmp_path / "real" / f"{i}.png")
        # Nearest-neighbour up-sampling: the periodic copy pattern real generators are known for, exaggerated.
        blocky = Image.fromarray(rng.integers(0, 256, (128, 128), dtype=np.uint8)).resize((256, 256), Image.NEAREST)
        blocky.convert("RGB").save(tmp_path / "fake" / f"{i}.png")
    out = tmp_path / "spectrum.json"
    summary = main(["--data", str(tmp_path), "--out", str(out), "--seed", "3"])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(last) == summary
    assert summary["held_out_auc"] > 0.95 and summary["cv_auc_mean"] > 0.95
    model = load_spectrum_model(out)
    assert model.data["n_real"] == model.data["n_fake"] == 24
    blocky = np.asarray(Image.fromarray(rng.integers(0, 256, (128, 128), dtype=np.uint8))
                        .resize((256, 256), Image.NEAREST).convert("RGB"))
    assert model.probability(blocky) > 0.5


def test_reading_bands_follow_the_measured_thresholds():
    from core.labs.spectrum import BANDS, band_of

    model = load_spectrum_model()
    b = model.metrics["bands"]
    assert 0 < b["camera_below"] <= b["generated_from"] < 1
    assert band_of(b["generated_from"], b) == BANDS[2] and band_of(b["camera_below"] - 1e-6, b) == BANDS[0]
    assert model.band((b["camera_below"] + b["generated_from"]) / 2) == BANDS[1]
    for who in ("real", "generated"):
        assert sum(b["held_out"][who].values()) == pytest.approx(1.0, abs=1e-3)
