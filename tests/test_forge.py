"""Make-a-fake lab, self-blend generator (core.fakes.forge): determinism, mask, and where the fake differs."""

import cv2
import numpy as np
import pytest

from core.fakes.forge import ForgeSettings, face_hull, face_mask, self_blend


@pytest.fixture(scope="module")
def grace_face(lab, grace):
    faces = lab.extractor.detect(grace)
    assert faces, "MTCNN should find Grace Hopper's face"
    return faces[0]


def test_forge_same_seed_gives_the_same_fake(grace, grace_face):
    a = self_blend(grace, grace_face.landmarks, seed=7)
    b = self_blend(grace, grace_face.landmarks, seed=7)
    for name in ("source", "target", "mask", "fake"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def test_forge_different_seeds_give_different_fakes(grace, grace_face):
    a = self_blend(grace, grace_face.landmarks, seed=1)
    b = self_blend(grace, grace_face.landmarks, seed=2)
    assert not np.array_equal(a.fake, b.fake)


def test_forge_mask_is_in_range_and_covers_the_face(grace, grace_face):
    res = self_blend(grace, grace_face.landmarks, seed=3, settings=ForgeSettings(blend=1.0, mask_scale=1.0))
    m = res.mask
    assert m.shape == grace.shape[:2] and m.dtype == np.float32
    assert float(m.min()) >= 0.0 and float(m.max()) <= 1.0
    assert float(m.max()) == pytest.approx(1.0, abs=1e-6)
    # The mask lies on the face: the nose landmark is fully covered, the photo's corners are untouched.
    nx, ny = np.round(grace_face.landmarks[2]).astype(int)
    assert m[ny, nx] > 0.9
    assert m[0, 0] == 0 and m[-1, -1] == 0 and m[0, -1] == 0 and m[-1, 0] == 0
    # ... and most of it sits inside the face box.
    x1, y1, x2, y2 = np.round(grace_face.box).astype(int)
    assert m[y1:y2, x1:x2].sum() > 0.8 * m.sum()


def test_forge_fake_differs_from_original_only_under_the_mask(grace, grace_face):
    res = self_blend(grace, grace_face.landmarks, seed=4, settings=ForgeSettings(color_shift=0.8))
    diff = np.abs(res.fake.astype(np.int16) - grace.astype(np.int16)).max(axis=-1)
    assert np.all(diff[res.mask == 0] == 0)
    assert (diff[res.mask > 0.5] > 0).mean() > 0.5  # and the face really changed


def test_forge_sliders_change_what_they_say(grace, grace_face):
    lm = grace_face.landmarks
    small = self_blend(grace, lm, seed=5, settings=ForgeSettings(mask_scale=0.8, blend=1.0))
    large = self_blend(grace, lm, seed=5, settings=ForgeSettings(mask_scale=1.2, blend=1.0))
    assert large.mask.sum() > small.mask.sum()
    weak = self_blend(grace, lm, seed=5, settings=ForgeSettings(blend=0.25))
    strong = self_blend(grace, lm, seed=5, settings=ForgeSettings(blend=1.0))
    assert weak.mask.max() == pytest.approx(0.25, abs=1e-5)
    d_weak = np.abs(weak.fake.astype(int) - grace).mean()
    d_strong = np.abs(strong.fake.astype(int) - grace).mean()
    assert d_strong > d_weak
    none = self_blend(grace, lm, seed=5, settings=ForgeSettings(color_shift=0.0, blur_or_sharpen=False, shift_px=0.0))
    lots = self_blend(grace, lm, seed=5, settings=ForgeSettings(color_shift=1.0, blur_or_sharpen=False, shift_px=0.0))
    assert np.abs(lots.source.astype(int) - grace).mean() > np.abs(none.source.astype(int) - grace).mean()


def test_forge_face_hull_scales_about_the_nose(grace_face):
    lm = grace_face.landmarks
    h1, h2 = face_hull(lm, 1.0), face_hull(lm, 1.5)
    nose = lm[2]
    np.testing.assert_allclose(h2 - nose, (h1 - nose) * 1.5, rtol=1e-5, atol=1e-3)
    mask = face_mask((600, 512), lm, np.random.default_rng(0), deform=False)
    assert mask.shape == (600, 512) and 0 <= mask.min() and mask.max() <= 1


def test_forge_paper_augment_alters_either_side_and_bends_the_mask(grace, grace_face):
    lm = grace_face.landmarks
    results = [self_blend(grace, lm, seed=s, paper_augment=True) for s in range(12)]
    again = self_blend(grace, lm, seed=0, paper_augment=True)
    np.testing.assert_array_equal(results[0].fake, again.fake)  # still deterministic per seed
    # Half the time the original face sits inside an altered frame: the fake then differs outside the mask.
    altered_target = [r for r in results if np.array_equal(r.source, grace)]
    altered_source = [r for r in results if np.array_equal(r.target, grace)]
    assert altered_target and altered_source and len(altered_target) + len(altered_source) == len(results)
    for r in altered_target:
        outside = r.mask == 0
        assert (r.fake[outside] != grace[outside]).any()
    # The elastic warp bends the outline: masks are no longer convex polygons.
    concave = 0
    for r in results:
        hard = (r.mask > 0.5 * r.mask.max()).astype(np.uint8)
        contour = max(cv2.findContours(hard, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)[0], key=len)
        hull_area = cv2.contourArea(cv2.convexHull(contour))
        concave += hull_area - hard.sum() > 0.01 * hull_area
    assert concave >= 3
    # Plain self-blends of the same seed are untouched by the option (the lab's seeded demos depend on it).
    assert not np.array_equal(self_blend(grace, lm, seed=0).fake, results[0].fake)
