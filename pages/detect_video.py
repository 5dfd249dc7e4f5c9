"""Detect — video: a timeline of the detector's scores over evenly sampled frames, the most suspicious
frames with their heatmaps, the annotated clip, and a downloadable report."""

from __future__ import annotations

import threading
import time

import streamlit as st

from core.engine.faces import load_sample
from core.errors import LabError
from core.engine.video import analyze_video, annotate_video, moving_face_clip, report_csv, report_json
from ui.errors import show_error
from ui.results import SessionResults, digest
from ui.resources import get_lab, untrained_warning
from ui.trust import trust_panel
from core.engine.verdict import score_points
from ui.verdict import HEATMAP_READING, reading, score_meaning, timeline

VIDEO_TIME_LIMIT_S = 300  # a backstop far above ordinary videos (bench/analyze.py: a 10 s 1080p clip in 2 s)
KEY = "detect_video"
RESULTS = SessionResults(f"{KEY}_result", max_entries=1)  # this session's last analysis (no frames, no upload)
FORMATS = ["mp4", "mov", "webm", "avi", "mkv", "m4v"]

st.title(":material/movie: Detect — video")
st.markdown(
    "A video is checked as a series of photos: the lab samples frames evenly across it, finds the faces, "
    "scores each one and plots the scores over time. A face swap often flickers — strong in some frames, "
    "invisible in others — so look at the whole timeline, not one number."
)
lab = get_lab()
untrained_warning(lab)


@st.cache_data(show_spinner="Making the demo clip…", max_entries=1)
def demo_clip() -> bytes:
    """A real (unmanipulated) photo gliding across the frame: 4 s, 640×360, 15 fps, made on this machine."""
    return moving_face_clip(load_sample("grace_hopper"), width=640, height=360, seconds=4, fps=15, face_height=0.7)


source = st.radio("Choose a video", ["Built-in demo clip", "Upload a video"], horizontal=True, key=f"{KEY}_source")
if source == "Built-in demo clip":
    data, name = demo_clip(), "demo clip (Grace Hopper photo sliding across, not manipulated)"
    st.caption("The demo clip is made on this machine from a public-domain photo; nothing is downloaded. It is "
               "**not manipulated**, so any high score on it is a false alarm — worth discussing with the class.")
else:
    st.caption("Your video stays in this session's memory while it is analysed; it is never saved to disk.")
    file = st.file_uploader("Video (MP4, MOV, WebM, AVI)", type=FORMATS, key=f"{KEY}_upload")
    data, name = (file.getvalue(), file.name) if file is not None else (None, None)

with st.expander("Settings"):
    n_frames = st.slider("Frames to sample", 8, 96, 32, 8, key=f"{KEY}_frames",
                         help="More frames give a finer timeline and take longer.")
    detect_every = st.slider("Find faces on every k-th sampled frame", 1, 4, 2, key=f"{KEY}_every",
                             help="Faster with larger k: boxes in between are interpolated from the neighbouring "
                                  "detections. Use 1 for videos with quick cuts between people.")

result = RESULTS.last()
wanted = None
if data is not None:
    wanted = digest(data, n_frames, detect_every)
    done = RESULTS.get(wanted)
    stale_note = st.empty()  # cleared as soon as this video's own result or error replaces the old one
    if result is not None and done is None:
        stale_note.caption(f"Below: your last result ({result['name']}). Press **Analyse** to check this video.")
    start = st.button("Analyse", type="primary", key=f"{KEY}_go", disabled=done is not None)
    if start:
        stale_note.empty()
        failure = None
        with st.status(f"Analysing {name}…", expanded=True) as status:
            bar = st.progress(0.0, text="Decoding frames…")
            cancel_slot = st.empty()  # a click reruns the page, which stops this run at its next update
            cancel_slot.button("Cancel", key=f"{KEY}_cancel", help="Stops the analysis.")
            t0 = time.perf_counter()

            state = {"done": 0, "total": 1}
            cancel = threading.Event()  # set by run_job when this page run is abandoned (Cancel, new input, left)

            def progress(done: int, total: int) -> None:  # runs in the worker thread: no Streamlit calls here
                state.update(done=done, total=total)

            def show_progress() -> None:  # runs in the page's thread a few times a second
                done, total = state["done"], state["total"]
                stage = "Decoding frames" if done <= n_frames else "Finding and scoring faces"
                bar.progress(min(1.0, done / total), text=f"{stage}… ({done}/{total})")

            def job() -> dict:
                report = analyze_video(lab, data, n_frames=n_frames, detect_every=detect_every, progress=progress,
                                       cancel=cancel)
                clip = annotate_video(report)
                heatmaps = [lab.explain(s.crop, "gradcam") for s in report.top]
                report = report.without_frames()  # the frames are in the clip now
                return {"name": name, "report": report, "clip": clip, "heatmaps": heatmaps,
                        "json": report_json(report), "csv": report_csv(report)}

            try:
                # time_limit: a backstop beside the decoding budgets of core.engine.media; on expiry the cancel
                # flag stops the worker at its next frame or batch.
                result = RESULTS.compute(wanted, job, label="Analysing the video…", poll=show_progress, cancel=cancel,
                                         time_limit=VIDEO_TIME_LIMIT_S)
            except LabError as err:  # the video could not be read, or the learner cancelled
                status.update(label="This video could not be analysed", state="error", expanded=False)
                failure = err
        if failure is not None:
            show_error(failure)  # outside the collapsed status box, where it is seen
            st.stop()
        with status:
            bar.progress(1.0, text="Done")
            report = result["report"]
            st.write(f"Sampled {len(report.frame_indices)} frames; faces in {report.frames_with_faces}.")
            result["elapsed"] = elapsed = time.perf_counter() - t0
            cancel_slot.empty()
            status.update(label=f"Done in {elapsed:.1f} s", state="complete", expanded=False)
    elif st.session_state.get(f"{KEY}_cancel"):
        st.warning("Analysis cancelled.")
