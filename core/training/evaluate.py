"""Measure the detector on labelled media with the app's own analysis path.

    python -m core.training.evaluate --manifest ../shared/data/dev-eval/manifest.csv --out runs/eval
    python -m core.training.evaluate --folder some/dir              # some/dir/real/*, some/dir/fake/*
    python -m core.training.evaluate --utkface ../shared/data/faces/utkface --out runs/fair   # false alarms per group

A manifest is a CSV with ``path,label`` (label real/fake or 0/1; paths relative to the CSV's folder) and
optionally ``media`` and ``kind``; with ``kind`` (or a ``--family-map`` JSON mapping kind → families) the
figures are broken down per family. An image's score is the highest face score in it (the app's rule);
a video's is the mean of its frame scores, and each sampled frame also counts as a frame-level item.
Items where no face is found get no score and are counted separately. Writes ``scores.csv``,
``roc.html`` (plotly), ``summary.json`` and ``video_faces.jsonl`` (every video face's score and size, for
``python -m core.training.video_rules``) under ``--out``; the last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.engine.analysis import Lab, load_lab
from core.engine.labelled import folder_rows, media_kind, table_rows
from core.engine.media import MediaError, load_image
from core.errors import DataFileError
from core.labs.roc import FAMILY_SEPARATOR, auc_interval



@dataclass
class Item:
    path: Path
    name: str  # as written in the manifest, or relative to the folder
    label: int  # 1 = fake
    media: str  # "image" or "video"
    kind: str = ""
    families: list[str] = field(default_factory=list)
    score: float = math.nan
    n_faces: int = 0
    frame_scores: list[float] = field(default_factory=list)
    # videos: per sampled frame, every face's (fake score, size in px) — to compare decision rules afterwards
    frame_faces: list[list[tuple[float, float]]] = field(default_factory=list)
    error: str = ""


def items_from_manifest(csv_path: Path, family_map: dict[str, list[str]] | None = None) -> list[Item]:
    """Items of a ``path,label[,media,kind]`` CSV (read by :func:`core.engine.labelled.table_rows`); paths are
    relative to the CSV's folder. A row with an unknown label stops the evaluation (DataFileError)."""
    rows, notes = table_rows(csv_path)
    if notes:
        raise DataFileError("; ".join(notes))
    items = []
    for row in rows:
        kind = row.columns.get("kind", "")
        fams = (family_map or {}).get(kind, [kind] if kind else [])
        items.append(Item(path=row.path, name=row.raw, label=row.label,
                          media=media_kind(row.path, row.columns.get("media", "")) or "image",
                          kind=kind, families=list(fams)))
    return items


def items_from_folder(folder: Path) -> list[Item]:
    """Items of ``folder/real`` and ``folder/fake`` (any depth; files the lab cannot read are left out)."""
    return [Item(path=row.path, name=row.where, label=row.label, media=media_kind(row.path))
            for row in folder_rows(folder) if media_kind(row.path) is not None]


def score_item(lab: Lab, item: Item, n_frames: int = 32) -> None:
    """Fill in the item's score(s) with the app's analysis path; failures are recorded, not raised."""
    try:
        if item.media == "video":
            from core.engine.video import analyze_video

            report = analyze_video(lab, item.path, n_frames=n_frames, keep_frames=False)
            probs = np.asarray(report.frame_probs, np.float64)
            item.frame_scores = [float(p) for p in probs if np.isfinite(p)]
            item.n_faces = len(item.frame_scores)
            item.score = float(report.score) if report.score is not None else math.nan
            item.frame_faces = [[(round(f.fake_prob, 6), round(float(max(f.box[2] - f.box[0], f.box[3] - f.box[1])), 1))
                                 for f in faces] for faces in report.faces]
        else:
            report = lab.analyze_image(load_image(item.path))
            item.n_faces = len(report.faces)
            item.score = report.max_prob if report.faces else math.nan
    except (MediaError, OSError) as exc:
        item.error = str(exc)


def auc_or_none(labels, scores) -> float | None:
    labels, scores = np.asarray(labels), np.asarray(scores, np.float64)
    keep = np.isfinite(scores)
    labels, scores = labels[keep], scores[keep]
    if len(set(labels.tolist())) < 2:
        return None
    from sklearn.metrics import roc_auc_score

    return round(float(roc_auc_score(labels, scores)), 4)


def auc_ci95_or_none(labels, scores) -> list[float] | None:
    """The AUC's bootstrap 95% interval (see :func:`core.labs.roc.auc_interval`) over the scored items, or None
    where only one class is present."""
    labels, scores = np.asarray(labels), np.asarray(scores, np.float64)
    keep = np.isfinite(scores)
    if len(set(labels[keep].tolist())) < 2:
        return None
    return [round(x, 4) for x in auc_interval(labels[keep], scores[keep])]


