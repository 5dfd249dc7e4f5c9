"""Explain: several attribution methods on one face, side by side, and the sanity check that tells a
heatmap that reflects the model from one that only reflects the picture."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.engine.explain import METHODS, sanity_check
from core.engine.verdict import score_points
from ui.handover import peek_last_face
from ui.inputs import NO_FACE, image_input
from ui.results import SessionResults, digest
from ui.resources import get_lab, untrained_warning

KEY = "explain"
PHOTOS = SessionResults(f"{KEY}_photos", max_entries=2)  # the analysed photo, so reruns do not redo it
MAPS = SessionResults(f"{KEY}_maps", max_entries=24)  # {(crop digest, method): Explanation}, this session only

ABOUT = {
    "gradcam": ("Weighs the network's last layer of feature maps by how much each one raises the *manipulated* "
                "score. Fast and smooth, but coarse: it can only point at a few large patches of the face."),
    "integrated_gradients": ("Blends the picture in from black in small steps and adds up, pixel by pixel, how "
                             "the score changes along the way. Fine-grained, slower, and often speckled like "
                             "the image's own edges."),
    "occlusion": ("Covers one square of the face at a time with grey and measures how much the score drops. "
                  "Easy to trust because it only uses the model's answers, but blocky and the slowest."),
}

st.title(":material/psychology: Explain")
st.markdown(
    "Heatmaps (saliency maps) claim to show *where* a detector found its evidence. Different methods give "
    "different answers for the same face and the same score — and some heatmaps look convincing even when the "
    "model behind them learned nothing. Compare them here, then run the **sanity check**."
)
lab = get_lab()
untrained_warning(lab)


last = peek_last_face()
choices = (["Face last analysed on Detect"] if last else []) + ["Choose a photo"]
where = st.radio("Which face?", choices, horizontal=True, key=f"{KEY}_where") if len(choices) > 1 else choices[0]
if where == "Face last analysed on Detect":
    crop, name = last.crop, last.name
else:
    picked = image_input(KEY, camera=True)
    if picked is None:
        st.info("Choose a sample, upload a photo or take one with the camera to begin.")
        st.stop()
    rgb, photo_name = picked
    faces = PHOTOS.compute(digest(rgb), lab.analyze_image, rgb, label="Finding faces…").faces  # in the shared pool
    if not faces:
        st.warning(NO_FACE)
        st.stop()
    i = 0
    if len(faces) > 1:
        i = st.selectbox("Face", list(range(len(faces))), key=f"{KEY}_face",
                         format_func=lambda k: f"face {k + 1} (fake score {score_points(faces[k].fake_prob)})")
    crop, name = faces[i].crop, f"{photo_name}, face {i + 1}"

methods = st.multiselect("Methods", list(METHODS), default=list(METHODS), format_func=METHODS.get,
                         key=f"{KEY}_methods")
alpha = st.slider("Heatmap opacity", 0.0, 1.0, 0.55, 0.05, key=f"{KEY}_alpha")
face_key = digest(crop)


def get_map(method: str):
    return MAPS.compute((face_key, method), lab.explain, crop, method, label=f"Computing {METHODS[method]}…")


prob = float(lab.detector.predict(crop)[0])
st.markdown(f"**{name}** — fake score **{score_points(prob)}** ({lab.detector.verdict(prob)}).")
cols = st.columns(1 + len(methods))
with cols[0]:
    st.image(crop, caption="the crop the detector sees", width="stretch",
             alt="the aligned face crop the detector scores")
for col, method in zip(cols[1:], methods):
    with col:
        st.image(get_map(method).overlay(alpha), caption=METHODS[method], width="stretch",
                 alt=f"{METHODS[method]} heatmap over the face crop: yellow = most evidence for manipulated")
        st.caption(ABOUT[method])
st.caption("Colour scale (viridis, readable with colour-blindness): dark purple = no evidence, yellow = the most "
           "evidence for *manipulated* in this face. Each map is scaled to its own maximum, so compare shapes, "
           "not brightness.")

st.header("Sanity check: does the heatmap depend on what the model learned?")
st.markdown(
    "Adebayo et al. (2018) proposed a simple test: compute the same heatmap from a copy of the network whose "
    "weights are **random** — a model that learned nothing. If the two maps look alike, the heatmap mostly shows "
    "the picture's own edges and shapes, not the model's reasoning."
)
check_method = st.selectbox("Method to check", list(METHODS), format_func=METHODS.get, key=f"{KEY}_check")
check = MAPS.compute((face_key, "sanity", check_method), sanity_check, lab.detector, crop, check_method,
                     label="Running the sanity check…")
a, b, c = st.columns([1, 1, 1.2])
with a:
    st.image(check.trained.overlay(alpha), caption=f"{METHODS[check_method]} — the lab's model",
             width="stretch", alt=f"{METHODS[check_method]} heatmap of the lab's trained model")
with b:
    if check.randomized.blank and check.randomized.signed is not None and np.abs(check.randomized.signed).max() > 0:
        st.image(check.randomized.magnitude_overlay(alpha), width="stretch",
                 alt=f"{METHODS[check_method]} heatmap of the same network with random weights",
                 caption=f"{METHODS[check_method]} — random weights: all of its evidence points to \"real\", so it is "
                         "shown by size, whichever way it points")
    else:
        st.image(check.randomized.overlay(alpha),
                 caption=f"{METHODS[check_method]} — random weights", width="stretch",
                 alt=f"{METHODS[check_method]} heatmap of the same network with random weights")
with c:
    st.metric("Similarity of the two maps", f"{check.similarity:+.2f}",
              help="Spearman rank correlation of the two maps' pixels, from −1 to +1, compared before negative "
                   "evidence is cut off (a random network's map often points entirely to *real*).")
    if check.trained.blank and check.randomized.blank and check.similarity == 0:
        st.markdown("Both maps are **blank**: neither model found any evidence for *manipulated* in this face, "
                    "so there is nothing to compare. Try a fake from *Make a fake*.")
    elif check.similarity > 0.5:
        st.markdown("**High similarity**: this map barely depends on what the model learned. Do not read it as "
                    "the model's reasoning — it mostly reflects the picture itself.")
    elif check.similarity > 0.2:
        st.markdown("**Some similarity**: part of this map comes from the picture rather than from the model. "
                    "Read it with care.")
    else:
        st.markdown("**Low similarity**: the map changes when the learned weights are thrown away, so it does "
                    "reflect the model. That is necessary for a useful explanation, not proof that the model "
                    "is right.")
    if not lab.trained:
        st.caption("The lab's model is untrained too, so this compares two random networks.")
