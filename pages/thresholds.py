"""Thresholds & base rates: what a detector's scores mean when it screens many items a day."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from core.labs.roc import EvalScores, alerts_sentence, base_rate, confusion_at, eval_scores_path, load_eval_scores, roc
from core.engine.verdict import Verdict
from core.errors import LabError
from ui.resources import get_lab

REAL_COLOUR = Verdict.REAL.css()
FAKE_COLOUR = Verdict.MANIPULATED.css()


@st.cache_data(show_spinner=False, max_entries=4)
def _load(path: str, mtime: float) -> EvalScores | str:
    """The scores, or the reason they could not be read (mtime keys the cache to the file's version)."""
    try:
        return load_eval_scores(path)
    except (OSError, LabError) as err:
        return f"{Path(path).name} could not be read: {err}"


def _pct(x: float) -> str:
    return "n/a" if np.isnan(x) else f"{x:.1%}"


st.title(":material/show_chart: Thresholds & base rates")
st.markdown(
    "A detector gives each item a **score**; someone has to pick the **threshold** above which an item is "
    "flagged. Lower it and more fakes are caught, but more real items are flagged by mistake. And when fakes are "
    "**rare** among what is screened, even a good detector's alerts are mostly false alarms. This page shows both "
    "effects with the lab detector's measured scores, and a calculator for any detector."
)

meta = get_lab().detector.meta
path = eval_scores_path()
data: EvalScores | None = None
if not path.exists():
    st.info(
        "No measured scores yet: `models/eval_scores.csv` appears once the lab's detector has been evaluated "
        "(`python -m core.training.evaluate`). Until then, use the calculator below with detection rates you enter yourself.",
        icon=":material/info:",
    )
else:
    loaded = _load(str(path), path.stat().st_mtime)
    if isinstance(loaded, str):
        st.error(loaded + " Regenerate it with `python -m core.training.evaluate`.", icon=":material/block:")
    else:
        data = loaded

tpr_measured = fpr_measured = None
if data is not None:
    st.header("1 · Measured scores and the threshold")
    if data.sources() is not None:
        # Choices are the evaluation's family names (from the scores file), not raw manifest strings.
        fake_kinds, real_kinds = data.source_names(1), data.source_names(0)
        # Start with the face swaps this detector is built for; fully generated faces (StyleGAN2 vs FFHQ
        # photos) are one click away, with their own lesson (Spectrum lab).
        swap_only = lambda kinds: [k for k in kinds if not any(m in k.lower() for m in ("stylegan", "ffhq"))] or kinds
        c1, c2 = st.columns(2)
        with c1:
            pick_fake = st.multiselect("Fakes from", fake_kinds, default=swap_only(fake_kinds), key="thr_fake_kinds",
                                       help="Which kinds of fakes count. Try the fully generated (GAN) faces alone: "
                                            "a blending detector was not built for them.")
        with c2:
            pick_real = st.multiselect("Real items from", real_kinds, default=swap_only(real_kinds),
                                       key="thr_real_kinds",
                                       help="The real items each family of fakes is compared with. Fully generated "
                                            "faces and their FFHQ photos start unselected: add them to see a "
                                            "blending detector fail on a kind of fake it never learned.")
        data = data.from_sources(set(pick_fake), set(pick_real))
    n_fake, n_real = int(data.labels.sum()), int((data.labels == 0).sum())
    st.caption(f"{n_real:,} real items and {n_fake:,} fakes from the evaluation data (never used for training).")

    lo, hi = (0.0, 1.0) if len(data) == 0 or (data.scores.min() >= 0 and data.scores.max() <= 1) else \
        (float(data.scores.min()), float(data.scores.max()))
    default = float(np.clip(meta.likely_manipulated_from, lo, hi))
    threshold = st.slider("Threshold: flag an item as fake when its score is at least", lo, hi, default,
                          step=(hi - lo) / 100, key="thr_threshold",
                          help=f"Starts at the detector's own 'likely manipulated' boundary ({default:.2f}).")

    if n_fake == 0 or n_real == 0:
        st.warning("A ROC curve needs both real items and fakes: choose at least one kind of each above.",
                   icon=":material/warning:")
    else:
        curve = roc(data.labels, data.scores)
        at = confusion_at(data.labels, data.scores, threshold)
        tpr_measured, fpr_measured = at.tpr, at.fpr
        m1, m2, m3, m4 = st.columns(4)
        m1.metric("Fakes caught", _pct(at.tpr), help=f"True-positive rate: {at.tp} of {at.tp + at.fn} fakes.")
        m2.metric("Real items flagged", _pct(at.fpr),
                  help=f"False-positive rate: {at.fp} of {at.fp + at.tn} real items.")
        m3.metric("Alerts that are fakes", _pct(at.precision),
                  help="Precision on this test set's mix of real and fake items; the calculator below shows how "
                       "it changes when fakes are rarer.")
        m4.metric("ROC AUC", f"{curve.auc:.3f}",
                  help="Area under the ROC curve. 1.0: every fake scores above every real item; 0.5: no better "
                       "than a coin toss; below 0.5: fakes tend to score lower than real items.")

        left, right = st.columns(2)
        with left:
            fig = go.Figure()
            fig.add_trace(go.Scatter(x=curve.fpr, y=curve.tpr, mode="lines", name=f"ROC (AUC {curve.auc:.3f})",
                                     line=dict(color=FAKE_COLOUR, width=3), line_shape="hv",
                                     customdata=curve.thresholds,
                                     hovertemplate="threshold %{customdata:.3f}<br>false alarms %{x:.1%}"
                                                   "<br>fakes caught %{y:.1%}<extra></extra>"))
            fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="coin toss",
                                     line=dict(color="grey", dash="dash"), hoverinfo="skip"))
            fig.add_trace(go.Scatter(x=[at.fpr], y=[at.tpr], mode="markers", name=f"threshold {threshold:.2f}",
                                     marker=dict(size=14, color="black", symbol="x"),
                                     hovertemplate="this threshold<br>false alarms %{x:.1%}<br>fakes caught "
                                                   "%{y:.1%}<extra></extra>"))
            fig.update_layout(title="ROC curve: every possible threshold", height=420,
                              xaxis=dict(title="Real items flagged (false-positive rate)", tickformat=".0%",
                                         range=[-0.01, 1.01]),
                              yaxis=dict(title="Fakes caught (true-positive rate)", tickformat=".0%",
                                         range=[-0.01, 1.01]),
                              legend=dict(x=0.55, y=0.08), margin=dict(l=10, r=10, t=50, b=10))
            st.plotly_chart(fig, width="stretch", key="thr_roc")
        with right:
            fig = go.Figure()
            bins = dict(start=lo, end=hi, size=(hi - lo) / 25)
            for label, name, colour in ((0, "real items", REAL_COLOUR), (1, "fakes", FAKE_COLOUR)):
                fig.add_trace(go.Histogram(x=data.scores[data.labels == label], name=name, histnorm="percent",
                                           xbins=bins, marker_color=colour, opacity=0.6))
            fig.add_vline(x=threshold, line=dict(color="black", width=2, dash="dot"),
                          annotation_text="threshold", annotation_position="top")
            fig.update_layout(barmode="overlay", title="Scores of each class (share of that class)", height=420,
                              xaxis=dict(title="Detector's fake score (0–1; 0.70 is a score of 70)", range=[lo, hi]),
                              yaxis=dict(title="% of the class", ticksuffix="%"),
                              legend=dict(x=0.4, y=0.98), margin=dict(l=10, r=10, t=50, b=10))
            st.plotly_chart(fig, width="stretch", key="thr_hist")
        st.caption("Everything right of the dotted line is flagged: the blue bars there are false alarms, the "
                   "orange bars left of it are missed fakes. No threshold removes both where the colours overlap.")

