"""Showing a detector score: plotly bars/timelines with the model's verdict bands shaded, and plain words.

Band edges always come from the loaded checkpoint (``lab.detector.meta``), never from constants here.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from core.engine.detector import VERDICTS, DetectorMeta
from ui.draw import VERDICT_COLOURS


def css(verdict: str, alpha: float = 1.0) -> str:
    r, g, b = VERDICT_COLOURS[verdict]
    return f"rgba({r},{g},{b},{alpha})"


def bands(meta: DetectorMeta) -> list[tuple[str, float, float]]:
    """(verdict, low, high) for the three bands, as fractions in [0, 1]."""
    return [(VERDICTS[0], 0.0, meta.likely_real_below),
            (VERDICTS[1], meta.likely_real_below, meta.likely_manipulated_from),
            (VERDICTS[2], meta.likely_manipulated_from, 1.0)]


def score_gauge(prob: float, meta: DetectorMeta, *, title: str = "", height: int = 210) -> go.Figure:
    """A gauge of one face's fake probability (%) over the three shaded verdict bands."""
    fig = go.Figure(go.Indicator(
        mode="gauge+number", value=100 * prob, number={"suffix": "%", "valueformat": ".0f"},
        title={"text": title, "font": {"size": 14}} if title else None,
        gauge={"axis": {"range": [0, 100], "ticksuffix": "%"},
               "bar": {"color": "rgba(20,20,20,0.85)", "thickness": 0.3},
               "steps": [{"range": [100 * lo, 100 * hi], "color": css(v, 0.45)} for v, lo, hi in bands(meta)],
               "threshold": {"line": {"color": "black", "width": 3}, "thickness": 0.9, "value": 100 * prob}},
    ))
    fig.update_layout(height=height, margin={"l": 25, "r": 25, "t": 55 if title else 20, "b": 5})
    return fig


def shade_bands(fig: go.Figure, meta: DetectorMeta) -> None:
    """Shade the verdict bands horizontally (y axis in %) and label them on the right."""
    for v, lo, hi in bands(meta):
        fig.add_hrect(y0=100 * lo, y1=100 * hi, fillcolor=css(v, 0.15), line_width=0, layer="below",
                      annotation_text=v, annotation_position="top right", annotation_font_size=11)


def timeline(times_s: np.ndarray, probs: np.ndarray, meta: DetectorMeta, *, video_score: float | None = None,
             highlight: list[float] | None = None) -> go.Figure:
    """Per-frame scores (%) against time; gaps where a frame had no face; bands shaded; the video's mean
    score as a dashed line and the most suspicious frames marked."""
    y = np.where(np.isfinite(probs), 100 * probs, np.nan)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=times_s, y=y, mode="lines+markers", name="frame score", connectgaps=False,
                             line={"color": "black", "width": 2}, marker={"size": 7},
                             hovertemplate="t=%{x:.2f}s<br>score %{y:.0f}%<extra></extra>"))
    if highlight:
        hy = np.interp(highlight, times_s, np.nan_to_num(y))
        fig.add_trace(go.Scatter(x=highlight, y=hy, mode="markers", name="most suspicious",
                                 marker={"size": 14, "symbol": "circle-open", "line": {"width": 3},
                                         "color": css(VERDICTS[2])}))
    if video_score is not None:
        fig.add_hline(y=100 * video_score, line_dash="dash", line_color="grey",
                      annotation_text=f"video score {video_score:.0%}", annotation_position="top left")
    shade_bands(fig, meta)
    fig.update_layout(height=320, margin={"l": 10, "r": 20, "t": 20, "b": 10}, showlegend=False,
                      xaxis_title="time in the video (s)", yaxis_title="fake probability (%)",
                      yaxis={"range": [0, 100]})
    return fig


READINGS = {
    VERDICTS[0]: ("The detector found little of the blending evidence it was trained to notice. That is **not proof** "
                  "the face is genuine: a kind of manipulation it never saw in training, or a heavily compressed "
                  "picture, can pass unnoticed."),
    VERDICTS[1]: ("The score sits between the model's two thresholds: the detector cannot tell. Look for other "
                  "evidence — where the picture came from, other copies of it, whether the story makes sense."),
    VERDICTS[2]: ("The detector found patterns it associates with a face pasted and blended into a photo. Detectors "
                  "make mistakes: strong filters, beauty apps, heavy compression or unusual light can trigger it too. "
                  "Treat this as a reason to check the source, not as proof of a fake."),
}

HEATMAP_READING = (
    "**How to read the heatmap.** Bright (yellow) areas are where the network's last layer found the most evidence "
    "for *manipulated* (Grad-CAM). It shows **where the model looked, not what is fake**; it is coarse (the last layer sees the crop "
    "as a small grid of patches, blown up to the crop's size), and a heatmap can look convincing even for a model with random weights — the "
    "**Explain** page runs that sanity check."
)


def reading(prob: float, verdict: str, meta: DetectorMeta) -> str:
    """A short plain-language reading of one score."""
    return (f"**{prob:.0%} — {verdict}.** " + READINGS[verdict] +
            f" (This model calls a face *likely real* below {meta.likely_real_below:.0%} and *likely manipulated* "
            f"from {meta.likely_manipulated_from:.0%}.)")
