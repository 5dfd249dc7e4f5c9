"""Detect — photo & webcam: every face's score with its verdict band, and where the detector looked (Grad-CAM)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.engine.analysis import turn
from core.engine.explain import overlay
from core.engine.faces import shrink_to_longest
from core.engine.verdict import Verdict, score_points
from ui.draw import draw_faces
from ui.handover import drop_frozen_frame, peek_frozen_frame, send_last_face
from ui.inputs import image_input, input_failed
from ui.jobs import run_job
from ui.pages import EXPLAIN
from ui.results import SessionResults, digest
from ui.resources import get_lab, untrained_warning
from ui.trust import trust_panel
from ui.verdict import HEATMAP_READING, SEAM_READING, reading, score_gauge, score_meaning, shade_bands, verdict_box

KEY = "detect_photo"
RESULTS = SessionResults(f"{KEY}_result", max_entries=1)  # this session's last analysis (kept across pages)
KEEP = (f"{KEY}_source", f"{KEY}_sample")  # input choices restored when the learner comes back
SHOWN_SIDE = 1600  # the annotated photo kept in the session is at most this wide/tall

st.title(":material/image_search: Detect — photo")
st.markdown(
    "Is a face in this photo manipulated, and where did the detector look? Every face is found, cut out "
    "and scored by the lab's detector; the heatmap shows which parts of the crop pushed the score up."
)
lab = get_lab()
untrained_warning(lab)

# Widgets forget their state when the learner visits another page; restore the choices from our own keys.
for k in KEEP:
    if k not in st.session_state and f"_keep_{k}" in st.session_state:
        st.session_state[k] = st.session_state[f"_keep_{k}"]

frozen = peek_frozen_frame()
if frozen is not None:
    st.info("Analysing the frame you froze on the **Live** page.", icon=":material/photo_camera:")
    if st.button("Use another photo instead", key=f"{KEY}_unfreeze"):
        drop_frozen_frame()
        st.rerun()
    picked = (frozen, "frame from the Live page")
else:
    picked = image_input(KEY, camera=True)
for k in KEEP:
    if k in st.session_state:
        st.session_state[f"_keep_{k}"] = st.session_state[k]


def _analyse(rgb: np.ndarray, name: str) -> dict:
    report = lab.analyze_image(rgb, try_rotations=True)
    rgb = turn(rgb, report.rotation)  # the boxes are in the turned photo when it had to be turned
    labels = [f"{i + 1}: {score_points(f.fake_prob)}" for i, f in enumerate(report.faces)]
    colours = [Verdict(f.verdict).colour for f in report.faces]
    shown = draw_faces(rgb, [f.box for f in report.faces], None, labels, colours)
    shown, _ = shrink_to_longest(shown, SHOWN_SIDE)
    return {"name": name, "report": report, "shown": shown, "heatmaps": {}}


if picked is not None:
    rgb, name = picked
    result = RESULTS.compute(digest(rgb), _analyse, rgb, name, label="Finding and scoring faces…")
elif frozen is None and input_failed(KEY):
    st.stop()  # the error above says why; an older result below it would read as this file's
else:
    result = RESULTS.last()
    if result is None:
        st.info("Choose a sample, upload a photo or take one with the camera to begin.")
        st.stop()
    st.caption(f"Showing your last result ({result['name']}). Upload or pick another photo to analyse it.")

report = result["report"]
meta = lab.detector.meta
faces = report.faces
left, right = st.columns([3, 2])
with left:
    st.image(result["shown"], caption=f"{result['name']} — {report.width}×{report.height} pixels", width="stretch",
             alt="the photo with a numbered box around every face found, coloured and labelled by its verdict")
    if report.rotation:
        st.info(f"No face was found the way up this photo arrived, so the lab turned it {report.rotation}° "
                "(shown turned) and found the face(s) there.", icon=":material/rotate_right:")
with right:
    if not faces:
        st.warning("No face found, so there is nothing to score — also not with the photo turned sideways or "
                   "upside down. Try a photo where a face is clearly visible, facing the camera and at least about "
                   "40 pixels tall.")
        st.stop()
    counts = {v: sum(f.verdict == v for f in faces) for v in Verdict}
    verdict_box(f"Found {len(faces)} face{'s' if len(faces) != 1 else ''}: "
                + ", ".join(f"{n} {v}" for v, n in counts.items() if n) + ".",
                max((f.verdict for f in faces), key=list(Verdict).index))
    if report.skipped_faces:
        st.caption(f"{report.skipped_faces} smaller face(s) were not analysed (the lab scores at most "
                   f"{lab.limits.max_faces} a photo, largest first).")
    if len(faces) == 1:
        st.plotly_chart(score_gauge(faces[0].fake_prob, meta, title="Face 1 — fake score"),
                        width="stretch", config={"displayModeBar": False}, key=f"{KEY}_gauge_all")
    else:
        fig = go.Figure(go.Bar(x=[f"face {i + 1}" for i in range(len(faces))], y=[100 * f.fake_prob for f in faces],
                               marker_color=[Verdict(f.verdict).css() for f in faces],
                               text=[score_points(f.fake_prob) for f in faces], textposition="outside",
                               hovertemplate="%{x}: fake score %{y:.0f}<extra></extra>"))
        shade_bands(fig, meta)
        fig.update_layout(height=260, margin={"l": 10, "r": 20, "t": 10, "b": 10}, yaxis_range=[0, 105],
                          yaxis_title="fake score (0–100)")
        st.plotly_chart(fig, width="stretch", config={"displayModeBar": False}, key=f"{KEY}_bars")

if len(faces) > 1:
    table = pd.DataFrame({
        "face": np.arange(1, len(faces) + 1),
        "fake score": [round(100 * f.fake_prob, 1) for f in faces],
        "verdict": [f.verdict for f in faces],
        "detection confidence": [round(100 * f.detection_prob, 1) for f in faces],
        "size (px)": [int(max(f.box[2] - f.box[0], f.box[3] - f.box[1])) for f in faces],
    })
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={"fake score": st.column_config.ProgressColumn(
                     "fake score (0–100)", min_value=0, max_value=100, format="%.1f")})
    chosen = st.selectbox("Look closer at face", list(range(len(faces))), format_func=lambda i: f"face {i + 1}",
                          key=f"{KEY}_face")
else:
    chosen = 0
face = faces[min(chosen, len(faces) - 1)]

heatmaps = result["heatmaps"]
if chosen not in heatmaps:
    heatmaps[chosen] = run_job(lab.explain, face, "gradcam", label="Computing the heatmap…")
send_last_face(face.crop, f"{result['name']}, face {chosen + 1}", face.fake_prob)

seam = lab.seam_map(face)  # None unless the detector has a seam head

st.header(f"Face {chosen + 1}")
alpha = st.slider("Heatmap opacity", 0.0, 1.0, 0.5, 0.05, key=f"{KEY}_alpha")
c1, c2, *c_seam, c3 = st.columns([1, 1, 1, 1.3] if seam is not None else [1, 1, 1.3])
with c1:
    st.image(face.crop, caption="what the detector sees", width="stretch",
             alt="the aligned face crop the detector scores")
with c2:
    st.image(heatmaps[chosen].overlay(alpha), caption="Grad-CAM: where it looked", width="stretch",
             alt="Grad-CAM heatmap over the face crop: yellow = most evidence for manipulated")
for c in c_seam:
    c.image(overlay(face.crop, seam, alpha), caption=f"Seam map: where it thinks a blend edge is "
            f"(strongest {score_points(float(seam.max()))} / 100)", width="stretch",
            alt="seam map over the face crop: yellow = where the detector expects the edge of a pasted-in face")
with c3:
    if len(faces) > 1:
        st.plotly_chart(score_gauge(face.fake_prob, meta), width="stretch", config={"displayModeBar": False},
                        key=f"{KEY}_gauge_face")
    st.markdown(reading(face.fake_prob, face.verdict, meta))
    st.caption(score_meaning(meta))
trust_panel()
st.markdown(HEATMAP_READING)
if seam is not None:
    st.markdown(SEAM_READING)
if st.button("Compare explanation methods on this face →", key=f"{KEY}_to_explain"):
    st.switch_page(EXPLAIN)
