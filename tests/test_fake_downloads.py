"""Every fake a learner can download from Make a fake is labelled and signed: the bytes the button gives read back
through the Provenance lab's reader as signed by the demo identity and synthetic, with the label in a corner."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit
from streamlit.testing.v1 import AppTest

from core.engine.media import load_image
from core.fakes import disclosure
from core.labs import provenance as prov
from core.labs.provenance.identity import SIGNER_NAME, load_demo_identity
from pagetest import run as _run

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "make_a_fake.py")


def test_make_a_fake_offers_each_fake_only_labelled_and_signed(monkeypatch, tmp_path):
    monkeypatch.setenv("LAB_DATA_DIR", str(tmp_path))  # a fresh demo identity for this test
    offered: dict[str, object] = {}
    real_button = streamlit.download_button

    def recording(label, data, *args, **kwargs):
        offered[kwargs["key"]] = data
        return real_button(label, data, *args, **kwargs)

    monkeypatch.setattr(streamlit, "download_button", recording)
    at = _run(AppTest.from_file(PAGE))
    buttons = {b.proto.id: b for b in at.get("download_button")}
    assert len(buttons) == 2 and set(offered) == {"sb_download", "sw_download"}
    assert all("labelled and signed" in b.proto.label for b in buttons.values())
    shown = {"sb_download": at.session_state["explore_fake"].rgb}
    root = load_demo_identity(tmp_path / "demo_identity").root_pem
    for key, data in offered.items():
        assert callable(data)  # signed only when a learner asks for it
        jpeg = data()
        report = prov.read_credentials(jpeg, trust_anchors=root)
        assert report.status == prov.TRUSTED and report.active.signer == SIGNER_NAME, key
        assert prov.SOURCE_TYPES[disclosure.SOURCE_TYPE] in report.ai_sources, key
        out = load_image(jpeg)
        h, w = out.shape[:2]
        (x0, y0, x1, y1), _ = disclosure.label_box(w, h)
        band = out[y0:y1, x0:x1].mean(axis=2)
        assert (band < 60).mean() > 0.3 and (band > 200).mean() > 0.03, key  # the visible label
        if key in shown:  # the self-blend shown on the page, labelled
            fake = shown[key]
            assert out.shape == fake.shape
            assert np.abs(out[: h // 2].astype(int) - fake[: h // 2].astype(int)).mean() < 3
