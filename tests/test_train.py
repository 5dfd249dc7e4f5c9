"""Training command line: person-disjoint split, reproducible batches, checkpoint → resume → export."""

from __future__ import annotations

import pytest

import json
from pathlib import Path

import cv2
import numpy as np
import torch

from core.engine.detector import BlendNet, load_detector
from core.training.datasets import FacePool
from core.training.train import (PairStream, TrainConfig, _init_weights, export, person_split, recipe_version,
                                 train)

pytestmark = [pytest.mark.slow]


def test_person_split_keeps_every_person_on_one_side():
    paths = [Path(f"faces/person_{p:03d}/{i}.jpg") for p in range(300) for i in range(3)]
    is_val = person_split(paths, 0.2, seed=5)
    by_person: dict[str, set[bool]] = {}
    for path, v in zip(paths, is_val):
        by_person.setdefault(path.parent.name, set()).add(bool(v))
    assert all(len(sides) == 1 for sides in by_person.values())
    assert 0.12 < is_val.mean() < 0.28  # about the asked fraction
    np.testing.assert_array_equal(is_val, person_split(paths, 0.2, seed=5))  # stable
    assert not np.array_equal(is_val, person_split(paths, 0.2, seed=6))


def test_fine_tunes_with_different_recipes_get_different_names():
    # Two fine-tunes of one checkpoint were once both "sbi-160px-video-step1000"; a soup lists ingredients by name.
    base = dict(input_size=160, video_data="videos")
    names = {recipe_version(TrainConfig(**base, **extra), 1000) for extra in (
        {}, {"paper_augment": True}, {"paper_augment": True, "frames_per_video": 150}, {"seam_weight": 1.0},
        {"frames_per_video": 150, "video_fraction": 0.75, "paper_augment": True},
        {"margin": 0.35}, {"margin": 0.25, "frames_per_video": 150, "paper_augment": True}, {"width": 40})}
    assert names == {"sbi-160px-video-step1000", "sbi-160px-video-paper-step1000",
                     "sbi-160px-video-150f-paper-step1000", "sbi-160px-video-seam-step1000",
                     "sbi-160px-video-150f-vf75-paper-step1000", "sbi-160px-m25-video-150f-paper-step1000",
                     "sbi-160px-w40-video-step1000"}
    # Frames per video only matter when there are videos; the old names are unchanged.
    assert recipe_version(TrainConfig(input_size=128, frames_per_video=150), 4) == "sbi-128px-step4"


@pytest.fixture(scope="module")
def pool(grace, astronaut) -> FacePool:
    """Two 'people', one photo each: the bundled samples with their detected faces."""
    from core.engine.faces import FaceExtractor

    ex = FaceExtractor()
    faces = [ex.detect(img, crops=False)[0] for img in (grace, astronaut)]
    return FacePool([grace, astronaut], np.stack([f.box for f in faces]), np.stack([f.landmarks for f in faces]),
                    np.array(["grace", "eileen"]))


def test_a_batch_depends_only_on_seed_and_step(pool):
    cfg = TrainConfig(steps=4, batch=4)
    from_start = {step: (x, y, seam) for step, x, y, seam in PairStream([pool], cfg, start=0)}
    resumed = {step: (x, y, seam) for step, x, y, seam in PairStream([pool], cfg, start=2)}
    assert sorted(from_start) == [0, 1, 2, 3] and sorted(resumed) == [2, 3]
    for step in (2, 3):
        torch.testing.assert_close(from_start[step][0], resumed[step][0], rtol=0, atol=0)
    x, y, seam = from_start[0]
    assert x.shape == (4, 128, 128, 3) and x.dtype == torch.uint8
    assert y.tolist() == [0, 0, 1, 1]  # real faces first, then their self-blends
    # Seam targets: none on real crops; on each fake a blending boundary somewhere in the crop.
    assert seam.shape == (4, 16, 16) and seam.dtype == torch.float32
    assert seam[:2].abs().sum() == 0 and (seam[2:].amax(dim=(1, 2)) > 0.5).all()
    assert not torch.equal(from_start[0][0], from_start[1][0])


def test_paper_augment_reaches_the_fakes_of_a_batch(pool):
    from dataclasses import replace

    plain = TrainConfig(steps=1, batch=4)
    paper = replace(plain, paper_augment=True)
    _, x_plain, y_plain, _ = next(iter(PairStream([pool], plain, start=0)))
    _, x_paper, y_paper, seam = next(iter(PairStream([pool], paper, start=0)))
    assert y_paper.tolist() == y_plain.tolist() == [0, 0, 1, 1]
    assert not torch.equal(x_plain[2:], x_paper[2:])  # other fakes ...
    assert (seam[2:].amax(dim=(1, 2)) > 0.25 * 0.75).all()  # ... each still with a seam (weakest blend is 0.25)


