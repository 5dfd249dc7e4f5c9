"""Classroom load: N simultaneous photo analyses through the shared job pool, as the pages run them.

    python bench/load.py                      # 30 sessions; ends with one JSON line of its figures
    python bench/load.py --no-pool            # the same without the pool (every session calls torch at once)
    python bench/load.py --workers 1 --threads 2
    python bench/load.py --large-photos       # memory under load: 30 sessions upload a 40 MP PNG each

Memory under load (``--large-photos``, issue 21): every session uploads a large photo (``--megapixels``,
PNG by default, as in the attack that took a server from 1.4 to 7.3 GB), decodes it the way the pages do
(``ui.inputs.image_input``: once, at ``LAB_WORK_SIDE``; ``--full-size`` decodes at full resolution, as before
issue 21), keeps it while the analysis runs in the pool, then leaves. The JSON line then also holds
``peak_rss_mb`` (the whole run) and ``idle_rss_mb`` (``--idle`` seconds after every session left).

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


def _rss_mb() -> float:
    """This process's resident memory now, in MB (Linux /proc)."""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _large_uploads(n: int, megapixels: float, fmt: str) -> list[bytes]:
    """``n`` uploads of one large photo with a face (the same bytes: what costs memory is each session's
    decoded copy). Made from a package-shipped scene, enlarged to ``megapixels``."""
    import io

    import cv2
    from PIL import Image

    from core.fakes.scenes import scene

    w = int((megapixels * 1e6 * 4 / 3) ** 0.5)
    h = int(w * 3 / 4)
    big = cv2.resize(scene(1280, 960, 1), (w, h), interpolation=cv2.INTER_LINEAR)
    buf = io.BytesIO()
    Image.fromarray(big).save(buf, format=fmt.upper(), **({"compress_level": 1} if fmt == "png" else {"quality": 90}))
    del big
    data = buf.getvalue()
    return [data] * n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=30)
    ap.add_argument("--workers", type=int, default=None, help="pool workers (default: LAB_WORKERS)")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: LAB_TORCH_THREADS)")
    ap.add_argument("--no-pool", action="store_true", help="call the lab directly from every session thread")
    ap.add_argument("--timeout", type=float, default=300.0, help="give up after this many seconds")
    ap.add_argument("--large-photos", action="store_true", help="memory under load with large uploads")
    ap.add_argument("--megapixels", type=float, default=40.0, help="size of each large upload")
    ap.add_argument("--format", choices=["png", "jpeg"], default="png", help="format of the large uploads")
    ap.add_argument("--full-size", action="store_true", help="decode large uploads at full size (before issue 21)")
    ap.add_argument("--idle", type=float, default=10.0, help="seconds after the sessions left before idle RSS")
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

    from core.config import Limits

    lab = load_lab()  # sets torch threads from the configuration
    pool = JobPool()
    sizes = [(640, 480), (960, 540), (800, 800), (1280, 720)]
    kept: dict[int, object] = {}  # what each session keeps in its st.session_state: the decoded upload
    if args.large_photos:
        uploads = _large_uploads(args.sessions, args.megapixels, args.format)
        work_side = None if args.full_size else Limits.from_env().work_side
    else:
        uploads = [encode_jpeg(scene(*sizes[i % len(sizes)], 1 + i % 3), quality=88) for i in range(args.sessions)]
        work_side = None

    def analyse(data: bytes, i: int = -1) -> int:
        rgb = load_image(data, max_side=work_side)
        if i >= 0:
            kept[i] = rgb
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
            faces = analyse(uploads[i], i) if args.no_pool else pool.run(f"s{i}", analyse, uploads[i], i,
                                                                          timeout=args.timeout)
            if not args.large_photos and faces != 1 + i % 3:
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
    idle_mb = None
    if args.large_photos:  # the sessions leave: their state goes; what the process still holds is the figure
        import gc

        kept.clear()
        del uploads[:]
        gc.collect()
        time.sleep(args.idle)
        idle_mb = _rss_mb()

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
        "idle_rss_mb": None if idle_mb is None else round(idle_mb, 1),
        "large_photos": {"megapixels": args.megapixels, "format": args.format,
                         "decoded_side": work_side or "full"} if args.large_photos else None,
        "workers": 0 if args.no_pool else pool.workers,
        "torch_threads": torch.get_num_threads(),
        "cores": os.cpu_count(),
        "model_trained": lab.trained,
    }
    print(json.dumps(figures))
    sys.exit(1 if figures["errors"] else 0)


if __name__ == "__main__":
    main()
