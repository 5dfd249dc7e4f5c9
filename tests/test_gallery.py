"""Quiz gallery: built-in items from the shipped photos, the teacher's folder, and cached detector scores."""

from __future__ import annotations

import os
from collections import Counter

import numpy as np
import pytest
from PIL import Image

from core.classroom import gallery as gal
from core.engine.analysis import Lab
from core.engine.faces import SAMPLES
from core.fakes.forge import ForgeSettings, self_blend
from core.engine.media import encode_jpeg, encode_png, load_image
from quiz_helpers import MemoExtractor, shared_data_dir


@pytest.fixture(scope="module")
def memo_lab(lab):
    return Lab(lab.detector, MemoExtractor(lab.extractor), lab.limits)


@pytest.fixture(scope="module")
def gallery(memo_lab, tmp_path_factory):
    return gal.load_gallery(memo_lab, teacher_dir="", folder=shared_data_dir(tmp_path_factory) / "gallery")


def _box_diff(a: np.ndarray, b: np.ndarray, box) -> float:
    x1, y1, x2, y2 = (int(v) for v in box)
    return float(np.abs(a[y1:y2, x1:x2].astype(np.int16) - b[y1:y2, x1:x2].astype(np.int16)).mean())


def test_builtin_items_cover_reals_fakes_swaps_and_qualities(gallery):
    items = [it for it in gallery.items if it.source == "built-in"]
    kinds = Counter((it.kind, it.label) for it in items)
    per_photo = len(gal.JPEG_QUALITIES)
    assert kinds[("real", 0)] == 2 * len(SAMPLES) * per_photo  # each photo as taken and mirrored
    assert kinds[("self-blend", 1)] == len(SAMPLES) * len(gal.BLEND_STRENGTHS) * per_photo
    if gal._swap_function() is not None:
        assert kinds[("face swap", 1)] == 2 * per_photo  # both directions
    assert len({it.id for it in items}) == len(items)
    assert {it.jpeg_quality for it in items} == set(gal.JPEG_QUALITIES)
    for it in items:
        assert it.path.is_file() and it.face() is not None and it.tip and it.title
        assert it.id in gallery.scores


def test_builtin_files_are_what_they_claim(gallery):
    by_id = {it.id: it for it in gallery.items}
    real = load_image(by_id["builtin/grace_hopper/real/q92"].path)
    box = by_id["builtin/grace_hopper/real/q92"].face_box
    strong = load_image(by_id["builtin/grace_hopper/blend100/q92"].path)
    weak = load_image(by_id["builtin/grace_hopper/blend30/q92"].path)
    assert real.shape == strong.shape == weak.shape
    # The fakes differ from the real photo inside the face, and the stronger blend differs more.
    assert _box_diff(strong, real, box) > _box_diff(weak, real, box) > 0.5
    # Outside the face the self-blend leaves the photo alone (only JPEG noise differs).
    assert np.abs(strong[:40].astype(int) - real[:40].astype(int)).mean() < 2.0
    # Lower JPEG quality: smaller file, measured by Pillow's own quantisation tables.
    sizes = [by_id[f"builtin/grace_hopper/real/q{q}"].path.stat().st_size for q in gal.JPEG_QUALITIES]
    assert sizes == sorted(sizes, reverse=True)
    with Image.open(by_id["builtin/grace_hopper/real/q35"].path) as im:
        assert im.format == "JPEG"
    mirror = load_image(by_id["builtin/grace_hopper-mirror/real/q92"].path)
    assert np.abs(mirror[:, ::-1].astype(int) - real.astype(int)).mean() < 3.0


def test_scores_are_of_each_item_not_of_the_original(gallery):
    probs = [s.fake_prob for s in gallery.scores.values()]
    assert all(p is not None and 0.0 <= p <= 1.0 for p in probs)
    assert len({round(p, 7) for p in probs}) > len(probs) // 2  # items differ, so scores differ
    for item_id, s in gallery.scores.items():
        assert s.model_version == gallery.model_version and s.n_faces == 1
        assert gallery.detector_correct(item_id) == ((s.fake_prob >= gal.DECISION_THRESHOLD) == bool(
            gallery.get(item_id).label))


