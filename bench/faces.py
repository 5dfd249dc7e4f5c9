"""MTCNN time per image, with and without detecting on a downscaled copy.

    python bench/faces.py            # ends with one JSON line of its figures

Inputs are scenes made from the photos matplotlib and scikit-image ship, so it runs on any machine.
Median of --runs timed calls after a warm-up; torch uses --threads threads (default 2, this machine's cores).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from core.engine.faces import DEFAULT_DETECT_SIDE, FaceExtractor  # noqa: E402
from core.fakes.scenes import scene  # noqa: E402


def p50_ms(fn, runs: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def same_faces(a, b) -> tuple[bool, float]:
    """Same number of faces and each matched at IoU ≥ 0.5 (the PASCAL VOC detection criterion);
    also the lowest matching IoU."""
    if len(a) != len(b):
        return False, 0.0
    worst = min((max(iou(fa.box, fb.box) for fb in b) for fa in a), default=1.0)
    return worst >= 0.5, worst


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    fast = FaceExtractor(detect_side=DEFAULT_DETECT_SIDE)
    full = FaceExtractor(detect_side=None)
    cases = {"512x512_1face": scene(512, 512, 1), "1280x720_1face": scene(1280, 720, 1),
             "1920x1080_1face": scene(1920, 1080, 1), "1280x720_4faces": scene(1280, 720, 4),
             "1920x1080_6faces": scene(1920, 1080, 6)}
    figures: dict[str, object] = {"detect_side": DEFAULT_DETECT_SIDE, "threads": args.threads, "runs": args.runs}
    all_same = True
    print(f"{'image':<20}{'downscaled ms':>15}{'full-res ms':>13}{'speed-up':>10}  faces (fast/full)")
    for name, img in cases.items():
        t_fast = p50_ms(lambda: fast.detect(img, crops=False), args.runs)
        t_full = p50_ms(lambda: full.detect(img, crops=False), args.runs)
        f_fast, f_full = fast.detect(img, crops=False), full.detect(img, crops=False)
        same, worst_iou = same_faces(f_fast, f_full)
        all_same &= same
        figures[f"min_iou_{name}"] = round(worst_iou, 3)
        print(f"{name:<20}{t_fast:>15.1f}{t_full:>13.1f}{t_full / t_fast:>9.2f}x  {len(f_fast)}/{len(f_full)}"
              f"{'' if same else '  (differ)'}")
        figures[f"p50_ms_{name}"] = round(t_fast, 1)
        figures[f"p50_ms_{name}_fullres"] = round(t_full, 1)
        figures[f"faces_{name}"] = len(f_fast)
    figures["p50_ms_1280x720"] = figures["p50_ms_1280x720_1face"]
    figures["p50_ms_1280x720_fullres"] = figures["p50_ms_1280x720_1face_fullres"]
    figures["same_faces_as_fullres"] = bool(all_same)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
