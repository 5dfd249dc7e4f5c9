"""Live webcam: face boxes and the smoothed deepfake score on the moving picture (streamlit-webrtc).

The browser sends the camera stream to this server over WebRTC; each frame goes through
core.engine.live.LiveProcessor (shared models) and comes back annotated. Freeze hands the newest frame to the
full photo analysis.
"""

from __future__ import annotations

import logging

import av
import numpy as np
import streamlit as st
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from core.engine.live import LiveProcessor
from core.engine.verdict import Verdict, score_points
from ui.handover import send_frozen_frame
from ui.jobs import run_job
from ui.pages import PHOTO, registered_pages
from ui.resources import get_lab, untrained_warning
from ui.verdict import score_meaning

log = logging.getLogger(__name__)
INLINE = "live_frozen_inline"  # fallback: the frozen frame analysed here when the photo page is absent


st.title(":material/videocam: Live webcam")
st.markdown(
    "Point the camera at a face — or at a phone playing a video — and watch the detector react. Every face "
    "gets a box; its colour and label show the face's **fake score** (0–100), averaged over the last second so "
    "it does not flicker. The picture is processed on this lab's computer and never stored."
)
lab = get_lab()  # captured here: the frame callback runs on another thread, outside Streamlit
untrained_warning(lab)

proc: LiveProcessor | None = st.session_state.get("live_processor")
if proc is None or proc.lab is not lab:
    proc = st.session_state["live_processor"] = LiveProcessor(lab)
problems: dict[str, str] = st.session_state.setdefault("live_problems", {})


def on_frame(frame: av.VideoFrame) -> av.VideoFrame:
    """Runs on streamlit-webrtc's worker thread for every frame. The analysis runs in the background
    (wait=False), so this returns in milliseconds with the newest boxes drawn, however busy the CPU."""
    try:
        out = proc.process(frame.to_ndarray(format="rgb24"), wait=False).frame
    except Exception as exc:  # a bad frame must not end the stream; show the camera as it is
        log.exception("live frame failed")
        problems["frame"] = f"{type(exc).__name__}: {exc}"
        return frame
    return av.VideoFrame.from_ndarray(out, format="rgb24")


try:
    ctx = webrtc_streamer(
        key="live",
        mode=WebRtcMode.SENDRECV,
        # Localhost and classroom networks only: no STUN/TURN server on the internet is reachable or needed.
        rtc_configuration={"iceServers": []},
        media_stream_constraints={"video": {"width": {"ideal": 640}, "height": {"ideal": 480}}, "audio": False},
        video_frame_callback=on_frame,
        async_processing=True,
        video_html_attrs={"autoPlay": True, "controls": False, "muted": True, "style": {"width": "100%"}},
        translations={"start": "Start camera", "stop": "Stop"},
    )
except Exception as exc:  # the component needs a live browser session; say so instead of crashing the page
    log.exception("webrtc_streamer failed")
    st.error(f"The live video could not start in this session ({type(exc).__name__}). Reload the page; if it "
             "keeps failing, take a snapshot on **Detect — photo** with its camera option.", icon=":material/block:")
    ctx = None
playing = bool(ctx is not None and ctx.state.playing)


@st.fragment(run_every=1.0 if playing else None)
def live_figures() -> None:
    s = proc.stats()
    cols = st.columns(3)
    cols[0].metric("Fake score (last second)", "—" if s.fake_prob is None else score_points(s.fake_prob),
                   help="The largest face's calibrated fake score (0–100), averaged over the last second.")
    cols[1].metric("Speed", f"{s.fps:.1f} fps", help="Annotated frames sent back per second (last two seconds).")
    cols[2].metric("Analysis time (95th pct.)", "—" if s.ms_p95 is None else f"{s.ms_p95:.0f} ms",
                   help=f"Time to find the faces in one frame (and, every {proc.settings.score_every}th analysed "
                        "frame, score them). Frames arriving meanwhile get the previous boxes and are not analysed.")
    if s.verdict:
        st.markdown(f"**Verdict:** :{Verdict(s.verdict).mark}[{Verdict(s.verdict).icon} **{s.verdict}**]")
    elif s.frames:
        st.markdown("**Verdict:** no face in the picture")
    st.caption(score_meaning(lab.detector.meta))
    st.caption(f"Frames annotated: {s.frames} · analysed: {s.analysed} · shown with the previous boxes while "
               f"busy: {s.dropped}")
    problem = problems.get("frame") or proc.error
    if problem:
        st.error(f"Some frames could not be analysed ({problem}). The camera picture goes on; if boxes stop "
                 "moving, press Stop and Start camera again.", icon=":material/block:")