def test_manifest_is_reused_without_regenerating(gallery, memo_lab, tmp_path_factory):
    class NoExtractor:
        def detect(self, *a, **k):
            raise AssertionError("the built-in gallery was regenerated although its manifest is current")

    folder = shared_data_dir(tmp_path_factory) / "gallery" / "builtin"
    items, _ = gal.build_builtin(Lab(memo_lab.detector, NoExtractor(), memo_lab.limits), folder)
    assert [it.id for it in items] == [it.id for it in gallery.items if it.source == "built-in"]


def test_swap_items_are_skipped_cleanly_without_the_swap_module(memo_lab, tmp_path, monkeypatch):
    monkeypatch.setattr(gal, "_swap_function", lambda: None)
    items, notes = gal.build_builtin(memo_lab, tmp_path / "builtin")
    assert items and not any(it.kind == "face swap" for it in items)
    assert any("core.fakes.swap" in n for n in notes)


def test_score_cache_is_keyed_by_model_version_and_content(memo_lab, gallery, tmp_path, monkeypatch):
    items = [gallery.get(i) for i in gallery.pick(4, seed=3, source="built-in")]
    calls = []
    real_predict = memo_lab.detector.predict
    monkeypatch.setattr(memo_lab.detector, "predict", lambda crops, **k: calls.append(len(crops)) or real_predict(crops, **k))
    first, _ = gal.score_items(memo_lab, items, tmp_path)
    assert len(calls) == 4
    again, _ = gal.score_items(memo_lab, items, tmp_path)
    assert len(calls) == 4 and again == first  # served from disk
    assert (tmp_path / f"scores-{gal._safe_name(memo_lab.detector.meta.version)}.json").exists()
    monkeypatch.setattr(memo_lab.detector.meta, "version", "retrained-2")
    rescored, _ = gal.score_items(memo_lab, items, tmp_path)
    assert len(calls) == 8 and all(s.model_version == "retrained-2" for s in rescored.values())


def _teacher_folder(tmp_path, grace):
    grace = np.ascontiguousarray(grace[::2, ::2])  # half size: MTCNN on three teacher photos stays quick
    root = tmp_path / "teacher"
    (root / "real" / "nested").mkdir(parents=True)
    (root / "fake").mkdir()
    (root / "extra").mkdir()
    (root / "real" / "nested" / "grace.jpg").write_bytes(encode_jpeg(grace, 90))
    face_lm = np.array([[110, 125], [150, 125], [130, 150], [112, 172], [148, 172]], np.float32)
    fake = self_blend(grace, face_lm, seed=1, settings=ForgeSettings(blend=1.0)).fake
    (root / "fake" / "blend.png").write_bytes(encode_png(fake))
    (root / "extra" / "c.jpg").write_bytes(encode_jpeg(fake, 70))
    (root / "real" / "notes.txt").write_text("not media")
    secret = tmp_path / "outside.jpg"
    secret.write_bytes(encode_jpeg(grace, 50))
    os.symlink(secret, root / "real" / "escape.jpg")
    (root / "labels.csv").write_text(
        "path,label,tip\n"
        "extra/c.jpg,fake,Look at the cheeks\n"
        "../outside.jpg,real\n"
        f"{secret},real\n"
        "extra/../../outside.jpg,real\n"
        "extra/missing.jpg,fake\n"
        "extra/c.jpg,maybe\n"
        "real/nested/grace.jpg,real\n")
    return root


def test_teacher_folder_labels_and_path_safety(tmp_path, grace):
    root = _teacher_folder(tmp_path, grace)
    items, notes = gal.scan_teacher_dir(root)
    got = {it.id: it.label for it in items}
    assert got == {"teacher/extra/c.jpg": 1, "teacher/fake/blend.png": 1, "teacher/real/nested/grace.jpg": 0}
    assert all(it.path.resolve().is_relative_to(root.resolve()) for it in items)
    assert next(it for it in items if it.id == "teacher/extra/c.jpg").tip == "Look at the cheeks"
    joined = "\n".join(notes)
    for refused in ("../outside.jpg", str(tmp_path / "outside.jpg"), "extra/../../outside.jpg", "real/escape.jpg",
                    "extra/missing.jpg", "real/notes.txt"):
        assert repr(refused) in joined, refused
    assert "line 7" in joined  # the unknown label


