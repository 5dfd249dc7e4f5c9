"""Train the lab's face-swap detector on self-blended images made from real faces only.

    python -m core.training.train --data ../shared/data/faces/lfw --run runs/sbi --minutes 60
    python -m core.training.train --run runs/sbi --export models/detector.safetensors   # calibrate and ship the best

Runs resume from ``<run>/last.pt`` (weights, optimiser, step); every batch is drawn from a seed derived
from (seed, step), so a resumed run sees exactly the data an uninterrupted one would have. Faces are found
and cropped by :mod:`core.engine.faces`, the code the app uses. Works on the CPU; uses a GPU when present.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn

from core.engine.detector import BlendNet, DetectorMeta, fit_temperature, load_detector, save_detector
from core.engine.faces import DEFAULT_CROP_SIZE, DEFAULT_MARGIN, crop_face
from core.fakes.forge import self_blend
from core.training.augment import degrade, tighten
from core.training.datasets import FacePool, group_split, person_split, photo_faces, video_faces
from core.training.widen import widen

__all__ = ["TrainConfig", "PairStream", "train", "export", "load_split", "person_split", "auc"]


@dataclass
class TrainConfig:
    data: str = "../shared/data/faces/lfw"
    run: str = "runs/sbi"
    steps: int = 8000
    batch: int = 64  # half real faces, half their self-blended fakes
    lr: float = 2e-3
    weight_decay: float = 5e-4
    width: int = 32
    input_size: int = DEFAULT_CROP_SIZE
    margin: float = DEFAULT_MARGIN
    val_fraction: float = 0.1
    val_faces: int = 800
    eval_every: int = 250
    seed: int = 1234
    tight_crop_p: float = 0.15
    # Detector boxes and landmarks wobble between frames and between detection sizes; the crop follows them, so
    # training shifts both by these fractions of the box width (standard deviations).
    box_jitter: float = 0.04
    landmark_jitter: float = 0.01
    ema_decay: float = 0.999  # exponential moving average of the weights, validated beside the raw ones; 0 = off
    video_data: str = ""  # folder of real videos (with videos.csv); empty = photos only
    video_fraction: float = 0.5  # share of each batch drawn from video faces when video_data is set
    frames_per_video: int = 50
    codec_p: float = 0.0  # chance of an H.264 round trip per crop (see core.training.augment.degrade)
    # The SBI paper's remaining source-target augmentations (see core.fakes.forge.self_blend's paper_augment).
    paper_augment: bool = False
    # Weight of the seam head's loss (Face X-ray's blending-boundary map, per-pixel BCE) beside the classification
    # loss; 0 = no seam head. Dense supervision: every pixel of every fake says where the blend edge is.
    seam_weight: float = 0.0
    init: str = ""  # start a new run from these weights (a .safetensors detector or a .pt state) with a fresh schedule

    @property
    def seam_head(self) -> bool:
        """Whether the network trains (and ships) a seam head."""
        return self.seam_weight > 0

    @classmethod
    def from_run(cls, run: str | Path) -> "TrainConfig":
        """The settings a run was trained with (its ``config.json``), so its split can be rebuilt."""
        saved = json.loads((Path(run) / "config.json").read_text())
        return cls(**{k: v for k, v in saved.items() if k in cls.__dataclass_fields__})


# ------------------------------------------------------------------------------------------ data


def seam_target(mask: np.ndarray, size: int) -> np.ndarray:
    """Face X-ray's blending boundary ``4·M·(1−M)`` of an (S, S) float32 blend mask, averaged down to
    (size, size) float32 in [0, 1]: 1 where source and target mix half and half, 0 where either is untouched."""
    boundary = 4.0 * mask * (1.0 - mask)
    return cv2.resize(boundary, (size, size), interpolation=cv2.INTER_AREA).astype(np.float32)


def make_pair(img, box, lm, rng, cfg: TrainConfig, augment: bool = True):
    """One real crop, its self-blended fake (framed identically by the app's crop function) and the fake's
    blending boundary: ``(real, fake, seam)``, two (S, S, 3) uint8 crops and (S/8, S/8) float32 in [0, 1]."""
    if augment and rng.random() < cfg.tight_crop_p:
        img, box, lm = tighten(img, box, lm, rng)
    blend = self_blend(img, lm, rng, paper_augment=cfg.paper_augment)
    fake = blend.fake
    if augment:  # detector boxes wobble from frame to frame
        bw = box[2] - box[0]
        box = box + rng.normal(0, cfg.box_jitter * bw, 4).astype(np.float32)
        lm = lm + rng.normal(0, cfg.landmark_jitter * bw, lm.shape).astype(np.float32)
    real_c, _ = crop_face(img, box, lm, cfg.input_size, cfg.margin)
    fake_c, _ = crop_face(fake, box, lm, cfg.input_size, cfg.margin)
    mask_c, _ = crop_face(blend.mask, box, lm, cfg.input_size, cfg.margin)  # same framing as the fake
    if augment:
        if rng.random() < 0.5:
            real_c, fake_c, mask_c = real_c[:, ::-1], fake_c[:, ::-1], mask_c[:, ::-1]
        real_c, fake_c = degrade(real_c, rng, cfg.codec_p), degrade(fake_c, rng, cfg.codec_p)
    seam = seam_target(np.ascontiguousarray(mask_c), cfg.input_size // 8)
    return np.ascontiguousarray(real_c), np.ascontiguousarray(fake_c), seam


class PairStream(torch.utils.data.IterableDataset):
    """Batches ``(step, x, y, seam)`` for steps start..steps-1; batch k depends only on (seed, k).

    x: (B, S, S, 3) uint8 crops; y: (B,) float32 labels (1 = fake); seam: (B, S/8, S/8) float32 blending-boundary
    targets (zero for real crops). ``pools``: the face pools to draw from and ``weights`` the share of each batch
    each one gives (one pool: every face from it). Half of a batch is real crops, the other half their
    self-blends, in that order.
    """

    def __init__(self, pools: list[FacePool], cfg: TrainConfig, start: int, weights: list[float] | None = None):
        self.pools = [p for p in pools if len(p)]
        w = np.array([wt for p, wt in zip(pools, weights or [1.0] * len(pools)) if len(p)], np.float64)
        self.cum = np.cumsum(w / w.sum())
        self.cfg, self.start = cfg, start

    def __iter__(self):
        # DataLoader workers already run torch single-threaded; opencv is set to one thread in train()
        # before the worker forks (changing its pool after a fork can deadlock).
        half = self.cfg.batch // 2
        for step in range(self.start, self.cfg.steps):
            rng = np.random.default_rng([self.cfg.seed, step])
            if len(self.pools) == 1:
                picks = [(self.pools[0], int(i)) for i in rng.integers(0, len(self.pools[0]), half)]
            else:
                which = np.searchsorted(self.cum, rng.random(half), side="right").clip(0, len(self.pools) - 1)
                picks = [(self.pools[k], int(rng.integers(0, len(self.pools[k])))) for k in which]
            pairs = [make_pair(p.images[i], p.boxes[i], p.landmarks[i], rng, self.cfg) for p, i in picks]
            x = np.stack([p[0] for p in pairs] + [p[1] for p in pairs])
            y = np.concatenate([np.zeros(half), np.ones(half)]).astype(np.float32)
            seam = np.stack([np.zeros_like(p[2]) for p in pairs] + [p[2] for p in pairs])
            yield step, torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(seam)


def validation_set(pool: FacePool, cfg: TrainConfig) -> tuple[np.ndarray, np.ndarray]:
    """Fixed held-out crops (people or videos never trained on): each real face and its self-blend, degraded
    like the training data. Returns x (2M, S, S, 3) uint8 and y (2M,) float32 (0 real, 1 fake)."""
    rng = np.random.default_rng([cfg.seed, 10**9])
    idx = rng.choice(len(pool), size=min(cfg.val_faces, len(pool)), replace=False)
    pairs = [make_pair(pool.images[i], pool.boxes[i], pool.landmarks[i], rng, cfg, augment=True) for i in idx]
    x = np.stack([p[0] for p in pairs] + [p[1] for p in pairs])
    y = np.concatenate([np.zeros(len(pairs)), np.ones(len(pairs))]).astype(np.float32)
    return x, y


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, scores))


# ---------------------------------------------------------------------------------------- training


def to_input(x: torch.Tensor, device: str) -> torch.Tensor:
    return (x.to(device).permute(0, 3, 1, 2).float() / 255.0).contiguous(memory_format=torch.channels_last)


@torch.no_grad()
def val_logits(model: nn.Module, x: np.ndarray, device: str) -> np.ndarray:
    model.eval()
    out = [model(to_input(torch.from_numpy(x[i:i + 128]), device))[:, 0].float().cpu().numpy()
           for i in range(0, len(x), 128)]
    model.train()
    return np.concatenate(out)


def load_split(cfg: TrainConfig) -> tuple[list[FacePool], FacePool, dict]:
    """Training pools (photos, then videos when ``cfg.video_data`` is set), the validation pool and a summary.

    Photos split by person, videos by actor or video; validation faces come from both sources.
    """
    data = Path(cfg.data)
    cache_dir = Path(cfg.run).parent / "cache"
    photos, paths = photo_faces(data, cache_dir)
    is_val = person_split(paths, cfg.val_fraction, cfg.seed)
    summary = {"dataset": data.name, "photos": len(paths), "people": len(set(photos.groups)),
               "train_photos": int((~is_val).sum()), "val_photos": int(is_val.sum()),
               "val_people": len(set(photos.groups[is_val]))}
    train_pools, val = [photos.subset(~is_val)], photos.subset(is_val)
    if cfg.video_data:
        videos = video_faces(Path(cfg.video_data), cache_dir, frames_per_video=cfg.frames_per_video)
        v_val = group_split(videos.groups, max(cfg.val_fraction, 0.2), cfg.seed)
        train_pools.append(videos.subset(~v_val))
        val_v = videos.subset(v_val)
        val = FacePool(val.images + val_v.images, np.concatenate([val.boxes, val_v.boxes]),
                       np.concatenate([val.landmarks, val_v.landmarks]), np.concatenate([val.groups, val_v.groups]))
        summary |= {"video_dataset": Path(cfg.video_data).name, "video_faces": len(videos),
                    "video_groups": len(set(videos.groups)), "train_video_faces": int((~v_val).sum()),
                    "val_video_faces": int(v_val.sum()), "val_video_groups": sorted(set(videos.groups[v_val]))}
    return train_pools, val, summary


def _batch_weights(cfg: TrainConfig, pools: list[FacePool]) -> list[float]:
    if len(pools) == 1:
        return [1.0]
    return [1.0 - cfg.video_fraction, cfg.video_fraction]


def _init_weights(model: BlendNet, path: str, seed: int = 0) -> None:
    """Start from trained weights: a shipped detector (.safetensors) or a training state / best.pt (.pt).

    Narrower weights are widened to this network's width first, computing the same function (Net2WiderNet,
    :func:`core.training.widen.widen`). A seam head the starting weights lack starts from random weights; any
    other mismatch is an error."""
    if path.endswith(".safetensors"):
        state = load_detector(path, device="cpu").model.state_dict()
    else:
        ck = torch.load(path, map_location="cpu", weights_only=True)
        state = ck.get("ema", ck.get("model"))
        if "ema" in ck:  # AveragedModel's state: "module."-prefixed weights plus a counter
            state = {k.removeprefix("module."): v for k, v in state.items() if k.startswith("module.")}
    width, src_width = model.fc.in_features // 8, state["fc.weight"].shape[1] // 8
    if src_width < width:
        narrow = BlendNet(src_width, seam_head="seam_head.1.weight" in state)
        narrow.load_state_dict(state)
        state = widen(narrow, width, seed=seed).state_dict()
    try:
        missing, unexpected = model.load_state_dict(state, strict=False)
    except RuntimeError as e:  # same names, other shapes (another width)
        raise ValueError(f"{path} does not fit this network: {str(e).splitlines()[-1].strip()}") from None
    missing = [k for k in missing if not k.startswith("seam_head.")]
    if missing or unexpected:
        raise ValueError(f"{path} does not fit this network: missing {missing[:5]}, unexpected {unexpected[:5]}")


def train(cfg: TrainConfig, minutes: float | None) -> Path:
    from tqdm import tqdm

    run = Path(cfg.run)
    run.mkdir(parents=True, exist_ok=True)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.manual_seed(cfg.seed)
    cv2.setNumThreads(1)
    train_pools, val_pool, summary = load_split(cfg)
    x_val, y_val = validation_set(val_pool, cfg)
    model = BlendNet(cfg.width, seam_head=cfg.seam_head)
    if cfg.init and not (run / "last.pt").exists():
        _init_weights(model, cfg.init, seed=cfg.seed)
    model = model.to(device).to(memory_format=torch.channels_last)
    # The weights' moving average is less noisy than the last step's weights, which matters most while the
    # learning rate is still high (runs here are cut into sessions and often stop mid-schedule).
    ema = (torch.optim.swa_utils.AveragedModel(
        model, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(cfg.ema_decay), use_buffers=True)
        if cfg.ema_decay > 0 else None)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    warmup = max(1, min(300, cfg.steps // 10))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(s, cfg.steps) / cfg.steps)))
    start, best_auc, elapsed_before = 0, 0.0, 0.0
    last = run / "last.pt"
    if last.exists():
        ck = torch.load(last, map_location=device, weights_only=True)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        sched.load_state_dict(ck["sched"])
        start, best_auc, elapsed_before = int(ck["step"]), float(ck["best_auc"]), float(ck["elapsed_s"])
        if ema is not None:
            if "ema" in ck:
                ema.load_state_dict(ck["ema"])
            else:  # a run started before the average existed: start it from the current weights
                ema.module.load_state_dict(ck["model"])
        if not (run / "best.pt").exists():  # resumed from a copied state: the best-checkpoint search starts anew
            best_auc = 0.0
        print(f"resuming at step {start} (best val AUC so far {best_auc:.4f})", flush=True)
        saved = run / "config.json"
        if not cfg.init and saved.exists():  # where the run started is its history, not an option of the resume
            cfg = replace(cfg, init=json.loads(saved.read_text()).get("init", ""))
    (run / "config.json").write_text(json.dumps({**asdict(cfg), "data_summary": summary}, indent=2))
    meta = DetectorMeta(input_size=cfg.input_size, margin=cfg.margin, width=cfg.width, seam_head=cfg.seam_head)
    loss_fn = nn.BCEWithLogitsLoss()
    stream = PairStream(train_pools, cfg, start, _batch_weights(cfg, train_pools))
    loader = torch.utils.data.DataLoader(stream, batch_size=None, num_workers=1, prefetch_factor=4,
                                         persistent_workers=False)
    t0, deadline = time.time(), (time.time() + minutes * 60 if minutes else None)
    log = (run / "log.jsonl").open("a")
    model.train()
    step = start
    bar = tqdm(total=cfg.steps, initial=start, desc="training", unit="step")

    def checkpoint(step: int):
        state = {"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                 "step": step, "best_auc": best_auc, "elapsed_s": elapsed_before + time.time() - t0,
                 "meta": meta.to_json()}
        if ema is not None:
            state["ema"] = ema.state_dict()
        torch.save(state, run / "last.tmp")
        (run / "last.tmp").replace(last)

    running = []
    for step, x, y, seam in loader:
        if cfg.seam_head:
            logits, seam_logits = model.forward_with_seam(to_input(x, device))
            loss = loss_fn(logits[:, 0], y.to(device)) + cfg.seam_weight * loss_fn(seam_logits[:, 0], seam.to(device))
        else:
            loss = loss_fn(model(to_input(x, device))[:, 0], y.to(device))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if ema is not None:
            ema.update_parameters(model)
        running.append(loss.item())
        bar.update(1)
        done = step + 1
        if done % cfg.eval_every == 0 or done == cfg.steps or (deadline and time.time() > deadline):
            candidates = {"raw": model} | ({"ema": ema.module} if ema is not None else {})
            aucs = {name: auc(y_val, val_logits(m, x_val, device)) for name, m in candidates.items()}
            rec = {"step": done, "loss": float(np.mean(running)), "val_auc": aucs["raw"], "lr": sched.get_last_lr()[0],
                   "elapsed_s": round(elapsed_before + time.time() - t0, 1), "images_seen": done * cfg.batch}
            if "ema" in aucs:
                rec["val_auc_ema"] = aucs["ema"]
            running = []
            log.write(json.dumps(rec) + "\n")
            log.flush()
            pick = max(aucs, key=aucs.get)
            val_auc = aucs[pick]
            bar.set_postfix(loss=f"{rec['loss']:.3f}", val_auc=f"{val_auc:.4f}", weights=pick)
            if val_auc > best_auc:
                best_auc = val_auc
                torch.save({"model": candidates[pick].state_dict(), "meta": meta.to_json(), "step": done,
                            "val_auc": val_auc, "weights": pick}, run / "best.pt")
            checkpoint(done)
            if deadline and time.time() > deadline:
                print(f"time budget reached at step {done}; resume with the same command", flush=True)
                break
    bar.close()
    return run


# ----------------------------------------------------------------------------------------- export


# Every checkpoint named before margins were named used one of these (0.5 at 128 px, 0.35 at 160 px); other
# margins are named (``…-m25-…``) so old names stay valid.
NAMELESS_MARGINS = (DEFAULT_MARGIN, 0.35)


def recipe_version(cfg: TrainConfig, step: int) -> str:
    """A checkpoint's name from the recipe choices that change what it learns, e.g. ``sbi-160px-video-150f-paper-step1000``.

    Two fine-tunes of one checkpoint with different recipes must not share a name: a soup lists its
    ingredients by version, and the ablation table tells rows apart by it.
    """
    parts = [f"sbi-{cfg.input_size}px"]
    if cfg.width != TrainConfig.width:
        parts.append(f"w{cfg.width}")
    if cfg.margin not in NAMELESS_MARGINS:
        parts.append(f"m{round(cfg.margin * 100)}")
    if cfg.video_data:
        parts.append("video")
        if cfg.frames_per_video != TrainConfig.frames_per_video:
            parts.append(f"{cfg.frames_per_video}f")
        if cfg.video_fraction != TrainConfig.video_fraction:
            parts.append(f"vf{round(cfg.video_fraction * 100)}")
    if cfg.paper_augment:
        parts.append("paper")
    if cfg.seam_head:
        parts.append("seam")
    return "-".join(parts + [f"step{step}"])


def export(cfg: TrainConfig, out: Path) -> DetectorMeta:
    """Calibrate the best checkpoint on the held-out people and write the shipped safetensors file."""
    run = Path(cfg.run)
    cfg = TrainConfig.from_run(run)
    device = "cpu"
    best = torch.load(run / "best.pt", map_location=device, weights_only=True)
    model = BlendNet(cfg.width, seam_head=cfg.seam_head)
    model.load_state_dict(best["model"])
    model = model.to(memory_format=torch.channels_last).eval()
    _, val_pool, summary = load_split(cfg)
    x_val, y_val = validation_set(val_pool, cfg)
    z = val_logits(model, x_val, device)
    temperature = fit_temperature(z, y_val)
    p = 1 / (1 + np.exp(-z / temperature))
    # "likely manipulated" from the score that 5% of held-out real faces exceed (a 5% false-alarm rate);
    # "likely real" below the score that only 10% of held-out self-blends fall under.
    t_high = float(np.quantile(p[y_val == 0], 0.95))
    t_low = min(float(np.quantile(p[y_val == 1], 0.10)), t_high)
    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines() if line.strip()]
    # Training time up to the shipped step, not to wherever the run went on afterwards.
    elapsed = next((r["elapsed_s"] for r in log if r["step"] == best["step"]),
                   max((r["elapsed_s"] for r in log), default=0.0))
    soup_of = best.get("soup_of")  # a weight average (core.training.soup): it names itself and has no recipe
    meta = DetectorMeta(
        input_size=cfg.input_size, margin=cfg.margin, width=cfg.width, seam_head=cfg.seam_head,
        temperature=temperature,
        likely_real_below=round(t_low, 4), likely_manipulated_from=round(t_high, 4), trained=True,
        version=best["version"] if soup_of else recipe_version(cfg, int(best["step"])),
        training={**summary, "method": "self-blended images (Shiohara & Yamasaki, CVPR 2022)",
                  "steps": int(best["step"]), "images_seen": int(best["step"]) * cfg.batch,
                  "val_auc_selfblend_heldout_people": round(auc(y_val, z), 4),
                  "train_minutes": round(elapsed / 60, 1),
                  "recipe": None if soup_of else (
                      {k: getattr(cfg, k) for k in ("input_size", "width", "margin", "codec_p", "video_fraction",
                                                    "frames_per_video", "lr", "box_jitter", "landmark_jitter",
                                                    "seam_weight", "paper_augment")}
                      | {"initialised_from": Path(cfg.init).name if cfg.init else None}),
                  **({"soup_of": soup_of} if soup_of else {}),
                  "hardware": "cuda" if torch.cuda.is_available() else "2-core CPU",
                  "val_fpr_at_high": float(np.mean(p[y_val == 0] >= t_high)),
                  "val_tpr_at_high": float(np.mean(p[y_val == 1] >= t_high))},
    )
    save_detector(model, meta, out)
    print(json.dumps({"exported": str(out), **meta.training, "temperature": temperature,
                      "likely_real_below": t_low, "likely_manipulated_from": t_high}))
    return meta


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=TrainConfig.data, help="folder of real face photos, one sub-folder a person")
    ap.add_argument("--run", default=TrainConfig.run, help="run folder: checkpoints, log, config")
    ap.add_argument("--steps", type=int, default=TrainConfig.steps, help="total optimiser steps of the schedule")
    ap.add_argument("--batch", type=int, default=TrainConfig.batch)
    ap.add_argument("--lr", type=float, default=TrainConfig.lr)
    ap.add_argument("--seed", type=int, default=TrainConfig.seed)
    ap.add_argument("--minutes", type=float, default=None, help="stop (checkpointed) after this long; rerun to resume")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: all cores)")
    ap.add_argument("--video-data", default="", help="folder of real videos (videos.csv lists them) mixed into batches")
    ap.add_argument("--video-fraction", type=float, default=TrainConfig.video_fraction,
                    help="share of each batch taken from video faces")
    ap.add_argument("--frames-per-video", type=int, default=TrainConfig.frames_per_video,
                    help="evenly spaced frames whose main face is taken from each real video")
    ap.add_argument("--codec-p", type=float, default=TrainConfig.codec_p, help="chance of an H.264 round trip per crop")
    ap.add_argument("--input-size", type=int, default=TrainConfig.input_size, help="detector input side in pixels")
    ap.add_argument("--width", type=int, default=TrainConfig.width,
                    help="base channels of the network (stages: 1×, 2×, 4×, 8×); --init weights of a narrower "
                         "network are widened to it")
    ap.add_argument("--margin", type=float, default=TrainConfig.margin, help="crop margin around the face box")
    ap.add_argument("--box-jitter", type=float, default=TrainConfig.box_jitter,
                    help="s.d. of the face-box shift, as a fraction of the box width")
    ap.add_argument("--landmark-jitter", type=float, default=TrainConfig.landmark_jitter,
                    help="s.d. of the landmark shift, as a fraction of the box width")
    ap.add_argument("--seam-weight", type=float, default=TrainConfig.seam_weight,
                    help="weight of the blending-boundary (seam) head's loss; 0 = no seam head")
    ap.add_argument("--paper-augment", action="store_true",
                    help="the SBI paper's remaining augmentations: downscaled source, altered target, elastic mask")
    ap.add_argument("--init", default="", help="start from these weights (.safetensors or .pt) with a fresh schedule")
    ap.add_argument("--eval-every", type=int, default=TrainConfig.eval_every, help="validate and checkpoint every N steps")
    ap.add_argument("--export", type=Path, default=None, help="calibrate the run's best checkpoint and write it here")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = TrainConfig(data=args.data, run=args.run, steps=args.steps, batch=args.batch, lr=args.lr, seed=args.seed,
                      video_data=args.video_data, video_fraction=args.video_fraction,
                      frames_per_video=args.frames_per_video, codec_p=args.codec_p,
                      input_size=args.input_size, width=args.width, margin=args.margin, init=args.init, eval_every=args.eval_every,
                      box_jitter=args.box_jitter, landmark_jitter=args.landmark_jitter, seam_weight=args.seam_weight,
                      paper_augment=args.paper_augment)
    if args.export:
        export(cfg, args.export)
    else:
        train(cfg, args.minutes)


if __name__ == "__main__":
    main()
