"""The lab's face-swap detector: a compact CNN for CPU inference, its checkpoint format and calibration.

Checkpoints are safetensors files (tensors only, nothing executable) with the lab's metadata stored as
JSON in the header: input size, crop margin, temperature, verdict thresholds, training summary, version.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from core.engine.verdict import Verdict

FORMAT_VERSION = 1
VERDICTS = tuple(Verdict)  # (REAL, UNCERTAIN, MANIPULATED); each is also its label string


def _conv_bn(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=False))


class ResBlock(nn.Module):
    """Two 3×3 convolutions with a shortcut; ReLUs are not in-place so captum's hooks see true activations."""

    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.conv1 = _conv_bn(cin, cout, stride)
        self.conv2 = nn.Sequential(nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
        self.short = (nn.Identity() if stride == 1 and cin == cout else
                      nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)))
        self.relu = nn.ReLU(inplace=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.conv2(self.conv1(x)) + self.short(x))


def calibrate(logits: np.ndarray | torch.Tensor, temperature: float) -> np.ndarray | torch.Tensor:
    """The fake score in [0, 1] from raw logits: ``sigmoid(z / T)`` with the checkpoint's temperature ``T``.

    The lab's one calibration: takes and returns a torch tensor or a numpy array of any shape.
    """
    if isinstance(logits, torch.Tensor):
        return torch.sigmoid(logits / temperature)
    z = np.asarray(logits)
    return 1.0 / (1.0 + np.exp(-z / temperature))


