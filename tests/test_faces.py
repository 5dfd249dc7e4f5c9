"""Face extraction on the photos installed packages ship."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
import pytest

from core.engine.faces import FaceExtractor, crop_face, transform_points


@pytest.fixture(scope="module")
def extractor() -> FaceExtractor:
    return FaceExtractor()


def test_one_face_found_where_it_is(extractor, grace):
    faces = extractor.detect(grace)
    assert len(faces) == 1
    f = faces[0]
    x1, y1, x2, y2 = f.box
    assert f.box.dtype == np.float32 and f.landmarks.shape == (5, 2)
    # Grace Hopper's face sits in the upper middle of the 512×600 portrait.
    assert 130 < (x1 + x2) / 2 < 380 and 150 < (y1 + y2) / 2 < 330 and 120 < x2 - x1 < 260
    assert f.prob > 0.95
    inside = (f.landmarks[:, 0] > x1) & (f.landmarks[:, 0] < x2) & (f.landmarks[:, 1] > y1) & (f.landmarks[:, 1] < y2)
    assert inside.all()
    assert f.landmarks[0, 0] < f.landmarks[1, 0]  # left eye left of right eye
    assert f.crop.shape == (128, 128, 3) and f.crop.dtype == np.uint8


def test_astronaut_face(extractor, astronaut):
    faces = extractor.detect(astronaut)
    assert len(faces) == 1
    cx = (faces[0].box[0] + faces[0].box[2]) / 2
    assert 180 < cx < 280


def test_no_face_is_an_empty_list(extractor):
    sky = np.full((300, 400, 3), (120, 170, 230), np.uint8)
    assert extractor.detect(sky) == []
    assert extractor.detect(np.zeros((5, 5, 3), np.uint8)) == []


def test_downscaled_detection_maps_boxes_back(grace):
    big = cv2.resize(grace, (grace.shape[1] * 3, grace.shape[0] * 3), interpolation=cv2.INTER_CUBIC)
    full = FaceExtractor(detect_side=None).detect(big, crops=False)
    fast = FaceExtractor(detect_side=512).detect(big, crops=False)
    assert len(full) == len(fast) == 1
    side = full[0].size
    assert np.abs(full[0].box - fast[0].box).max() < 0.08 * side


def test_batch_of_frames(extractor, grace):
    frames = [grace, grace[:, ::-1].copy(), np.zeros_like(grace)]
    results = extractor.detect_batch(frames)
    assert [len(r) for r in results] == [1, 1, 0]


def test_parallel_calls_give_the_same_boxes(extractor, grace, astronaut):
    expected = {id(img): extractor.detect(img, crops=False)[0].box for img in (grace, astronaut)}
    jobs = [grace, astronaut] * 6
    with ThreadPoolExecutor(max_workers=6) as pool:
        boxes = list(pool.map(lambda img: extractor.detect(img, crops=False)[0].box, jobs))
    for img, box in zip(jobs, boxes):
        np.testing.assert_allclose(box, expected[id(img)], atol=1e-3)


def test_crop_is_aligned_and_padded_by_mirroring_past_the_border(grace):
    face = FaceExtractor().detect(grace, crops=False)[0]
    crop, m = crop_face(grace, face.box, face.landmarks, size=96, margin=0.5)
    eyes = transform_points(face.landmarks[:2], m)
    assert abs(eyes[0, 1] - eyes[1, 1]) < 0.5  # eyes level after alignment
    # Cut the photo tight around the face: the crop now reaches past the border and is padded by mirroring.
    x1, y1, x2, y2 = face.box.astype(int)
    tight = np.ascontiguousarray(grace[y1:y2, x1:x2])
    off = np.array([x1, y1], np.float32)
    crop_t, m_t = crop_face(tight, face.box - np.tile(off, 2), face.landmarks - off, size=96, margin=0.5)
    assert crop_t[40:56, 40:56].mean() > 40  # the face itself is still there
    assert crop_t[:4].mean() > 40 and crop_t[:, :4].mean() > 40  # no black frame past the border
    # A crop pixel just left of the photo's left edge shows the photo's pixel mirrored across that edge.
    inv = cv2.invertAffineTransform(m_t)
    ys, xs = np.mgrid[0:96, 0:96]
    src = np.stack([xs, ys], -1).reshape(-1, 2).astype(np.float32) @ inv[:, :2].T + inv[:, 2]
    outside = (src[:, 0] < -3) & (src[:, 0] > -10) & (src[:, 1] > 5) & (src[:, 1] < tight.shape[0] - 5)
    assert outside.any()
    k = np.flatnonzero(outside)[0]
    mx, my = int(round(-src[k, 0])), int(round(src[k, 1]))
    np.testing.assert_allclose(crop_t.reshape(-1, 3)[k], tight[my, mx], atol=40)


def test_channels_last_networks_find_the_same_faces_as_the_default_layout():
    """The speed-up (channels-last MTCNN weights) must not move a single box or landmark."""
    import torch

    from core.fakes.scenes import scene

    img = scene(1280, 720, 4)
    fast = FaceExtractor()
    plain = FaceExtractor()
    for net in (plain._mtcnn.pnet, plain._mtcnn.rnet, plain._mtcnn.onet):
        net.to(memory_format=torch.contiguous_format)
    assert fast._mtcnn.pnet.conv1.weight.is_contiguous(memory_format=torch.channels_last)
    a, b = fast.detect(img, crops=False), plain.detect(img, crops=False)
    assert len(a) == len(b) == 4
    for x, y in zip(a, b):
        np.testing.assert_allclose(x.box, y.box, atol=1e-2)
        np.testing.assert_allclose(x.landmarks, y.landmarks, atol=1e-2)


def test_detection_size_per_call_maps_boxes_back_to_the_original(extractor, grace):
    big = cv2.resize(grace, (grace.shape[1] * 3, grace.shape[0] * 3), interpolation=cv2.INTER_CUBIC)
    default = extractor.detect(big, crops=False)
    small = extractor.detect(big, crops=False, detect_side=320)
    assert len(default) == len(small) == 1
    # Found on copies of different sizes, the face lands in the same place of the big image.
    assert np.abs(default[0].box - small[0].box).max() < 0.08 * default[0].size
    assert extractor.detect_side == 640  # a per-call size leaves the extractor's default alone


def test_shrink_to_longest():
    from core.engine.faces import shrink_to_longest

    img = np.zeros((300, 1200, 3), np.uint8)
    small, s = shrink_to_longest(img, 600)
    assert small.shape == (150, 600, 3) and s == 0.5
    same, s1 = shrink_to_longest(img, 2000)
    assert same is img and s1 == 1.0
    assert shrink_to_longest(img, None)[0] is img
