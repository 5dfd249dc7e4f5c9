"""Generated scenes (core/fakes/scenes.py): the inputs of tests and benchmarks on a fresh machine."""

from __future__ import annotations

import numpy as np

from core.fakes.scenes import moving_face_frames, scene


def test_scene_without_faces_is_just_the_backdrop():
    img = scene(64, 48, 0)
    assert img.shape == (48, 64, 3) and img.dtype == np.uint8
    assert np.array_equal(img[0], img[-1])  # a horizontal ramp: every row the same


def _photo_left_edge(frame: np.ndarray, background: np.ndarray) -> int:
    return int(np.flatnonzero((frame != background).any(axis=(0, 2)))[0])


def test_moving_face_frames_slide_across_or_there_and_back():
    photo = np.full((40, 20, 3), 255, np.uint8)
    bg = scene(100, 50, 0)
    across = list(moving_face_frames(5, width=100, height=50, photo=photo, face_height=0.8))
    assert len(across) == 5 and all(f.shape == (50, 100, 3) and f.dtype == np.uint8 for f in across)
    xs = [_photo_left_edge(f, bg) for f in across]
    assert xs[0] == 0 and xs[-1] == 100 - 20 and xs == sorted(xs)  # 40 px tall → 20 px wide, left to right
    loop = [_photo_left_edge(f, bg) for f in moving_face_frames(5, width=100, height=50, photo=photo,
                                                               face_height=0.8, there_and_back=True)]
    assert loop[0] == loop[-1] == 0 and loop[2] == 80  # out to the right edge and back


def test_moving_face_frames_clip_copies_at_the_right_edge():
    photo = np.full((40, 30, 3), 200, np.uint8)
    frames = list(moving_face_frames(2, width=50, height=40, photo=photo, face_height=1.0, copies=2))
    assert (frames[0][:, :50] == 200).all()  # two 30 px copies on a 50 px canvas: cut, never an error
