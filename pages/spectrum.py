"""Spectrum lab: two kinds of fakes, two kinds of traces. A photo's frequency spectrum against the average real
and generated spectra, the small spectrum classifier, and the face-swap detector side by side."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from core.labs.roc import auc_on_generated, eval_scores_path, load_eval_scores
from core.labs.spectrum import (BANDS, SpectrumModel, auc_in_words, azimuthal_spectrum, frequencies,
                                load_spectrum_model, power_spectrum, spectrum_model_path, to_gray_square)
from core.engine.verdict import Verdict, score_points
from core.errors import LabError
from ui.errors import lab_errors
from ui.inputs import image_input
from ui.jobs import pooled_cache
from ui.resources import get_lab, untrained_warning

KEY = "spectrum"
REAL_COLOUR = Verdict.REAL.colour
FAKE_COLOUR = Verdict.MANIPULATED.colour
IMAGE_COLOUR = (0, 0, 0)


def _rgb(c: tuple[int, int, int], alpha: float = 1.0) -> str:
    return f"rgba({c[0]},{c[1]},{c[2]},{alpha})"


@st.cache_resource(show_spinner=False)
def _model(path: str, mtime: float) -> SpectrumModel | str:
    """The spectrum classifier, or why it could not be loaded (mtime keys the cache to the file's version)."""
    try:
        return load_spectrum_model(path)
    except (OSError, LabError) as err:
        return f"The spectrum classifier could not be loaded ({err})."


@pooled_cache(label="Scoring the faces…", max_entries=8)
def _blend_scores(_lab, rgb: np.ndarray) -> tuple[list[float], str | None]:
    """Face-swap detector fake scores of every face found (largest first) and the top face's verdict."""
    report = _lab.analyze_image(rgb)
    probs = [f.fake_prob for f in report.faces]
    return probs, (report.faces[0].verdict if report.faces else None)


@st.cache_data(show_spinner=False)
def _blend_auc_on_generated(path: str, mtime: float) -> tuple[float, int, int, str] | None:
    """The face-swap detector's measured AUC for fully generated (GAN) faces against real photos, when the
    evaluation scores exist and name such a kind: (auc, n generated, n real, what the real items were)."""
    try:
        measured = auc_on_generated(load_eval_scores(path))
    except (OSError, LabError):
        return None
    return None if measured is None else (measured.auc, measured.n_fake, measured.n_real, measured.real_items)


def spectrum_honesty(model: SpectrumModel, auc: float) -> str:
    """How far to trust the reading, in plain words, from the model's own held-out measurements."""
    text = (f"A **{auc_in_words(auc)}** instrument (held-out AUC {auc:.2f}), measured only on FFHQ photos vs "
            "StyleGAN2 faces.")
    rates = (model.metrics.get("bands") or {}).get("held_out")
    if rates:
        gen, real = rates["generated"], rates["real"]
        text += (f" On held-out images, {gen['looks generated']:.0%} of generated faces read *looks generated* — "
                 f"and so did {real['looks generated']:.0%} of real photos; {gen['looks like a camera photo']:.0%} of "
                 "generated faces read *looks like a camera photo*.")
    return text + " On other kinds of pictures its reading means little."


def _bands_sentence(metrics: dict) -> str:
    """Where the reading bands start and what share of held-out images landed in each."""
    b = metrics.get("bands")
    if not b:
        return (f"At 50% it catches {metrics.get('held_out_tpr_at_0.5', float('nan')):.0%} of generated faces and "
                f"wrongly flags {metrics.get('held_out_fpr_at_0.5', float('nan')):.0%} of real photos.")
    gen, real = b["held_out"]["generated"], b["held_out"]["real"]
    return (f"**Reading bands** (chosen on the training images only): *looks generated* from "
            f"{b['generated_from']:.2f}, *looks like a camera photo* below {b['camera_below']:.2f}, *can't tell* "
            f"between. Held out, real photos read camera / can't tell / generated "
            f"{real[BANDS[0]]:.0%} / {real[BANDS[1]]:.0%} / {real[BANDS[2]]:.0%}, generated faces "
            f"{gen[BANDS[0]]:.0%} / {gen[BANDS[1]]:.0%} / {gen[BANDS[2]]:.0%}.")


def _crude_upsampled_spectrum(rgb: np.ndarray) -> np.ndarray:
    """Spectrum of the analysed 256×256 square after halving it and doubling it back by copying each pixel 2×2:
    the crudest up-sampling a generator can do. Done on the square itself, because resizing a doubled image
    back to 256 would average the copies away again."""
    gray = to_gray_square(rgb)
    s = gray.shape[0] // 2
    small = gray.reshape(s, 2, s, 2).mean(axis=(1, 3))
    return azimuthal_spectrum(np.repeat(np.repeat(small, 2, axis=0), 2, axis=1))


st.title(":material/graphic_eq: Spectrum lab")
st.markdown(
    "There are two kinds of fake faces, and they leave different traces.\n\n"
    "- **Face swaps** paste one person's face into another photo or video. Where the pasted face meets the "
    "original there is a *blending edge*: a seam in colour, sharpness and noise. The lab's **face-swap "
    "detector** was trained to find exactly that seam.\n"
    "- **Fully generated faces** (GANs such as StyleGAN2, diffusion models) are made pixel by pixel by a "
    "neural network. There is no seam to find. Instead, the way generators build fine detail — enlarging small "
    "feature maps step by step — can leave patterns in the image's **frequency spectrum** (Durall et al., "
    "*Watch your Up-Convolution*, CVPR 2020)."
)

path = spectrum_model_path()
model = _model(str(path), path.stat().st_mtime) if path.exists() else (
    "No spectrum classifier is installed (models/spectrum.json is missing). Train it with "
    "`python -m core.training.train_spectrum`.")
if isinstance(model, str):
    st.warning(model + " The spectrum below is still computed; only the comparison and the score are missing.",
               icon=":material/warning:")
    model = None

picked = image_input(KEY, camera=True)
if picked is None:
    st.info("Choose a sample, upload a photo or take one with the camera to begin. A face photo straight from a "
            "generator (for example one you made yourself) shows the difference best.")
    st.stop()
rgb, name = picked
with lab_errors(before="This image cannot be analysed (use a photo at least 8 pixels wide and tall):"):
    spec = power_spectrum(rgb)
freqs = frequencies(len(spec))
lab = get_lab()

left, right = st.columns([2, 3])
with left:
    st.image(rgb, caption=f"{name} — {rgb.shape[1]}×{rgb.shape[0]} pixels", width="stretch",
             alt="the photo whose frequency spectrum is measured")
    side = min(rgb.shape[:2])
    if side < 256:
        st.caption(f"This image is small ({side} px across), so it is enlarged to 256×256 before its spectrum is "
                   "taken; enlarging removes fine detail and pushes the curve down at high frequencies.")
    else:
        st.caption("The spectrum is taken from the central square, in grayscale, resized to 256×256 — the same "
                   "as for training — so every image is compared on the same footing.")
with right:
    c1, c2 = st.columns(2)
    with c1:
        st.header("Spectrum classifier")
        st.caption("Detects **fully generated** faces (GANs) from the frequency curve alone.")
        if model is None:
            st.markdown("**Spectrum reading:** n/a")
        else:
            p_gan = model.probability(rgb)
            band = model.band(p_gan)
            # A badge, not st.metric: the band's words must never be cut off in a narrow column.
            colour = {BANDS[0]: "blue", BANDS[1]: "gray", BANDS[2]: "orange"}.get(band, "gray")
            st.markdown(f"**Spectrum reading:** :{colour}-badge[{band or f'{p_gan:.0%}'}]")
            st.progress(p_gan, text=f"classifier output {p_gan:.2f} (0–1)")
            auc = model.metrics.get("held_out_auc", 0.0)
            st.caption(spectrum_honesty(model, auc))
    with c2:
        st.header("Face-swap detector")
        st.caption("Detects **blended / swapped** faces from the seam around the face.")
        with st.spinner("Finding and scoring faces…"):
            probs, verdict = _blend_scores(lab, rgb)
        if not probs:
            st.metric("Face swapped?", "no face found")
            st.caption("It only looks at faces; try a photo with a clear, front-facing face.")
        else:
            st.metric("Face swapped?", score_points(probs[0]),
                      help=f"The largest face's fake score (0–100); verdict: {verdict}.")
            st.progress(float(probs[0]))
            more = f" ({len(probs)} faces; the largest shown)" if len(probs) > 1 else ""
            st.caption(f"Verdict: **{verdict}**{more}. A fully generated face has no seam, so this detector "
                       "usually calls it real — that is not evidence that it is.")
    untrained_warning(lab)

show_upsampled = st.toggle("Also show this image after crude 2× up-sampling (what a careless generator does)",
                           key=f"{KEY}_upsample",
                           help="Halves the analysed 256×256 square, then doubles it back by copying each pixel "
                                "into a 2×2 block. Watch the finest detail (right-hand end) change.")
up_spec = _crude_upsampled_spectrum(rgb) if show_upsampled else None

fig = go.Figure()
if model is not None:
    for mean, std, label, colour in ((model.real_mean, model.real_std, "average real photo (FFHQ)", REAL_COLOUR),
                                     (model.fake_mean, model.fake_std, "average generated face (StyleGAN2)",
                                      FAKE_COLOUR)):
        fig.add_trace(go.Scatter(x=np.r_[freqs, freqs[::-1]], y=np.r_[mean + std, (mean - std)[::-1]],
                                 fill="toself", fillcolor=_rgb(colour, 0.12), line=dict(width=0),
                                 hoverinfo="skip", showlegend=False))
        fig.add_trace(go.Scatter(x=freqs, y=mean, name=label, line=dict(color=_rgb(colour), width=2)))
fig.add_trace(go.Scatter(x=freqs, y=spec, name="this image", line=dict(color=_rgb(IMAGE_COLOUR), width=2.5)))
if up_spec is not None:
    fig.add_trace(go.Scatter(x=freqs, y=up_spec, name="this image, crudely up-sampled",
                             line=dict(color=_rgb(IMAGE_COLOUR), width=2, dash="dot")))
fig.update_layout(title="1-D power spectrum:<br>how strong each level of detail is", height=430,
                  xaxis=dict(title="spatial frequency (cycles per pixel)<br>left: broad shapes, right: finest detail",
                             range=[0, 0.5]),
                  yaxis=dict(title="average strength (dB)"), legend=dict(orientation="h", x=0, y=-0.3, yanchor="top"),
                  margin=dict(l=10, r=10, t=75, b=10))
st.plotly_chart(fig, width="stretch", key=f"{KEY}_spectrum")

if model is not None:
    st.markdown("The curves fall steeply, so small differences hide. Subtracting the average real photo's curve "
                "makes them visible:")
    fig = go.Figure()
    fig.add_hline(y=0, line=dict(color=_rgb(REAL_COLOUR), width=2))
    fig.add_trace(go.Scatter(x=freqs, y=model.fake_mean - model.real_mean, name="average generated face",
                             line=dict(color=_rgb(FAKE_COLOUR), width=2)))
    fig.add_trace(go.Scatter(x=freqs, y=spec - model.real_mean, name="this image",
                             line=dict(color=_rgb(IMAGE_COLOUR), width=2.5)))
    if up_spec is not None:
        fig.add_trace(go.Scatter(x=freqs, y=up_spec - model.real_mean, name="this image, crudely up-sampled",
                                 line=dict(color=_rgb(IMAGE_COLOUR), width=2, dash="dot")))
    fig.update_layout(title=dict(text="Difference from the average real photo<br>(0 dB = the blue line)", y=0.97),
                      height=400,
                      xaxis=dict(title="spatial frequency (cycles per pixel)", range=[0, 0.5]),
                      yaxis=dict(title="difference (dB)"), legend=dict(orientation="h", x=0, y=-0.25, yanchor="top"),
                      margin=dict(l=10, r=10, t=75, b=10))
    st.plotly_chart(fig, width="stretch", key=f"{KEY}_difference")
    st.caption("In the training data the generated faces are on average about 1 dB weaker than the real photos "
               "across medium and fine detail, but individual photos spread about ±2 dB around their average (the "
               "shaded bands above), so the two groups overlap a lot — which is why the classifier is only "
               "modestly accurate.")

with st.expander("Why the face-swap detector is the wrong tool for fully generated faces", expanded=True):
    scores = eval_scores_path()
    measured = _blend_auc_on_generated(str(scores), scores.stat().st_mtime) if scores.exists() else None
    evidence = (f" Measured on the lab's evaluation data: its AUC for {measured[1]} fully generated faces against "
                f"{measured[2]} {measured[3]} is **{measured[0]:.2f}**"
                + (" — below 0.5, i.e. it rates generated faces as *more* real than real photos." if measured[0] < 0.5
                   else ".") if measured else "")
    st.markdown(
        "A detector only finds what it was trained to find. The face-swap detector learned from real faces "
        "with a second face blended in; its question is *\"is there a seam around this face?\"*. A fully "
        "generated face is one consistent image — the same network drew the face, the hair and the background "
        "— so there is no seam, and the detector sees nothing wrong. Generated faces are also very clean and "
        "smooth, so they often look *more* natural to it than real, noisy photos." + evidence + "\n\n"
        "So a low face-swap score on a generated face means \"no blending seam\", not \"real\". Checking media "
        "needs several tools, each for one kind of manipulation, plus provenance (where did this file come "
        "from?) — see the *Provenance* page."
    )

with st.expander("How the spectrum is computed, and the honest limits"):
    st.markdown(
        "1. Take the central square of the image, in grayscale, and resize it to 256×256 pixels.\n"
        "2. Compute its 2-D Fourier transform: how much of each spatial frequency (fine or coarse, in every "
        "direction) the image contains.\n"
        "3. Average the strength (in decibels) over all directions at each distance from the centre: one number "
        "per frequency, 128 in all — the *azimuthally averaged power spectrum*.\n"
        "4. A logistic regression (after standardising each of the 128 numbers) turns the curve into a "
        "probability of \"fully generated\"."
    )
    if model is not None:
        m, d = model.metrics, model.data
        ci = m.get("held_out_auc_ci95", [float("nan")] * 2)
        st.markdown(
            f"**Training data:** {d.get('n_real', '?')} {d.get('real', 'real photos')} and {d.get('n_fake', '?')} "
            f"{d.get('fake', 'generated faces')}, {d.get('format', '')}.\n\n"
            f"**Measured:** held-out AUC **{m.get('held_out_auc', float('nan')):.2f}** (95% interval "
            f"{ci[0]:.2f}–{ci[1]:.2f}, on {m.get('n_test', '?')} images not used for training) and cross-validated "
            f"AUC **{m.get('cv_auc_mean', float('nan')):.2f} ± {m.get('cv_auc_std', float('nan')):.2f}**. "
            + _bands_sentence(m) + "\n\n"
            "**Why not better:** both kinds of images were shrunk to 256 pixels and saved as JPEG, which "
            "likely smooths away much of the up-sampling fingerprint the original paper found. Shrinking, "
            "compressing or re-photographing a generated image is an easy way to hide it. Newer generators and "
            "diffusion models leave different traces and were not tested. Treat the number as a teaching "
            "instrument, not a verdict."
        )
