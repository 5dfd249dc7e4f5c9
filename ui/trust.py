"""The trust panel beside every verdict: what the fake score means and how the detector did on each kind of input."""

from __future__ import annotations

import html

import streamlit as st

from core.engine.trust import LEVELS, NOT_A_PROBABILITY, trust_lines, worst_first
from core.training.model_card import CARD_JSON, load_card

# Streamlit's bundled Material icons: emoji render as empty boxes on machines without an emoji font.
ICONS = {"good": ":material/check_circle:", "fair": ":material/remove_circle:", "weak": ":material/warning:",
         "guessing": ":material/cancel:", "inverted": ":material/cancel:"}


@st.cache_data(show_spinner=False)
def _card(mtime: float) -> dict | None:  # keyed by the file's time, so a re-generated card is picked up
    return load_card(CARD_JSON)


def trust_panel(*, expanded: bool = False) -> None:
    """Draw the panel: why the fake score is not a probability, then every measured kind of input, weakest first."""
    card = _card(CARD_JSON.stat().st_mtime if CARD_JSON.exists() else 0.0)
    with st.expander("How far to trust this verdict", expanded=expanded, icon=":material/balance:"):
        st.markdown(NOT_A_PROBABILITY)
        lines = worst_first(trust_lines(card))
        if not lines:
            st.info("This detector has no measured model card (models/model_card.json), so nobody knows how far "
                    "to trust it. Treat its scores as meaningless.")
            return
        st.markdown(f"Measured for detector `{html.escape(str(card.get('version', '?')))}` "
                    "(details on the *Privacy & model* page):")
        st.markdown("\n".join(f"- {ICONS[line.level]} **{line.kind}** — {LEVELS[line.level][1]}: {line.figure}."
                              for line in lines))
        st.caption("Fully generated faces (no real face underneath) are not what this detector looks for: "
                   "try the Spectrum lab for those.")
