"""Where did the detector look? captum attributions for one face crop, and the sanity check.

Every method answers through one call, :func:`explain`, with a heatmap of shape (S, S), float32 in [0, 1]
(1 = most evidence for "manipulated"). :func:`sanity_check` computes the same map from a network with
randomised weights (Adebayo et al., "Sanity Checks for Saliency Maps", NeurIPS 2018): when the two look
alike, the map shows the image's edges, not the model's reasoning.
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass, field

import numpy as np
import torch

from core.engine.detector import Detector, untrained_detector

METHODS = {
    "gradcam": "Grad-CAM",
    "integrated_gradients": "Integrated Gradients",
    "occlusion": "Occlusion",
}


@dataclass(frozen=True)
class Explanation:
    """heatmap: (S, S) float32 in [0, 1]; method: key of METHODS; fake_prob: the fake score being explained;
    crop: the (S, S, 3) uint8 crop it explains (so :meth:`overlay` needs nothing else); signed: (S, S) float32,
    the attribution before negative evidence is cut off and before scaling (what the sanity check compares)."""

    heatmap: np.ndarray
    method: str
    fake_prob: float
    crop: np.ndarray | None = field(default=None, repr=False)
    signed: np.ndarray | None = field(default=None, repr=False)

    def overlay(self, alpha: float = 0.5) -> np.ndarray:
        """The heatmap blended over its crop: (S, S, 3) uint8 (see :func:`overlay`)."""
        if self.crop is None:
            raise ValueError("this explanation was made without its crop")
        return overlay(self.crop, self.heatmap, alpha)

    @property
    def blank(self) -> bool:
        """True when the map found no evidence for "manipulated" anywhere (its heatmap is all zero)."""
        return not float(self.heatmap.max()) > 0

    def magnitude_overlay(self, alpha: float = 0.5) -> np.ndarray:
        """The size of the signed attribution, whichever way it points, over the crop: (S, S, 3) uint8.

        Shows where a map looked when all of its evidence points to "real" (its heatmap is blank).
        """
        if self.crop is None or self.signed is None:
            raise ValueError("this explanation was made without its crop or signed map")
        size = np.abs(self.signed)
        peak = float(size.max())
        return overlay(self.crop, size / peak if peak > 0 else size, alpha)


def _normalise(attr: torch.Tensor) -> np.ndarray:
    h = attr.detach().float().cpu().numpy()
    h = np.nan_to_num(h, nan=0.0, posinf=0.0, neginf=0.0)
    h = np.maximum(h, 0.0)
    peak = float(h.max())
    return (h / peak if peak > 0 else h).astype(np.float32)


def _attribute(detector: Detector, x: torch.Tensor, method: str, *, ig_steps: int = 32,
               occlusion_window: int | None = None) -> torch.Tensor:
    from captum.attr import IntegratedGradients, LayerAttribution, LayerGradCam, Occlusion

    model = detector.model
    size = x.shape[-1]
    if method == "gradcam":
        cam = LayerGradCam(model, model.last_block)
        # Kept signed here (the heatmap drops the negative part in _normalise): a randomised network's Grad-CAM
        # is often entirely negative, and only the signed map still says where it looked.
        attr = cam.attribute(x, target=0, relu_attributions=False)
        return LayerAttribution.interpolate(attr, (size, size), interpolate_mode="bilinear")[0, 0]
    if method == "integrated_gradients":
        ig = IntegratedGradients(model)
        attr = ig.attribute(x, baselines=torch.zeros_like(x), target=0, n_steps=ig_steps, internal_batch_size=8)
        return attr[0].abs().sum(0)
    if method == "occlusion":
        win = occlusion_window or max(8, size // 8)
        occ = Occlusion(model)
        attr = occ.attribute(x, target=0, sliding_window_shapes=(3, win, win), strides=(3, win // 2, win // 2),
                             baselines=0.5, perturbations_per_eval=16)
        return attr[0].sum(0)
    raise ValueError(f"unknown method {method!r}; choose one of {sorted(METHODS)}")


def explain(detector: Detector, crop: np.ndarray, method: str = "gradcam", **kwargs) -> Explanation:
    """Attribution heatmap for one (S, S, 3) uint8 face crop.

    Holds the detector's lock: captum attaches hooks to the shared network, which must not overlap
    between sessions.
    """
    x = detector.to_tensor(crop).contiguous()
    outputs: list[torch.Tensor] = []
    with detector.lock, torch.enable_grad():
        detector.model.eval()
        x = x.clone().requires_grad_(True)
        # Grad-CAM's single forward pass runs on x itself: keep its output instead of a second pass (the
        # photo page's hot path). The other methods' passes run on altered inputs.
        hook = detector.model.register_forward_hook(lambda _m, _i, out: outputs.append(out.detach()))
        try:
            attr = _attribute(detector, x, method, **kwargs)
        finally:
            hook.remove()
        if method != "gradcam" or len(outputs) != 1:
            with torch.no_grad():
                outputs = [detector.model(x)]
        prob = float(detector.calibrate(outputs[0][0, 0]))
    signed = np.nan_to_num(attr.detach().float().cpu().numpy(), nan=0.0, posinf=0.0, neginf=0.0).astype(np.float32)
    return Explanation(heatmap=_normalise(attr), method=method, fake_prob=prob, crop=crop, signed=signed)


_RANDOM: dict[tuple[int, int], Detector] = {}
_RANDOM_LOCK = threading.Lock()


def randomized_copy(detector: Detector, seed: int = 1) -> Detector:
    """A detector with the same architecture and metadata but freshly randomised weights (cached).

    Built once per process under a lock (many sessions may ask at once), and without disturbing the global
    torch random state that seeding it would otherwise reset.
    """
    key = (detector.meta.width, seed)
    with _RANDOM_LOCK:
        if key not in _RANDOM:
            with torch.random.fork_rng(devices=[]):
                rnd = untrained_detector(seed=seed, device=detector.device)
            rnd.meta = detector.meta
            _RANDOM[key] = rnd
        return _RANDOM[key]


@dataclass(frozen=True)
class SanityCheck:
    """trained / randomized: the two heatmaps; similarity: Spearman rank correlation in [-1, 1] of their
    signed attributions (near 1 means the map barely depends on what the model learned; 0 when either is
    constant, i.e. there is no rank order to compare)."""

    trained: Explanation
    randomized: Explanation
    similarity: float


def sanity_check(detector: Detector, crop: np.ndarray, method: str = "gradcam", **kwargs) -> SanityCheck:
    """The model-randomisation test: the same attribution from trained and randomised weights.

    The maps are compared before negative evidence is cut off: Grad-CAM of a random network is often negative
    everywhere, so its displayed heatmap is blank while its signed map still has a shape to compare.
    """
    from scipy.stats import spearmanr

    a = explain(detector, crop, method, **kwargs)
    b = explain(randomized_copy(detector), crop, method, **kwargs)
    with warnings.catch_warnings():
        # A constant map (no gradient at all) has no rank order: similarity 0.
        warnings.simplefilter("ignore")
        rho = spearmanr(a.signed.ravel(), b.signed.ravel()).statistic
    return SanityCheck(trained=a, randomized=b, similarity=float(np.nan_to_num(rho)))


def overlay(rgb: np.ndarray, heatmap: np.ndarray, alpha: float = 0.5, cmap: str = "viridis") -> np.ndarray:
    """Blend a [0, 1] heatmap over an (H, W, 3) uint8 image with a colour-blind-safe colormap.

    The heatmap is resized to the image when their sizes differ. Returns (H, W, 3) uint8.
    """
    import cv2
    from matplotlib import colormaps

    h, w = rgb.shape[:2]
    if heatmap.shape != (h, w):
        heatmap = cv2.resize(heatmap.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    colours = colormaps[cmap](np.clip(heatmap, 0, 1))[..., :3] * 255.0
    out = rgb.astype(np.float32) * (1 - alpha) + colours * alpha
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)
