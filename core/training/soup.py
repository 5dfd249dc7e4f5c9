"""Average the weights of detectors fine-tuned from one start: a "model soup" (Wortsman et al., ICML 2022).

Fine-tunes of the same weights under different recipes usually stay in one basin of the loss, so the mean of their
weights keeps much of what each one learned, in one network: the same size and forward time as each ingredient,
unlike an ensemble, which runs them all. The soup is written as a run folder (``best.pt``, and the reference run's
``config.json`` for the held-out split) so ``train --export`` calibrates it on held-out people exactly as it
calibrates a trained checkpoint::

    python -m core.training.soup --models models/detector.safetensors runs/paper.safetensors \\
        --like models/training --run runs/soup
    python -m core.training.train --run runs/soup --export runs/soup.safetensors

Only detectors with the same architecture and input can be averaged; averaging unrelated networks (trained from
different random starts) gives noise, which is why every ingredient should descend from one checkpoint.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import torch

from core.engine.detector import Detector, load_detector

__all__ = ["average_weights", "make_soup"]


def average_weights(detectors: list[Detector]) -> dict[str, torch.Tensor]:
    """The element-wise mean of the detectors' state dicts (weights and BatchNorm statistics alike).

    Integer buffers (BatchNorm's batch counters) are not averaged: the first detector's are kept.
    Raises ValueError when the detectors differ in architecture, input size or crop margin.
    """
    if not detectors:
        raise ValueError("a soup needs at least one detector")
    first = detectors[0].meta
    for det in detectors[1:]:
        m = det.meta
        if (m.width, m.seam_head, m.input_size, m.margin) != (first.width, first.seam_head, first.input_size,
                                                              first.margin):
            raise ValueError(f"{m.version} and {first.version} differ in width, seam head, input size or margin: "
                             "only fine-tunes of one checkpoint can be averaged")
    states = [det.model.state_dict() for det in detectors]
    out = {}
    for key, ref in states[0].items():
        if ref.is_floating_point():
            out[key] = torch.stack([s[key].float() for s in states]).mean(0).to(ref.dtype)
        else:
            out[key] = ref.clone()
    return out


def make_soup(models: list[Path], like: Path, run: Path) -> str:
    """Write the average of ``models`` into the run folder ``run`` (``best.pt``, ``config.json``, ``log.jsonl``),
    with ``like``'s settings (the held-out split ``--export`` calibrates on). Returns the soup's version name.

    The soup's training record sums its ingredients' steps and minutes (each run records only its own work, so a
    fine-tune and the checkpoint it started from are not counted twice) and lists their versions.
    """
    detectors = [load_detector(p, device="cpu") for p in models]
    state = average_weights(detectors)
    records = [d.meta.training for d in detectors]
    steps = sum(int(r.get("steps", 0)) for r in records)
    minutes = sum(float(r.get("train_minutes", 0.0)) for r in records)
    stem = re.sub(r"-step\d+$", "", detectors[0].meta.version)
    version = f"{stem}-soup{len(detectors)}-step{steps}"

    run = Path(run)
    run.mkdir(parents=True, exist_ok=True)
    cfg = json.loads((Path(like) / "config.json").read_text())
    # The soup starts from no single checkpoint, and no recipe of its own: its ingredients say what it is.
    cfg.update(run=str(run), init="", seam_weight=1.0 if detectors[0].meta.seam_head else 0.0)
    (run / "config.json").write_text(json.dumps(cfg, indent=2))
    (run / "log.jsonl").write_text(json.dumps({"step": steps, "elapsed_s": round(minutes * 60, 1)}) + "\n")
    torch.save({"model": state, "meta": detectors[0].meta.to_json(), "step": steps, "val_auc": None,
                "weights": "soup", "version": version,
                "soup_of": [{"version": d.meta.version, "steps": r.get("steps"), "recipe": r.get("recipe")}
                            for d, r in zip(detectors, records)]}, run / "best.pt")
    return version


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=Path, nargs="+", required=True, help="detector checkpoints to average")
    ap.add_argument("--like", type=Path, required=True,
                    help="run folder whose config.json gives the held-out split for calibration")
    ap.add_argument("--run", type=Path, required=True, help="run folder to write the soup into")
    args = ap.parse_args(argv)
    version = make_soup(args.models, args.like, args.run)
    print(json.dumps({"run": str(args.run), "version": version, "models": [str(m) for m in args.models]}))


if __name__ == "__main__":
    main()
