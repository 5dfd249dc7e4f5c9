"""Batch evaluation on Ray: items per second with 1 and 2 workers on this machine.

    python bench/ray_eval.py                  # 24 photos; ends with one JSON line of its figures
    python bench/ray_eval.py --items 48 --workers 1 2 4

Builds a manifest from the package-shipped sample photos (real ones and self-blended fakes of them, at several
sizes, so it runs on any machine), starts a local Ray with as many CPUs as the largest worker count, and
scores the manifest with :func:`core.training.distributed.score_on_ray` once per worker count into a fresh
folder. Throughput is the steady rate: items finished after the first one per worker (by then every worker has
loaded its Lab) over the time they took, since on a collection of thousands of items the start-up is paid
once; the wall time including start-up is reported too.
Each worker uses one CPU (one torch thread), as Ray gives every actor by default.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def make_manifest(folder: Path, n: int) -> Path:
    import cv2

    from core.engine.analysis import load_lab
    from core.engine.faces import load_sample
    from core.fakes.forge import ForgeSettings, self_blend

    lab = load_lab()
    rows = []
    bases = [load_sample("grace_hopper"), load_sample("astronaut")]
    for k in range(n):
        img = bases[k % 2]
        scale = (1.0, 1.5, 2.0)[(k // 2) % 3]
        img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
        label = "real"
        if k % 4 >= 2:
            face = lab.extractor.detect(img)[0]
            img = self_blend(img, face.landmarks, seed=k, settings=ForgeSettings()).fake
            label = "fake"
        name = f"item{k:03d}.jpg"
        cv2.imwrite(str(folder / name), cv2.cvtColor(img, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90])
        rows.append((name, label))
    path = folder / "manifest.csv"
    with path.open("w", newline="") as f:
        csv.writer(f).writerows([("path", "label"), *rows])
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--items", type=int, default=24)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()

    import ray

    from core.training import distributed
    from core.training.evaluate import items_from_manifest

    tmp = Path(tempfile.mkdtemp(prefix="ray-bench-"))
    manifest = make_manifest(tmp, args.items)
    distributed.connect(num_cpus=max(args.workers))
    result = {"items": args.items, "cpus": os.cpu_count(), "load_avg_1min": round(os.getloadavg()[0], 2),
              "items_per_s": {}}
    result["wall_s"] = {}
    for w in args.workers:
        items = items_from_manifest(manifest)
        finished: list[float] = []
        t0 = time.perf_counter()
        distributed.score_on_ray(items, tmp / f"run{w}", workers=w, progress=False,
                                 on_result=lambda _item: finished.append(time.perf_counter()))
        wall = time.perf_counter() - t0
        steady = (len(finished) - w) / (finished[-1] - finished[w - 1])
        result["items_per_s"][str(w)] = round(steady, 2)
        result["wall_s"][str(w)] = round(wall, 1)
        print(f"{w} worker(s): {steady:.2f} items/s steady, {len(items)} items in {wall:.1f} s with start-up",
              file=sys.stderr)
    ray.shutdown()
    ips = result["items_per_s"]
    if "1" in ips and "2" in ips:
        result["speedup_2_vs_1"] = round(ips["2"] / ips["1"], 2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
