"""Compare video decision rules on labelled videos: which faces count, and how frame scores are combined.

    python -m core.training.evaluate --manifest ../shared/data/dev-eval/manifest.csv --family-map bench/dev_eval_families.json --out runs/eval
    python -m core.training.video_rules --eval runs/eval

Reads the per-face scores and sizes ``evaluate`` saved (``video_faces.jsonl``) and recomputes every video's score
under each rule of :mod:`core.engine.video_decision` — no video is decoded again. Writes ``video_rules.json`` beside
them; the last line printed is one JSON object (video AUC per rule, overall and per family). AUC only ranks; with
the detector's *likely manipulated* threshold (from the same folder's ``summary.json``) each rule also reports the
share of real videos it would flag and of fake videos it would catch, since a rule that lifts every score ranks
as well but alarms a class on its real clips.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from core.engine.video_decision import AGGREGATIONS, counted_faces, frame_scores, video_score
from core.training.evaluate import auc_or_none

RATIOS = (0.0, 0.3, 0.5, 0.7)


def _share_at_least(scores: list[float], threshold: float) -> float | None:
    s = np.asarray([x for x in scores if np.isfinite(x)], dtype=float)
    return round(float(np.mean(s >= threshold)), 4) if len(s) else None


def compare_rules(videos: list[dict], ratios=RATIOS, aggregations=tuple(AGGREGATIONS),
                  threshold: float | None = None) -> list[dict]:
    """One row per (min face ratio, aggregation): video AUC overall and per family; ``videos`` as in the JSONL.

    With ``threshold`` (the *likely manipulated* score), rows also give ``real_flagged`` and ``fakes_caught``: the
    shares of real and fake videos (with a counted face) whose video score reaches it.
    """
    rows = []
    families = sorted({f for v in videos for f in v["families"]})
    for ratio in ratios:
        for how in aggregations:
            scores = []
            for v in videos:
                faces = v["frames"]
                counted = counted_faces([[size for _, size in fr] for fr in faces], ratio)
                s = video_score(frame_scores([[p for p, _ in fr] for fr in faces], counted), how)
                scores.append(float("nan") if s is None else s)
            row = {"min_face_ratio": ratio, "aggregation": how,
                   "video_auc": auc_or_none([v["label"] for v in videos], scores), "families": {}}
            for fam in families:
                pick = [i for i, v in enumerate(videos) if fam in v["families"]]
                row["families"][fam] = auc_or_none([videos[i]["label"] for i in pick], [scores[i] for i in pick])
            if threshold is not None:
                row["real_flagged"] = _share_at_least([x for x, v in zip(scores, videos) if not v["label"]], threshold)
                row["fakes_caught"] = _share_at_least([x for x, v in zip(scores, videos) if v["label"]], threshold)
            rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--eval", type=Path, required=True, help="an evaluate --out folder with video_faces.jsonl")
    ap.add_argument("--threshold", type=float, default=None,
                    help="likely-manipulated score (default: the one in the folder's summary.json)")
    args = ap.parse_args(argv)
    lines = (args.eval / "video_faces.jsonl").read_text(encoding="utf-8").splitlines()
    videos = [json.loads(line) for line in lines if line.strip()]
    threshold = args.threshold
    if threshold is None and (args.eval / "summary.json").exists():
        summary = json.loads((args.eval / "summary.json").read_text(encoding="utf-8"))
        threshold = (summary.get("thresholds") or {}).get("likely_manipulated_from")
    rows = compare_rules(videos, threshold=threshold)
    result = {"n_videos": len(videos), "likely_manipulated_from": threshold, "rules": rows}
    (args.eval / "video_rules.json").write_text(json.dumps(result, indent=2))
    for r in rows:
        fams = ", ".join(f"{k} {v:.3f}" for k, v in r["families"].items() if v is not None)
        alarms = (f"; real flagged {r['real_flagged']:.0%}, fakes caught {r['fakes_caught']:.0%}"
                  if r.get("real_flagged") is not None and r.get("fakes_caught") is not None else "")
        print(f"ratio {r['min_face_ratio']:.1f} {r['aggregation']:>17}: AUC {r['video_auc']}{alarms}  ({fams})")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
