"""Adversarial noise: the smallest change that makes the detector call a fake "real".

FGSM (Goodfellow et al., 2015) takes one step of size ε against the sign of the gradient; PGD (Madry et
al., 2018) takes many small steps and projects back into the ε-box after each. Both come from
``captum.robust``. captum's default loss is ``-log(output)``, which assumes the model outputs
probabilities; the lab's detector outputs a **logit**, so we give the attack binary cross-entropy with
logits towards the label "real" (0) and run it as a *targeted* attack (the step goes downhill on that
loss). We also set captum's ``zero_thresh`` to 0: once the score is already low the BCE gradient is
tiny, and captum would otherwise silently stop changing those pixels.

The attack works on the detector's face crop in [0, 1] pixel units (the bounds given to captum), and
ε is measured in grey levels out of 255. The returned image is rounded to whole grey levels, the way
it would be saved, and re-scored from those pixels; rounding never takes a pixel outside the ε-box.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F

from core.engine.detector import Detector

Method = Literal["fgsm", "pgd"]
METHODS = {"fgsm": "FGSM (one step)", "pgd": "PGD (many small steps)"}
REAL = 0.0  # the label the attack pushes towards


@dataclass(frozen=True)
class AttackResult:
    """One attack on one crop.

    original / adversarial: (S, S, 3) uint8 crops; noise: (S, S, 3) uint8, the change amplified so that
    ±ε spans black to white (grey = unchanged); psnr: peak signal-to-noise ratio in dB (higher = smaller
    change; ``inf`` when nothing changed); prob_before / prob_after: calibrated "manipulated" scores;
    logit_before / logit_after: raw logits; max_change: largest change of any pixel, in grey levels.
    """

    method: str
    epsilon: float
    original: np.ndarray
    adversarial: np.ndarray
    noise: np.ndarray
    psnr: float
    prob_before: float
    prob_after: float
    logit_before: float
    logit_after: float
    max_change: int


def logit_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-example BCE-with-logits loss (N,) for an (N,) logit output and (N,) float labels."""
    return F.binary_cross_entropy_with_logits(logits, target, reduction="none")


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio of two uint8 images in dB; ``inf`` when they are identical."""
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else float(10.0 * np.log10(255.0 ** 2 / mse))


def attack_tensor(detector: Detector, x: torch.Tensor, epsilon: float, method: Method = "pgd", *,
                  steps: int = 20, step_size: float | None = None) -> torch.Tensor:
    """The captum attack on an (N, 3, S, S) tensor in [0, 1]; returns the perturbed tensor (same shape),
    within ``epsilon`` of ``x`` in every pixel (L∞) and inside [0, 1].

    Holds the detector's lock: gradients flow through the shared network.
    """
    from captum.robust import FGSM, PGD

    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {sorted(METHODS)}")
    if epsilon < 0:
        raise ValueError(f"epsilon must be >= 0, got {epsilon}")
    x = x.detach().float().contiguous()
    if epsilon == 0:
        return x.clone()

    def forward(inp: torch.Tensor) -> torch.Tensor:
        return detector.calibrated_logits(inp)

    target = torch.full((x.shape[0],), REAL, dtype=torch.float32, device=x.device)
    with detector.lock, torch.enable_grad(), warnings.catch_warnings():
        # captum switches gradients on for each PGD step's fresh (detached) input and warns every time.
        warnings.filterwarnings("ignore", message="Input Tensor 0 did not already require gradients")
        detector.model.eval()
        if method == "fgsm":
            attack = FGSM(forward, loss_func=logit_loss, lower_bound=0.0, upper_bound=1.0)
            attack.zero_thresh = 0.0
            adv = attack.perturb(x.clone(), epsilon=epsilon, target=target, targeted=True)
        else:
            attack = PGD(forward, loss_func=logit_loss, lower_bound=0.0, upper_bound=1.0)
            attack.fgsm.zero_thresh = 0.0
            # Madry et al.'s rule of thumb: steps of 2.5·ε/steps can reach any corner of the box.
            size = step_size if step_size is not None else 2.5 * epsilon / steps
            adv = attack.perturb(x.clone(), radius=epsilon, step_size=size, step_num=steps, target=target,
                                 targeted=True, random_start=False)
    return adv.detach()


def attack(detector: Detector, crop: np.ndarray, epsilon_levels: float, method: Method = "pgd", *,
           steps: int = 20) -> AttackResult:
    """Attack one (S, S, 3) uint8 face crop with a budget of ``epsilon_levels`` grey levels (0–255)."""
    if crop.ndim != 3 or crop.shape[2] != 3 or crop.dtype != np.uint8:
        raise ValueError(f"expected an (S, S, 3) uint8 crop, got {crop.shape} {crop.dtype}")
    eps = float(epsilon_levels) / 255.0
    x = detector.to_tensor(crop).contiguous()
    adv = attack_tensor(detector, x, eps, method, steps=steps)
    # Round to whole grey levels, then make sure rounding stayed inside the budget.
    budget = int(np.floor(epsilon_levels + 1e-6))
    adv_u8 = np.rint(adv[0].permute(1, 2, 0).cpu().numpy() * 255.0)
    delta = np.clip(adv_u8 - crop.astype(np.float64), -budget, budget)
    adversarial = np.clip(crop.astype(np.float64) + delta, 0, 255).astype(np.uint8)
    change = adversarial.astype(np.int16) - crop.astype(np.int16)
    scale = max(budget, 1)
    noise_img = np.clip(127.5 + change.astype(np.float32) * (127.5 / scale), 0, 255).astype(np.uint8)
    with torch.inference_mode():
        z = detector.logits(detector.to_tensor(np.stack([crop, adversarial]))).float().cpu().numpy()
    probs = detector.calibrate(z)
    return AttackResult(method=method, epsilon=float(epsilon_levels), original=crop, adversarial=adversarial,
                        noise=noise_img, psnr=psnr(crop, adversarial), prob_before=float(probs[0]),
                        prob_after=float(probs[1]), logit_before=float(z[0]), logit_after=float(z[1]),
                        max_change=int(np.abs(change).max()))


def epsilon_sweep(detector: Detector, crop: np.ndarray, levels: tuple[int, ...] = (0, 1, 2, 3, 4, 6, 8, 12, 16),
                  method: Method = "fgsm", *, steps: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Score after the attack for each budget in ``levels`` (grey levels): returns (levels (K,) int64,
    probs (K,) float32), scored from the rounded uint8 images like :func:`attack`."""
    probs = [attack(detector, crop, lv, method, steps=steps).prob_after for lv in levels]
    return np.asarray(levels, np.int64), np.asarray(probs, np.float32)
