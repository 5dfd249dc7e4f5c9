"""Where the detector's self-blend score is won and lost: held-out people under controlled conditions.

    python -m core.training.heldout --run runs/sbi --out runs/heldout

The validation AUC mixes every condition training draws (blend strength, colour change, JPEG, lower
resolution). This measures them one at a time on the same held-out people, with the app's crop function:
clean crops, fixed forge settings, JPEG re-compression of the crop, and whole photos shrunk so the face is
small before it is cropped (as in a wide video frame). Each condition reports AUC, the share of real faces
flagged *likely manipulated* and the share of fakes caught. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from core.config import model_path
from core.engine.detector import Detector, load_detector
from core.engine.faces import crop_face
from core.fakes.forge import ForgeSettings, self_blend
from core.labs.robustness import jpeg
from core.training.train import TrainConfig, auc, load_split

FORGE_CONDITIONS = {
    "clean, random forge settings": ForgeSettings(),
    "blend opacity 1.0": ForgeSettings(blend=1.0),
    "blend opacity 0.5": ForgeSettings(blend=0.5),
    "weak colour change (0.2)": ForgeSettings(color_shift=0.2),
    "strong colour change (1.0)": ForgeSettings(color_shift=1.0),
}
JPEG_QUALITIES = (90, 70, 50)
FACE_WIDTHS_PX = (70, 50, 35)


def _shrink(img: np.ndarray, scale: float) -> np.ndarray:
    return cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)


def _figures(det: Detector, reals: list[np.ndarray], fakes: list[np.ndarray]) -> dict[str, float | int]:
    pr, pf = det.predict(np.stack(reals)), det.predict(np.stack(fakes))
    thr = det.meta.likely_manipulated_from
    y = np.r_[np.zeros(len(pr)), np.ones(len(pf))]
    return {"n_pairs": len(pr), "auc": round(auc(y, np.r_[pr, pf]), 4),
            "real_flagged": round(float((pr >= thr).mean()), 4), "fakes_caught": round(float((pf >= thr).mean()), 4),
            "mean_score_real": round(float(pr.mean()), 4), "mean_score_fake": round(float(pf.mean()), 4)}


def conditions(det: Detector, images: Sequence[np.ndarray], boxes: np.ndarray, landmarks: np.ndarray, *,
               margin: float, seed: int = 7) -> dict[str, dict[str, float | int]]:
    """AUC, real faces flagged and fakes caught per condition, for (H, W, 3) uint8 photos of real faces
    with one (4,) box and (5, 2) landmarks each. Face i's fake is drawn from seed ``seed + i``."""
    size = det.input_size

    def crop(img, i, scale=1.0):
        return crop_face(img, boxes[i] * scale, landmarks[i] * scale, size, margin)[0]

    def fake(i, settings):
        return self_blend(images[i], landmarks[i], seed + i, settings).fake

    idx = range(len(images))
    reals = [crop(images[i], i) for i in idx]
    fake_photos = [fake(i, ForgeSettings()) for i in idx]  # random settings: the JPEG and small-face rows reuse them
    fakes = [crop(fake_photos[i], i) for i in idx]
    out = {name: _figures(det, reals, fakes if s == ForgeSettings() else [crop(fake(i, s), i) for i in idx])
           for name, s in FORGE_CONDITIONS.items()}
    for q in JPEG_QUALITIES:
        out[f"JPEG quality {q}"] = _figures(det, [jpeg(c, q) for c in reals], [jpeg(c, q) for c in fakes])
    for px in FACE_WIDTHS_PX:
        r, f = [], []
        for i in idx:
            s = px / float(boxes[i][2] - boxes[i][0])
            if s >= 1:  # the face is already this small
                continue
            r.append(crop(_shrink(images[i], s), i, s))
            f.append(crop(_shrink(fake_photos[i], s), i, s))
        if r:
            out[f"face {px} px wide"] = _figures(det, r, f)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", type=Path, default=Path("runs/sbi"), help="training run (its config.json gives the split)")
    ap.add_argument("--model", type=Path, default=None, help="detector checkpoint (default: LAB_MODEL_PATH)")
    ap.add_argument("--faces", type=int, default=400, help="held-out photos to use")
    ap.add_argument("--out", type=Path, default=Path("runs/heldout"))
    args = ap.parse_args(argv)

    det = load_detector(args.model or model_path(), device="cpu")
    cfg = TrainConfig.from_run(args.run)
    _, val, _ = load_split(cfg)
    images, boxes, lms = val.images, val.boxes, val.landmarks
    pick = np.random.default_rng(cfg.seed).choice(len(images), min(args.faces, len(images)), replace=False)
    result = {"version": det.meta.version, "threshold": det.meta.likely_manipulated_from,
              "conditions": conditions(det, [images[i] for i in pick], boxes[pick], lms[pick], margin=cfg.margin)}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "heldout.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
