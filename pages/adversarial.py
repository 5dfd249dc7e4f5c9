"""Adversarial noise: an invisible change that makes the detector read a fake as real (captum FGSM / PGD)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from core.labs.adversarial import METHODS, AttackResult, attack, epsilon_sweep
from core.engine.faces import Face
from core.fakes.forge import ForgeSettings, self_blend
from core.engine.detector import DetectorMeta
from core.engine.verdict import Verdict, score_points
from ui.explore import WORK_SIDE, choose_photo, verdict_badge, working_copy
from ui.jobs import pooled_cache
from ui.resources import get_lab, untrained_warning
from ui.verdict import score_meaning, shade_bands


@pooled_cache(label="Cropping the face…", max_entries=64)
def _crop(_lab, rgb: np.ndarray, box: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    return _lab.crop(rgb, Face(box=box, landmarks=landmarks, prob=1.0))[0]


@pooled_cache(label="Making a fake to attack…", max_entries=8)
def _ready_made_fake(rgb: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """A clear self-blended fake of a photo, so the page starts from something the detector should flag."""
    return self_blend(rgb, landmarks, 0, ForgeSettings(blend=1.0, mask_scale=1.0, color_shift=0.8,
                                                        blur_or_sharpen=False)).fake


@pooled_cache(label="Attacking the detector…", max_entries=64)
def _attack(_lab, crop: np.ndarray, eps: int, method: str, steps: int) -> AttackResult:
    return attack(_lab.detector, crop, eps, method, steps=steps)


@pooled_cache(label="Attacking at every budget…", max_entries=16)
def _sweep(_lab, crop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return epsilon_sweep(_lab.detector, crop, method="fgsm")


def _sweep_figure(levels: np.ndarray, probs: np.ndarray, chosen: int, meta: DetectorMeta) -> go.Figure:
    fig = go.Figure(go.Scatter(x=levels, y=100 * np.asarray(probs), mode="lines+markers", name="FGSM",
                               line=dict(color=Verdict.REAL.css()),
                               hovertemplate="ε = %{x}/255<br>fake score %{y:.0f}<extra></extra>"))
    shade_bands(fig, meta, opacity=0.08, labels=False)
    fig.add_vline(x=chosen, line=dict(color="grey", dash="dot"))
    fig.update_layout(height=260, margin=dict(l=10, r=10, t=10, b=10), xaxis_title="ε (grey levels out of 255)",
                      yaxis=dict(range=[0, 100], title="fake score (0–100)"))
    return fig


st.title(":material/target: Adversarial noise")
st.markdown(
    "A detector is a function of pixels. If someone can see how its score changes with each pixel (its "
    "*gradient*), they can nudge every pixel by a tiny, invisible amount in the direction that lowers the "
    "score. Here we do exactly that to a fake — with the same tools researchers use to test models "
    "(captum's **FGSM** and **PGD** attacks) — and measure how little the image had to change."
)
lab = get_lab()
untrained_warning(lab)
chosen_photo = choose_photo("adv")
if chosen_photo is None:
    st.stop()
rgb, face, name = chosen_photo
if max(rgb.shape[:2]) > WORK_SIDE:
    # Work on a bounded copy, as Make a fake does: a 39 MP photo once took 52 s and 2 GB here, and its
    # full-size fake stayed cached for every session.
    width = rgb.shape[1]
    rgb = working_copy(rgb)
    scale = rgb.shape[1] / width
    face = Face(box=(face.box * scale).astype(np.float32), landmarks=(face.landmarks * scale).astype(np.float32),
                prob=face.prob)
    st.caption(f"Large photo: the lab works on a copy {rgb.shape[1]}×{rgb.shape[0]} pixels in size.")
if not name.startswith(("self-blended", "face swap")):
    make_fake = st.toggle("Turn this photo into a self-blended fake first", value=True, key="adv_make_fake",
                          help="Attacks are most telling on a fake: the noise must make it read as real.")
    if make_fake:
        rgb, name = _ready_made_fake(rgb, face.landmarks), f"self-blended fake of {name}"
crop = _crop(lab, rgb, face.box, face.landmarks)


@st.fragment
def attack_lab() -> None:
    c1, c2, c3 = st.columns([1, 2, 1])
    method = c1.radio("Attack", list(METHODS), index=1, format_func=METHODS.get, key="adv_method")
    eps = c2.slider("ε: the most any pixel may change (grey levels out of 255)", 1, 16, 4, key="adv_eps",
                    help="Each colour value of each pixel moves by at most ε. 4/255 is invisible to most people.")
    steps = c3.slider("PGD steps", 5, 40, 20, 5, key="adv_steps", disabled=method != "pgd",
                      help="More steps search the ε-box more thoroughly (and take longer).")
    with st.spinner(f"Running {METHODS[method]} on the detector…"):
        res = _attack(lab, crop, int(eps), method, int(steps) if method == "pgd" else 1)

    a, b, c = st.columns(3)
    a.image(res.original, caption=f"the fake ({name})", width="stretch", alt="the fake face crop before the attack")
    a.markdown(verdict_badge(res.prob_before, lab.detector.verdict(res.prob_before)))
    b.image(res.adversarial, caption=f"the fake + noise (ε = {eps}/255)", width="stretch",
            alt="the same fake with the adversarial noise added; it looks unchanged")
    b.markdown(verdict_badge(res.prob_after, lab.detector.verdict(res.prob_after)))
    c.image(res.noise, caption=f"the noise, amplified {127.5 / max(eps, 1):.0f}× (grey = unchanged)",
            width="stretch", alt="the adversarial noise, amplified to be visible: a colourful speckle pattern")

    m1, m2, m3 = st.columns(3)
    m1.metric("Fake score after the attack", score_points(res.prob_after),
              f"{100 * (res.prob_after - res.prob_before):+.1f} points", delta_color="inverse")
    m2.metric("PSNR (image quality)", "identical" if np.isinf(res.psnr) else f"{res.psnr:.1f} dB",
              help="Peak signal-to-noise ratio between the two images. Above about 40 dB people cannot see "
                   "the difference; JPEG at good quality is around 35–40 dB.")
    m3.metric("Largest pixel change", f"{res.max_change} / 255")
    if lab.detector.verdict(res.prob_after) is Verdict.REAL and lab.detector.verdict(res.prob_before) is not Verdict.REAL:
        st.success("The fake now reads as **likely real**, though the two images look the same.",
                   icon=":material/target:")
    else:
        hint = "Raise ε or add PGD steps." if method == "pgd" else "Raise ε, or choose PGD, which searches harder."
        fell = "The score fell, but not into *likely real*." if res.prob_after < res.prob_before else \
            "The score did not fall at this setting."
        st.info(f"{fell} {hint}")
    st.caption(
        "The attack works on the detector's face crop, in pixel values between 0 and 1. Its loss is binary "
        "cross-entropy towards the label *real* on the detector's logit. The noisy crop is rounded to whole "
        "grey levels, as a saved image would be, and scored again from those pixels. "
        f"Logit {res.logit_before:+.2f} → {res.logit_after:+.2f}."
    )
    st.markdown("**How much noise does it take?** The one-step attack (FGSM) at every budget:")
    levels, probs = _sweep(lab, crop)
    st.plotly_chart(_sweep_figure(levels, probs, eps, lab.detector.meta), width="stretch")
    st.caption(score_meaning(lab.detector.meta))


attack_lab()
st.divider()
st.header("Why this matters for policy")
st.markdown(
    "- **A “real” verdict is not proof.** Anyone who can query a detector's gradients — or just ask it many times "
    "— can tune a fake to slip past it, with changes no viewer will notice. Detectors catch careless fakes, not "
    "determined adversaries.\n"
    "- **Publishing a detector arms evaders.** Open models allow exactly the attack on this page; public "
    "online checkers allow slower, query-based versions. Rules that make one detector the gatekeeper invite "
    "attacks on that detector.\n"
    "- **Test detectors adversarially before relying on them.** Procurement and audits should ask for accuracy "
    "*under attack*, not just on clean test sets, and for how often the model is updated.\n"
    "- **Combine signals.** Provenance (signed content credentials such as C2PA), watermarking at creation, "
    "platform context and human review do not share this weakness in the same way; detection is one input "
    "among several."
)
