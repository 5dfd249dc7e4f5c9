"""Make-a-fake lab, face swap (core.fakes.swap): shapes, determinism, and that only the face region changes."""

import numpy as np
import pytest

from core.fakes.swap import SwapResult, align_transform, swap_faces
from core.engine.faces import transform_points


@pytest.fixture(scope="module")
def faces(lab, grace, astronaut):
    g, a = lab.extractor.detect(grace), lab.extractor.detect(astronaut)
    assert g and a
    return g[0], a[0]


@pytest.mark.parametrize("blend", ["seamless", "alpha"])
def test_swap_output_shape_and_types(grace, astronaut, faces, blend):
    g, a = faces
    res = swap_faces(grace, g, astronaut, a, blend=blend)
    assert isinstance(res, SwapResult)
    assert res.swapped.shape == astronaut.shape and res.swapped.dtype == np.uint8
    assert res.aligned.shape == astronaut.shape and res.aligned.dtype == np.uint8
    assert res.mask.shape == astronaut.shape[:2] and res.mask.dtype == np.float32
    assert 0.0 <= float(res.mask.min()) and float(res.mask.max()) <= 1.0


@pytest.mark.parametrize("blend,color", [("seamless", True), ("alpha", False), ("alpha", True)])
def test_swap_differs_only_inside_the_face_region(grace, astronaut, faces, blend, color):
    g, a = faces
    res = swap_faces(astronaut, a, grace, g, blend=blend, color_correct=color)
    diff = np.abs(res.swapped.astype(np.int16) - grace.astype(np.int16)).max(axis=-1)
    assert np.all(diff[res.mask == 0] == 0), "pixels outside the mask must be the destination's"
    # The changed pixels lie around the destination face, not elsewhere in the photo.
    ys, xs = np.nonzero(diff)
    x1, y1, x2, y2 = g.box
    pad = 0.25 * g.size
    assert xs.min() >= x1 - pad and xs.max() <= x2 + pad and ys.min() >= y1 - pad and ys.max() <= y2 + pad
    # ... and the face itself really changed.
    assert (diff[res.mask > 0.9] > 8).mean() > 0.5


def test_swap_aligns_source_landmarks_onto_destination(grace, astronaut, faces):
    g, a = faces
    m = align_transform(a.landmarks, g.landmarks)
    moved = transform_points(a.landmarks, m)
    # 5 points, 4 degrees of freedom: small residuals, far below the eye distance.
    eye_dist = float(np.linalg.norm(g.landmarks[1] - g.landmarks[0]))
    assert np.abs(moved - g.landmarks).max() < 0.2 * eye_dist


def test_swap_is_deterministic_for_a_seed(grace, astronaut, faces):
    g, a = faces
    r1 = swap_faces(grace, g, astronaut, a, seed=3)
    r2 = swap_faces(grace, g, astronaut, a, seed=3)
    np.testing.assert_array_equal(r1.swapped, r2.swapped)


def test_swap_colour_correction_moves_face_colour_towards_destination(grace, astronaut, faces):
    g, a = faces
    raw = swap_faces(grace, g, astronaut, a, blend="alpha", color_correct=False)
    fixed = swap_faces(grace, g, astronaut, a, blend="alpha", color_correct=True)
    inside = raw.mask > 0.5
    target = astronaut[inside].mean(0)
    err_raw = np.abs(raw.aligned[inside].mean(0) - target).sum()
    err_fixed = np.abs(fixed.corrected[inside].mean(0) - target).sum()
    assert err_fixed < err_raw


def test_swap_two_faces_in_one_photo(grace, astronaut, faces):
    # Two faces side by side in one picture: swap the left face onto the right one.
    g, a = faces
    h = max(grace.shape[0], astronaut.shape[0])
    canvas = np.zeros((h, grace.shape[1] + astronaut.shape[1], 3), np.uint8)
    canvas[:grace.shape[0], :grace.shape[1]] = grace
    canvas[:astronaut.shape[0], grace.shape[1]:] = astronaut
    right_lm = a.landmarks + np.array([grace.shape[1], 0], np.float32)
    res = swap_faces(canvas, g, canvas, right_lm)
    assert res.swapped.shape == canvas.shape
    np.testing.assert_array_equal(res.swapped[:, :grace.shape[1]], canvas[:, :grace.shape[1]])


def test_swap_rejects_bad_input(grace, faces):
    g, _ = faces
    with pytest.raises(ValueError):
        swap_faces(grace[..., 0], g, grace, g)
    with pytest.raises(ValueError):
        swap_faces(grace, g, grace, g, blend="poisson")
    with pytest.raises(ValueError):
        swap_faces(grace, np.zeros(4), grace, g)