def test_teacher_folder_conflicting_labels_and_missing_folder(tmp_path, grace):
    root = tmp_path / "t"
    (root / "real").mkdir(parents=True)
    (root / "real" / "x.jpg").write_bytes(encode_jpeg(grace, 80))
    (root / "list.csv").write_text("real/x.jpg,fake\n")
    items, notes = gal.scan_teacher_dir(root)
    assert items == [] and any("both real and fake" in n for n in notes)
    items, notes = gal.scan_teacher_dir(tmp_path / "nope")
    assert items == [] and "does not exist" in notes[0]


def test_teacher_images_and_videos_are_scored(memo_lab, gallery, tmp_path, grace, monkeypatch, tmp_path_factory):
    from core.engine.video import moving_face_clip

    root = _teacher_folder(tmp_path, grace)
    (root / "fake" / "clip.mp4").write_bytes(moving_face_clip(grace, width=256, height=192, seconds=1.0, fps=6))
    data = shared_data_dir(tmp_path_factory) / "gallery"
    g = gal.load_gallery(memo_lab, teacher_dir=root, folder=data)
    teacher = {it.id: it for it in g.items if it.source == "teacher"}
    assert set(teacher) == {"teacher/extra/c.jpg", "teacher/fake/blend.png", "teacher/real/nested/grace.jpg",
                            "teacher/fake/clip.mp4"}
    assert teacher["teacher/fake/clip.mp4"].media == "video"
    for item_id in teacher:
        s = g.scores[item_id]
        assert s.fake_prob is not None and s.n_faces >= 1, item_id
    assert g.scores["teacher/real/nested/grace.jpg"].face() is not None  # for the heatmap
    assert len(g.items) == len(gallery.items) + 4
    # Without the video module the clip is left out with a note, and the images stay.
    monkeypatch.setattr(gal, "_video_analyser", lambda: None)
    g2 = gal.load_gallery(memo_lab, teacher_dir=root, folder=data)
    assert "teacher/fake/clip.mp4" not in {it.id for it in g2.items}
    assert any("video module" in n for n in g2.notes) and "teacher/fake/blend.png" in g2.scores


def test_unreadable_teacher_file_is_skipped_with_a_note(memo_lab, tmp_path, tmp_path_factory):
    root = tmp_path / "t"
    (root / "fake").mkdir(parents=True)
    (root / "fake" / "broken.jpg").write_bytes(b"this is not a jpeg")
    g = gal.load_gallery(memo_lab, teacher_dir=root, folder=shared_data_dir(tmp_path_factory) / "gallery")
    assert "teacher/fake/broken.jpg" not in {it.id for it in g.items}
    assert any("broken.jpg" in n for n in g.notes)


def test_pick_is_balanced_varied_and_reproducible(gallery):
    ids = gallery.pick(10, seed=7)
    assert len(ids) == len(set(ids)) == 10 and ids == gallery.pick(10, seed=7)
    labels = Counter(gallery.get(i).label for i in ids)
    assert labels[0] == labels[1] == 5
    # A picture repeats (at another JPEG quality) only once every picture of that label has been used.
    for label in (0, 1):
        groups = {it.id.rsplit("/", 1)[0] for it in gallery.items if it.label == label}
        picked = Counter(i.rsplit("/", 1)[0] for i in ids if gallery.get(i).label == label)
        assert max(picked.values()) == -(-labels[label] // len(groups))
    assert len(gallery.pick(1000, seed=1)) == len(gallery.items)
    assert all(gallery.get(i).source == "built-in" for i in gallery.pick(6, seed=1, source="built-in"))
