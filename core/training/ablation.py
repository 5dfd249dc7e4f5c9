"""The ablation table: every change to the detector or its decisions, measured on the same dev data.

    python -m core.training.ablation --change "video frames + H.264, 160 px" --eval runs/eval --fairness runs/fair \
        --bench runs/bench_detector.json
    python -m core.training.ablation --change-from-rules runs/eval    # rows for the video decision rules

Rows are appended to (or replace a row with the same change in) ``models/ablation.json``; the model card shows
them as a table. Columns: FF++ c23 video AUC per method, DFDC 224 px crop AUC and the share of its real crops read
as *likely manipulated*, UTKFace false alarms and the worst group's ratio to overall, forward ms per face.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from core.config import ROOT

ABLATION_JSON = ROOT / "models" / "ablation.json"
FFPP = ("Deepfakes", "Face2Face", "FaceSwap")
DFDC_CROPS = "DFDC faces (224 px crops)"


def _ffpp_family(method: str) -> str:
    return f"FF++ c23 {method} (video)"


def row_from_results(change: str, summary: dict, fairness: dict | None = None, bench: dict | None = None) -> dict:
    """One table row from an ``evaluate`` summary (and optionally its UTKFace fairness and detector bench)."""
    fams = summary.get("families", {})
    dfdc = fams.get(DFDC_CROPS, {})
    return {
        "change": change,
        "model": summary.get("model_version"),
        "ffpp_video_auc": {m: fams.get(_ffpp_family(m), {}).get("auc") for m in FFPP},
        "dfdc_crop_auc": dfdc.get("auc"),
        "dfdc_real_flagged": dfdc.get("fpr"),
        "utkface_fpr": (fairness or {}).get("fpr_overall"),
        "utkface_worst_ratio": (fairness or {}).get("max_ratio_gender_race"),
        "forward_ms": (bench or {}).get("forward_ms_per_face"),
    }


def rule_change(min_face_ratio: float, aggregation: str, prefix: str = "video decision") -> str:
    """The ``change`` text of a video-decision rule's row (how the model card finds a rule's row again)."""
    who = "every face" if min_face_ratio == 0 else f"faces ≥ {min_face_ratio:g}× the main face"
    return f"{prefix}: {who}, {aggregation} of frames"


def rows_from_rules(rules: dict, model: str | None, prefix: str = "video decision",
                    ratios: tuple[float, ...] | None = None) -> list[dict]:
    """Rows for each video decision rule measured by ``python -m core.training.video_rules`` (only ``ratios``
    of the main face when given). Rows keep the share of real videos each rule flags, when it was measured."""
    rows = []
    for r in rules["rules"]:
        if ratios is not None and r["min_face_ratio"] not in ratios:
            continue
        row = {"change": rule_change(r["min_face_ratio"], r["aggregation"], prefix), "model": model,
               "ffpp_video_auc": {m: r["families"].get(_ffpp_family(m)) for m in FFPP}}
        if r.get("real_flagged") is not None:  # measured at the likely-manipulated threshold (newer video_rules)
            row["video_real_flagged"] = r["real_flagged"]
        rows.append(row)
    return rows


def load_rows(path: Path = ABLATION_JSON) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []


def save_rows(new: list[dict], path: Path = ABLATION_JSON) -> list[dict]:
    """Add rows; a row whose (change, model) is already there is replaced in place."""
    rows = load_rows(path)
    for row in new:
        key = (row["change"], row.get("model"))
        at = next((i for i, r in enumerate(rows) if (r["change"], r.get("model")) == key), None)
        if at is None:
            rows.append(row)
        else:
            rows[at] = row
    path.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return rows


def render_table(rows: list[dict]) -> list[str]:
    """Markdown lines of the ablation table (empty cells where a row did not measure a column)."""
    def f(x, pct=False):
        return "" if x is None else (f"{x:.1%}" if pct else f"{x:.3f}" if isinstance(x, float) else str(x))

    lines = ["| change | model | FF++ DF | FF++ F2F | FF++ FS | DFDC crops AUC | DFDC real flagged | "
             "UTKFace flagged | UTKFace worst/overall | ms/face |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        auc = r.get("ffpp_video_auc", {})
        lines.append(f"| {r['change']} | `{r.get('model') or ''}` | {f(auc.get('Deepfakes'))} | {f(auc.get('Face2Face'))} "
                     f"| {f(auc.get('FaceSwap'))} | {f(r.get('dfdc_crop_auc'))} | {f(r.get('dfdc_real_flagged'), True)} "
                     f"| {f(r.get('utkface_fpr'), True)} | {f(r.get('utkface_worst_ratio'))} | {f(r.get('forward_ms'))} |")
    return lines


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--change", help="what this row changed, in a few words")
    ap.add_argument("--eval", type=Path, help="an evaluate --out folder (summary.json)")
    ap.add_argument("--fairness", type=Path, default=None, help="an evaluate --utkface --out folder")
    ap.add_argument("--bench", type=Path, default=None, help="bench/detector.py output (last line JSON)")
    ap.add_argument("--change-from-rules", type=Path, default=None,
                    help="an evaluate --out folder with video_rules.json: one row per video decision rule")
    ap.add_argument("--ratios", type=float, nargs="*", default=None, help="with --change-from-rules: only these ratios")
    ap.add_argument("--out", type=Path, default=ABLATION_JSON)
    args = ap.parse_args(argv)
    new = []
    if args.change_from_rules:
        summary = json.loads((args.change_from_rules / "summary.json").read_text())
        rules = json.loads((args.change_from_rules / "video_rules.json").read_text())
        new += rows_from_rules(rules, summary.get("model_version"), ratios=tuple(args.ratios) if args.ratios else None)
    if args.change and args.eval:
        summary = json.loads((args.eval / "summary.json").read_text())
        fair = json.loads((args.fairness / "fairness.json").read_text()) if args.fairness else None
        bench = json.loads(args.bench.read_text().strip().splitlines()[-1]) if args.bench else None
        new.append(row_from_results(args.change, summary, fair, bench))
    if not new:
        ap.error("give --change with --eval, or --change-from-rules")
    rows = save_rows(new, args.out)
    print("\n".join(render_table(rows)))
    print(json.dumps({"rows": len(rows), "added": [r["change"] for r in new]}))


if __name__ == "__main__":
    main()