def rates(labels, scores, threshold: float) -> dict[str, float | int | None]:
    labels, scores = np.asarray(labels), np.asarray(scores, np.float64)
    keep = np.isfinite(scores)
    labels, scores = labels[keep], scores[keep]
    flagged = scores >= threshold
    pos, neg = labels == 1, labels == 0
    tpr = float(flagged[pos].mean()) if pos.any() else None
    fpr = float(flagged[neg].mean()) if neg.any() else None
    acc = float((flagged == pos).mean()) if len(labels) else None
    return {"tpr": _r(tpr), "fpr": _r(fpr), "accuracy": _r(acc), "n_real": int(neg.sum()), "n_fake": int(pos.sum())}


def _r(x):
    return None if x is None else round(x, 4)


def summarise(items: list[Item], lab: Lab) -> dict:
    meta = lab.detector.meta
    images = [i for i in items if i.media == "image"]
    videos = [i for i in items if i.media == "video"]
    frame_labels = [i.label for i in videos for _ in i.frame_scores]
    frame_scores = [s for i in videos for s in i.frame_scores]
    out = {
        "frame_auc": auc_or_none(frame_labels, frame_scores),
        "video_auc": auc_or_none([i.label for i in videos], [i.score for i in videos]),
        "image_auc": auc_or_none([i.label for i in images], [i.score for i in images]),
        "n_items": len(items),
        "n_images": len(images), "n_videos": len(videos), "n_frames": len(frame_scores),
        "n_no_face": sum(1 for i in items if not i.error and not np.isfinite(i.score)),
        "n_unreadable": sum(1 for i in items if i.error),
        "model_version": meta.version, "model_trained": meta.trained,
        "thresholds": {"likely_real_below": meta.likely_real_below,
                       "likely_manipulated_from": meta.likely_manipulated_from},
    }
    scored = [i for i in items if np.isfinite(i.score)]
    out["at_likely_manipulated"] = rates([i.label for i in scored], [i.score for i in scored],
                                         meta.likely_manipulated_from)
    families: dict[str, list[Item]] = defaultdict(list)
    for i in items:
        for fam in i.families:
            families[fam].append(i)
    out["families"] = {}
    for fam, members in sorted(families.items()):
        labels, scores = [i.label for i in members], [i.score for i in members]
        out["families"][fam] = {
            "auc": auc_or_none(labels, scores), "auc_ci95": auc_ci95_or_none(labels, scores), "n": len(members),
            "no_face": sum(1 for i in members if not np.isfinite(i.score)),
            "mean_score_real": _mean([s for l, s in zip(labels, scores) if l == 0]),
            "mean_score_fake": _mean([s for l, s in zip(labels, scores) if l == 1]),
            **rates(labels, scores, meta.likely_manipulated_from),
        }
    return out


def _mean(xs):
    xs = [x for x in xs if np.isfinite(x)]
    return round(float(np.mean(xs)), 4) if xs else None


