"""Shared pieces of the quiz and teacher pages: the cached gallery and store, heatmaps, thumbnails, plotly
charts, and the teacher's sign-in cookie."""

from __future__ import annotations

import re

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from core.engine.analysis import Lab
from core.config import data_dir, setting
from core.classroom.gallery import Gallery, GalleryItem, describe_kind, load_gallery
from core.engine.faces import shrink_to_longest
from core.engine.media import MediaError, load_image
from core.classroom.quiz_stats import Comparison, ItemRow, hardest_first
from core.classroom.store import Store, get_store

RIGHT, WRONG = "#0072B2", "#D55E00"  # Okabe–Ito blue and vermillion (colour-blind safe)
NAMES = ("real", "fake")
# No plotly toolbar: on a phone it covers the chart's title, and a class has no use for zoom or export here.
CHART_CONFIG = {"displayModeBar": False}
THUMB_SIDE = 200
TEACHER_COOKIE = "lab_teacher"


@st.cache_resource(show_spinner=False, max_entries=8)
def _gallery(_lab: Lab, data_folder: str, teacher_dir: str, model_version: str) -> Gallery:
    return load_gallery(_lab, teacher_dir=teacher_dir, folder=None)


def get_gallery(lab: Lab) -> Gallery:
    """The quiz gallery for this data folder, teacher folder and model (built and scored once per server)."""
    teacher = setting("LAB_GALLERY_DIR") or ""
    with st.spinner("Preparing the quiz pictures and scoring them with the detector (first start only)…"):
        return _gallery(lab, str(data_dir()), teacher, lab.detector.meta.version)


def refresh_gallery() -> None:
    """Forget the cached gallery so the next page run rescans the teacher's folder (scores stay cached on disk)."""
    _gallery.clear()


def open_store() -> Store | None:
    """The shared database, or None after explaining what went wrong (the page then stops)."""
    try:
        return get_store()
    except Exception as exc:  # noqa: BLE001 - a wrong LAB_DATABASE_URL must explain itself, not crash the page
        st.error(f"The class database cannot be opened ({type(exc).__name__}: {exc}). Check LAB_DATABASE_URL "
                 "(or unset it to use the built-in SQLite file) and restart the lab.", icon=":material/database:")
        return None


@st.cache_data(show_spinner=False, max_entries=256)
def _heatmap(item_id: str, model_version: str, _item: GalleryItem, _lab: Lab, box: tuple, landmarks: tuple):
    from core.engine.faces import Face

    rgb = load_image(_item.content)
    face = Face(box=np.asarray(box, np.float32), landmarks=np.asarray(landmarks, np.float32), prob=1.0)
    crop, _ = _lab.crop(rgb, face)
    return crop, _lab.explain(crop, "gradcam").overlay(alpha=0.45)


def face_heatmap(lab: Lab, gallery: Gallery, item: GalleryItem) -> tuple[np.ndarray, np.ndarray] | None:
    """(crop, Grad-CAM overlay) of the face the detector scored on an image item; None without one."""
    score = gallery.scores.get(item.id)
    if item.media != "image" or score is None or score.box is None:
        return None
    return _heatmap(item.id, gallery.model_version, item, lab, score.box, score.landmarks)


@st.cache_data(show_spinner=False, max_entries=512)
def _thumbnail(item_id: str, version: str, _content) -> np.ndarray | None:
    try:
        return shrink_to_longest(load_image(_content), THUMB_SIDE)[0]
    except (MediaError, OSError):
        return None


def thumbnail(item: GalleryItem) -> np.ndarray | None:
    """A small copy of an image item for the teacher's list (None for videos and unreadable files)."""
    if item.media != "image":
        return None
    if item.data is not None:  # built-in: made in memory, keyed by its bytes
        import hashlib

        return _thumbnail(item.id, hashlib.sha256(item.data).hexdigest(), item.data)
    try:
        mtime = item.path.stat().st_mtime
    except OSError:
        return None
    return _thumbnail(item.id, f"{item.path}:{mtime}", item.path)


def show_chart(fig: go.Figure, *, key: str | None = None, where=st) -> None:
    """A plotly chart without the toolbar (see :data:`CHART_CONFIG`)."""
    where.plotly_chart(fig, width="stretch", key=key, config=CHART_CONFIG)


def show_item(item: GalleryItem) -> None:
    if item.media == "video":
        st.video(str(item.path))
    else:
        # The alt text must not give the answer away.
        st.image(item.data if item.data is not None else str(item.path), width="stretch",
                 alt="the quiz picture: a face, real or fake?")


# ---------------------------------------------------------------------------------------------------------------
# Charts


def _layout(fig: go.Figure, title: str, height: int = 320) -> go.Figure:
    fig.update_layout(title=title, height=height, margin=dict(l=60, r=10, t=50, b=10),
                      legend=dict(orientation="h", y=-0.2))
    return fig


def right_wrong_grid(labels: list[str], hover: list[str], people: list[bool], detector: list[bool],
                     who: str = "You") -> go.Figure:
    """Items across, you and the detector down: blue where right, vermillion where wrong."""
    z = [[1 if ok else 0 for ok in people], [1 if ok else 0 for ok in detector]]
    text = [["✓" if ok else "✗" for ok in people], ["✓" if ok else "✗" for ok in detector]]
    fig = go.Figure(go.Heatmap(z=z, x=labels, y=[who, "Detector"], text=text, texttemplate="%{text}",
                               customdata=[hover, hover], hovertemplate="%{customdata}<extra>%{y}</extra>",
                               colorscale=[[0, WRONG], [0.5, WRONG], [0.5, RIGHT], [1, RIGHT]], zmin=0, zmax=1,
                               showscale=False, xgap=3, ygap=3))
    fig.update_xaxes(type="category")
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, "Where each of you was right (✓) and wrong (✗)", height=240)


