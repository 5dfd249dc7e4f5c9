"""Classroom load: N simultaneous photo analyses through the shared job pool, as the pages run them.

    python bench/load.py                      # 30 sessions; ends with one JSON line of its figures
    python bench/load.py --no-pool            # the same without the pool (every session calls torch at once)
    python bench/load.py --workers 1 --threads 2

Each "session" is a thread that, at the same instant as the others, submits one job to
:func:`core.engine.jobs.get_pool` under its own session id: decode the uploaded JPEG bytes
(:func:`core.engine.media.load_image`), find and score every face (:meth:`core.engine.analysis.Lab.analyze_image`) and
compute the Grad-CAM heatmap of the first face (:func:`core.engine.explain.explain`), which is what the Detect —
photo page does for an upload. Inputs are scenes with 1–3 faces made from package-shipped photos, at several
sizes, so it runs on any machine. Latency is from submission to result (queueing included); throughput is
sessions / wall time. In-process only: nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=30)
    ap.add_argument("--workers", type=int, default=None, help="pool workers (default: LAB_WORKERS)")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: LAB_TORCH_THREADS)")
    ap.add_argument("--no-pool", action="store_true", help="call the lab directly from every session thread")
    ap.add_argument("--timeout", type=float, default=300.0, help="give up after this many seconds")
    args = ap.parse_args()
    if args.workers is not None:
        os.environ["LAB_WORKERS"] = str(args.workers)
    if args.threads is not None:
        os.environ["LAB_TORCH_THREADS"] = str(args.threads)
    os.environ.setdefault("LAB_QUEUE_LIMIT", str(max(40, args.sessions)))

    import torch

    from core.engine.analysis import load_lab
    from core.engine.explain import explain
    from core.engine.jobs import JobPool
    from core.engine.media import encode_jpeg, load_image
    from core.fakes.scenes import scene

    lab = load_lab()  # sets torch threads from the configuration
    pool = JobPool()
    sizes = [(640, 480), (960, 540), (800, 800), (1280, 720)]
    uploads = [encode_jpeg(scene(*sizes[i % len(sizes)], 1 + i % 3), quality=88) for i in range(args.sessions)]

    def analyse(data: bytes) -> int:
        rgb = load_image(data)
        report = lab.analyze_image(rgb)
        if report.faces:
            explain(lab.detector, report.faces[0].crop, "gradcam")
        return len(report.faces)

    analyse(uploads[0])  # warm-up (lazy initialisation is not what a class waits for)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(args.sessions + 1)

    def session(i: int) -> None:
        start.wait()
        t0 = time.perf_counter()
        try:
            faces = analyse(uploads[i]) if args.no_pool else pool.run(f"s{i}", analyse, uploads[i],
                                                                       timeout=args.timeout)
            if faces != 1 + i % 3:
                raise AssertionError(f"session {i}: found {faces} faces, expected {1 + i % 3}")
        except Exception as exc:  # noqa: BLE001 - counted and reported
            with lock:
                errors.append(f"{type(exc).__name__}: {exc}")
            return
        with lock:
            latencies.append(time.perf_counter() - t0)

    threads = [threading.Thread(target=session, args=(i,), daemon=True) for i in range(args.sessions)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    deadline = t0 + args.timeout
    for t in threads:
        t.join(max(0.0, deadline - time.perf_counter()))
    wall = time.perf_counter() - t0
    unfinished = sum(t.is_alive() for t in threads)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux

    mode = "no pool" if args.no_pool else f"pool: {pool.workers} workers"
    print(f"{args.sessions} sessions, {mode}, torch threads {torch.get_num_threads()}, {os.cpu_count()} cores")
    if latencies:
        print(f"latency p50 {statistics.median(latencies):.2f} s, p95 {_percentile(latencies, 0.95):.2f} s, "
              f"max {max(latencies):.2f} s; wall {wall:.1f} s")
    for e in errors[:5]:
        print("error:", e)
    figures = {
        "sessions": args.sessions,
        "errors": len(errors) + unfinished,
        "p50_s": round(statistics.median(latencies), 3) if latencies else None,
        "p95_s": round(_percentile(latencies, 0.95), 3) if latencies else None,
        "throughput_per_s": round(len(latencies) / wall, 3),
        "peak_rss_mb": round(peak_mb, 1),
        "workers": 0 if args.no_pool else pool.workers,
        "torch_threads": torch.get_num_threads(),
        "cores": os.cpu_count(),
        "model_trained": lab.trained,
    }
    print(json.dumps(figures))
    sys.exit(1 if figures["errors"] else 0)


if __name__ == "__main__":
    main()