def write_scores(items: list[Item], path: Path) -> None:
    """Per-item scores: path,label,kind,media,score,n_faces,error,families (label 0 real / 1 fake; score empty
    if none; families: the item's evaluation families joined by "; ", the names people read)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["path", "label", "kind", "media", "score", "n_faces", "error", "families"])
        for i in items:
            w.writerow([i.name, i.label, i.kind, i.media,
                        "" if not np.isfinite(i.score) else f"{i.score:.6f}", i.n_faces, i.error,
                        FAMILY_SEPARATOR.join(i.families)])


def write_video_faces(items: list[Item], path: Path) -> None:
    """One JSON line per video: name, label, families and per-frame ``[[score, size], ...]`` of every face."""
    with path.open("w", encoding="utf-8") as f:
        for i in items:
            if i.media == "video" and not i.error:
                f.write(json.dumps({"path": i.name, "label": i.label, "families": i.families,
                                    "frames": i.frame_faces}) + "\n")


def write_roc_html(items: list[Item], path: Path, title: str) -> None:
    """An interactive ROC per family (or overall) as a self-contained plotly HTML file."""
    import plotly.graph_objects as go
    from sklearn.metrics import roc_curve

    groups: dict[str, list[Item]] = defaultdict(list)
    for i in items:
        for fam in (i.families or ["all items"]):
            groups[fam].append(i)
    fig = go.Figure()
    for fam, members in sorted(groups.items()):
        lab = np.array([i.label for i in members])
        sc = np.array([i.score for i in members])
        keep = np.isfinite(sc)
        if len(set(lab[keep].tolist())) < 2:
            continue
        fpr, tpr, _ = roc_curve(lab[keep], sc[keep])
        fig.add_trace(go.Scatter(x=fpr, y=tpr, mode="lines", name=f"{fam} (AUC {auc_or_none(lab, sc):.3f})"))
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(dash="dash", color="grey"), name="chance"))
    fig.update_layout(title=title, xaxis_title="false-positive rate (real flagged)",
                      yaxis_title="true-positive rate (fakes caught)", width=900, height=650)
    # Inline plotly.js so the report opens offline.
    fig.write_html(str(path), include_plotlyjs=True, full_html=True)


# ------------------------------------------------------------------------------------ UTKFace fairness


UTK_GENDER = {0: "male", 1: "female"}
UTK_RACE = {0: "white", 1: "black", 2: "asian", 3: "indian", 4: "other"}


def utkface_groups(path: Path) -> dict[str, str] | None:
    """Attributes from a UTKFace file name ``age_gender_race_date.jpg``; None when it does not parse."""
    parts = path.name.split("_")
    try:
        age, gender, race = int(parts[0]), int(parts[1]), int(parts[2])
    except (ValueError, IndexError):
        return None
    band = "18-29" if age < 30 else "30-44" if age < 45 else "45-59" if age < 60 else "60+"
    return {"gender": UTK_GENDER.get(gender, "?"), "race": UTK_RACE.get(race, "?"), "age": band}


def fairness(lab: Lab, folder: Path, limit: int | None = None, min_group_n: int = 30) -> dict:
    """False-alarm rate at the "likely manipulated" threshold on real faces, overall and per group."""
    from tqdm import tqdm

    threshold = lab.detector.meta.likely_manipulated_from
    rows = []
    paths = sorted(p for p in folder.glob("*.jpg"))[:limit]
    for p in tqdm(paths, desc="UTKFace", unit="img"):
        groups = utkface_groups(p)
        if groups is None:
            continue
        report = lab.analyze_image(load_image(p))
        if report.faces:
            rows.append((groups, report.max_prob))
    scores = np.array([s for _, s in rows])
    overall = float((scores >= threshold).mean()) if len(rows) else math.nan
    out = {"threshold": threshold, "n": len(rows), "no_face": len(paths) - len(rows), "fpr_overall": round(overall, 4),
           "groups": {}}
    for attr in ("gender", "race", "age"):
        for value in sorted({g[attr] for g, _ in rows}):
            s = np.array([sc for g, sc in rows if g[attr] == value])
            fpr = float((s >= threshold).mean())
            out["groups"][f"{attr}={value}"] = {"n": len(s), "fpr": round(fpr, 4),
                                                "ratio_to_overall": round(fpr / overall, 2) if overall > 0 else None}
    # Rates of small groups swing by chance: compare only groups with enough faces to mean something.
    judged = {k: g for k, g in out["groups"].items() if g["n"] >= min_group_n and g["ratio_to_overall"] is not None}
    out["min_group_n"] = min_group_n
    out["max_ratio_gender_race"] = max((g["ratio_to_overall"] for k, g in judged.items()
                                        if not k.startswith("age")), default=None)
    out["max_ratio_all"] = max((g["ratio_to_overall"] for g in judged.values()), default=None)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--manifest", type=Path, help="CSV with path,label[,media,kind]")
    src.add_argument("--folder", type=Path, help="folder with real/ and fake/ sub-folders")
    src.add_argument("--utkface", type=Path, help="UTKFace folder: false-alarm rates per gender, race, age")
    ap.add_argument("--family-map", type=Path, help="JSON {kind: [family, ...]} for the per-family breakdown")
    ap.add_argument("--model", type=Path, default=None, help="detector checkpoint (default: LAB_MODEL_PATH)")
    ap.add_argument("--frames", type=int, default=32, help="frames sampled per video")
    ap.add_argument("--limit", type=int, default=None, help="evaluate only the first N items (smoke runs)")
    ap.add_argument("--out", type=Path, default=Path("runs/eval"))
    ap.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS",
                    help="score on Ray: a cluster's ADDRESS, or none for RAY_ADDRESS / a local Ray; an interrupted "
                         "run resumes (see core.training.distributed)")
    ap.add_argument("--ray-workers", type=int, default=None, help="Ray workers (default: one per cluster CPU)")
    args = ap.parse_args(argv)

    lab = load_lab(args.model, allow_untrained=True)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.utkface:
        result = fairness(lab, args.utkface, args.limit)
        (args.out / "fairness.json").write_text(json.dumps(result, indent=2))
        print(json.dumps(result))
        return
    family_map = json.loads(args.family_map.read_text()) if args.family_map else None
    items = items_from_manifest(args.manifest, family_map) if args.manifest else items_from_folder(args.folder)
    items = items[: args.limit] if args.limit else items
    if args.ray is not None:
        from core.training.distributed import score_on_ray

        score_on_ray(items, args.out, address=args.ray or None, model=args.model, n_frames=args.frames,
                     workers=args.ray_workers, model_version=lab.detector.meta.version)
    else:
        from tqdm import tqdm

        for item in tqdm(items, desc="evaluating", unit="item"):
            score_item(lab, item, args.frames)
    summary = summarise(items, lab)
    write_scores(items, args.out / "scores.csv")
    write_video_faces(items, args.out / "video_faces.jsonl")
    write_roc_html(items, args.out / "roc.html", f"Deepfake Lab detector {lab.detector.meta.version}")
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps({k: summary[k] for k in ("frame_auc", "video_auc", "image_auc", "n_items")} | {
        "families": {k: v["auc"] for k, v in summary["families"].items()}}))


if __name__ == "__main__":
    main()