st.header("2 · Base-rate calculator" if data is not None else "Base-rate calculator")
st.markdown("How many alerts would a detector raise if it screened a whole platform's uploads? What matters is "
            "not only how good it is, but **how rare fakes are** among what it sees.")
c1, c2 = st.columns(2)
with c1:
    items = st.number_input("Items screened per day", min_value=0, max_value=10_000_000_000, value=1_000_000,
                            step=100_000, key="thr_items")
with c2:
    share_pct = st.number_input("Share that are fakes (%)", min_value=0.0, max_value=100.0, value=0.1, step=0.05,
                                format="%.3f", key="thr_share", help="0.1% means 1 in 1,000 items is a fake.")

MEASURED, OWN = "The lab detector at the threshold above", "Rates I enter"
source = (st.radio("Detection rates", [MEASURED, OWN], horizontal=True, key="thr_rate_source")
          if tpr_measured is not None else OWN)
if source == MEASURED:
    tpr, fpr = tpr_measured, fpr_measured
    st.caption(f"Measured at threshold {threshold:.2f}: catches {tpr:.1%} of fakes, flags {fpr:.1%} of real items. "
               "Measured on a small evaluation set, so real-world rates can differ.")
else:
    c1, c2 = st.columns(2)
    with c1:
        tpr = st.slider("Fakes caught (%)", 0.0, 100.0, 95.0, 0.5, key="thr_tpr",
                        help="True-positive rate: the share of fakes the detector flags.") / 100
    with c2:
        fpr = st.slider("Real items flagged by mistake (%)", 0.0, 100.0, 5.0, 0.1, key="thr_fpr",
                        help="False-positive rate. A '95% accurate' detector often means 95% caught, 5% false "
                             "alarms.") / 100

