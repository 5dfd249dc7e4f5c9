"""Detector size and speed: forward time per face at batch 1, checkpoint size, parameters.

    python bench/detector.py [--model models/detector.safetensors] [--threads 2]

Ends with one JSON line: {"forward_ms_per_face": …, "checkpoint_mb": …, "params": …}.
Uses an untrained network of the same architecture when no checkpoint exists (same speed).
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

from core.config import model_path  # noqa: E402
from core.engine.detector import load_detector, untrained_detector  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", type=Path, default=model_path())
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=50)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    det = load_detector(args.model, device="cpu") if args.model.exists() else untrained_detector()
    size = det.input_size
    crop = np.random.default_rng(0).integers(0, 256, (1, size, size, 3), dtype=np.uint8)
    for _ in range(10):
        det.predict(crop)
    times = []
    for _ in range(args.runs):
        t = time.perf_counter()
        det.predict(crop)
        times.append((time.perf_counter() - t) * 1000)
    batch = np.repeat(crop, 32, axis=0)
    t = time.perf_counter()
    for _ in range(5):
        det.predict(batch)
    batched = (time.perf_counter() - t) * 1000 / (5 * 32)
    figures = {
        "forward_ms_per_face": round(statistics.median(times), 2),
        "forward_ms_per_face_p95": round(float(np.percentile(times, 95)), 2),
        "forward_ms_per_face_batch32": round(batched, 2),
        "checkpoint_mb": round(args.model.stat().st_size / 2**20, 2) if args.model.exists() else None,
        "params": int(sum(p.numel() for p in det.model.parameters())),
        "input_size": size, "threads": args.threads, "trained": det.trained,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
