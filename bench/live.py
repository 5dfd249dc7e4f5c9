"""Live webcam speed: a sample face moving across a 640×480 canvas, fed frame by frame through the live
processor exactly as the Live page does (default settings, the shipped or untrained detector).

Prints per-setting lines, then ONE JSON line:
``{"fps_one_face": …, "ms_per_frame_p95": …, "cpu_ms_per_frame": …, "frames": …, "load_avg_1min": …}``.
fps_one_face is wall-clock frames per second; cpu_ms_per_frame is this process's CPU time per frame,
which shows how much of a slow result came from other programs sharing the cores (see load_avg_1min).
Target: fps_one_face ≥ 5 on a 2-core laptop CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.engine.analysis import load_lab  # noqa: E402
from core.engine.live import LiveProcessor, use_analysis_threads  # noqa: E402
from core.fakes.scenes import camera_frames  # noqa: E402


def run(frames: int = 90, warmup: int = 6) -> dict:
    """Time ``frames`` frames, each analysed and drawn before the next (``wait=True``), on a thread set up
    like the Live page's analysis threads (torch threads from LiveSettings.analysis_threads)."""
    out: dict = {}
    worker = threading.Thread(target=lambda: out.update(_run(frames, warmup)))
    worker.start()
    worker.join()
    return out


def _run(frames: int, warmup: int) -> dict:
    lab = load_lab()
    use_analysis_threads(LiveProcessor(lab).settings)
    clip = camera_frames(frames)
    proc = LiveProcessor(lab)
    for frame in clip[:warmup]:  # first calls allocate MTCNN's pyramid buffers
        proc.process(frame)
    proc = LiveProcessor(lab)
    ms, found = [], 0
    wall, cpu = time.perf_counter(), time.process_time()
    for frame in clip:
        result = proc.process(frame)
        ms.append(result.ms)
        found += len(result.faces) == 1
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "fps_one_face": round(len(clip) / wall, 2),
        "ms_per_frame_p95": round(float(np.percentile(ms, 95)), 1),
        "ms_per_frame_p50": round(float(np.percentile(ms, 50)), 1),
        "cpu_ms_per_frame": round(cpu / len(clip) * 1000, 1),
        "frames": len(clip),
        "frames_with_the_face": found,
        "detect_side": proc.settings.detect_side,
        "detect_every": proc.settings.detect_every,
        "score_every": proc.settings.score_every,
        "torch_threads": torch.get_num_threads(),
        "model_trained": lab.trained,
        "load_avg_1min": round(os.getloadavg()[0], 2),
        "cpu_count": os.cpu_count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=90)
    args = parser.parse_args()
    figures = run(args.frames)
    print(f"{figures['frames']} frames, face boxed in {figures['frames_with_the_face']}; "
          f"median {figures['ms_per_frame_p50']} ms, p95 {figures['ms_per_frame_p95']} ms per frame; "
          f"load average {figures['load_avg_1min']} on {figures['cpu_count']} cores", file=sys.stderr)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