live_figures()

if st.button(":material/ac_unit: Freeze — analyse this frame in full",
             help="Sends the newest camera frame to the photo analysis, with the per-face report and the Grad-CAM "
                  "heatmap."):
    frame = proc.latest_frame()
    if frame is None:
        st.warning("No camera frame yet: press **Start camera** first and allow the browser to use the camera.")
    elif PHOTO in registered_pages():
        send_frozen_frame(frame)
        st.switch_page(PHOTO)
    else:
        st.session_state[INLINE] = frame

inline = st.session_state.get(INLINE)
if isinstance(inline, np.ndarray):
    from ui.draw import draw_faces

    st.header("Frozen frame")
    report = run_job(lab.analyze_image, inline, label="Finding and scoring faces…")  # in the shared pool
    st.image(draw_faces(inline, [f.box for f in report.faces], None,
                        [f"{i + 1}: {score_points(f.fake_prob)} {f.verdict}" for i, f in enumerate(report.faces)],
                        [Verdict(f.verdict).colour for f in report.faces]), width="stretch",
             alt="the frozen camera frame with every face boxed and labelled with its fake score and verdict")
    if not report.faces:
        st.info("No face in the frozen frame.")
    for i, face in enumerate(report.faces[:4]):
        heat = run_job(lab.explain, face, "gradcam", label="Computing the heatmap…")
        st.image([face.crop, heat.overlay()], width=200, alt=[f"face {i + 1}, the crop the detector scores",
                                                            "Grad-CAM heatmap over that crop"],
                 caption=[f"face {i + 1}: fake score {score_points(face.fake_prob)} — {face.verdict}", "Grad-CAM: where it looked"])
    if st.button("Clear the frozen frame"):
        del st.session_state[INLINE]
        st.rerun()

with st.expander("Camera blocked or not starting?"):
    st.markdown(
        "- **The browser asks first.** Press *Start camera* and choose *Allow*. If you pressed *Block*, click the "
        "camera or lock icon left of the address bar, set *Camera* to *Allow*, and reload the page.\n"
        "- **Another program holds the camera** (a video call, another tab): close it and press *Start camera* again.\n"
        "- **Several cameras?** Use *Select device* under the video to pick one.\n"
        "- **No picture on another computer?** Browsers only allow the camera on `localhost` or over **HTTPS** — "
        "see below.\n"
        "- **The picture freezes or lags:** the lab skips frames rather than falling behind; a busy laptop "
        "(many students analysing at once) shows fewer frames per second. The figures above show the speed."
    )
with st.expander("Using the Live page from other computers in the classroom (HTTPS)"):
    st.markdown(
        "On the laptop that runs the lab, `http://localhost:8501` works as it is. Students' computers reach it "
        "over the room's network, and browsers give a page the camera there **only over HTTPS**. Make a "
        "certificate once and start the lab with it:"
    )
    st.code(
        'openssl req -x509 -newkey rsa:2048 -nodes -days 30 -keyout key.pem -out cert.pem -subj "/CN=deepfake-lab"\n'
        'make run ADDRESS=0.0.0.0 STREAMLIT_ARGS="--server.sslCertFile cert.pem --server.sslKeyFile key.pem"',
        language="bash",
    )
    st.markdown(
        "Students open `https://<this laptop's address>:8501` (find it with `hostname -I` on Linux or `ipconfig` "
        "on Windows) and accept the browser's warning about the self-signed certificate once (*Advanced → "
        "Proceed*). The video goes straight between each browser and this laptop over the local network "
        "(WebRTC); no STUN or TURN server on the internet is used. Guest Wi-Fi that keeps devices apart "
        "(\"client isolation\") blocks it — use a network where the computers can reach each other, or run "
        "the Live page on the teacher's laptop and project it."
    )
