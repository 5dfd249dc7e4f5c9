"""Frequency fingerprints of fully generated images, and the lab's small spectrum classifier.

Generators that build images by up-sampling (GANs, many diffusion decoders) leave periodic traces that show in
the image's power spectrum, mostly at high frequencies. Following Durall et al., "Watch your Up-Convolution"
(CVPR 2020), each image becomes a 1-D curve: the azimuthal average of its 2-D log-magnitude spectrum, i.e. the
average strength of each spatial frequency regardless of direction. A logistic regression on that curve
(``python -m core.training.train_spectrum``) is a separate detector for *fully generated* faces; the face-swap
(blending) detector looks for something else entirely.

Every image is first made comparable: grayscale, centre square crop, resized to ``SIZE``×``SIZE``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from core.config import ROOT, path_setting
from core.errors import DataFileError, MediaError

SIZE = 256  # side of the square every image is brought to before its spectrum is taken
N_BINS = SIZE // 2  # one ring per frequency step: bin i holds radius i + 1 (in 1/SIZE cycles per pixel)
FORMAT = "deepfake-lab/spectrum-model"
FORMAT_VERSION = 1


def to_gray_square(image: np.ndarray, size: int = SIZE) -> np.ndarray:
    """(H, W, 3) uint8 RGB or (H, W) gray → (size, size) float64 gray in [0, 1]: largest centred square,
    resized (area averaging when shrinking, cubic when enlarging)."""
    arr = np.asarray(image)
    if arr.ndim == 3 and arr.shape[2] == 3:
        arr = cv2.cvtColor(np.ascontiguousarray(arr, np.uint8), cv2.COLOR_RGB2GRAY)
    elif arr.ndim != 2:
        raise MediaError(f"expected an (H, W, 3) RGB or (H, W) gray image, got shape {arr.shape}")
    h, w = arr.shape
    if min(h, w) < 8:
        raise MediaError(f"image too small for a spectrum ({w}×{h} pixels)")
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    square = arr[top:top + side, left:left + side]
    if side != size:
        interp = cv2.INTER_AREA if side > size else cv2.INTER_CUBIC
        square = cv2.resize(square, (size, size), interpolation=interp)
    gray = square.astype(np.float64)
    return gray / 255.0 if np.asarray(image).dtype == np.uint8 else gray


def frequencies(n_bins: int = N_BINS) -> np.ndarray:
    """(n_bins,) float64 centre frequency of each bin in cycles per pixel, from 0.5/n_bins up to 0.5 (Nyquist)."""
    return (np.arange(n_bins) + 1) * (0.5 / n_bins)


def _ring_index(size: int, n_bins: int) -> np.ndarray:
    """(size, size) int bin of each FFT coefficient; -1 for the DC term (mean brightness) and for the corners
    beyond Nyquist, where not every direction is present."""
    f = np.fft.fftfreq(size)
    radius = np.hypot(f[:, None], f[None, :])
    idx = np.rint(radius / (0.5 / n_bins)).astype(np.int64) - 1
    idx[(idx < 0) | (idx >= n_bins)] = -1
    return idx


def azimuthal_spectrum(gray: np.ndarray, n_bins: int = N_BINS) -> np.ndarray:
    """The 1-D spectrum of a square (S, S) gray image: (n_bins,) float64 mean of 20·log10|FFT| over each ring
    of equal spatial frequency (decibels)."""
    gray = np.asarray(gray, np.float64)
    if gray.ndim != 2 or gray.shape[0] != gray.shape[1]:
        raise ValueError(f"expected a square gray image, got shape {gray.shape}")
    size = gray.shape[0]
    db = 20.0 * np.log10(np.abs(np.fft.fft2(gray)) + 1e-8)
    idx = _ring_index(size, n_bins).ravel()
    keep = idx >= 0
    sums = np.bincount(idx[keep], weights=db.ravel()[keep], minlength=n_bins)
    counts = np.bincount(idx[keep], minlength=n_bins)
    if (counts == 0).any():
        raise ValueError(f"{n_bins} bins is too many for a {size}×{size} image (some rings are empty)")
    return sums / counts


def power_spectrum(image: np.ndarray, size: int = SIZE, n_bins: int = N_BINS) -> np.ndarray:
    """The lab's spectrum of any image: gray centre square at ``size``, then :func:`azimuthal_spectrum`.
    Returns (n_bins,) float64 decibels."""
    return azimuthal_spectrum(to_gray_square(image, size), n_bins)


BANDS = ("looks like a camera photo", "can't tell", "looks generated")


def band_of(probability: float, bands: dict) -> str:
    """The reading band of a spectrum probability, given thresholds ``camera_below`` / ``generated_from``
    (the model's ``metrics["bands"]``)."""
    if probability >= bands["generated_from"]:
        return BANDS[2]
    if probability < bands["camera_below"]:
        return BANDS[0]
    return BANDS[1]


def auc_in_words(auc: float) -> str:
    """A plain word for how well an AUC separates two classes (used in the model's notes and on the page)."""
    if auc >= 0.9:
        return "strong"
    if auc >= 0.8:
        return "good"
    if auc >= 0.7:
        return "modest"
    return "weak"


def spectrum_model_path() -> Path:
    """The shipped spectrum classifier (``LAB_SPECTRUM_MODEL`` or ``models/spectrum.json``)."""
    return path_setting("LAB_SPECTRUM_MODEL", ROOT / "models" / "spectrum.json")


@dataclass(frozen=True)
class SpectrumModel:
    """A logistic regression on standardised 1-D spectra. All arrays are (n_bins,) float64.

    ``real_mean``/``fake_mean`` (and ``_std``) are the class averages of the training data's spectra, for
    display; ``metrics`` holds the measured AUCs; ``data`` describes what it was trained on.
    """

    size: int
    n_bins: int
    scaler_mean: np.ndarray
    scaler_scale: np.ndarray
    coef: np.ndarray
    intercept: float
    real_mean: np.ndarray
    real_std: np.ndarray
    fake_mean: np.ndarray
    fake_std: np.ndarray
    metrics: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    notes: str = ""

    def spectrum(self, image: np.ndarray) -> np.ndarray:
        """The image's (n_bins,) spectrum, computed exactly as for training."""
        return power_spectrum(image, self.size, self.n_bins)

    def probability_from_spectra(self, spectra: np.ndarray) -> np.ndarray:
        """(N, n_bins) or (n_bins,) spectra → (N,) float64 probabilities of "fully generated"."""
        x = np.atleast_2d(np.asarray(spectra, np.float64))
        if x.shape[1] != self.n_bins:
            raise ValueError(f"expected spectra with {self.n_bins} bins, got {x.shape[1]}")
        z = ((x - self.scaler_mean) / self.scaler_scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))

    def probability(self, image: np.ndarray) -> float:
        """Probability that an (H, W, 3) uint8 image is fully generated, by its spectrum alone."""
        return float(self.probability_from_spectra(self.spectrum(image))[0])

    def band(self, probability: float) -> str | None:
        """Which of :data:`BANDS` a probability falls in, by the thresholds measured at training (None for a
        model trained before bands were measured)."""
        bands = self.metrics.get("bands")
        return band_of(probability, bands) if isinstance(bands, dict) and "generated_from" in bands else None

    def to_dict(self) -> dict[str, Any]:
        arrays = ("scaler_mean", "scaler_scale", "coef", "real_mean", "real_std", "fake_mean", "fake_std")
        out: dict[str, Any] = {"format": FORMAT, "format_version": FORMAT_VERSION, "size": self.size,
                               "n_bins": self.n_bins, "intercept": float(self.intercept)}
        out.update({k: [round(float(v), 6) for v in getattr(self, k)] for k in arrays})
        out.update(metrics=self.metrics, data=self.data, notes=self.notes)
        return out

    def save(self, path: str | Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        # One line per key, so the file reads (and diffs) as a small table rather than 900 lines of numbers.
        body = ",\n".join(f" {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in self.to_dict().items())
        Path(path).write_text("{\n" + body + "\n}\n", encoding="utf-8")


def load_spectrum_model(path: str | Path | None = None) -> SpectrumModel:
    """Read a spectrum model saved by :meth:`SpectrumModel.save` (plain JSON; nothing executable).

    Raises FileNotFoundError when missing and DataFileError (a ValueError) when it is not a valid model file.
    """
    path = Path(path) if path else spectrum_model_path()
    try:
        return _read_spectrum_model(path)
    except (KeyError, TypeError, UnicodeDecodeError) as err:  # a field missing or of the wrong kind
        raise DataFileError(f"{path.name} is not a valid spectrum model ({type(err).__name__}: {err})") from None


def _read_spectrum_model(path: Path) -> SpectrumModel:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise DataFileError(f"{path.name} is not valid JSON ({err})") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise DataFileError(f"{path.name} is not a Deepfake Lab spectrum model")
    if raw.get("format_version") != FORMAT_VERSION:
        raise DataFileError(f"{path.name} has format version {raw.get('format_version')}; this lab reads {FORMAT_VERSION}")
    n = int(raw["n_bins"])
    arrays = {}
    for key in ("scaler_mean", "scaler_scale", "coef", "real_mean", "real_std", "fake_mean", "fake_std"):
        arr = np.asarray(raw[key], np.float64)
        if arr.shape != (n,) or not np.isfinite(arr).all():
            raise DataFileError(f"{path.name}: {key} must be {n} finite numbers")
        arrays[key] = arr
    if (arrays["scaler_scale"] <= 0).any():
        raise DataFileError(f"{path.name}: scaler_scale must be positive")
    return SpectrumModel(size=int(raw["size"]), n_bins=n, intercept=float(raw["intercept"]),
                         metrics=dict(raw.get("metrics", {})), data=dict(raw.get("data", {})),
                         notes=str(raw.get("notes", "")), **arrays)
