"""Disclosure of downloadable fakes: a visible label in a corner and a content credential declaring it synthetic."""

from __future__ import annotations

import numpy as np
import pytest

from core.engine.media import load_image
from core.fakes import disclosure
from core.fakes.forge import ForgeSettings, self_blend
from core.labs import provenance as prov
from core.labs.provenance.identity import SIGNER_NAME, load_demo_identity


@pytest.fixture(scope="module")
def identity(tmp_path_factory):
    return load_demo_identity(tmp_path_factory.mktemp("identity"))


@pytest.fixture(scope="module")
def fake(grace) -> np.ndarray:
    lm = np.array([[250, 250], [330, 250], [290, 300], [255, 345], [325, 345]], np.float32)
    return self_blend(grace, lm, seed=3, settings=ForgeSettings(blend=1.0)).fake


@pytest.fixture(scope="module")
def marked(fake, identity) -> bytes:
    return disclosure.mark_synthetic(fake, what="A self-blended fake", title="fake.jpg", identity=identity)


def test_the_download_reads_back_as_signed_by_the_demo_identity_and_synthetic(marked, identity):
    report = prov.read_credentials(marked, trust_anchors=identity.root_pem)
    assert report.status == prov.TRUSTED and report.intact
    assert report.active.signer == SIGNER_NAME
    assert prov.SOURCE_TYPES[disclosure.SOURCE_TYPE] in report.ai_sources
    assert any(a.source_type in prov.AI_SOURCE_TYPES for a in report.active.actions)
    assert any("Not a real photo" in (a.description or "") for a in report.active.actions)
    # Without the demo root on the trust list, the credential is intact but its signer is nobody you trust.
    assert prov.read_credentials(marked).status == prov.VALID_UNTRUSTED


def test_the_visible_label_changes_the_bottom_left_corner_only(fake, marked):
    out = load_image(marked)
    assert out.shape == fake.shape
    h, w = fake.shape[:2]
    (x0, y0, x1, y1), _ = disclosure.label_box(w, h)
    assert x0 == 0 and y1 == h and 0 < x1 < w and 0 < y0 < h
    corner = np.abs(out[y0:y1, x0:x1].astype(int) - fake[y0:y1, x0:x1].astype(int)).mean()
    elsewhere = np.abs(out[: h // 2, w // 2:].astype(int) - fake[: h // 2, w // 2:].astype(int)).mean()
    assert corner > 20 and elsewhere < 3  # the label, versus JPEG noise
    band = out[y0:y1, x0:x1]
    assert (band.mean(axis=2) > 200).mean() > 0.03  # white letters on a dark band
    assert (band.mean(axis=2) < 60).mean() > 0.3


def test_the_label_fits_small_and_wide_pictures():
    for shape in ((64, 64, 3), (90, 600, 3), (600, 90, 3)):
        rgb = np.full(shape, 128, np.uint8)
        out = disclosure.draw_label(rgb)
        (x0, y0, x1, y1), _ = disclosure.label_box(shape[1], shape[0])
        assert out.shape == rgb.shape and x1 <= shape[1] and y0 >= 0
        assert np.any(out[y0:y1, x0:x1] != 128) and np.all(out[: max(0, y0 - 1)] == 128)
    with pytest.raises(ValueError):
        disclosure.draw_label(np.zeros((10, 10), np.uint8))
