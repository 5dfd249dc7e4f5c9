"""Provenance: C2PA reading/signing offline, tamper detection, metadata, demo identity, and the page."""

from __future__ import annotations

import http.server
import io
import json
import os
import struct
import threading

import numpy as np
import pytest
from cryptography import x509
from PIL import Image

from core.labs import provenance as prov
from core.config import ROOT
from core.labs.provenance.identity import DEMO_LABEL, SIGNER_NAME, load_demo_identity
from core.engine.faces import sample_image_path
from core.engine.media import encode_jpeg, encode_png, load_image


@pytest.fixture(scope="module")
def identity(tmp_path_factory):
    return load_demo_identity(tmp_path_factory.mktemp("identity"))


@pytest.fixture(scope="module")
def grace_bytes() -> bytes:
    with open(sample_image_path("grace_hopper"), "rb") as f:
        return f.read()


@pytest.fixture(scope="module")
def signed(grace_bytes, identity) -> bytes:
    return prov.sign_image(grace_bytes, claim="generative_ai", title="grace.jpg", identity=identity)


# ------------------------------------------------------------------------------------------ identity

def test_demo_identity_meets_the_c2pa_certificate_profile(identity):
    signer, root = x509.load_pem_x509_certificates(identity.chain_pem)
    assert signer.subject != signer.issuer and signer.issuer == root.subject  # not self-signed
    assert signer.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    ku = signer.extensions.get_extension_for_class(x509.KeyUsage)
    assert ku.critical and ku.value.digital_signature and not ku.value.key_cert_sign
    ekus = {e.dotted_string for e in signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value}
    assert {"1.3.6.1.5.5.7.3.4", "1.3.6.1.5.5.7.3.36"} <= ekus and "2.5.29.37.0" not in ekus
    assert DEMO_LABEL in signer.subject.rfc4514_string()
    assert (identity.folder / "signer_key.pem").stat().st_mode & 0o077 == 0  # private key: owner only


def test_demo_identity_is_reused_not_regenerated(identity):
    again = load_demo_identity(identity.folder)
    assert again.chain_pem == identity.chain_pem and again.key_pem == identity.key_pem


def test_demo_identity_defaults_to_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("LAB_DATA_DIR", str(tmp_path))
    ident = load_demo_identity()
    assert ident.folder == tmp_path / "demo_identity" and (ident.folder / "README.txt").exists()


# ------------------------------------------------------------------------------------------ reading

def test_sign_then_read_is_valid_but_untrusted(signed):
    report = prov.read_credentials(signed)
    assert report.status == prov.VALID_UNTRUSTED and report.intact
    assert [c.code for c in report.failures] == ["signingCredential.untrusted"]
    assert report.active.signer == SIGNER_NAME and report.active.issuer == DEMO_LABEL
    assert report.active.generator.startswith("Deepfake Lab")
    created = report.active.actions[0]
    assert created.label == "c2pa.created" and created.source_type == "trainedAlgorithmicMedia"
    assert report.ai_sources == ["created by a generative AI tool"]
    assert report.active.signed_at is None  # offline: no timestamp authority, so no proven signing time
    assert "not on a trust list" in report.headline


def test_the_same_signature_is_trusted_once_its_root_is_on_the_trust_list(signed, identity):
    report = prov.read_credentials(signed, trust_anchors=identity.root_pem)
    assert report.status == prov.TRUSTED and report.failures == []


def test_another_root_does_not_make_it_trusted(signed, tmp_path):
    stranger = load_demo_identity(tmp_path / "other")
    assert prov.read_credentials(signed, trust_anchors=stranger.root_pem).status == prov.VALID_UNTRUSTED


def test_changed_pixels_are_reported_as_tampered(signed):
    flipped = bytearray(signed)
    flipped[-2000] ^= 0x55  # inside the compressed image data
    report = prov.read_credentials(bytes(flipped))
    assert report.status == prov.TAMPERED and not report.intact
    assert "assertion.dataHash.mismatch" in {c.code for c in report.failures}
    assert "content changed" in report.headline


def test_changed_credential_is_reported_as_tampered(signed):
    marker, start, end = next(s for s in prov.jpeg_segments(signed) if s[0] == prov.APP11)
    flipped = bytearray(signed)
    flipped[end - 20] ^= 0x55  # inside the signature at the end of the manifest store
    report = prov.read_credentials(bytes(flipped))
    assert report.status == prov.TAMPERED
    assert "claimSignature.mismatch" in {c.code for c in report.failures}
    assert "credential itself" in report.headline


def test_crop_that_keeps_the_old_credential_is_tampered(signed):
    rgb = load_image(signed)
    edited, out = prov.edit_signed(signed, rgb, "crop", "keep")
    assert out.shape[0] < rgb.shape[0] and prov.read_credentials(edited).status == prov.TAMPERED


