"""Batch evaluation on a local Ray (2 CPUs): the same scores and figures as the local run, failures recorded,
an interrupted run resumed without scoring again what it had finished."""

from __future__ import annotations

import csv
import json
import math
import os

import cv2
import numpy as np
import pytest
import ray

from core.fakes.forge import ForgeSettings, self_blend
from core.engine.video import moving_face_clip
from core.training import distributed, evaluate

FRAMES = 3


@pytest.fixture(scope="module")
def ray_local():
    # One torch thread in the local run and in every worker (a worker's default), so both add up the same floats
    # in the same order; the workers inherit this environment from the Ray started here.
    before = os.environ.get("LAB_TORCH_THREADS")
    os.environ["LAB_TORCH_THREADS"] = "1"
    distributed.connect(num_cpus=2)
    yield
    ray.shutdown()
    if before is None:
        os.environ.pop("LAB_TORCH_THREADS", None)
    else:
        os.environ["LAB_TORCH_THREADS"] = before


@pytest.fixture(scope="module")
def manifest(tmp_path_factory, lab, grace, astronaut):
    """Real photos, self-blended fakes of them, two short videos, a blank image (no face), a missing file and a
    file that is not an image: every kind of row a real manifest has."""
    d = tmp_path_factory.mktemp("manifest")
    rows = []
    for name, img in (("grace", grace), ("astro", astronaut)):
        face = lab.extractor.detect(img)[0]
        cv2.imwrite(str(d / f"{name}.png"), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
        rows.append((f"{name}.png", "real", "image", "samples"))
        fake = self_blend(img, face.landmarks, seed=1, settings=ForgeSettings(blend=1.0)).fake
        cv2.imwrite(str(d / f"{name}_fake.png"), cv2.cvtColor(fake, cv2.COLOR_RGB2BGR))
        rows.append((f"{name}_fake.png", "fake", "image", "samples"))
        clip = moving_face_clip(img if name == "grace" else fake, width=320, height=180, seconds=0.6, fps=5,
                                face_height=0.8)
        (d / f"{name}_clip.mp4").write_bytes(clip)
        rows.append((f"{name}_clip.mp4", "real" if name == "grace" else "fake", "video", "clips"))
    cv2.imwrite(str(d / "blank.png"), np.zeros((64, 64, 3), np.uint8))
    rows.append(("blank.png", "real", "image", "samples"))
    (d / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"not really a picture" * 10)
    rows.append(("broken.png", "fake", "image", "samples"))
    rows.append(("missing.jpg", "real", "image", "samples"))
    path = d / "manifest.csv"
    with path.open("w", newline="") as f:
        csv.writer(f).writerows([("path", "label", "media", "kind"), *rows])
    return path


@pytest.fixture(scope="module")
def local_run(ray_local, manifest, tmp_path_factory):
    out = tmp_path_factory.mktemp("local")
    evaluate.main(["--manifest", str(manifest), "--out", str(out), "--frames", str(FRAMES)])
    return out


def _rows(out):
    return list(csv.DictReader((out / "scores.csv").open()))


def _figures(out):
    summary = json.loads((out / "summary.json").read_text())
    return {k: v for k, v in summary.items() if k != "families"}, summary["families"]


def test_ray_scores_equal_the_local_run(ray_local, manifest, local_run, tmp_path, capsys):
    out = tmp_path / "ray"
    evaluate.main(["--manifest", str(manifest), "--out", str(out), "--frames", str(FRAMES), "--ray",
                   "--ray-workers", "2"])
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    local, remote = _rows(local_run), _rows(out)
    assert [r["path"] for r in remote] == [r["path"] for r in local]  # manifest order, as the local run
    for a, b in zip(local, remote):
        assert (a["label"], a["media"], a["n_faces"]) == (b["label"], b["media"], b["n_faces"])
        assert bool(a["error"]) == bool(b["error"])
        if a["score"]:
            assert abs(float(a["score"]) - float(b["score"])) < 1e-4, a["path"]
        else:
            assert not b["score"]
    assert _figures(out) == _figures(local_run)
    assert printed["n_items"] == 9 and printed["image_auc"] == _figures(local_run)[0]["image_auc"]
    assert _figures(out)[0]["n_frames"] > 0  # the videos' frames were decoded and scored on the workers


def test_failing_items_are_recorded_not_fatal(ray_local, manifest, tmp_path):
    items = evaluate.items_from_manifest(manifest)
    distributed.score_on_ray(items, tmp_path, n_frames=FRAMES, workers=2, progress=False)
    by_name = {i.name: i for i in items}
    assert by_name["missing.jpg"].error and by_name["broken.png"].error
    assert not math.isfinite(by_name["missing.jpg"].score)
    scored = [i for i in items if math.isfinite(i.score)]
    assert len(scored) == 6  # four photos, two videos; the blank image has no face and no error
    assert not by_name["blank.png"].error and by_name["blank.png"].n_faces == 0
    journal = (tmp_path / distributed.JOURNAL).read_text().splitlines()
    assert len(journal) == 1 + 9  # the settings line, then one line an item


def test_an_interrupted_run_resumes_without_redoing_finished_items(ray_local, manifest, local_run, tmp_path):
    items = evaluate.items_from_manifest(manifest)
    finished: list[str] = []

    def stop_after_three(item):
        finished.append(item.name)
        if len(finished) == 3:
            raise KeyboardInterrupt  # what Ctrl-C does in the middle of a run

    with pytest.raises(KeyboardInterrupt):
        distributed.score_on_ray(items, tmp_path, n_frames=FRAMES, workers=2, progress=False,
                                 on_result=stop_after_three)
    assert len(_rows(tmp_path)) == 3  # streamed as they finished

    again = evaluate.items_from_manifest(manifest)
    rescored: list[str] = []
    distributed.score_on_ray(again, tmp_path, n_frames=FRAMES, workers=2, progress=False,
                             on_result=lambda item: rescored.append(item.name))
    assert sorted(rescored) == sorted(set(i.name for i in again) - set(finished))
    local = {r["path"]: r for r in _rows(local_run)}
    for item in again:  # the finished items came back from the journal with their scores
        want = local[item.name]["score"]
        if want:
            assert abs(item.score - float(want)) < 1e-4, item.name
        else:
            assert not math.isfinite(item.score), item.name
    # A run with other settings must not silently mix its results into this journal.
    with pytest.raises(distributed.ResumeMismatch, match="delete"):
        distributed.score_on_ray(evaluate.items_from_manifest(manifest), tmp_path, n_frames=FRAMES + 1,
                                 workers=2, progress=False)
