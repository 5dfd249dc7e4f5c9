"""Showing a detector score: plotly bars/timelines with the model's verdict bands shaded, and plain words.

Band edges always come from the loaded checkpoint (``lab.detector.meta``), never from constants here.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from core.classroom.lessons import load_model_card
from core.engine.detector import DetectorMeta
from core.engine.verdict import SCORE_MEANING, Verdict, score_points


def css(verdict: str, alpha: float = 1.0) -> str:
    """A verdict's colour as a CSS/plotly ``rgba(...)`` string (the lab's one verdict palette)."""
    return Verdict(verdict).css(alpha)


def bands(meta: DetectorMeta) -> list[tuple[Verdict, float, float]]:
    """(verdict, low, high) for the three bands, as fractions in [0, 1]."""
    return [(Verdict.REAL, 0.0, meta.likely_real_below),
            (Verdict.UNCERTAIN, meta.likely_real_below, meta.likely_manipulated_from),
            (Verdict.MANIPULATED, meta.likely_manipulated_from, 1.0)]


def score_meaning(meta: DetectorMeta) -> str:
    """One paragraph on what the fake score means, with the detector's measured quality from
    models/model_card.json (nothing about the detector's quality is typed in here)."""
    text = SCORE_MEANING
    card = load_model_card() or {}
    auc = card.get("val_auc_selfblend")
    if isinstance(auc, (int, float)) and card.get("version") == meta.version:
        text += (f" On self-blended fakes of people it never saw in training, a fake outscores a real face "
                 f"{auc:.0%} of the time (AUC {auc:.2f}, from the model card).")
        others = [f["auc"] for name, f in (card.get("families") or {}).items()
                  if isinstance(f, dict) and f.get("auc") is not None and "generated" not in name.lower()]
        if others and max(others) < auc:
            text += (f" On fakes made by other tools it does worse (AUC {min(others):.2f}–{max(others):.2f}; the "
                     "Detect pages and *Privacy & model* say which).")
    return text


def score_gauge(prob: float, meta: DetectorMeta, *, title: str = "", height: int = 210) -> go.Figure:
    """A gauge of one face's fake score (0–100) over the three shaded verdict bands."""
    fig = go.Figure(go.Indicator(
        mode="gauge+number", value=100 * prob, number={"valueformat": ".0f"},
        title={"text": title, "font": {"size": 14}} if title else None,
        gauge={"axis": {"range": [0, 100]},
               "bar": {"color": "rgba(20,20,20,0.85)", "thickness": 0.3},
               "steps": [{"range": [100 * lo, 100 * hi], "color": css(v, 0.45)} for v, lo, hi in bands(meta)],
               "threshold": {"line": {"color": "black", "width": 3}, "thickness": 0.9, "value": 100 * prob}},
    ))
    fig.update_layout(height=height, margin={"l": 25, "r": 25, "t": 55 if title else 20, "b": 5})
    return fig


def shade_bands(fig: go.Figure, meta: DetectorMeta, *, scale: float = 100, opacity: float = 0.15,
                labels: bool = True, **where) -> None:
    """Shade the verdict bands horizontally (y axis: fake score 0–100) and label them on the right.

    ``scale`` is the axis value of a score of 1 (100 for a 0–100 axis, 1 for a [0, 1] axis); ``where`` goes
    to plotly's ``add_hrect`` (e.g. ``row="all", col="all"`` on a figure of subplots).
    """
    for v, lo, hi in bands(meta):
        text = {"annotation_text": v.label, "annotation_position": "top right", "annotation_font_size": 11} \
            if labels else {}
        fig.add_hrect(y0=scale * lo, y1=scale * hi, fillcolor=v.css(opacity), line_width=0, layer="below", **text, **where)


def timeline(times_s: np.ndarray, probs: np.ndarray, meta: DetectorMeta, *, video_score: float | None = None,
             highlight: list[float] | None = None) -> go.Figure:
    """Per-frame fake scores (0–100) against time; gaps where a frame had no face; bands shaded; the video's mean
    score as a dashed line and the most suspicious frames marked."""
    y = np.where(np.isfinite(probs), 100 * probs, np.nan)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=times_s, y=y, mode="lines+markers", name="frame score", connectgaps=False,
                             line={"color": "black", "width": 2}, marker={"size": 7},
                             hovertemplate="t=%{x:.2f}s<br>fake score %{y:.0f}<extra></extra>"))
    if highlight:
        hy = np.interp(highlight, times_s, np.nan_to_num(y))
        fig.add_trace(go.Scatter(x=highlight, y=hy, mode="markers", name="most suspicious",
                                 marker={"size": 14, "symbol": "circle-open", "line": {"width": 3},
                                         "color": Verdict.MANIPULATED.css()}))
    if video_score is not None:
        fig.add_hline(y=100 * video_score, line_dash="dash", line_color="grey",
                      annotation_text=f"video score {score_points(video_score)}", annotation_position="top left")
    shade_bands(fig, meta)
    fig.update_layout(height=320, margin={"l": 10, "r": 20, "t": 20, "b": 10}, showlegend=False,
                      xaxis_title="time in the video (s)", yaxis_title="fake score (0–100)",
                      yaxis={"range": [0, 100]})
    return fig


READINGS = {v: v.reading for v in Verdict}

HEATMAP_READING = (
    "**How to read the heatmap.** Bright (yellow) areas are where the network's last layer found the most evidence "
    "for *manipulated* (Grad-CAM). It shows **where the model looked, not what is fake**; it is coarse (the last layer sees the crop "
    "as a small grid of patches, blown up to the crop's size), and a heatmap can look convincing even for a model with random weights — the "
    "**Explain** page runs that sanity check."
)

SEAM_READING = (
    "**How to read the seam map.** This detector was also trained to draw where the edge of a pasted-in face runs "
    "(the idea of *Face X-ray*): bright means it expects a blending boundary there. Unlike the heatmap it is not "
    "stretched to its brightest spot, so a face in which it finds no seam stays dark. It is the network's guess, "
    "learned from the lab's own self-blends, not a measurement."
)


def reading(prob: float, verdict: str, meta: DetectorMeta) -> str:
    """A short plain-language reading of one fake score."""
    return (f"{Verdict(verdict).icon} **Fake score {score_points(prob)} — {verdict}.** " + Verdict(verdict).reading +
            f" (This model calls a face *likely real* below {score_points(meta.likely_real_below)} and *likely "
            f"manipulated* from {score_points(meta.likely_manipulated_from)}.)")


def verdict_badge(prob: float, verdict: str) -> str:
    """Markdown for a fake score and its verdict, coloured like everywhere else in the lab, with the verdict's icon
    and words so it is never told by colour alone."""
    v = Verdict(verdict)
    return f":{v.mark}-badge[{v.icon} {verdict}] fake score **{score_points(prob)}**"


def verdict_box(text: str, verdict: str) -> None:
    """A status message coloured and iconed by a verdict (blue for likely real, orange for uncertain, red for
    likely manipulated), never a green "success" for a verdict."""
    v = Verdict(verdict)
    show = {Verdict.REAL: st.info, Verdict.UNCERTAIN: st.warning, Verdict.MANIPULATED: st.error}[v]
    show(text, icon=v.icon)