def accuracy_by_kind(stats: dict[str, tuple[float, float, int]], who: str = "You") -> go.Figure:
    kinds = list(stats)
    fig = go.Figure([
        go.Bar(name=who, x=kinds, y=[stats[k][0] for k in kinds], marker_color="#009E73",
               text=[f"{stats[k][0]:.0%}" for k in kinds], textposition="outside"),
        go.Bar(name="Detector", x=kinds, y=[stats[k][1] for k in kinds], marker_color="#CC79A7",
               text=[f"{stats[k][1]:.0%}" for k in kinds], textposition="outside"),
    ])
    fig.update_layout(barmode="group", yaxis=dict(range=[0, 1.15], tickformat=".0%", title="right"))
    fig.update_xaxes(title="kind of picture")
    return _layout(fig, "Right answers by kind of picture")


def confusion_figure(m: np.ndarray, title: str) -> go.Figure:
    total = max(1, int(m.sum()))
    text = [[f"{int(m[t, a])}<br>({m[t, a] / total:.0%})" for a in range(2)] for t in range(2)]
    fig = go.Figure(go.Heatmap(z=m, x=[f"answered {n}" for n in NAMES], y=[f"truly {n}" for n in NAMES], text=text,
                               texttemplate="%{text}", colorscale="Blues", showscale=False,
                               hovertemplate="%{y}, %{x}: %{z}<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title, height=300)


def item_difficulty(rows: list[ItemRow]) -> go.Figure:
    """Class accuracy per item, hardest first, with the detector's verdict marked."""
    rows = hardest_first(rows)
    labels = [f"{i + 1}. {describe_kind(r.kind, r.truth)}" for i, r in enumerate(rows)]
    fig = go.Figure([
        go.Bar(x=labels, y=[r.accuracy for r in rows], name="class", marker_color="#009E73",
               customdata=[[r.title, r.n, r.mean_confidence] for r in rows],
               hovertemplate="%{customdata[0]}<br>class right: %{y:.0%} of %{customdata[1]} answers"
                             "<br>mean confidence %{customdata[2]:.0%}<extra></extra>"),
        go.Scatter(x=labels, y=[1.07] * len(rows), mode="markers+text", name="detector",
                   text=["✓" if r.detector_correct else "✗" for r in rows], textposition="middle center",
                   marker=dict(size=18, color=[RIGHT if r.detector_correct else WRONG for r in rows]),
                   textfont=dict(color="white"),
                   hovertemplate=[f"detector: {'right' if r.detector_correct else 'wrong'}"
                                  + (f" (p(fake) = {r.detector_prob:.2f})" if r.detector_prob is not None else "")
                                  + "<extra></extra>" for r in rows]),
    ])
    fig.update_layout(yaxis=dict(range=[0, 1.15], tickformat=".0%", title="class right"))
    fig.update_xaxes(type="category", tickangle=-30)
    return _layout(fig, "Per-item difficulty (hardest first); circles: the detector", height=380)


def comparison_metrics(c: Comparison, who: str = "Class") -> None:
    a, b, d = st.columns(3)
    a.metric(f"{who} right", "–" if not c.n_answers else f"{c.people_accuracy:.0%}", help=f"{c.n_answers} answers")
    b.metric("Detector right on the same items", "–" if not c.n_answers else f"{c.detector_accuracy:.0%}")
    diff = c.people_accuracy - c.detector_accuracy if c.n_answers else float("nan")
    d.metric("Difference", "–" if not c.n_answers else f"{diff:+.0%}", help=f"{who} minus detector, in points")


# ---------------------------------------------------------------------------------------------------------------
# The teacher's sign-in, kept across a reload
#
# The store keeps each sign-in as the hash of a random token (with the address that signed in, an expiry and the
# passcode it was opened with). The token lives in a browser-session cookie: sent back by this browser when the
# page reloads (Streamlit reads it from the connection's request), never part of an address someone could share,
# and gone when the browser closes. Path=/ so the connection carries it; SameSite=Strict; Secure under HTTPS.

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,128}$")


def teacher_cookie() -> str | None:
    """The sign-in token this browser sent with the connection, if it looks like one."""
    try:
        value = st.context.cookies.get(TEACHER_COOKIE)
    except Exception:  # noqa: BLE001 - no request (a bare script run): no cookie
        return None
    return value if isinstance(value, str) and _TOKEN.match(value) else None


def set_teacher_cookie(token: str) -> None:
    """Ask the browser to keep ``token`` in a session cookie (only a token of the expected shape is written)."""
    if not _TOKEN.match(token):
        raise ValueError("not a sign-in token")
    _cookie_script(f"{TEACHER_COOKIE}={token}; Path=/; SameSite=Strict")


def clear_teacher_cookie() -> None:
    """Ask the browser to forget the sign-in cookie."""
    _cookie_script(f"{TEACHER_COOKIE}=; Path=/; Max-Age=0; SameSite=Strict")


def _cookie_script(cookie: str) -> None:
    st.html("<script>document.cookie = " + repr(cookie) + " + (location.protocol === 'https:' ? '; Secure' : '');"
            "</script>", unsafe_allow_javascript=True)
