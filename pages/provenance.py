"""Provenance: read a file's content credentials (C2PA) and metadata, sign with a demo identity, break it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import streamlit as st

from core.engine.faces import SAMPLES, sample_image_path
from core.engine.media import MediaError, load_image
from core.labs.provenance import (CLAIMS, DEMO_LABEL, EDITS, SAVING, CredentialReport, MetadataReport, SigningError,
                                  edit_signed, load_demo_identity, read_credentials, read_metadata, sign_image)
from ui.inputs import image_input
from ui.jobs import pooled_cache, run_job
from ui.provenance_view import plain, show_credentials, show_metadata

KEY = "provenance"
WORK_SIDE = 2048  # signing and editing work on a copy at most this large (like Make a fake): bounded memory
TIME_LIMIT_S = 60  # reading one file's credential and metadata takes well under a second; this is a backstop


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _raw_bytes() -> bytes | None:
    """The chosen file's own bytes: credentials and metadata live in the file, not in its pixels.

    ``image_input`` keeps its widgets under ``provenance_*`` keys; the bytes are read from there in memory.
    """
    source = st.session_state.get(f"{KEY}_source")
    if source == "Built-in sample":
        name = st.session_state.get(f"{KEY}_sample") or next(iter(SAMPLES))
        return Path(sample_image_path(name)).read_bytes()
    widget = st.session_state.get(f"{KEY}_upload" if source == "Upload a photo" else f"{KEY}_camera")
    return widget.getvalue() if widget is not None else None


# Reading a file runs in the shared job pool with a time limit, and its reports are cached by the file's digest
# (the bytes themselves are left out of the cache key: "_raw"), so a rerun of the page costs nothing.
@pooled_cache(label="Reading the file's credential…", max_entries=32, time_limit=TIME_LIMIT_S)
def _credentials(digest: str, anchors: bytes | None, _raw: bytes) -> CredentialReport:
    return read_credentials(_raw, trust_anchors=anchors)


@pooled_cache(label="Reading the file's metadata…", max_entries=32, time_limit=TIME_LIMIT_S)
def _metadata(digest: str, _raw: bytes) -> MetadataReport:
    return read_metadata(_raw)


def credentials_of(data: bytes, anchors: bytes | None) -> CredentialReport:
    return _credentials(_digest(data), anchors, data)


# ----------------------------------------------------------------------------------------------- page

st.title(":material/verified: Provenance")
st.markdown(
    "Detection **guesses** from pixels whether a face was manipulated. Provenance asks the other way round: "
    "what does the file **say about its own origin**, and can that statement be checked? Content credentials "
    "(the [C2PA](https://c2pa.org) standard) are signed records of who made a file, with what tool and how it "
    "was edited. This page reads them **offline** (it never fetches remote credentials or revocation data), "
    "signs a picture with the lab's demo identity, and then lets you break the credential."
)

picked = image_input(KEY, label="Choose a picture to inspect", max_side=WORK_SIDE)
if picked is None:
    st.info("Choose a sample, upload a photo or take one with the camera to begin.")
    st.stop()
rgb, name = picked
raw = _raw_bytes()
if raw is None:
    st.stop()

trust_demo = st.toggle("Put the lab's DEMO root certificate on my trust list", key=f"{KEY}_trust",
                       help="A trust list is simply the set of root certificates a verifier chooses to believe. "
                            "Switch this on to see the same signature go from 'not trusted' to 'trusted'.")
identity = None
anchors = None
if trust_demo:
    identity = load_demo_identity()
    anchors = identity.root_pem

st.header("1 · What this file says about itself")
left, right = st.columns([2, 3])
with left:
    st.image(rgb, caption=f"{plain(name)} — {len(raw) / 1024:.0f} KB", width="stretch",
             alt="the picture being inspected")
with right:
    st.subheader("Content credential")
    show_credentials(credentials_of(raw, anchors))
    st.subheader("Metadata (EXIF, XMP, text)")
    show_metadata(_metadata(_digest(raw), raw))

# ----------------------------------------------------------------------------------------------- sign
def sign_section(raw: bytes, rgb, stem: str, anchors: bytes | None) -> bytes | None:
    """Sign the chosen file; return the signed bytes once there are some for this file."""
    digest = _digest(raw)
    st.header("2 · Sign it with the lab's demo identity")
    st.warning(f"**{DEMO_LABEL}.** The certificate is made on this computer the first time you sign. It works "
               "exactly like a real one, except that nobody has vouched for it — and the signer can claim anything.",
               icon=":material/badge:")
    claim = st.radio("What should the credential claim?", list(CLAIMS), format_func=CLAIMS.get, key=f"{KEY}_claim")
    if st.button("Sign this image", type="primary", key=f"{KEY}_sign"):
        try:
            signed = run_job(sign_image, raw, claim=claim, title=f"{stem}.jpg", rgb=rgb, label="Signing…",
                             time_limit=TIME_LIMIT_S)
            st.session_state[f"{KEY}_signed"] = {"for": digest, "bytes": signed, "claim": claim}
            st.session_state.pop(f"{KEY}_edited", None)
        except (SigningError, MediaError, OSError) as err:
            st.error(str(err), icon=":material/block:")
    state = st.session_state.get(f"{KEY}_signed")
    if not state or state["for"] != digest:
        st.info("Press **Sign this image** to make a signed copy; then you can edit it below.")
        return None
    signed = state["bytes"]
    show_credentials(credentials_of(signed, anchors))
    if state["claim"] != "edited":
        st.caption("Notice: the signature is valid although the claim may be false. A credential records what "
                   "the signer declares; it cannot check that a 'camera' picture came from a camera.")
    st.download_button("Download the signed image", data=signed, file_name=f"{stem}_signed.jpg",
                       mime="image/jpeg", key=f"{KEY}_download_signed")
    return signed


# ----------------------------------------------------------------------------------------------- edit
def _fake_landmarks(signed_rgb):
    """Landmarks (5, 2) of the largest face, or None (with a message) when there is no face."""
    from ui.resources import get_lab

    faces = run_job(get_lab().extractor.detect, signed_rgb, crops=False, label="Finding the face…")
    if not faces:
        st.warning("No face found in this picture, so there is nothing to fake. Choose a photo with a clearly "
                   "visible face, or pick another edit.", icon=":material/visibility_off:")
        return None
    return max(faces, key=lambda f: f.size).landmarks


def edit_section(signed: bytes, stem: str, anchors: bytes | None) -> None:
    st.header("3 · Edit the signed image and check again")
    c1, c2 = st.columns(2)
    edit = c1.radio("What to do to the picture", list(EDITS), format_func=EDITS.get, key=f"{KEY}_edit")
    saving = c2.radio("How the edited file is saved", list(SAVING), format_func=SAVING.get, key=f"{KEY}_saving")
    if st.button("Apply the edit and re-read", key=f"{KEY}_apply"):
        try:
            signed_rgb = load_image(signed, max_side=WORK_SIDE)
            landmarks = _fake_landmarks(signed_rgb) if edit == "fake" else None
            if edit != "fake" or landmarks is not None:
                edited, _ = run_job(edit_signed, signed, signed_rgb, edit, saving, landmarks=landmarks, seed=7,
                                    label="Editing and saving…", time_limit=TIME_LIMIT_S)
                st.session_state[f"{KEY}_edited"] = {"for": _digest(signed), "bytes": edited, "edit": edit}
        except (SigningError, MediaError, ValueError) as err:
            st.error(f"The edit failed: {err}", icon=":material/block:")
    done = st.session_state.get(f"{KEY}_edited")
    if not done or done["for"] != _digest(signed):
        return
    edited = done["bytes"]
    left, right = st.columns([2, 3])
    with left:
        try:
            st.image(load_image(edited, max_side=WORK_SIDE), caption=f"{EDITS[done['edit']].split(' (')[0]} · {len(edited) / 1024:.0f} KB",
                     width="stretch", alt="the signed picture after your edit")
        except MediaError as err:
            st.error(str(err), icon=":material/block:")
    with right:
        show_credentials(credentials_of(edited, anchors))
    st.download_button("Download the edited image", data=edited, file_name=f"{stem}_edited.jpg",
                       mime="image/jpeg", key=f"{KEY}_download_edited")


stem = Path(name).stem.replace(" ", "_")[:40] or "image"
signed_now = sign_section(raw, rgb, stem, anchors)
if signed_now is not None:
    edit_section(signed_now, stem, anchors)

# ----------------------------------------------------------------------------------------------- lessons
st.header("4 · What a credential does and does not prove")
t1, t2, t3 = st.tabs(["“No credential” proves nothing", "Valid ≠ trusted", "Watermarks vs credentials"])
with t1:
    st.markdown(
        "- Most cameras, phones and apps still add **no** credential, so nearly every genuine photo has none.\n"
        "- Removing one is trivial: a screenshot, a re-save in most apps, an upload to most social networks, "
        "or cutting out one block of the file (try *Nothing* + *saves without metadata* above — the pixels stay "
        "identical and the credential is gone).\n"
        "- So a missing credential is **not** evidence of a fake, and a fake can always be shown without one. "
        "Credentials help in the other direction: a file that *has* an intact, trusted one can be checked.")
with t2:
    st.markdown(
        "- **Valid** means: the signature matches, and the file has not changed since it was signed.\n"
        "- **Trusted** means: the signer's certificate leads to a root on a **trust list** your verifier "
        "chose (for C2PA, the official list of accepted certificate authorities; here, the toggle above).\n"
        "- This lab makes a certificate in a second with any name on it. Without a trust list, a valid "
        "signature only proves that *someone holding that key* signed — not who they are.\n"
        "- Even a trusted signer only vouches for **what they declare**: a credential can honestly record that "
        "a picture was made by generative AI, or dishonestly claim a camera took it.")
with t3:
    st.markdown(
        "- A **credential** is a signed record stored *next to* the pixels, in the file. It can say a lot (who, "
        "what tool, which edits, which ingredients) and can be checked cryptographically, but it is lost when "
        "the file is re-saved without it.\n"
        "- A **watermark** is hidden *in* the pixels or sound (for example SynthID, or the invisible marks some "
        "AI image generators add). It survives screenshots and re-encoding better, but it carries only a few "
        "bits (\"made by tool X\"), usually needs the maker's own detector, and can be weakened by editing.\n"
        "- The two are combined in practice: a watermark can point back to a stored credential (C2PA calls this "
        "*soft binding*) after the credential itself was stripped.")

with st.expander("Check a video or any other file's credential"):
    any_file = st.file_uploader("Any file (MP4, MOV, JPEG, PNG, WebP, TIFF, HEIC, AVIF, PDF, WAV, MP3…)",
                                key=f"{KEY}_anyfile")
    if any_file is not None:
        show_credentials(credentials_of(any_file.getvalue(), anchors))
st.caption("Nothing you choose here is saved: files are read in memory. The demo identity's keys are kept in the "
           "lab's data folder on this computer.")
