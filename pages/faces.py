"""Faces: see what the face detector finds (boxes, landmarks, crops, confidence)."""

import streamlit as st

from ui.draw import draw_faces
from ui.inputs import NO_FACE, image_input
from ui.jobs import run_job
from ui.resources import get_lab

st.title(":material/face: Faces")
st.markdown(
    "Every analysis in the lab starts here: a face detector (MTCNN) finds each face, marks five landmarks "
    "(eyes, nose, mouth corners) and cuts out an aligned square crop — the only thing the deepfake detector "
    "ever sees."
)

picked = image_input("faces")
if picked is None:
    st.info("Choose a sample, upload a photo or take one with the camera to begin.")
    st.stop()
rgb, name = picked
lab = get_lab()
faces = run_job(lab.extractor.detect, rgb, label="Finding faces…")  # shared pool: fair to the whole class

shown = draw_faces(rgb, [f.box for f in faces], [f.landmarks for f in faces],
                   [f"face {i + 1}: {f.prob:.0%}" for i, f in enumerate(faces)])
left, right = st.columns([3, 2])
with left:
    st.image(shown, caption=f"{name} — {rgb.shape[1]}×{rgb.shape[0]} pixels", width="stretch",
             alt="the photo with a box and five landmark dots on every face found")
with right:
    if not faces:
        st.warning(NO_FACE)
    else:
        st.success(f"Found {len(faces)} face{'s' if len(faces) != 1 else ''}.")
        cols = st.columns(min(4, len(faces)))
        for i, face in enumerate(faces[:lab.limits.max_faces]):
            with cols[i % len(cols)]:
                st.image(face.crop, caption=f"face {i + 1} · detection confidence {face.prob:.1%}", width="stretch",
                         alt=f"face {i + 1}, cut out, rotated upright and scaled")
        if len(faces) > lab.limits.max_faces:
            st.caption(f"Showing the {lab.limits.max_faces} largest faces' crops; {len(faces) - lab.limits.max_faces} "
                       "smaller ones are boxed in the photo but not shown (the lab analyses at most "
                       f"{lab.limits.max_faces} faces a photo, LAB_MAX_FACES).")
        st.caption("Crops are rotated so the eyes are level and include some surroundings, because blending "
                   "traces sit at the edge of the face. Where a crop runs past the photo's border it is filled "
                   "by mirroring the photo (a black border looks like a blending edge to the detector), the same "
                   "way during training and analysis.")