result = base_rate(float(items), share_pct / 100, tpr, fpr)
m1, m2, m3 = st.columns(3)
m1.metric("Fakes caught per day", f"{result.true_alarms:,.0f}")
m2.metric("False alarms per day", f"{result.false_alarms:,.0f}")
m3.metric("Fakes missed per day", f"{result.missed_fakes:,.0f}")
st.success(alerts_sentence(result), icon=":material/calculate:")

if result.alerts > 0:
    real = 100 * result.precision
    fig = go.Figure()
    fig.add_trace(go.Bar(y=["100 alerts"], x=[real], orientation="h", name="real fakes", marker_color=FAKE_COLOUR,
                         hovertemplate="%{x:.1f} real fakes<extra></extra>"))
    fig.add_trace(go.Bar(y=["100 alerts"], x=[100 - real], orientation="h", name="real items flagged by mistake",
                         marker_color=REAL_COLOUR, hovertemplate="%{x:.1f} false alarms<extra></extra>"))
    fig.update_layout(barmode="stack", height=150, margin=dict(l=10, r=10, t=10, b=10),
                      xaxis=dict(range=[0, 100], title="out of every 100 alerts"),
                      legend=dict(orientation="h", x=0, y=1.02, yanchor="bottom"))
    st.plotly_chart(fig, width="stretch", key="thr_alert_bar")

with st.expander("Why this matters for policy"):
    st.markdown(
        "- **Accuracy is not one number.** \"95% accurate\" hides two rates: how many fakes are caught and how "
        "many real items are wrongly flagged. Ask for both, and on what data they were measured.\n"
        "- **Rare fakes mean mostly false alarms.** Screening a million real videos a day at a 5% false-positive "
        "rate raises 50,000 false alarms a day, every day — each a real person's real video.\n"
        "- **The threshold is a policy choice.** Lowering it catches more fakes and accuses more innocent "
        "uploads; raising it does the opposite. Who reviews the alerts, and what happens to a flagged item, "
        "matter as much as the detector.\n"
        "- **Detectors age.** Rates measured on yesterday's fakes say little about tomorrow's generators."
    )