class BlendNet(nn.Module):
    """Input (N, 3, S, S) RGB in [0, 1]; output (N, 1) logit of "manipulated".

    Full resolution for the first layer (blending traces are fine detail), then four residual stages
    down to S/16. ``last_block`` is the layer Grad-CAM explains.

    ``seam_head``: a second, dense output on the S/8 feature map that predicts where a blending boundary is
    (Face X-ray, Li et al., CVPR 2020): :meth:`forward_with_seam`. ``forward`` returns the logit only, so
    explanations and attacks see one output either way.
    """

    def __init__(self, width: int = 32, seam_head: bool = False):
        super().__init__()
        w = width
        self.register_buffer("mean", torch.tensor([0.5, 0.5, 0.5]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.25, 0.25, 0.25]).view(1, 3, 1, 1))
        self.stem = nn.Sequential(_conv_bn(3, 24), _conv_bn(24, w, 2))
        self.layer1 = ResBlock(w, w)
        self.layer2 = ResBlock(w, 2 * w, 2)
        self.layer3 = ResBlock(2 * w, 4 * w, 2)
        self.last_block = ResBlock(4 * w, 8 * w, 2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(0.2)
        self.fc = nn.Linear(8 * w, 1)
        self.seam_head = (nn.Sequential(_conv_bn(4 * w, w), nn.Conv2d(w, 1, 1)) if seam_head else None)

    def _features(self, x: torch.Tensor) -> torch.Tensor:
        x = (x - self.mean) / self.std
        return self.layer3(self.layer2(self.layer1(self.stem(x))))

    def _classify(self, mid: torch.Tensor) -> torch.Tensor:
        return self.fc(self.dropout(torch.flatten(self.pool(self.last_block(mid)), 1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._classify(self._features(x))

    def forward_with_seam(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(N, 1) logits and (N, 1, S/8, S/8) seam logits (sigmoid: chance a blending boundary passes there)."""
        if self.seam_head is None:
            raise ValueError("this network has no seam head")
        mid = self._features(x)
        return self._classify(mid), self.seam_head(mid)


@dataclass
class DetectorMeta:
    """What a checkpoint says about itself (stored in its header)."""

    input_size: int = 128
    margin: float = 0.5
    width: int = 32
    seam_head: bool = False
    temperature: float = 1.0
    likely_real_below: float = 0.3
    likely_manipulated_from: float = 0.7
    trained: bool = False
    version: str = "untrained"
    training: dict[str, Any] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION

    def to_json(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "DetectorMeta":
        raw = json.loads(text)
        known = {k: v for k, v in raw.items() if k in cls.__dataclass_fields__}
        return cls(**known)


class Detector:
    """A loaded detector: the network, its metadata and calibrated fake scores.

    Thread-safe: :meth:`predict` and code that attaches hooks or needs gradients (explanations,
    adversarial attacks) all hold :attr:`lock`, so no forward pass runs through another call's hooks.
    """

    def __init__(self, model: BlendNet, meta: DetectorMeta, device: str = "cpu"):
        self.model = model.to(device).eval()
        self.meta = meta
        self.device = device
        self.lock = threading.RLock()
        for p in self.model.parameters():
            p.requires_grad_(False)

    @property
    def input_size(self) -> int:
        return self.meta.input_size

    @property
    def trained(self) -> bool:
        return self.meta.trained

    def to_tensor(self, crops: np.ndarray) -> torch.Tensor:
        """(N, S, S, 3) or (S, S, 3) uint8 → (N, 3, S, S) float32 in [0, 1] on the model's device."""
        arr = np.asarray(crops)
        if arr.ndim == 3:
            arr = arr[None]
        if arr.ndim != 4 or arr.shape[-1] != 3:
            raise ValueError(f"expected (N, S, S, 3) crops, got {arr.shape}")
        t = torch.from_numpy(np.ascontiguousarray(arr)).to(self.device).permute(0, 3, 1, 2).float() / 255.0
        return t.contiguous(memory_format=torch.channels_last)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Raw (N,) logits for a (N, 3, S, S) [0, 1] tensor."""
        return self.model(x)[:, 0]

    def calibrated_logits(self, x: torch.Tensor) -> torch.Tensor:
        """(N,) logits divided by the temperature: what :func:`calibrate` passes through the sigmoid."""
        return self.logits(x) / self.meta.temperature

    def calibrate(self, logits: np.ndarray | torch.Tensor) -> np.ndarray | torch.Tensor:
        """Fake scores in [0, 1] from this model's raw logits (see :func:`calibrate`)."""
        return calibrate(logits, self.meta.temperature)

    def predict(self, crops: np.ndarray, batch_size: int = 64) -> np.ndarray:
        """Calibrated fake score of each crop: (N,) float32 in [0, 1] (sigmoid of logit / T; shown as 0–100)."""
        arr = np.asarray(crops)
        if arr.ndim == 3:
            arr = arr[None]
        if len(arr) == 0:
            return np.zeros(0, np.float32)
        out = []
        # Under the lock: explanations attach captum hooks to this shared network, and a forward pass
        # from another session must not run through them.
        with self.lock, torch.inference_mode():
            for i in range(0, len(arr), batch_size):
                z = self.logits(self.to_tensor(arr[i:i + batch_size]))
                out.append(self.calibrate(z).cpu().numpy())
        return np.concatenate(out).astype(np.float32)

    @property
    def has_seam_head(self) -> bool:
        """True when the network also predicts where a blending boundary is (see :meth:`seam_maps`)."""
        return self.model.seam_head is not None

    def seam_maps(self, crops: np.ndarray) -> np.ndarray:
        """The seam head's map of each crop: (N, S, S) float32 in [0, 1], the chance a blending boundary passes
        each pixel (predicted on the S/8 grid, upsampled bilinearly). Not scaled to its peak: a face with no
        seam stays dark. ValueError when the network has no seam head."""
        if not self.has_seam_head:
            raise ValueError("this detector has no seam head; retrain with --seam-weight to get one")
        x = self.to_tensor(crops)
        with self.lock, torch.inference_mode():
            _, seam = self.model.forward_with_seam(x)
            up = nn.functional.interpolate(seam, size=x.shape[-2:], mode="bilinear", align_corners=False)
            return torch.sigmoid(up[:, 0]).float().cpu().numpy()

    def verdict(self, prob: float) -> Verdict:
        """The band a fake score falls in, from the checkpoint's calibrated thresholds."""
        return Verdict.of(prob, self.meta.likely_real_below, self.meta.likely_manipulated_from)

    def save(self, path: str | Path) -> None:
        save_detector(self.model, self.meta, path)


def save_detector(model: BlendNet, meta: DetectorMeta, path: str | Path) -> None:
    """Write weights and metadata as one safetensors file."""
    from safetensors.torch import save_file

    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    save_file(state, str(path), metadata={"lab": meta.to_json()})


def load_detector(path: str | Path, device: str | None = None) -> Detector:
    """Load a detector checkpoint.

    ``.safetensors`` files are read as plain tensors; ``.pt`` training checkpoints go through
    ``torch.load(weights_only=True)``, which refuses pickled code. Nothing else is unpickled.
    """
    from safetensors import safe_open
    from safetensors.torch import load_file

    path = Path(path)
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    if path.suffix == ".safetensors":
        with safe_open(str(path), framework="pt") as f:
            header = f.metadata() or {}
        if "lab" not in header:
            raise ValueError(f"{path.name} is not a Deepfake Lab detector checkpoint (no 'lab' metadata)")
        meta = DetectorMeta.from_json(header["lab"])
        state = load_file(str(path))
    else:
        payload = torch.load(str(path), map_location="cpu", weights_only=True)
        meta = DetectorMeta.from_json(payload["meta"])
        state = payload["model"]
    model = BlendNet(width=meta.width, seam_head=meta.seam_head)
    model.load_state_dict(state)
    model = model.to(memory_format=torch.channels_last)
    return Detector(model, meta, device)


def untrained_detector(seed: int = 0, device: str | None = None) -> Detector:
    """A randomly initialised detector (for development and for the explanation sanity check)."""
    torch.manual_seed(seed)
    model = BlendNet().to(memory_format=torch.channels_last)
    return Detector(model, DetectorMeta(), device or "cpu")


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """Temperature T minimising the negative log-likelihood of :func:`calibrate` (sigmoid(logit / T)) on held-out
    data."""
    z = torch.tensor(np.asarray(logits, np.float64))
    y = torch.tensor(np.asarray(labels, np.float64))
    log_t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=0.1, max_iter=200)

    def closure():
        opt.zero_grad()
        loss = nn.functional.binary_cross_entropy_with_logits(z / log_t.exp(), y)
        loss.backward()
        return loss

    opt.step(closure)
    return float(log_t.exp().item())
