"""The model card: measured figures as data (``models/model_card.json``) and as text (``MODEL_CARD.md``).

    python -m core.training.model_card --eval runs/eval --fairness runs/fair --bench runs/bench_detector.json \
        --heldout runs/heldout

The app, the lessons and the threshold explorer read the JSON; nobody types a number by hand.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from core.config import ROOT, model_path
from core.engine.detector import load_detector
from core.engine.video_decision import AGGREGATIONS, DEFAULT_AGGREGATION, MAIN_FACE_RATIO
from core.labs.roc import FAMILY_SEPARATOR, auc_interval, load_eval_scores
from core.training.ablation import load_rows, render_table, rule_change

CARD_JSON = ROOT / "models" / "model_card.json"
CARD_MD = ROOT / "models" / "MODEL_CARD.md"


def load_card(path: Path | None = None) -> dict | None:
    """The measured figures, or None when no card has been generated."""
    path = path or CARD_JSON
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def _training_data(t: dict) -> str:
    text = (f"Labeled Faces in the Wild (deep-funneled), {t.get('train_photos')} photos for training and "
            f"{t.get('val_photos')} photos of {t.get('val_people')} held-out people for validation")
    if t.get("video_faces"):
        text += (f"; {t['video_faces']} main-face regions from {t.get('video_groups')} real videos / actors "
                 f"(`faces/video-real`: FaceForensics++ YouTube originals at c23 and DeepFakeDetection actors at c40), "
                 f"{t.get('val_video_faces')} of them from held-out videos for validation")
    return text + "; real faces only, fakes made on the fly by self-blending"


# What each input measures, by card key: an input not given this time keeps the card's earlier figures for the
# same detector version (they stay true of it), so one new measurement does not need every run folder again.
MEASURED_KEYS = ("dev_eval", "families", "heldout_conditions", "fairness_utkface", "forward_ms_per_face",
                 "checkpoint_mb", "params", "pipeline")


def build_card(model: Path, eval_dir: Path | None, fairness_dir: Path | None, bench: Path | None,
               heldout_dir: Path | None = None, pipeline: list[Path] | None = None,
               previous: dict | None = None) -> dict:
    det = load_detector(model, device="cpu")
    meta = det.meta
    t = meta.training
    card: dict = {
        "version": meta.version,
        "architecture": f"BlendNet: 5 residual stages, width {meta.width}, "
                        f"{sum(p.numel() for p in det.model.parameters()):,} parameters",
        "input": f"{meta.input_size}×{meta.input_size} RGB aligned face crop, margin {meta.margin} (core.engine.faces.crop_face)",
        "temperature": round(meta.temperature, 4),
        "thresholds": {"likely_real_below": meta.likely_real_below,
                       "likely_manipulated_from": meta.likely_manipulated_from},
        "training": t,
        "val_auc_selfblend": t.get("val_auc_selfblend_heldout_people"),
        "train_minutes": t.get("train_minutes"),
        "training_data": _training_data(t),
        "video_decision": {"min_face_ratio": MAIN_FACE_RATIO, "aggregation": DEFAULT_AGGREGATION},
        "ablation": load_rows(),
    }
    if eval_dir and (eval_dir / "summary.json").exists():
        s = json.loads((eval_dir / "summary.json").read_text())
        card["dev_eval"] = {k: s[k] for k in ("image_auc", "frame_auc", "video_auc", "n_items", "n_no_face",
                                              "at_likely_manipulated") if k in s}
        card["families"] = s.get("families", {})
    if heldout_dir and (heldout_dir / "heldout.json").exists():
        card["heldout_conditions"] = json.loads((heldout_dir / "heldout.json").read_text())["conditions"]
    if fairness_dir and (fairness_dir / "fairness.json").exists():
        card["fairness_utkface"] = json.loads((fairness_dir / "fairness.json").read_text())
    # The bundled sample photos are real: how the shipped model reads them is part of what a class sees.
    from core.engine.analysis import Lab
    from core.engine.faces import SAMPLES, load_sample

    lab = Lab(det)
    card["bundled_samples"] = {}
    for name in SAMPLES:
        report = lab.analyze_image(load_sample(name))
        if report.faces:
            f = report.faces[0]
            card["bundled_samples"][SAMPLES[name]] = {"fake_prob": round(f.fake_prob, 3), "verdict": f.verdict}
    spectrum = ROOT / "models" / "spectrum.json"
    if spectrum.exists():
        m = json.loads(spectrum.read_text()).get("metrics", {})
        card["spectrum_classifier"] = {k: m.get(k) for k in ("held_out_auc", "held_out_auc_ci95", "cv_auc_mean",
                                                              "cv_auc_std", "n_train", "n_test")}
    if bench and bench.exists():
        b = json.loads(bench.read_text().strip().splitlines()[-1])
        card["forward_ms_per_face"] = b.get("forward_ms_per_face")
        card["checkpoint_mb"] = b.get("checkpoint_mb")
        card["params"] = b.get("params")
    if pipeline:
        card["pipeline"] = read_pipeline(pipeline)
    if previous and previous.get("version") == card["version"]:
        for key in MEASURED_KEYS:
            if key not in card and key in previous:
                card[key] = previous[key]
    if eval_dir:
        add_auc_intervals(card.get("families", {}), eval_dir / "scores.csv")
    elif previous and previous.get("version") == card["version"]:  # the shipped scores are this very model's
        add_auc_intervals(card.get("families", {}), ROOT / "models" / "eval_scores.csv")
    return card


def add_auc_intervals(families: dict[str, dict], scores_csv: Path) -> None:
    """Give each family measured before ``evaluate`` wrote intervals its AUC's bootstrap 95% interval, from the
    same model's scores file (its ``families`` column says which items each family compared)."""
    missing = [f for f, v in families.items() if v.get("auc") is not None and "auc_ci95" not in v]
    if not missing or not scores_csv.exists():
        return
    data = load_eval_scores(scores_csv)
    sources = data.sources()
    if sources is None:  # the file names no families or kinds: nothing to match them with
        return
    for fam in missing:
        sub = data.select(np.array([fam in src for src in sources], bool))
        if 0 < sub.labels.sum() < len(sub):
            families[fam]["auc_ci95"] = [round(x, 4) for x in auc_interval(sub.labels, sub.scores)]