elif result is None:
    st.info("Upload a video, or pick the built-in demo clip, then press **Analyse**.")

if result is None:
    st.stop()

report = result["report"]
meta = lab.detector.meta
st.divider()
st.header(f"Result — {result['name']}")
info = report.info
c1, c2, c3, c4 = st.columns(4)
c1.metric("Video fake score", "no face" if report.score is None else score_points(report.score))
c2.metric("Verdict", report.verdict or "—")
c3.metric("Frames with a face", f"{report.frames_with_faces} / {len(report.frame_indices)}")
c4.metric("Analysis time", f"{result['elapsed']:.1f} s")
st.caption(f"{info.width}×{info.height}, {info.fps:.1f} fps, {info.duration_s:.1f} s, {info.codec}. "
           "A frame's score is its most suspicious main face (faces far smaller than the main one are boxed in grey "
           f"and not counted); the video's score is the {report.aggregation} over frames with a face.")

if report.score is None:
    st.warning("No face was found in the sampled frames, so there is nothing to score. Try a video where a face "
               "is clearly visible and at least about 40 pixels tall, or sample more frames.")
else:
    st.markdown(reading(report.score, report.verdict, meta))
    st.caption(score_meaning(meta))
    trust_panel()
    st.plotly_chart(timeline(report.times_s, report.frame_probs, meta, video_score=report.score,
                             highlight=[s.time_s for s in report.top]),
                    width="stretch", config={"displayModeBar": False}, key=f"{KEY}_timeline")

left, right = st.columns([3, 2])
with left:
    st.markdown("**The sampled frames, annotated** (box colour = verdict band)")
    st.video(result["clip"], format="video/mp4")
with right:
    st.markdown("**Download the report**")
    stem = result["name"].rsplit(".", 1)[0].replace(" ", "_")[:40] or "video"
    st.download_button("JSON report", result["json"], file_name=f"{stem}_report.json", mime="application/json",
                       key=f"{KEY}_json")
    st.download_button("CSV (one row per face per frame)", result["csv"], file_name=f"{stem}_frames.csv",
                       mime="text/csv", key=f"{KEY}_csv")
    st.caption("The report lists the video, the model version and thresholds, and every sampled frame's faces "
               "and scores — no pictures.")

if report.top:
    st.header("Most suspicious frames")
    alpha = st.slider("Heatmap opacity", 0.0, 1.0, 0.5, 0.05, key=f"{KEY}_alpha")
    cols = st.columns(len(report.top))
    for col, item, heat in zip(cols, report.top, result["heatmaps"]):
        with col:
            st.image(item.thumbnail, caption=f"t = {item.time_s:.1f} s (frame {item.frame_index})", width="stretch",
                     alt=f"the video frame at {item.time_s:.1f} seconds with its faces boxed")
            st.image(heat.overlay(alpha), caption=f"fake score {score_points(item.fake_prob)} · Grad-CAM",
                     width="stretch", alt="Grad-CAM heatmap over the face crop: yellow = most evidence for manipulated")
    st.markdown(HEATMAP_READING)
