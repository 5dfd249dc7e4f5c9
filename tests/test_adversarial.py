"""Adversarial lab (core.labs.adversarial): captum FGSM/PGD stay inside the ε-box and [0, 1], and push the
detector's "manipulated" logit down."""

import numpy as np
import pytest
import torch

from core.labs.adversarial import attack, attack_tensor, psnr
from core.engine.detector import untrained_detector
from core.fakes.forge import ForgeSettings, self_blend


@pytest.fixture(scope="module")
def fake_crop(lab, grace):
    faces = lab.extractor.detect(grace)
    assert faces
    fake = self_blend(grace, faces[0].landmarks, seed=0, settings=ForgeSettings(blend=1.0, color_shift=0.8)).fake
    c, _ = lab.crop(fake, faces[0])
    return c


@pytest.mark.parametrize("method", ["fgsm", "pgd"])
def test_adversarial_tensor_stays_within_eps_and_pixel_bounds(lab, fake_crop, method):
    x = lab.detector.to_tensor(fake_crop).contiguous()
    eps = 4 / 255
    adv = attack_tensor(lab.detector, x, eps, method, steps=5)
    assert adv.shape == x.shape
    assert float((adv - x).abs().max()) <= eps + 1e-6
    assert float(adv.min()) >= 0.0 and float(adv.max()) <= 1.0
    assert float((adv - x).abs().max()) > 0  # it did change something


@pytest.mark.parametrize("method,levels", [("fgsm", 1), ("fgsm", 6), ("pgd", 3)])
def test_adversarial_saved_image_stays_within_eps(lab, fake_crop, method, levels):
    res = attack(lab.detector, fake_crop, levels, method, steps=5)
    change = np.abs(res.adversarial.astype(int) - fake_crop.astype(int))
    assert change.max() <= levels and res.max_change == change.max()
    assert res.adversarial.dtype == np.uint8 and res.noise.shape == fake_crop.shape
    assert res.psnr == pytest.approx(psnr(fake_crop, res.adversarial))
    assert np.isfinite(res.psnr) and res.psnr > 20 * np.log10(255 / levels) - 1e-6  # PSNR ≥ bound set by L∞
    assert 0 <= res.prob_before <= 1 and 0 <= res.prob_after <= 1


def test_adversarial_pgd_lowers_the_fake_logit_on_the_lab_detector(lab, fake_crop):
    res = attack(lab.detector, fake_crop, 4, "pgd", steps=10)
    assert res.logit_after < res.logit_before
    assert res.prob_after < res.prob_before


def test_adversarial_pgd_lowers_the_logit_of_an_untrained_detector(fake_crop):
    det = untrained_detector(seed=3)
    x = det.to_tensor(fake_crop).contiguous()
    adv = attack_tensor(det, x, 8 / 255, "pgd", steps=10)
    with torch.no_grad():
        before, after = float(det.logits(x)[0]), float(det.logits(adv)[0])
    assert after < before


def test_adversarial_zero_eps_changes_nothing(lab, fake_crop):
    res = attack(lab.detector, fake_crop, 0, "fgsm")
    np.testing.assert_array_equal(res.adversarial, fake_crop)
    assert res.psnr == float("inf") and res.max_change == 0


def test_adversarial_rejects_bad_input(lab, fake_crop):
    with pytest.raises(ValueError):
        attack(lab.detector, fake_crop, 4, "deepfool")
    with pytest.raises(ValueError):
        attack(lab.detector, fake_crop[..., 0], 4)


def test_adversarial_epsilon_sweep_one_score_per_budget(lab, fake_crop):
    from core.labs.adversarial import epsilon_sweep

    levels, probs = epsilon_sweep(lab.detector, fake_crop, levels=(0, 2, 8))
    assert list(levels) == [0, 2, 8] and probs.shape == (3,)
    assert probs[0] == pytest.approx(float(lab.detector.predict(fake_crop)[0]), abs=1e-5)
    assert np.all((probs >= 0) & (probs <= 1))
    assert probs[2] < probs[0]  # a budget of 8 grey levels lowers the score