def _tiny_face_folder(root: Path, grace: np.ndarray, astronaut: np.ndarray) -> Path:
    """Eight 'people', two photos each, made from the bundled samples (flipped, shifted, rescaled)."""
    data = root / "faces"
    for p in range(8):
        base = grace if p % 2 else astronaut
        for i in range(2):
            img = base[:, ::-1] if i else base
            s = 0.5 + 0.05 * p
            img = cv2.resize(np.ascontiguousarray(img), None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
            out = data / f"person_{p}" / f"{i}.png"
            out.parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(out), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    return data


def test_train_resumes_from_its_checkpoint_and_exports_a_loadable_detector(tmp_path, grace, astronaut):
    data = _tiny_face_folder(tmp_path, grace, astronaut)
    run = tmp_path / "runs" / "tiny"
    cfg = dict(data=str(data), run=str(run), batch=4, eval_every=2, val_fraction=0.4, val_faces=8, seed=3)
    train(TrainConfig(steps=2, **cfg), minutes=None)
    first = torch.load(run / "last.pt", weights_only=True)
    assert first["step"] == 2 and "ema" in first
    assert (tmp_path / "runs" / "cache" / "detections_faces.npz").exists()  # detections are cached

    (run / "best.pt").unlink()  # as when a committed training state is copied into a fresh run folder
    started = json.loads((run / "config.json").read_text())
    (run / "config.json").write_text(json.dumps({**started, "init": "earlier.safetensors"}))  # as a fine-tune's
    train(TrainConfig(steps=4, **cfg), minutes=None)  # picks up at step 2
    assert json.loads((run / "config.json").read_text())["init"] == "earlier.safetensors"  # history kept
    assert torch.load(run / "best.pt", weights_only=True)["step"] == 4  # a new best-checkpoint search
    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [2, 4]
    assert all(0 <= r["val_auc"] <= 1 and 0 <= r["val_auc_ema"] <= 1 for r in log)
    assert torch.load(run / "last.pt", weights_only=True)["step"] == 4

    summary = json.loads((run / "config.json").read_text())["data_summary"]
    assert summary["people"] == 8 and summary["val_people"] >= 1 and summary["train_photos"] >= 2

    meta = export(TrainConfig(**cfg), tmp_path / "d.safetensors")
    det = load_detector(tmp_path / "d.safetensors", device="cpu")
    assert det.trained and det.meta.version == meta.version and det.meta.version.startswith("sbi-128px-step")
    assert 0 <= det.meta.likely_real_below <= det.meta.likely_manipulated_from <= 1
    assert det.meta.training["val_people"] == summary["val_people"]

    # A soup of two copies is that detector again, named and described as a soup, calibrated like a run.
    from core.training.soup import make_soup

    soup_run = tmp_path / "runs" / "soup"
    version = make_soup([tmp_path / "d.safetensors"] * 2, like=run, run=soup_run)
    export(TrainConfig(run=str(soup_run)), tmp_path / "soup.safetensors")
    soup = load_detector(tmp_path / "soup.safetensors", device="cpu")
    assert det.meta.version == "sbi-128px-step4" and soup.meta.version == version == "sbi-128px-soup2-step8"
    assert [p["version"] for p in soup.meta.training["soup_of"]] == [det.meta.version] * 2
    assert soup.meta.training["recipe"] is None and soup.meta.training["steps"] == 8
    assert all(torch.equal(v, det.model.state_dict()[k]) for k, v in soup.model.state_dict().items())
    assert soup.meta.likely_manipulated_from == pytest.approx(det.meta.likely_manipulated_from, abs=1e-4)

    # A seam-head fine-tune from that detector: the backbone starts from its weights, the new head at random,
    # and the exported checkpoint carries the head and says so.
    seam_run = tmp_path / "runs" / "seam"
    seam_cfg = {**cfg, "run": str(seam_run), "seam_weight": 1.0, "init": str(tmp_path / "d.safetensors")}
    start = BlendNet(seam_head=True)
    _init_weights(start, seam_cfg["init"])
    base = det.model.state_dict()
    assert all(torch.equal(v, base[k]) for k, v in start.state_dict().items() if not k.startswith("seam_head."))
    train(TrainConfig(steps=2, **seam_cfg), minutes=None)
    export(TrainConfig(**seam_cfg), tmp_path / "s.safetensors")
    seam_det = load_detector(tmp_path / "s.safetensors", device="cpu")
    assert seam_det.meta.seam_head and "-seam-step" in seam_det.meta.version
    logits, seam = seam_det.model.forward_with_seam(torch.rand(2, 3, 128, 128))
    assert logits.shape == (2, 1) and seam.shape == (2, 1, 16, 16)
    with pytest.raises(ValueError, match="does not fit"):
        _init_weights(BlendNet(width=16), seam_cfg["init"])

    # Narrower weights are widened (Net2WiderNet): the wider network starts out scoring crops as that detector did.
    wide = BlendNet(width=40)
    _init_weights(wide, seam_cfg["init"], seed=3)
    x = torch.rand(3, 3, 128, 128)
    with torch.no_grad():
        torch.testing.assert_close(wide.eval()(x), det.model(x), rtol=0.02, atol=0.02)
