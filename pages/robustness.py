"""Robustness: how JPEG, downscaling, blur, noise and brightness move the detector's score."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from core.labs.robustness import PERTURBATIONS, RobustnessReport, apply_chain, robustness_curves
from core.engine.detector import DetectorMeta
from core.engine.verdict import Verdict, score_points
from ui.explore import choose_photo, gradcam_overlay, verdict_badge
from ui.jobs import pooled_cache
from ui.resources import get_lab, untrained_warning
from ui.verdict import score_meaning, shade_bands

LINE = Verdict.REAL.css()
MARK = Verdict.MANIPULATED.css()
# Strongest change on the right for every plot: JPEG and downscale grow stronger as their number falls.
REVERSED = {"jpeg", "downscale"}


@pooled_cache(label="Scoring every setting of every change (one batch)…", max_entries=16)
def _curves(_lab, crop: np.ndarray) -> RobustnessReport:
    return robustness_curves(_lab.detector, crop)


@pooled_cache(label="Cropping the face…", max_entries=64)
def _crop(_lab, rgb: np.ndarray, box: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    from core.engine.faces import Face

    return _lab.crop(rgb, Face(box=box, landmarks=landmarks, prob=1.0))[0]


def _figure(report: RobustnessReport, chosen: dict[str, float], meta: DetectorMeta) -> go.Figure:
    kinds = list(report.curves)
    # At most three plots a row: five side by side are unreadable on a phone.
    cols = min(3, len(kinds))
    rows = -(-len(kinds) // cols)
    fig = make_subplots(rows=rows, cols=cols, shared_yaxes=True, horizontal_spacing=0.04, vertical_spacing=0.2,
                        subplot_titles=[report.curves[k].label for k in kinds])
    for n, kind in enumerate(kinds):
        row, i = divmod(n, cols)
        row += 1
        i += 1
        c = report.curves[kind]
        fig.add_trace(go.Scatter(x=c.strengths, y=100 * np.asarray(c.probs), mode="lines+markers",
                                 line=dict(color=LINE), name=c.label, showlegend=False,
                                 hovertemplate=f"{c.unit}: %{{x}}<br>fake score: %{{y:.0f}}<extra></extra>"),
                      row=row, col=i)
        fig.add_vline(x=chosen[kind], line=dict(color=MARK, dash="dot"), row=row, col=i)
        # The unit's note on a line of its own, so neighbouring axis titles do not overlap on a phone.
        fig.update_xaxes(title_text=c.unit.replace(" (", "<br>("), autorange="reversed" if kind in REVERSED else True,
                         row=row, col=i)
    # The verdict bands of the checkpoint's thresholds, and the unchanged photo's score.
    shade_bands(fig, meta, opacity=0.08, labels=False, row="all", col="all")
    fig.add_hline(y=100 * report.base_prob, line=dict(color="grey", dash="dash"), row="all", col="all")
    fig.update_yaxes(range=[0, 100])
    fig.update_yaxes(title_text="fake score (0–100)", col=1)
    fig.update_layout(height=300 * rows, margin=dict(l=10, r=10, t=40, b=10))
    return fig


st.title(":material/blur_on: Robustness")
st.markdown(
    "Photos rarely reach a fact-checker untouched: platforms **compress** and **shrink** them, cameras add "
    "**noise**, people **brighten** or **blur** them. Each of these can wash out the faint blending traces a "
    "detector looks for. Move the sliders to apply changes, and see in the curves how the score moves "
    "across the whole range of each change."
)
lab = get_lab()
untrained_warning(lab)
chosen_photo = choose_photo("robust")
if chosen_photo is None:
    st.stop()
rgb, face, name = chosen_photo
crop = _crop(lab, rgb, face.box, face.landmarks)
report = _curves(lab, crop)
meta = lab.detector.meta


@st.fragment
def explorer() -> None:
    st.header("Change the photo")
    cols = st.columns(len(PERTURBATIONS))
    chosen: dict[str, float] = {}
    for col, (kind, p) in zip(cols, PERTURBATIONS.items()):
        value = col.slider(p.label, float(p.lo), float(p.hi), float(p.identity), float(p.step), key=f"rb_{kind}",
                           help=p.unit, format="%d" if kind == "jpeg" else "%.2f")
        chosen[kind] = value
    active = {k: v for k, v in chosen.items() if v != PERTURBATIONS[k].identity}
    changed = apply_chain(crop, active) if active else crop
    prob = float(lab.detector.predict(changed)[0])

    a, b, c, d = st.columns([1, 1, 1, 1.3])
    a.image(crop, caption="unchanged face crop", width="stretch", alt="the face crop, unchanged")
    b.image(changed, caption="with your changes", width="stretch", alt="the face crop with your changes applied")
    c.image(gradcam_overlay(changed), caption="Grad-CAM at this setting", width="stretch",
            alt="Grad-CAM heatmap over the face crop: yellow = most evidence for manipulated")
    with d:
        st.markdown(f"**Unchanged:** {verdict_badge(report.base_prob, lab.detector.verdict(report.base_prob))}")
        st.markdown(f"**With your changes:** {verdict_badge(prob, lab.detector.verdict(prob))}")
        shift = round(prob - report.base_prob, 3)  # "-0.0%" for no change reads like a change
        st.metric("Fake score with your changes", score_points(prob),
                  f"{100 * shift:+.1f} vs unchanged" if shift else None, delta_color="off")
        if active:
            st.caption("Applied, in this order: " + ", ".join(
                f"{PERTURBATIONS[k].label.lower()} {v:g}" for k, v in active.items()))
        else:
            st.caption("No change applied yet: move a slider.")

    st.header("Each change on its own, across its whole range")
    st.plotly_chart(_figure(report, chosen, meta), width="stretch")
    st.caption(
        "Each curve changes one thing at a time, scoring every point in one batch; the dotted line marks your "
        "slider. The dashed grey line is the unchanged score; shaded bands are the verdict thresholds "
        f"(below {score_points(meta.likely_real_below)} *likely real*, from "
        f"{score_points(meta.likely_manipulated_from)} *likely manipulated*). Changes are applied to the detector's face crop, so strengths are relative to it: a "
        "downscale of 0.5 means the face reaches the detector with half its usual pixels across."
    )
    st.caption(score_meaning(meta))


st.caption(f"Working on: {name}")
explorer()
st.info(
    "**Why this matters.** A fake that was compressed and resized on its way through social media can read as "
    "*real*, and a real photo that was heavily edited can look *manipulated*. A detector's accuracy is only "
    "known for the kind of images it was tested on; ask how it holds up on images like yours.",
    icon=":material/lightbulb:",
)