def test_re_encoded_image_has_no_credential(signed):
    stripped = encode_jpeg(load_image(signed))
    report = prov.read_credentials(stripped)
    assert report.status == prov.NONE and "proves nothing" in report.detail


def test_cutting_out_the_credential_keeps_pixels_identical(signed):
    stripped = prov.strip_credential(signed)
    assert len(stripped) < len(signed)
    assert np.array_equal(load_image(stripped), load_image(signed))
    assert prov.read_credentials(stripped).status == prov.NONE


def test_honest_edit_is_valid_and_keeps_the_history(signed, identity):
    rgb = load_image(signed)
    edited, _ = prov.edit_signed(signed, rgb, "crop", "sign", identity=identity)
    report = prov.read_credentials(edited)
    assert report.status == prov.VALID_UNTRUSTED
    assert [a.label for a in report.active.actions] == ["c2pa.opened", "c2pa.cropped"]
    assert report.active.ingredients[0].relationship == "parentOf" and report.active.ingredients[0].manifest
    assert [a.source_type for a in report.history[0].actions] == ["trainedAlgorithmicMedia"]
    assert report.ai_sources == ["created by a generative AI tool"]  # the AI origin survives the honest edit


def test_trusting_the_root_updates_the_ingredients_verdict_too(signed, identity):
    """One consistent statement: the original inside a re-signed file is judged by the reader's trust list,
    not by the one recorded when the edit was signed; and the issuer's name does not claim either way."""
    edited, _ = prov.edit_signed(signed, load_image(signed), "crop", "sign", identity=identity)
    untrusted = prov.read_credentials(edited)
    assert untrusted.active.ingredients[0].failures == ("signingCredential.untrusted",)
    trusted = prov.read_credentials(edited, trust_anchors=identity.root_pem)
    assert trusted.status == prov.TRUSTED
    assert trusted.active.ingredients[0].failures == ()
    assert "not trusted" not in (trusted.active.issuer or "") and "trust" not in DEMO_LABEL.lower()


def test_an_identity_made_under_the_old_name_is_replaced(tmp_path, monkeypatch):
    from core.labs.provenance import identity as identity_module

    with monkeypatch.context() as m:
        m.setattr(identity_module, "DEMO_LABEL", "Deepfake Lab DEMO identity — not trusted")
        old = load_demo_identity(tmp_path)
    new = load_demo_identity(tmp_path)
    assert new.chain_pem != old.chain_pem
    assert DEMO_LABEL in x509.load_pem_x509_certificates(new.chain_pem)[0].subject.rfc4514_string()


def test_fake_face_edit_with_the_old_credential_is_tampered(signed, lab):
    rgb = load_image(signed)
    faces = lab.extractor.detect(rgb, crops=False)
    assert faces
    edited, fake = prov.edit_signed(signed, rgb, "fake", "keep", landmarks=faces[0].landmarks)
    assert np.abs(fake.astype(int) - rgb.astype(int)).max() > 20
    assert prov.read_credentials(edited).status == prov.TAMPERED


def test_png_is_signed_with_the_original_as_ingredient(identity):
    png = encode_png(np.full((64, 80, 3), 120, np.uint8))
    report = prov.read_credentials(prov.sign_image(png, claim="edited", title="x.png", identity=identity))
    assert report.status == prov.VALID_UNTRUSTED
    assert report.active.ingredients[0].format == "image/png"
    assert [a.label for a in report.active.actions] == ["c2pa.opened"]


def test_camera_claim_is_signed_even_though_it_is_false(grace_bytes, identity):
    report = prov.read_credentials(prov.sign_image(grace_bytes, claim="camera", identity=identity))
    assert report.intact and report.active.actions[0].source_type == "digitalCapture" and not report.ai_sources


# ------------------------------------------------------------------------------------------ bad input

def _app11(payload: bytes) -> bytes:
    return b"\xff\xeb" + struct.pack(">H", len(payload) + 2) + payload


@pytest.mark.parametrize("case", ["random", "empty", "jpeg_garbage_body", "garbage_app11", "cut_manifest",
                                  "scrambled_manifest", "truncated_file"])
