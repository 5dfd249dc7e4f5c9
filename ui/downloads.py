"""Download buttons for lab-made fakes: every download is labelled and signed (:mod:`core.fakes.disclosure`)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.fakes.disclosure import mark_synthetic

HELP = ("The picture you download has \"MADE IN DEEPFAKE LAB - NOT REAL\" written in its corner and carries a "
        "content credential, signed with this lab's DEMO identity, that declares it synthetic. Open it on the "
        "Provenance page to see both. Share fakes only with consent, and never without the label.")


def fake_download(rgb: np.ndarray, *, what: str, file_name: str, key: str) -> None:
    """A button that downloads ``rgb`` as a labelled, signed JPEG. ``what`` says what the fake is, in general
    words (it goes into the credential: never a person's name). The signing runs only when it is clicked."""
    frozen = np.array(rgb, dtype=np.uint8, copy=True)  # the fake as shown now, whatever the sliders do next

    def data() -> bytes:
        return mark_synthetic(frozen, what=what, title=file_name)

    st.download_button("Download this fake (labelled and signed)", data=data, file_name=file_name,
                       mime="image/jpeg", key=key, help=HELP, icon=":material/download:", on_click="ignore")