def wilson_interval(k: int, n: int) -> tuple[float, float]:
    """95% Wilson score interval of a rate of k events in n trials."""
    from scipy.stats import binomtest

    if n <= 0:
        return 0.0, 1.0
    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    return float(ci.low), float(ci.high)


def _fmt(x, pct: bool = False) -> str:
    if x is None:
        return "n/a"
    return f"{x:.1%}" if pct else f"{x:.3f}" if isinstance(x, float) else str(x)


def _soup_note(t: dict) -> str:
    """The training line's ending for a weight average (core.training.soup); "." for anything else."""
    parts = t.get("soup_of") or []
    if not parts:
        return "."
    names = ", ".join(f"`{p['version']}` ({_fmt(p.get('steps'))} steps)" for p in parts)
    return (f" — the average of the weights of {len(parts)} fine-tunes of one checkpoint (a *model soup*, "
            f"Wortsman et al., ICML 2022; `python -m core.training.soup`): {names}. Steps and minutes are their "
            "sums; the whole history is in `models/training/README.md`.")


def render_markdown(card: dict) -> str:
    t = card.get("training", {})
    lines = [
        "# Model card — Deepfake Lab face-swap detector",
        "",
        f"*Generated by `python -m core.training.model_card` from measured results; version `{card['version']}`.*",
        "",
        "## What it is",
        f"- **Architecture:** {card['architecture']}.",
        f"- **Input:** {card['input']}. Output: a fake score from 0 to 1 (0–100 in the app): how strongly the "
        "face looks blended in. It ranks faces; it is not a probability for real deepfakes (see *Calibration and "
        "verdicts*).",
        f"- **Method:** self-blended images (Shiohara & Yamasaki, \"Detecting Deepfakes with Self-Blended Images\", "
        "CVPR 2022): trained on real faces only; each fake is a face blended with an altered copy of itself.",
        f"- **Training data:** {card['training_data']}. LFW is a research benchmark of news photographs "
        "collected from the web (mostly adult, mostly male, mostly white faces).",
        f"- **Training:** {_fmt(t.get('steps'))} steps, {_fmt(t.get('images_seen'))} images seen, "
        f"{card.get('train_minutes', 0):.0f} minutes on {t.get('hardware', 'n/a')} shared with other work; "
        "`python -m core.training.train`" + (
            f" — a fine-tune that started from the weights of the previously shipped detector "
            f"(`{(t.get('recipe') or {}).get('initialised_from')}`); the whole history is in "
            "`models/training/README.md`." if (t.get("recipe") or {}).get("initialised_from") else _soup_note(t)),
        f"- **Speed and size:** {card.get('forward_ms_per_face') or float('nan'):.1f} ms per face at batch 1 on a "
        f"2-core CPU (`bench/detector.py`); checkpoint {card.get('checkpoint_mb') or float('nan'):.1f} MB.",
        "",
        "## Calibration and verdicts",
        f"Scores are temperature-scaled (T = {card['temperature']}) on self-blends of held-out people, so on "
        "*that* distribution a score of 0.8 is right about 80% of the time. This does **not** make the score a "
        "calibrated probability for real deepfakes, other cameras or heavy compression: treat it as a ranking.",
        f"- *likely manipulated* from {card['thresholds']['likely_manipulated_from']} "
        "(5% of held-out real faces score above it);",
        f"- *likely real* below {card['thresholds']['likely_real_below']} (10% of held-out self-blends score below it);",
        "- *uncertain* in between.",
        "",
        "## Measured quality",
        f"- **Self-blend validation AUC on held-out people:** {_fmt(card.get('val_auc_selfblend'))}",
    ]
    lines += _heldout_section(card)
    dev = card.get("dev_eval")
    if dev:
        lines += [
            f"- **Development evaluation** (`../shared/data/dev-eval`, {dev.get('n_items')} items, "
            f"{dev.get('n_no_face')} without a detected face): image-level AUC {_fmt(dev.get('image_auc'))}, "
            f"frame-level AUC {_fmt(dev.get('frame_auc'))}, video-level AUC {_fmt(dev.get('video_auc'))} "
            "(n/a where only one class is present). The overall image AUC mixes fakes this detector is built for "
            "(face swaps) with ones it is not (fully generated faces): read the rows per family.",
            "",
            "| family | items | AUC | AUC 95% interval | mean score real | mean score fake | false alarms at threshold "
            "| fakes caught |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for fam, f in card.get("families", {}).items():
            ci = f.get("auc_ci95")
            lines.append(f"| {fam} | {f['n']} | {_fmt(f['auc'])} | {f'{ci[0]:.2f}–{ci[1]:.2f}' if ci else 'n/a'} | "
                         f"{_fmt(f['mean_score_real'])} | "
                         f"{_fmt(f['mean_score_fake'])} | {_fmt(f.get('fpr'), True)} | {_fmt(f.get('tpr'), True)} |")
        lines += ["", "Fully generated faces (StyleGAN2) are a different kind of fake with no blending boundary: "
                  "this detector is not built for them (see the Spectrum lab for a separate, frequency-based check)."]
    fair = card.get("fairness_utkface")
    if fair:
        lines += [
            "",
            "## False alarms on real faces by group (UTKFace, tight crops)",
            f"At the *likely manipulated* threshold, {_fmt(fair['fpr_overall'], True)} of {fair['n']} real UTKFace faces "
            f"are flagged ({fair['no_face']} without a detected face). Target: every gender and race group within 1.5× "
            f"of the overall rate; largest ratio among groups of at least {fair.get('min_group_n', 30)} faces: "
            f"{_fmt(fair.get('max_ratio_gender_race'))}. Smaller groups are listed but too few to judge.",
            "",
            "| group | faces | false-alarm rate | 95% interval | ratio to overall |",
            "|---|---|---|---|---|",
        ]
        for g, v in fair["groups"].items():
            lo, hi = wilson_interval(round(v["fpr"] * v["n"]), v["n"])
            lines.append(f"| {g} | {v['n']} | {_fmt(v['fpr'], True)} | {lo:.1%}–{hi:.1%} | "
                         f"{_fmt(v['ratio_to_overall'])} |")
        lines += ["", "A group's rate rests on few false alarms when the overall rate is low: read the ratio with "
                  "its interval."]
    spec = card.get("spectrum_classifier")
    if spec:
        lines += [
            "",
            "## The separate spectrum classifier (fully generated faces)",
            f"`models/spectrum.json`: logistic regression on the 1-D power spectrum (after Durall et al., CVPR 2020), "
            f"trained by `python -m core.training.train_spectrum` on FFHQ photos vs StyleGAN2 faces. Held-out AUC "
            f"{_fmt(spec.get('held_out_auc'))} (95% interval {spec.get('held_out_auc_ci95')}, {spec.get('n_test')} test "
            f"images); nested cross-validated AUC {_fmt(spec.get('cv_auc_mean'))} ± {_fmt(spec.get('cv_auc_std'))}. "
            "A modest, teaching-grade signal, shown beside the face-swap detector with a label of what each detects.",
        ]
    lines += _ablation_section(card)
    lines += ["", *_targets_section(card)]
    lines += [
        "",
        "## Intended use",
        "Teaching: showing how a blending-artifact detector works, what it looks at and where it fails. "
        "Not for deciding whether a real person's video is authentic, for moderation, or for evidence.",
        "",
        "## Known failure cases",
        *[f"- Bundled real sample *{name}*: score {v['fake_prob']:.2f} ({v['verdict']})"
          + {"likely manipulated": " — a false alarm on a real photo, left visible in the lab on purpose.",
             "uncertain": " — a real photo the detector will not call real, left visible in the lab on purpose."}
          .get(v["verdict"], ".") for name, v in card.get("bundled_samples", {}).items()],
        *_tight_crop_failures(card),
        "- Fully generated faces (GANs, diffusion): no blending edge to find.",
        "- Graphics-based swaps and re-enactment with little blending; very heavy compression or tiny faces.",
        "- Faces unlike LFW's (children, profile views, strong make-up or lighting) have less evidence behind them.",
        "- Adversarial noise can flip its answer (see the Adversarial lab).",
        "",
        "## Retrain",
        "From scratch as below; to continue the shipped run instead, see `models/training/README.md`.",
        "```",
        "python -m core.training.train --data ../shared/data/faces/lfw --run runs/sbi --steps 8000 --minutes 60   # rerun to resume",
        "python -m core.training.train --run runs/sbi --export models/detector.safetensors",
        "python -m core.training.evaluate --manifest ../shared/data/dev-eval/manifest.csv "
        "--family-map bench/dev_eval_families.json --out runs/eval",
        "python -m core.training.evaluate --utkface ../shared/data/faces/utkface --out runs/fair",
        "python bench/detector.py > runs/bench_detector.json",
        "python -m core.training.heldout --run runs/sbi --out runs/heldout",
        "python -m core.training.model_card --eval runs/eval --fairness runs/fair --bench runs/bench_detector.json "
        "--heldout runs/heldout",
        "```",
    ]
    return "\n".join(lines) + "\n"


TARGETS = {"val_auc_selfblend": 0.92, "forward_ms_per_face": 25.0, "checkpoint_mb": 20.0, "family_auc": 0.75,
           "fairness_ratio": 1.5, "dfdc_real_flagged": 0.10}
# Face swaps with a visible blend must be caught well; re-enactment (Face2Face) blends little.
FAMILY_TARGETS = {"FF++ c23 Deepfakes (video)": 0.90, "FF++ c23 FaceSwap (video)": 0.90,
                  "FF++ c23 Face2Face (video)": 0.75}


def _ffpp_video_count(card: dict) -> int:
    """Originals (shared by every method) plus each method's fakes, from the card's FF++ c23 video families."""
    fams = [f for name, f in card.get("families", {}).items() if name.startswith("FF++ c23")]
    return max((f.get("n_real", 0) for f in fams), default=0) + sum(f.get("n_fake", 0) for f in fams)


def _rule_check(card: dict, rows: list[dict], rule: dict) -> str:
    """One sentence when, for the shipped model, another aggregation at the same face ratio ranked the FF++ videos
    better on average: the rule was chosen on an earlier model and kept, and the card should say so."""
    by_change = {r["change"]: r for r in rows if r.get("model") == card.get("version")}
    mine = {how: by_change[c] for how in AGGREGATIONS
            if (c := rule_change(rule["min_face_ratio"], how)) in by_change}
    mean_auc = {how: float(np.mean([a for a in r["ffpp_video_auc"].values() if a is not None]))
                for how, r in mine.items()}
    if rule["aggregation"] not in mean_auc:
        return ""
    best = max(mean_auc, key=mean_auc.get)
    if best == rule["aggregation"]:
        return ""
    flagged = {how: r.get("video_real_flagged") for how, r in mine.items()}
    alarms = ""
    if flagged[best] is not None and flagged[rule["aggregation"]] is not None:
        alarms = (f" At the *likely manipulated* threshold it would flag {flagged[best]:.0%} of the real dev videos, "
                  f"against {flagged[rule['aggregation']]:.0%} with the {rule['aggregation']}.")
    return (f" For this model the **{best}** ranks the FF++ videos a little better (mean AUC over the three methods "
            f"{mean_auc[best]:.3f} against {mean_auc[rule['aggregation']]:.3f}, well inside the 95% intervals); the rule "
            "was kept rather than re-chosen for each model on so few videos." + alarms)


def _ablation_section(card: dict) -> list[str]:
    """Every measured change on the same dev data (``python -m core.training.ablation``), and the video rule in use."""
    rows, rule = card.get("ablation"), card.get("video_decision")
    lines = []
    if rule:
        lines += ["", "## Video decisions",
                  f"A frame's score is its highest-scoring face among faces at least {rule['min_face_ratio']:g}× the size "
                  f"of the video's main face (smaller boxes are background faces or false detections); the video's "
                  f"score is the **{rule['aggregation']}** of its frame scores. Chosen by the measurements below "
                  f"(`python -m core.training.video_rules`), on the same {_ffpp_video_count(card)} FF++ c23 dev videos "
                  "it is reported on: expect a little less on unseen videos." + _rule_check(card, rows or [], rule)]
    if rows:
        lines += ["", "## Ablation: each change measured on the same dev data", "",
                  "FF++ columns are video-level AUC on `dev-eval/ffpp-c23` (each method's fakes against all 14 "
                  "originals); DFDC columns are the 2,000 `dev-eval/dfdc-faces` crops; *flagged* means read as "
                  "*likely manipulated*. Empty cells were not measured for that row.", "", *render_table(rows)]
        ffpp = [f for name, f in card.get("families", {}).items()
                if name.startswith("FF++ c23") and name.endswith("(video)") and f.get("auc_ci95")]
        widths = [f["auc_ci95"][1] - f["auc_ci95"][0] for f in ffpp]
        if widths:
            fakes = "–".join(str(n) for n in sorted({min(f["n_fake"] for f in ffpp), max(f["n_fake"] for f in ffpp)}))
            lines += ["", f"Each FF++ cell compares {fakes} fake videos with {max(f['n_real'] for f in ffpp)} real ones, "
                          "so it moves a lot by chance: for "
                          f"the shipped model their 95% intervals are {min(widths):.2f}–{max(widths):.2f} wide (per-family "
                          "table above). A difference between two rows smaller than that is not evidence that a change "
                          "helped or hurt."]
    return lines


def _heldout_section(card: dict) -> list[str]:
    """One condition at a time on the held-out people (``python -m core.training.heldout``)."""
    conds = card.get("heldout_conditions")
    if not conds:
        return []
    lines = ["", "The validation mix draws every condition at random. One at a time, on "
             f"{next(iter(conds.values()))['n_pairs']} held-out people's photos (`python -m core.training.heldout`):", "",
             "| condition | AUC | real faces flagged | fakes caught |", "|---|---|---|---|"]
    lines += [f"| {name} | {_fmt(c['auc'])} | {_fmt(c['real_flagged'], True)} | {_fmt(c['fakes_caught'], True)} |"
              for name, c in conds.items()]
    return lines + ["", "JPEG re-compression applies to both the real and the fake crop; a small face means the "
                    "whole photo was shrunk before the face was cropped and scaled up to the input size."]


def face_swap_families(card: dict) -> dict[str, float]:
    """AUC of every dev-eval family of face swaps (not fully generated faces) that has both classes."""
    return {name: f["auc"] for name, f in card.get("families", {}).items()
            if f.get("auc") is not None and "generated" not in name.lower()}


DESIGN_FPR = 0.05  # the "likely manipulated" threshold flags 5% of held-out LFW real faces (core.training.train.export)
TIGHT_CROP_FPR = 1.5 * DESIGN_FPR  # tight real crops may be flagged at most this often (the fairness rule's 1.5×)


def tight_crop_fprs(card: dict) -> dict[str, float]:
    """False-alarm rates on real faces that fill the image (padded by the crop): UTKFace and dev-eval crops."""
    out = {name: f["fpr"] for name, f in card.get("families", {}).items()
           if "crops" in name.lower() and f.get("fpr") is not None}
    fair = card.get("fairness_utkface")
    if fair:
        out["UTKFace"] = fair["fpr_overall"]
    return out


def _tight_crop_failures(card: dict) -> list[str]:
    """A known-failure line for every tight-crop set flagged well above the design rate."""
    bad = {name: fpr for name, fpr in tight_crop_fprs(card).items() if fpr > TIGHT_CROP_FPR}
    if not bad:
        return []
    rates = "; ".join(f"{fpr:.0%} of the real faces in {name}" for name, fpr in bad.items())
    return [f"- Tight, pre-cropped real faces (profile pictures, face datasets) are flagged far more often than the "
            f"{DESIGN_FPR:.0%} of LFW-style photos the threshold is set for: {rates} read as *likely manipulated*."]


# The whole analysis path (bench/analyze.py, bench/live.py): key → (what, bar text, unit, test of the value).
PIPELINE_TARGETS = {
    "image_p50_ms_1280x720_1face": ("photo 1280×720, one face, decode → score → Grad-CAM (p50)", "≤ 120 ms", " ms",
                                    lambda v: v <= 120),
    "image_ratio_vs_common_pipeline": ("photo: speed-up over the common demo pipeline", "≥ 2×", "×",
                                       lambda v: v >= 2),
    "video_s_1080p_10s_32frames": ("video: 10 s of 1080p, 32 frames, end to end", "≤ 5 s", " s", lambda v: v <= 5),
    "fps_one_face": ("live webcam, one face", "≥ 10 fps", " fps", lambda v: v >= 10),
}


def _pipeline_rows(pipeline: dict, row) -> list[str]:
    """Target rows for the measured analysis path, each saying how busy the machine was."""
    out = []
    for key, (what, bar, unit, ok) in PIPELINE_TARGETS.items():
        v = pipeline.get(key)
        if v is None:
            continue
        load = pipeline.get("load_avg_live" if key == "fps_one_face" else "load_avg")
        note = f" (load average {load:.1f} on 2 cores)" if isinstance(load, (int, float)) else ""
        out.append(row(what, bar, f"{v:g}{unit}{note}", ok(v)))
    return out


def read_pipeline(paths: list[Path]) -> dict:
    """The figures of bench/analyze.py and bench/live.py: the last JSON line of each file, merged; the load
    average each ran under is kept apart (``load_avg`` / ``load_avg_live``)."""
    out: dict = {}
    for path in paths:
        b = json.loads(path.read_text().strip().splitlines()[-1])
        if "fps_one_face" in b:
            out["load_avg_live"] = b.get("load_avg_1min")
        else:
            out["load_avg"] = b.get("load_avg_1m")
        out.update({k: b[k] for k in PIPELINE_TARGETS if k in b})
        out.update({k: b[k] for k in ("rss_mb", "common_pipeline_p50_ms_1280x720", "image_p50_ms_1920x1080_4faces",
                                      "ms_per_frame_p95") if k in b})
    return out


def _targets_section(card: dict) -> list[str]:
    """The issue's targets beside what was measured, met or not: the bar is never lowered silently."""
    def row(what: str, target: str, value, ok: bool | None) -> str:
        mark = "n/a" if ok is None else ("met" if ok else "**not met**")
        return f"| {what} | {target} | {value} | {mark} |"

    val, fwd, size = card.get("val_auc_selfblend"), card.get("forward_ms_per_face"), card.get("checkpoint_mb")
    fams = face_swap_families(card)
    ratio = (card.get("fairness_utkface") or {}).get("max_ratio_gender_race")
    rows = [
        row("self-blend AUC, held-out people", f"≥ {TARGETS['val_auc_selfblend']}", _fmt(val),
            None if val is None else val >= TARGETS["val_auc_selfblend"]),
        row("forward pass, one face, 2-core CPU", f"≤ {TARGETS['forward_ms_per_face']:.0f} ms",
            "n/a" if fwd is None else f"{fwd:.1f} ms", None if fwd is None else fwd <= TARGETS["forward_ms_per_face"]),
        row("checkpoint size", f"≤ {TARGETS['checkpoint_mb']:.0f} MB", "n/a" if size is None else f"{size:.1f} MB",
            None if size is None else size <= TARGETS["checkpoint_mb"]),
        *[row(f"dev-eval AUC, {name}", f"≥ {FAMILY_TARGETS.get(name, TARGETS['family_auc'])}", _fmt(auc),
              auc >= FAMILY_TARGETS.get(name, TARGETS["family_auc"])) for name, auc in fams.items()],
        *[row(f"tight real crops flagged: {name}", f"≤ {TIGHT_CROP_FPR:.1%}", _fmt(fpr, True),
              fpr <= TIGHT_CROP_FPR) for name, fpr in tight_crop_fprs(card).items()],
        row("UTKFace false alarms, worst gender/race group vs overall", f"≤ {TARGETS['fairness_ratio']}×",
            _fmt(ratio), None if ratio is None else ratio <= TARGETS["fairness_ratio"]),
        row("held-out face-swap videos: frame / video AUC", "≥ 0.80 / ≥ 0.85",
            "not measured here (kept outside the repo on purpose)", None),
        *_pipeline_rows(card.get("pipeline") or {}, row),
    ]
    return [
        "## Targets",
        "",
        f"Tight crops are judged against {TIGHT_CROP_FPR:.1%}: 1.5× the {DESIGN_FPR:.0%} of held-out real faces the "
        "*likely manipulated* threshold is set to flag.",
        "",
        "| target | bar | measured | verdict |",
        "|---|---|---|---|",
        *rows,
        "",
        "What would close the gap: every training run here was a few hours of a 2-core CPU (the same "
        "`python -m core.training.train` uses a GPU when present). Adding frames of real videos and H.264 "
        "re-encoding moved the FF++ video AUCs most (see the ablation table); graphics-based swaps (FaceSwap) and "
        "heavily compressed tight crops (DFDC) moved least. Averaging fine-tunes with different recipes (a model "
        "soup) gave the best frame- and video-level AUC over the whole dev set; a blend-mask head (Face X-ray) and a "
        "192 px input did not help overall at this budget. Next steps, in the order we expect them to pay: a wider "
        "network trained for many more steps at a larger input on a GPU (the SBI paper trains an EfficientNet at "
        "380 px), and more real videos of more people.",
        *_where_the_gap_is(card),
    ]


def _where_the_gap_is(card: dict) -> list[str]:
    """Where the held-out AUC is lost, from the one-condition-at-a-time measurements, when present."""
    c = card.get("heldout_conditions") or {}
    clean, jpeg = c.get("clean, random forge settings"), c.get("JPEG quality 90")
    small = c.get("face 35 px wide")
    if not (clean and jpeg):
        return []
    text = (f"Where the AUC goes: on clean crops of held-out people it is {clean['auc']:.3f}; re-compressing the "
            f"crop as JPEG at quality 90 brings it to {jpeg['auc']:.3f}")
    if small:
        text += f", and a face 35 px wide to {small['auc']:.3f}"
    return ["", text + ". The detector leans on fine detail that compression and low resolution remove, and "
            "real face-swap videos are almost always compressed."]


def scores_with_families(text: str, family_map: dict[str, list[str]]) -> str:
    """An evaluation's scores.csv with a ``families`` column (what the Thresholds page lists), filled from
    ``family_map`` (kind → families) on rows that lack it; other columns unchanged."""
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows:
        return text
    columns = list(rows[0].keys()) + (["families"] if "families" not in rows[0] else [])
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    for r in rows:
        if not r.get("families"):
            kind = r.get("kind", "")
            r["families"] = FAMILY_SEPARATOR.join(family_map.get(kind, [kind] if kind else []))
        w.writerow(r)
    return out.getvalue()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=model_path())
    ap.add_argument("--eval", type=Path, default=None, help="folder with summary.json and scores.csv")
    ap.add_argument("--fairness", type=Path, default=None, help="folder with fairness.json")
    ap.add_argument("--bench", type=Path, default=None, help="output of bench/detector.py")
    ap.add_argument("--heldout", type=Path, default=None, help="folder with heldout.json (python -m core.training.heldout)")
    ap.add_argument("--family-map", type=Path, default=ROOT / "bench" / "dev_eval_families.json",
                    help="JSON {kind: [family, ...]}: names the families of scores written before evaluate did")
    ap.add_argument("--pipeline", type=Path, nargs="*", default=None,
                    help="outputs of bench/analyze.py and bench/live.py (their last JSON lines)")
    ap.add_argument("--fresh", action="store_true",
                    help="drop the card's earlier measurements instead of keeping those not measured again")
    args = ap.parse_args(argv)
    previous = None if args.fresh or not CARD_JSON.exists() else json.loads(CARD_JSON.read_text(encoding="utf-8"))
    card = build_card(args.model, args.eval, args.fairness, args.bench, args.heldout, args.pipeline, previous)
    CARD_JSON.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    CARD_MD.write_text(render_markdown(card), encoding="utf-8")
    if args.eval and (args.eval / "scores.csv").exists():
        family_map = json.loads(args.family_map.read_text()) if args.family_map and args.family_map.exists() else {}
        (ROOT / "models" / "eval_scores.csv").write_text(
            scores_with_families((args.eval / "scores.csv").read_text(), family_map), encoding="utf-8")
    print(json.dumps({"card": str(CARD_JSON), "val_auc_selfblend": card.get("val_auc_selfblend")}))


if __name__ == "__main__":
    main()