def test_malformed_input_gives_a_clear_message_and_no_crash(case, signed):
    rng = np.random.default_rng(1)
    noise = rng.integers(0, 256, 4000, dtype=np.uint8).tobytes()
    plain = encode_jpeg(np.full((32, 32, 3), 90, np.uint8))
    marker, start, end = next(s for s in prov.jpeg_segments(signed) if s[0] == prov.APP11)
    if case == "random":
        data, expected = noise, {prov.UNSUPPORTED}
    elif case == "empty":
        data, expected = b"", {prov.UNSUPPORTED}
    elif case == "jpeg_garbage_body":
        data, expected = b"\xff\xd8\xff" + noise, {prov.UNREADABLE}
    elif case == "garbage_app11":  # a JUMBF-looking segment with random content
        data, expected = plain[:2] + _app11(b"JP\x00\x01\x00\x00\x00\x01" + noise[:500]) + plain[2:], {prov.NONE}
    elif case == "cut_manifest":  # the first half of the real credential, with a consistent segment length
        half = signed[start + 4:start + (end - start) // 2]
        data, expected = plain[:2] + _app11(half) + plain[2:], {prov.UNREADABLE}
    elif case == "scrambled_manifest":  # the real credential with its middle overwritten by noise
        body = bytearray(signed[start:end])
        body[len(body) // 3:len(body) // 3 + 600] = noise[:600]
        data, expected = signed[:start] + bytes(body) + signed[end:], {prov.UNREADABLE, prov.TAMPERED, prov.INVALID}
    else:
        data, expected = signed[: len(signed) // 2], {prov.TAMPERED, prov.UNREADABLE}
    report = prov.read_credentials(data)
    assert report.status in expected, (report.status, report.error)
    assert report.headline.endswith(".") and len(report.detail) > 20


def test_metadata_of_bad_input_is_a_message_not_an_exception():
    assert prov.read_metadata(b"not an image").error
    assert prov.read_metadata(b"").error


# ------------------------------------------------------------------------------------------ offline

def test_remote_credentials_are_never_fetched(grace_bytes, identity):
    """An asset whose credential lives at a URL: reading must not touch the network (control: it would)."""
    import c2pa

    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/manifest.c2pa"
        builder = c2pa.Builder({"title": "remote"}, context=prov._context())
        builder.set_intent(c2pa.C2paBuilderIntent.CREATE, c2pa.C2paDigitalSourceType.DIGITAL_CAPTURE)
        builder.set_no_embed()
        builder.set_remote_url(url)
        out = io.BytesIO()
        builder.sign(prov._signer(identity), "image/jpeg", io.BytesIO(grace_bytes), out)
        report = prov.read_credentials(out.getvalue())
        assert report.status == prov.REMOTE and report.remote_url == url
        assert hits == []
        # Control: with remote fetching on, the same file does reach the server, so the check above can fail.
        online = c2pa.Context.from_dict({"verify": {"remote_manifest_fetch": True}})
        with pytest.raises(c2pa.C2paError):
            c2pa.Reader("image/jpeg", io.BytesIO(out.getvalue()), context=online)
        assert hits == ["/manifest.c2pa"]
    finally:
        server.shutdown()


# ------------------------------------------------------------------------------------------ metadata

def test_metadata_reports_camera_fields_and_ai_markers():
    image = Image.fromarray(np.full((40, 60, 3), 200, np.uint8))
    exif = Image.Exif()
    exif[271], exif[272], exif[305] = "Canon", "EOS R5", "Lab Editor 2.0"
    exif.get_ifd(0x8769)[36867] = "2024:05:01 10:20:30"
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           b'<rdf:Description xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
           b'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="ImageGen 3" '
           b'Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"/>'
           b"</rdf:RDF></x:xmpmeta>")
    buf = io.BytesIO()
    image.save(buf, format="JPEG", exif=exif, xmp=xmp)
    meta = prov.read_metadata(buf.getvalue())
    values = {f.name: f.value for f in meta.fields}
    assert values["Camera make"] == "Canon" and values["Camera model"] == "EOS R5"
    assert values["Software"] == "Lab Editor 2.0" and values["Date taken"] == "2024:05:01 10:20:30"
    assert values["Creator tool (XMP)"] == "ImageGen 3"
    assert values["IPTC digital source type"].startswith("trainedAlgorithmicMedia")
    assert any("generative AI" in m for m in meta.ai_markers)
    # Re-encoding drops all of it: metadata is as easy to lose as to write.
    bare = prov.read_metadata(encode_jpeg(load_image(buf.getvalue())))
    assert bare.fields == [] and bare.ai_markers == []


def test_png_generator_parameters_are_flagged():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "a photo of a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42")
    buf = io.BytesIO()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(buf, format="PNG", pnginfo=info)
    meta = prov.read_metadata(buf.getvalue())
    assert meta.format == "PNG" and any("Stable Diffusion" in m for m in meta.ai_markers)


def test_sniff_mime_reads_content_not_names():
    assert prov.sniff_mime(encode_jpeg(np.zeros((8, 8, 3), np.uint8))) == "image/jpeg"
    assert prov.sniff_mime(encode_png(np.zeros((8, 8, 3), np.uint8))) == "image/png"
    assert prov.sniff_mime(b"\x00\x00\x00\x18ftypisom" + bytes(20)) == "video/mp4"
    assert prov.sniff_mime(b"hello world") is None


def test_pretty_json_is_the_manifest_store(signed):
    store = json.loads(prov.pretty_json(prov.read_credentials(signed)))
    assert store["active_manifest"] in store["manifests"]


# ------------------------------------------------------------------------------------------ page

def _page(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("LAB_DATA_DIR", str(tmp_path))
    at = AppTest.from_file(str(ROOT / "pages" / "provenance.py"), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def _markdown(at) -> str:
    parts = [e.value for kind in ("markdown", "info", "warning", "error", "success", "caption")
             for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def test_page_reads_signs_and_breaks_a_credential(tmp_path, monkeypatch):
    at = _page(tmp_path, monkeypatch)
    text = _markdown(at)
    assert "No content credential found." in text and "proves nothing" in text
    assert "File source" in at.table[0].value["value"].iloc[0]  # the sample's real JPEG comment, from its own bytes
    at.radio(key="provenance_claim").set_value("generative_ai")
    at.button(key="provenance_sign").click().run()
    assert not at.exception, at.exception
    text = _markdown(at)
    assert "Intact credential, but the signer is not on a trust list." in text
    assert "created by a generative AI tool" in text
    assert (tmp_path / "demo_identity" / "signer_chain.pem").exists()
    # Crop in an editor that carries the old credential along: the credential now breaks.
    at.radio(key="provenance_edit").set_value("crop")
    at.radio(key="provenance_saving").set_value("keep")
    at.button(key="provenance_apply").click().run()
    assert not at.exception, at.exception
    assert "Tampered: the content changed after it was signed." in _markdown(at)
    # Re-save without metadata: the credential disappears.
    at.radio(key="provenance_saving").set_value("resave")
    at.button(key="provenance_apply").click().run()
    assert _markdown(at).count("No content credential found.") == 2
    # Trusting the demo root turns the signed copy's verdict to trusted.
    at.toggle(key="provenance_trust").set_value(True).run()
    assert not at.exception, at.exception
    assert "Intact credential from a signer on your trust list." in _markdown(at)


def test_page_fake_face_edit(tmp_path, monkeypatch):
    at = _page(tmp_path, monkeypatch)
    at.button(key="provenance_sign").click().run()
    at.radio(key="provenance_edit").set_value("fake")
    at.radio(key="provenance_saving").set_value("sign")
    at.button(key="provenance_apply").click().run()
    assert not at.exception, at.exception
    text = _markdown(at)
    assert "face region replaced by a self-blended copy" in text and "earlier credential" in text


def test_page_reads_an_uploaded_signed_photo_and_survives_garbage(tmp_path, monkeypatch, signed):
    at = _page(tmp_path, monkeypatch)
    at.radio(key="provenance_source").set_value("Upload a photo").run()
    at.file_uploader(key="provenance_upload").upload("signed.jpg", signed, "image/jpeg").run()
    assert not at.exception, at.exception
    text = _markdown(at)
    assert "Intact credential, but the signer is not on a trust list." in text  # read from the upload's bytes
    assert "created by a generative AI tool" in text
    at.file_uploader(key="provenance_anyfile").upload("junk.mp4", os.urandom(3000), "video/mp4").run()
    assert not at.exception, at.exception
    assert "not a file type that carries content credentials" in _markdown(at)


def test_video_credentials_are_read_and_a_changed_video_is_tampered(identity):
    """The reader is not image-only: sign a small MP4 with c2pa directly, read it, then alter its media data."""
    import c2pa

    from core.engine.media import write_h264

    frames = [np.full((48, 64, 3), 40 + 10 * i, np.uint8) for i in range(6)]
    video = write_h264(frames, fps=6)
    builder = c2pa.Builder({"title": "clip.mp4"}, context=prov._context())
    builder.set_intent(c2pa.C2paBuilderIntent.CREATE, c2pa.C2paDigitalSourceType.TRAINED_ALGORITHMIC_MEDIA)
    out = io.BytesIO()
    builder.sign(prov._signer(identity), "video/mp4", io.BytesIO(video), out)
    signed_video = out.getvalue()
    report = prov.read_credentials(signed_video)
    assert report.status == prov.VALID_UNTRUSTED and report.ai_sources == ["created by a generative AI tool"]
    mdat = signed_video.rfind(b"mdat")
    changed = bytearray(signed_video)
    changed[mdat + 40] ^= 0x55  # a byte of the coded frames
    assert prov.read_credentials(bytes(changed)).status == prov.TAMPERED
