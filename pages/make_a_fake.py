"""Make a fake: a self-blended fake step by step, then a face swap between two faces; both scored and
explained by the lab's detector."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.engine.faces import SAMPLES, Face, load_sample
from core.fakes.forge import ForgeResult, ForgeSettings, self_blend
from core.fakes.swap import SwapResult, swap_faces
from ui.downloads import fake_download
from ui.explore import WORK_SIDE, face_view, find_faces, pick_face, remember_fake, score_column, working_copy
from ui.inputs import NO_FACE, image_input
from ui.jobs import pooled_cache
from ui.resources import get_lab, untrained_warning


@pooled_cache(label="Blending…", max_entries=32)
def _self_blend(rgb: np.ndarray, landmarks: np.ndarray, seed: int, blend: float, scale: float, colour: float,
                sharpen: bool) -> ForgeResult:
    return self_blend(rgb, landmarks, seed, ForgeSettings(blend=blend, mask_scale=scale, color_shift=colour,
                                                          blur_or_sharpen=sharpen))


@pooled_cache(label="Swapping the faces…", max_entries=32)
def _swap(src: np.ndarray, src_lm: np.ndarray, dst: np.ndarray, dst_lm: np.ndarray, seed: int, blend: str,
          colour: bool, scale: float) -> SwapResult:
    return swap_faces(src, src_lm, dst, dst_lm, seed=seed, blend=blend, color_correct=colour, mask_scale=scale)


@st.cache_data(show_spinner=False, max_entries=4)
def _sample(name: str) -> np.ndarray:
    return load_sample(name)


def _send_buttons(rgb: np.ndarray, face: Face, name: str, key: str) -> None:
    """Hand this fake to the Robustness or Adversarial page (in this session's memory only)."""
    a, b = st.columns(2)
    if a.button(":material/blur_on: Test how robust its score is", key=f"{key}_robust", width="stretch"):
        remember_fake(rgb, face, name)
        st.switch_page("pages/robustness.py")
    if b.button(":material/target: Hide it with adversarial noise", key=f"{key}_adv", width="stretch"):
        remember_fake(rgb, face, name)
        st.switch_page("pages/adversarial.py")


st.title(":material/theater_comedy: Make a fake")
st.markdown(
    "Detectors are easier to understand once you have made a fake yourself. Here you make one **two ways**: "
    "a *self-blend* (a face pasted onto itself after small changes — the fakes the lab's detector learned from) "
    "and a classic *face swap* between two people. Then the detector scores the original and your fake, and "
    "shows where it looked."
)
st.info(
    "**Consent first.** Only use photos of people who agreed to have their face used here. Never make or share "
    "fakes of anyone who did not. **Nothing is stored:** photos and fakes stay in this browser tab's memory and "
    "are gone when you close it. A fake you download says it is fake: a visible label in its corner and a signed "
    "content credential.",
    icon=":material/handshake:",
)
st.caption("In class with under-18s: use the built-in samples or your own face only — never a classmate's.")

lab = get_lab()
untrained_warning(lab)
picked = image_input("fake", default_sample="grace_hopper")
if picked is None:
    st.info("Choose a sample, upload a photo or take one with the camera to begin.")
    st.stop()
rgb, name = picked
if max(rgb.shape[:2]) > WORK_SIDE:
    rgb = working_copy(rgb)
    st.caption(f"Large photo: the lab works on a copy {rgb.shape[1]}×{rgb.shape[0]} pixels in size.")
faces = find_faces(rgb)
if not faces:
    st.warning(NO_FACE)
    st.stop()
face = pick_face(faces, "fake_face", "Which face becomes the fake?")


@st.fragment
def self_blend_lab() -> None:
    st.header("1 · A self-blended fake, step by step")
    st.markdown(
        "A copy of the face is changed a little (colour, sharpness, a few pixels of shift), then pasted back over "
        "the original through a soft, face-shaped **mask**. No identity changes, yet the result carries what every "
        "face swap leaves behind: a blending boundary and a mismatch between inside and outside."
    )
    c1, c2, c3, c4 = st.columns(4)
    blend = c1.slider("Blend strength", 0.1, 1.0, 1.0, 0.05, key="sb_blend",
                      help="How strongly the altered copy shows through the mask (1 = fully pasted).")
    scale = c2.slider("Mask size", 0.7, 1.3, 1.0, 0.05, key="sb_scale",
                      help="The pasted region relative to the face's landmarks.")
    colour = c3.slider("Colour mismatch", 0.0, 1.0, 0.5, 0.05, key="sb_colour",
                       help="How much the copy's colour, brightness and contrast are changed.")
    seed = int(c4.number_input("Random variation", 0, 999, 0, key="sb_seed",
                               help="Each number gives a different random mask shape and change direction."))
    sharpen = st.toggle("Sharpen the pasted face (instead of blurring it)", key="sb_sharpen")
    res = _self_blend(rgb, face.landmarks, seed, blend, scale, colour, sharpen)

    cols = st.columns(4)
    steps = [("① Target: the original", res.target), ("② Source: an altered copy", res.source),
             ("③ Blending mask", res.mask), ("④ The blend: your fake", res.fake)]
    for col, (title, img) in zip(cols, steps):
        col.image(face_view(img, face), caption=title, width="stretch", alt=title.lstrip("①②③④⑤ "))
    st.caption("The mask is white where the source shows fully and fades at its edge. Step ④ is "
               "source × mask + target × (1 − mask): outside the mask the fake is the original, pixel for pixel.")

    st.subheader("What does the detector say?")
    left, right = st.columns(2)
    with left:
        before = score_column("Original", rgb, face)
    with right:
        after = score_column("Your self-blended fake", res.fake, face)
    st.caption(f"Score change: {100 * (after.fake_prob - before.fake_prob):+.1f} points (fake score, 0–100). Grad-CAM colours the regions that pushed "
               "the score towards *manipulated* (yellow = most). Try a weak blend or no colour mismatch: how small "
               "a change does the detector still notice?")
    remember_fake(res.fake, face, f"self-blended fake of {name}")
    _send_buttons(res.fake, face, f"self-blended fake of {name}", "sb")
    fake_download(res.fake, what="A self-blended fake (a face pasted back onto itself after small changes)",
                  file_name="deepfake-lab-self-blend.jpg", key="sb_download")


@st.fragment
def swap_lab() -> None:
    st.header("2 · A face swap between two faces")
    st.markdown(
        "The recipe of the first deepfakes: **align** the source face to the destination using the five "
        "landmarks (eyes, nose, mouth corners), **match its colours** to the destination's skin, and **blend** it "
        "in so the seam disappears (Poisson blending). The face you chose above is the destination."
    )
    options = ["Another built-in sample"] + (["Another face in this photo"] if len(faces) > 1 else []) + \
              ["Upload or camera"]
    source = st.radio("Source face", options, horizontal=True, key="sw_source")
    if source == "Another built-in sample":
        names = list(SAMPLES)
        # A new destination photo resets the source to another person; set through the widget's state (not its
        # index) so the sample shown is always the one used.
        if st.session_state.get("sw_for") != name or "sw_sample" not in st.session_state:
            st.session_state["sw_sample"] = next((n for n in names if SAMPLES[n] != name), names[0])
            st.session_state["sw_for"] = name
        pick = st.selectbox("Sample", names, format_func=SAMPLES.get, key="sw_sample")
        src_rgb, src_name = _sample(pick), SAMPLES[pick]
        src_faces = find_faces(src_rgb)
    elif source == "Another face in this photo":
        src_rgb, src_name = rgb, name
        others = [f for f in faces if f is not face]
        src_faces = others
    else:
        picked_src = image_input("swap_src", label="Source photo")
        if picked_src is None:
            st.info("Choose the photo whose face will be pasted.")
            return
        src_rgb, src_name = picked_src
        src_rgb = working_copy(src_rgb)
        src_faces = find_faces(src_rgb)
    if not src_faces:
        st.warning("No face found in the source photo. Choose another one.")
        return
    src_face = pick_face(src_faces, "sw_src_face", "Which source face?")

    c1, c2, c3, c4 = st.columns(4)
    blend = c1.radio("Blending", ["seamless", "alpha"], key="sw_blend",
                     format_func={"seamless": "Seamless (Poisson)", "alpha": "Plain alpha"}.get)
    colour = c2.toggle("Colour correction", value=True, key="sw_colour")
    scale = c3.slider("Mask size", 0.7, 1.3, 1.0, 0.05, key="sw_scale")
    seed = int(c4.number_input("Random variation", 0, 999, 0, key="sw_seed"))
    with st.spinner("Swapping…"):
        res = _swap(src_rgb, src_face.landmarks, rgb, face.landmarks, seed, blend, colour, scale)

    cols = st.columns(5)
    steps = [("① Source face", face_view(src_rgb, src_face)), ("② Aligned onto the destination", face_view(res.aligned, face)),
             ("③ Colours matched", face_view(res.corrected, face)), ("④ Mask", face_view(res.mask, face)),
             ("⑤ The swap", face_view(res.swapped, face))]
    for col, (title, img) in zip(cols, steps):
        col.image(img, caption=title, width="stretch", alt=title.lstrip("①②③④⑤ "))
    with st.expander("The whole photo"):
        a, b = st.columns(2)
        a.image(rgb, caption=f"before ({name})", width="stretch", alt="the whole photo before the swap")
        b.image(res.swapped, caption=f"after: face from {src_name}", width="stretch",
                alt="the whole photo after the swap")

    st.subheader("What does the detector say?")
    left, right = st.columns(2)
    with left:
        score_column("Original destination", rgb, face)
    with right:
        score_column("The swap", res.swapped, face)
    st.caption("Compare plain alpha with seamless blending, and colour correction on and off: which traces does "
               "the detector rely on?")
    _send_buttons(res.swapped, face, f"face swap ({src_name} → {name})", "sw")
    fake_download(res.swapped, what="A face swap (one person's face put on another's head)",
                  file_name="deepfake-lab-face-swap.jpg", key="sw_download")


self_blend_lab()
st.divider()
swap_lab()
