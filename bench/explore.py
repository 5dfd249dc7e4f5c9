"""Benchmark of the Explore labs' engines (face swap, robustness curves, adversarial attacks).

Inputs come from photos installed packages ship (matplotlib's Grace Hopper, scikit-image's astronaut), so
this runs on a fresh machine, with whichever detector is installed (``trained`` in the output says which):

* face swap astronaut → Grace Hopper (seamless blending, colour correction): p50 of RUNS runs;
* robustness curves: all 56 settings of the five changes scored in one batch, against scoring each changed
  crop on its own (same crops, same detector), p50 of RUNS runs each;
* FGSM and PGD (20 steps) at ε = 4/255 on self-blended fakes of both samples (seeds 0–3 each): p50 time,
  mean score before and after, the share that ends below the "likely real" threshold, mean PSNR.

Ends with one JSON line of the figures.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

RUNS = 5


def _p50(fn, runs: int = RUNS) -> float:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    from core.labs.adversarial import attack
    from core.engine.analysis import load_lab
    from core.engine.faces import load_sample
    from core.fakes.forge import ForgeSettings, self_blend
    from core.labs.robustness import PERTURBATIONS, perturb, robustness_curves
    from core.fakes.swap import swap_faces

    lab = load_lab()
    photos = {name: load_sample(name) for name in ("grace_hopper", "astronaut")}
    faces = {name: lab.extractor.detect(rgb, crops=False)[0] for name, rgb in photos.items()}
    g, a = photos["grace_hopper"], photos["astronaut"]

    swap_s = _p50(lambda: swap_faces(a, faces["astronaut"], g, faces["grace_hopper"]))

    crop, _ = lab.crop(g, faces["grace_hopper"])
    n_settings = sum(len(p.strengths) for p in PERTURBATIONS.values())
    batched_s = _p50(lambda: robustness_curves(lab.detector, crop))

    def one_by_one():
        for kind, p in PERTURBATIONS.items():
            for s in p.strengths:
                lab.detector.predict(perturb(crop, kind, s))

    single_s = _p50(one_by_one)

    fakes = []
    for name, rgb in photos.items():
        for seed in range(4):
            fake = self_blend(rgb, faces[name].landmarks, seed, ForgeSettings(blend=1.0)).fake
            fakes.append(lab.crop(fake, faces[name])[0])
    low = lab.detector.meta.likely_real_below
    attacks = {}
    for method in ("fgsm", "pgd"):
        times, before, after, psnrs = [], [], [], []
        for c in fakes:
            t = time.perf_counter()
            r = attack(lab.detector, c, 4, method, steps=20)
            times.append(time.perf_counter() - t)
            before.append(r.prob_before)
            after.append(r.prob_after)
            psnrs.append(r.psnr)
        attacks[method] = {
            "p50_s": round(statistics.median(times), 3),
            "mean_prob_before": round(float(np.mean(before)), 4),
            "mean_prob_after": round(float(np.mean(after)), 4),
            "share_below_likely_real": round(float(np.mean(np.array(after) < low)), 3),
            "share_flagged_before": round(float(np.mean(np.array(before) >= lab.detector.meta.likely_manipulated_from)), 3),
            "mean_psnr_db": round(float(np.mean(psnrs)), 2),
        }

    print(json.dumps({
        "bench": "explore", "trained": lab.trained, "model_version": lab.detector.meta.version,
        "swap_p50_s": round(swap_s, 4),
        "robustness_settings": n_settings,
        "robustness_batched_p50_s": round(batched_s, 3), "robustness_one_by_one_p50_s": round(single_s, 3),
        "attack_eps_levels": 4, "attack_crops": len(fakes), **{f"attack_{k}": v for k, v in attacks.items()},
    }))


if __name__ == "__main__":
    main()
