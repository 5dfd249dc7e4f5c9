"""Quiz gallery: built-in items from the committed portraits, the teacher's folder, and cached detector scores."""

from __future__ import annotations

import io

import csv
import json
import os
from collections import Counter

import numpy as np
import pytest
from PIL import Image

from core.classroom import gallery as gal
from core.classroom import portraits
from core.engine.analysis import Lab
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


def _names() -> list[str]:
    """Every person's name in the portraits' legal record (and the two old samples'), for the no-names checks."""
    with open(portraits.PORTRAITS_DIR / portraits.ATTRIBUTION_CSV, newline="", encoding="utf-8") as f:
        names = [r["person_name"] for r in csv.DictReader(f)]
    return names + ["Grace Hopper", "Eileen Collins"]


def _builtin(gallery):
    return [it for it in gallery.items if it.source == "built-in"]


def test_builtin_items_one_real_self_blend_and_swap_per_portrait(gallery, tmp_path_factory):
    people = portraits.load_portraits()
    assert len(people) >= 20
    items = _builtin(gallery)
    kinds = Counter((it.kind, it.label) for it in items)
    assert kinds[("real", 0)] == kinds[("self-blend", 1)] == len(people)
    if gal._swap_function() is not None:
        assert kinds[("face swap", 1)] == len(people)
    assert len({it.id for it in items}) == len(items)
    # Every kind meets every JPEG quality equally often: compression never gives the answer away.
    for kind in ("real", "self-blend", "face swap"):
        qualities = Counter(it.jpeg_quality for it in items if it.kind == kind)
        assert set(qualities) == set(gal.QUALITY_CYCLE) and max(qualities.values()) - min(qualities.values()) <= 1
    for it in items:
        assert it.data and it.face() is not None and it.tip and it.title and it.description
        assert it.id in gallery.scores
        assert not it.path.exists()  # a name only: the picture is in memory
    # Nothing of them is on disk: pictures of real people, faked, never leave the process.
    assert not list(shared_data_dir(tmp_path_factory).rglob("*.jpg"))


def test_gallery_shows_many_different_people_balanced(gallery):
    by_key = {p.key: p for p in portraits.load_portraits()}
    shown = gallery.people()
    assert len(shown) >= 20 and shown <= set(by_key)
    for kind in ("real", "self-blend", "face swap"):
        faces = [by_key[it.people[0]] for it in _builtin(gallery) if it.kind == kind]
        genders = Counter(p.gender for p in faces)
        assert abs(genders["F"] - genders["M"]) <= 2, (kind, genders)
        assert len({p.age_band for p in faces}) >= 4, kind
        tones = Counter(p.skin_tone for p in faces)
        assert len(tones) == 3 and min(tones.values()) >= len(faces) // 5, (kind, tones)
        assert {p.source for p in faces} == {"congress", "nasa"}
    for it in _builtin(gallery):
        if it.kind == "face swap":  # two different people, who look alike at a glance
            a, b = (by_key[k] for k in it.people)
            assert a.key != b.key and a.gender == b.gender
        else:
            assert len(it.people) == 1


def test_no_person_is_named_in_any_title_tip_or_description(gallery):
    names = _names()
    assert len(names) >= 20
    for it in gallery.items:
        shown = f"{it.title} {it.tip} {it.description}".lower()
        for name in names:
            surname = name.split()[-1].strip("()").lower()
            assert name.lower() not in shown and surname not in shown.split(), (it.id, name)
        assert it.title.startswith(("Real photo", "Self-blended fake", "Face swap", "From your teacher"))


def test_built_in_files_are_what_they_claim(gallery):
    by_key = {p.key: p for p in portraits.load_portraits()}
    key = sorted(by_key)[0]
    original = load_image(by_key[key].path)
    real = load_image(gallery.get(f"builtin/{key}/real").content)
    blend_item = gallery.get(f"builtin/{key}/self-blend")
    blend = load_image(blend_item.content)
    box = blend_item.face_box
    assert original.shape == real.shape == blend.shape
    # The real item is the portrait (JPEG noise only); the fake differs inside the face, not in the top rows.
    assert np.abs(real.astype(int) - original.astype(int)).mean() < 4.0
    assert _box_diff(blend, original, box) > _box_diff(real, original, box)
    assert np.abs(blend[:30].astype(int) - original[:30].astype(int)).mean() < 4.0
    with Image.open(io.BytesIO(blend_item.data)) as im:
        assert im.format == "JPEG"
    swap_item = gallery.get(f"builtin/{key}/face-swap")
    if swap_item is not None:
        swapped = load_image(swap_item.content)
        assert _box_diff(swapped, original, box) > _box_diff(real, original, box)
        assert np.abs(swapped[:30].astype(int) - original[:30].astype(int)).mean() < 4.0


