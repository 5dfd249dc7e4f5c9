"""Shared pieces of the Explore labs (Make a fake, Robustness, Adversarial noise): cached face finding,
scoring with Grad-CAM, face-region views, and the hand-over of a learner's fake between pages.

The fake a learner makes lives only in ``st.session_state`` (this browser session's memory): nothing
is written to disk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from core.engine.analysis import FaceResult, Lab
from core.engine.faces import Face, crop_face, shrink_to_longest
from ui.inputs import NO_FACE, image_input
from ui.jobs import pooled_cache
from ui.resources import get_lab
from ui.verdict import verdict_badge  # noqa: F401  (pages import it from here too)

FAKE_KEY = "explore_fake"  # session_state key of the learner's latest fake (a MadeFake)


@dataclass(frozen=True)
class MadeFake:
    """A fake made on the Make-a-fake page. rgb: (H, W, 3) uint8; face: where the manipulated face is."""

    rgb: np.ndarray
    face: Face
    name: str


def remember_fake(rgb: np.ndarray, face: Face, name: str) -> None:
    st.session_state[FAKE_KEY] = MadeFake(rgb=rgb, face=face, name=name)


def made_fake() -> MadeFake | None:
    fake = st.session_state.get(FAKE_KEY)
    return fake if isinstance(fake, MadeFake) else None


@pooled_cache(label="Finding faces…", max_entries=16)
def _detect(_lab: Lab, rgb: np.ndarray) -> list[Face]:
    return _lab.extractor.detect(rgb, crops=False)


def find_faces(rgb: np.ndarray) -> list[Face]:
    """All faces, largest first (no crops: pages crop through the Lab at the detector's size)."""
    return _detect(get_lab(), rgb)


def pick_face(faces: list[Face], key: str, label: str = "Which face?") -> Face:
    """A selector when there are several faces (largest first); the only face otherwise."""
    if len(faces) == 1:
        return faces[0]
    i = st.selectbox(label, range(len(faces)), key=key,
                     format_func=lambda k: f"face {k + 1} ({'largest' if k == 0 else f'{faces[k].size:.0f} px'})")
    return faces[i]


def choose_photo(key: str, *, default_sample: str = "grace_hopper", offer_fake: bool = True) -> tuple[np.ndarray, Face, str] | None:
    """The photo and face a lab works on: the learner's fake from Make a fake (when there is one) or any
    sample / upload / camera shot. Returns None, after saying why, when there is nothing to work on."""
    fake = made_fake() if offer_fake else None
    if fake is not None:
        use = st.radio("Work on", ["The fake you made on *Make a fake*", "Another photo"], horizontal=True,
                       key=f"{key}_use_fake")
        if use.startswith("The fake"):
            return fake.rgb, fake.face, fake.name
    picked = image_input(key, default_sample=default_sample)
    if picked is None:
        st.info("Choose a sample, upload a photo or take one with the camera to begin.")
        return None
    rgb, name = picked
    faces = find_faces(rgb)
    if not faces:
        st.warning(NO_FACE)
        return None
    return rgb, pick_face(faces, f"{key}_face"), name


WORK_SIDE = 1280  # Make a fake works on a copy at most this large: fakes stay sharp, sliders stay quick


@st.cache_data(show_spinner=False, max_entries=8)
def working_copy(rgb: np.ndarray, max_side: int = WORK_SIDE) -> np.ndarray:
    """The photo shrunk (area averaging) so its longer side is at most ``max_side``; unchanged if smaller."""
    return shrink_to_longest(rgb, max_side)[0]


def face_view(img: np.ndarray, face: Face, size: int = 256) -> np.ndarray:
    """The face region of an (H, W, 3) uint8 image or (H, W) [0, 1] mask, framed like the detector's
    crop but at ``size`` pixels so learners can see detail. Returns (size, size, 3) uint8."""
    if img.ndim == 2:
        img = np.repeat((np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)[..., None], 3, axis=-1)
    view, _ = crop_face(img, face.box, face.landmarks, size=size)
    return view


@pooled_cache(label="Computing the heatmap…", max_entries=64)
def _gradcam_overlay(_lab: Lab, crop: np.ndarray) -> np.ndarray:
    return _lab.explain(crop, "gradcam").overlay(alpha=0.5)


def gradcam_overlay(crop: np.ndarray) -> np.ndarray:
    """Grad-CAM heatmap of a detector crop, overlaid on it: (S, S, 3) uint8."""
    return _gradcam_overlay(get_lab(), crop)


@pooled_cache(label="Scoring the face…", max_entries=64)
def _score_face(_lab: Lab, rgb: np.ndarray, face: Face) -> FaceResult:
    return _lab.score_faces(rgb, [face])[0]


def score_face(rgb: np.ndarray, face: Face) -> FaceResult:
    """The Lab's score of one face (its one crop and scoring path), computed in the shared job pool."""
    return _score_face(get_lab(), rgb, face)


def score_column(title: str, rgb: np.ndarray, face: Face) -> FaceResult:
    """A column body: the detector's crop, its Grad-CAM heatmap, score and verdict."""
    res = score_face(rgb, face)
    st.markdown(f"**{title}**  \n{verdict_badge(res.fake_prob, res.verdict)}")
    a, b = st.columns(2)
    a.image(res.crop, caption="what the detector sees", width="stretch",
            alt="the aligned face crop the detector scores")
    b.image(gradcam_overlay(res.crop), caption="Grad-CAM: where it looked", width="stretch",
            alt="Grad-CAM heatmap over the face crop: yellow = most evidence for manipulated")
    return res