def test_detector_scores_are_recorded_and_it_is_right_on_some_wrong_on_others(gallery, memo_lab, tmp_path_factory):
    items = _builtin(gallery)
    cache = shared_data_dir(tmp_path_factory) / "gallery" / f"scores-{gal._safe_name(gallery.model_version)}.json"
    stored = json.loads(cache.read_text())
    for it in items:
        s = gallery.scores[it.id]
        assert s.model_version == gallery.model_version and s.fake_prob is not None
        assert stored[it.id]["score"]["fake_prob"] == pytest.approx(s.fake_prob)
    if not memo_lab.trained:
        pytest.skip("an untrained detector's answers are coin flips: nothing to choose between")
    for kind in ("self-blend", "face swap"):
        caught = [gallery.detector_correct(it.id) for it in items if it.kind == kind]
        if not caught:
            continue
        # Chosen among variants so that the detector catches some fakes and misses others.
        assert 0 < sum(caught) < len(caught), kind


def test_the_recorded_scores_match_a_fresh_scoring(gallery, memo_lab):
    for item_id in gallery.pick(4, seed=5, source="built-in"):
        again = gal.score_item(memo_lab, gallery.get(item_id))
        assert again.fake_prob == pytest.approx(gallery.scores[item_id].fake_prob, abs=1e-4)


def test_builtin_items_are_made_once_per_process(gallery, memo_lab):
    class NoExtractor:
        def detect(self, *a, **k):
            raise AssertionError("the built-in gallery was made again although nothing changed")

    items, _, fresh = gal.build_builtin(Lab(memo_lab.detector, NoExtractor(), memo_lab.limits))
    assert [it.id for it in items] == [it.id for it in _builtin(gallery)] and fresh == {}


def test_pictures_written_by_earlier_versions_are_deleted(memo_lab, tmp_path):
    old = tmp_path / "gallery" / "builtin"
    old.mkdir(parents=True)
    (old / "builtin_portrait-01_face-swap.jpg").write_bytes(b"old fake")
    gal.forget_old_builtin_files(old)
    assert not old.exists()


def test_swap_items_are_skipped_cleanly_without_the_swap_module(memo_lab, tmp_path, monkeypatch):
    monkeypatch.setattr(gal, "_swap_function", lambda: None)
    few = portraits.load_portraits()[:3]
    items, notes, scores = gal.build_builtin(memo_lab, portraits=few)
    assert len(items) == 6 and not any(it.kind == "face swap" for it in items)
    assert any("core.fakes.swap" in n for n in notes) and set(scores) == {it.id for it in items}


def test_no_identity_swaps_leaves_out_every_face_swap(gallery):
    pool = gallery.pool(identity_swaps=False)
    assert pool and not any(it.kind == "face swap" or it.identity_swap for it in pool)
    assert len(pool) == len(gallery.items) - sum(it.kind == "face swap" for it in gallery.items)
    for seed in range(20):
        ids = gallery.pick(12, seed=seed, identity_swaps=False)
        assert len(ids) == 12 and not any(gallery.get(i).identity_swap for i in ids)
        assert Counter(gallery.get(i).label for i in ids) == {0: 6, 1: 6}
    assert any(gallery.get(i).identity_swap for i in gallery.pick(1000, seed=1))


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
    assert len(gallery.pick(1000, seed=1)) == len(gallery.items)
    assert all(gallery.get(i).source == "built-in" for i in gallery.pick(6, seed=1, source="built-in"))


@pytest.mark.parametrize("n", [4, 10, 12])
def test_a_round_shows_each_person_once_while_there_are_enough(gallery, n):
    for seed in range(10):
        shown = [p for i in gallery.pick(n, seed=seed, source="built-in") for p in gallery.get(i).people]
        assert len(shown) == len(set(shown)), (n, seed)
