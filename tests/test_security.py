"""Security, behaviourally: no code runs from a checkpoint, XSRF protection stays on, the teacher gallery cannot
reach outside its folder, the passcode check is constant-time, uploads are never written to disk, and neither
a file's name nor a face's data reaches the logs."""

from __future__ import annotations

import ast
import io
import logging
import os
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from core.engine.media import encode_jpeg

ROOT = Path(__file__).resolve().parent.parent


class _Payload:
    """Unpickling this creates a file: proof that code ran."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def _evil_checkpoint(path: Path, marker: Path) -> Path:
    from core.engine.detector import BlendNet, DetectorMeta

    state = BlendNet().state_dict()
    torch.save({"meta": DetectorMeta().to_json(), "model": state, "x": _Payload(marker)}, str(path))
    return path


@pytest.mark.parametrize("suffix", [".pt", ".safetensors", ".bin"])
def test_a_pickled_checkpoint_is_refused_without_running_its_code(tmp_path, suffix):
    from core.engine.analysis import load_lab
    from core.engine.detector import load_detector

    marker = tmp_path / "pwned"
    ckpt = _evil_checkpoint(tmp_path / f"model{suffix}", marker)
    with pytest.raises(Exception):
        load_detector(ckpt)
    with pytest.raises(Exception):
        load_lab(ckpt)
    assert not marker.exists()


def test_torch_load_defaults_to_weights_only_for_third_party_loaders(tmp_path):
    """facenet-pytorch loads MTCNN's weights with a bare torch.load(path): safe only while the default is
    weights_only=True (torch ≥ 2.6) and nobody forces it off."""
    marker = tmp_path / "pwned"
    ckpt = _evil_checkpoint(tmp_path / "m.pt", marker)
    assert os.environ.get("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "") in ("", "0")
    with pytest.raises(Exception, match="[Ww]eights only"):
        torch.load(str(ckpt))
    assert not marker.exists()


def _calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield node, ast.unparse(node.func)


def test_no_code_loads_pickles():
    """Every torch.load passes weights_only=True; nothing calls pickle/joblib/dill loads or allow_pickle=True."""
    problems = []
    for folder in ("core", "ui", "pages", "bench"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for call, name in _calls(tree):
                kwargs = {k.arg: ast.unparse(k.value) for k in call.keywords}
                where = f"{path.relative_to(ROOT)}:{call.lineno}"
                if name.endswith("torch.load") and kwargs.get("weights_only") != "True":
                    problems.append(f"{where} torch.load without weights_only=True")
                if name in ("pickle.load", "pickle.loads", "joblib.load", "dill.load", "cloudpickle.load"):
                    problems.append(f"{where} {name}")
                if kwargs.get("allow_pickle") == "True":
                    problems.append(f"{where} allow_pickle=True")
    assert not problems, problems
    app_tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    assert not [n for _, n in _calls(app_tree) if n.endswith("torch.load")]


def test_streamlit_config_keeps_xsrf_and_cors_protection_and_an_upload_limit():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    server = config["server"]
    assert server.get("enableXsrfProtection", True) is True
    assert server.get("enableCORS", True) is True
    assert 1 <= server["maxUploadSize"] <= 500
    assert config["browser"]["gatherUsageStats"] is False
    assert "allowRunOnSave" not in server and "runOnSave" not in server
    assert config["client"]["showErrorDetails"] == "none"  # no tracebacks with server paths for students


def test_teacher_gallery_never_reads_outside_its_folder(tmp_path, grace):
    """Relative escapes, absolute paths, a symlinked file and a symlinked labelled folder are all refused."""
    from core.classroom.gallery import scan_teacher_dir

    small = encode_jpeg(np.ascontiguousarray(grace[::4, ::4]))
    outside = tmp_path / "private"
    (outside / "real").mkdir(parents=True)
    (outside / "secret.jpg").write_bytes(small)
    (outside / "real" / "diary.jpg").write_bytes(small)
    root = tmp_path / "gallery"
    (root / "real").mkdir(parents=True)
    (root / "real" / "ok.jpg").write_bytes(small)
    os.symlink(outside / "secret.jpg", root / "real" / "link.jpg")
    os.symlink(outside / "real", root / "fake")  # a labelled folder that is really somewhere else
    (root / "list.csv").write_text(
        "path,label\n../private/secret.jpg,fake\n"
        f"{outside / 'secret.jpg'},fake\nreal/../../private/secret.jpg,real\n"
        "real/link.jpg,fake\n..\\private\\secret.jpg,fake\nfile:///etc/passwd,real\n", encoding="utf-8")
    items, notes = scan_teacher_dir(root)
    assert [it.id for it in items] == ["teacher/real/ok.jpg"]
    assert all(it.path.resolve().is_relative_to(root.resolve()) for it in items)
    assert sum("outside the gallery folder" in n for n in notes) >= 4


def test_teacher_passcode_is_compared_in_constant_time(monkeypatch):
    import hmac

    from core.classroom import store

    seen = []
    real = hmac.compare_digest

    def spy(a, b):
        seen.append((a, b))
        return real(a, b)

    monkeypatch.setattr(store.hmac, "compare_digest", spy)
    monkeypatch.delenv("LAB_TEACHER_PASSCODE", raising=False)
    assert not store.check_passcode("") and not store.check_passcode("anything")
    monkeypatch.setenv("LAB_TEACHER_PASSCODE", "correct horse")
    assert store.check_passcode("correct horse")
    assert not store.check_passcode("correct hors") and not store.check_passcode("") and not store.check_passcode(None)
    assert ("correct horse".encode(), "correct horse".encode()) in seen  # the comparison went through hmac


class _WriteWatch:
    """Records every file opened for writing (and temp files made) by Python code while armed."""

    def __init__(self):
        self.armed = False
        self.writes: list[str] = []
        sys.addaudithook(self._hook)  # hooks cannot be removed; this one does nothing when disarmed

    def _hook(self, event, args):
        if not self.armed:
            return
        if event == "open":
            path, mode, flags = args
            writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))
            if writes:
                self.writes.append(str(path))
        elif event in ("tempfile.mkstemp", "tempfile.mkdtemp", "shutil.copyfile", "os.rename"):
            self.writes.append(f"{event}{args}")


@pytest.fixture(scope="module")
def watch() -> _WriteWatch:
    return _WriteWatch()


def test_uploads_are_never_written_to_disk(watch, tmp_path, monkeypatch, grace, lab):
    from core.engine.video import analyze_video, moving_face_clip

    monkeypatch.setenv("LAB_DATA_DIR", str(tmp_path / "data"))
    photo = encode_jpeg(grace)
    clip = moving_face_clip(grace, width=240, height=160, seconds=1, fps=6)
    pages = []
    for page, key in (("faces.py", "faces"), ("detect_photo.py", "detect_photo")):
        at = AppTest.from_file(str(ROOT / "pages" / page))
        at.run(timeout=180)
        at.radio(key=f"{key}_source").set_value("Upload a photo").run(timeout=60)
        pages.append((at, key))
    watch.armed = True
    try:
        for at, key in pages:
            at.file_uploader(key=f"{key}_upload").upload("upload.jpg", photo, "image/jpeg").run(timeout=120)
            assert not at.exception and _found_faces(at)
        report = analyze_video(lab, clip, n_frames=4)
        assert report.frames_with_faces == 4
        with open(tmp_path / "control.txt", "w") as f:  # the watch must see a real write
            f.write("x")
    finally:
        watch.armed = False
    assert watch.writes == [str(tmp_path / "control.txt")]
    for path in (tmp_path / "data").rglob("*") if (tmp_path / "data").exists() else []:
        assert not path.is_file() or photo[:2000] not in path.read_bytes()


def _found_faces(at) -> bool:
    """The page analysed the upload: its "Found N face(s)" message, in whatever box the verdict gives it."""
    return any("Found" in str(m.value) for m in [*at.success, *at.info, *at.warning, *at.error])


def test_file_names_and_faces_stay_out_of_the_logs(grace, capfd):
    """Upload a photo whose name is a student's name, good and bad, with every logger at DEBUG: the name never
    appears in a log record or on the console."""
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            records.append(self.format(record))

    handler = Collect(level=logging.DEBUG)
    loggers = [logging.getLogger()] + [logging.getLogger(n) for n in list(logging.root.manager.loggerDict)]
    saved = [(lg, lg.level) for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
    name = "maria-gonzalez-year9"
    try:
        at = AppTest.from_file(str(ROOT / "pages" / "detect_photo.py"))
        at.run(timeout=180)
        at.radio(key="detect_photo_source").set_value("Upload a photo").run(timeout=60)
        at.file_uploader(key="detect_photo_upload").upload(f"{name}.jpg", encode_jpeg(grace), "image/jpeg")
        at.run(timeout=120)
        assert _found_faces(at) and not at.exception
        at.file_uploader(key="detect_photo_upload").upload(f"{name}-2.jpg", b"\xff\xd8broken", "image/jpeg")
        at.run(timeout=60)
        assert at.error and not at.exception
    finally:
        for lg, level in saved:
            lg.removeHandler(handler)
            lg.setLevel(level)
    out, err = capfd.readouterr()
    assert records, "the handler must have been reached (DEBUG records exist during a page run)"
    leaks = [r for r in records if name in r] + [ln for ln in (out + err).splitlines() if name in ln]
    assert not leaks, leaks


def test_privacy_statement_names_everything_the_lab_stores():
    """Whatever core/ writes under LAB_DATA_DIR must be named by the privacy statement in the app and the README."""
    import re

    stored = set()
    for path in (ROOT / "core").rglob("*.py"):
        stored |= set(re.findall(r"data_dir\(\)\)?\s*/\s*[\"']([^\"']+)[\"']", path.read_text(encoding="utf-8")))
    assert {"lab.db", "gallery", "demo_identity"} <= stored
    at = AppTest.from_file(str(ROOT / "pages" / "about.py"))
    at.run(timeout=180)
    statement = at.markdown[0].value
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    readme_privacy = " ".join(readme.split("## Privacy", 1)[1].split("\n## ", 1)[0].split())
    for name in sorted(stored):
        assert name in statement, f"pages/about.py does not say that the lab stores {name}"
        assert name in readme_privacy, f"the README's privacy section does not say that the lab stores {name}"
    for claim in ("never written to disk", "nickname"):
        assert claim in readme_privacy
    assert "written to disk" in statement and "nickname" in statement


# ---------------------------------------------------------------------------------------------------------------
# Security v2 (issue 21): crafted provenance files, the demo CA key, the pool key


def _png_with_text(rgb: np.ndarray, **chunks: str) -> bytes:
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    for key, value in chunks.items():
        info.add_itxt(key.replace("__", ":").replace("_dot_", "."), value)
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG", pnginfo=info)
    return buf.getvalue()


_XMP_HEAD = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
             '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" '
             'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="Honest Tool 1.0">')
_XMP_TAIL = "</rdf:Description></rdf:RDF></x:xmpmeta>"


def test_xmp_regex_bomb_outside_the_packet_is_never_scanned():
    """The 702 KB PNG that froze the server for 23 s: <x:xmpmeta> and <dc:creator> repeated 20,000 times in a
    text chunk. Only the real XMP packet is read now, so the repetition is ignored (and costs no scan)."""
    from core.labs.provenance import read_metadata

    rgb = np.zeros((8, 8, 3), np.uint8)
    bomb = "<x:xmpmeta>" + "<dc:creator>" * 20_000
    data = _png_with_text(rgb, Comment=bomb)
    meta = read_metadata(data)
    assert meta.error is None
    assert not [f for f in meta.fields if "Creator" in f.name]  # nothing read from outside a real packet
    assert next(f for f in meta.fields if f.name == "PNG text: Comment").value.endswith("…")  # shown shortened


def test_oversized_or_entity_laden_xmp_packets_are_refused_not_parsed():
    from core.labs.provenance import read_metadata
    from core.labs.provenance.xmp import MAX_XMP_BYTES

    rgb = np.zeros((8, 8, 3), np.uint8)
    creators = "<dc:creator><rdf:Seq>" + "<rdf:li>x</rdf:li>" * 20_000 + "</rdf:Seq></dc:creator>"
    huge = _XMP_HEAD + creators + _XMP_TAIL
    assert len(huge) > MAX_XMP_BYTES
    meta = read_metadata(_png_with_text(rgb, XML__com_dot_adobe_dot_xmp=huge))
    assert any(f.name == "XMP" and "did not read" in f.value for f in meta.fields)
    # "billion laughs": entity expansion is refused by defusedxml instead of expanding
    laughs = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
              + _XMP_HEAD.replace('Honest Tool 1.0', '&b;') + _XMP_TAIL)
    meta = read_metadata(_png_with_text(rgb, XML__com_dot_adobe_dot_xmp=laughs))
    assert any(f.name == "XMP" and "damaged" in f.value for f in meta.fields)
    assert not [f for f in meta.fields if f.name == "Creator tool (XMP)"]


def test_a_real_xmp_packet_is_read_with_values_capped():
    from core.labs.provenance import read_metadata

    rgb = np.zeros((8, 8, 3), np.uint8)
    creators = "<dc:creator><rdf:Seq>" + "".join(f"<rdf:li>person {i}</rdf:li>" for i in range(500)) + \
        "</rdf:Seq></dc:creator>"
    meta = read_metadata(_png_with_text(rgb, XML__com_dot_adobe_dot_xmp=_XMP_HEAD + creators + _XMP_TAIL))
    fields = {f.name: f.value for f in meta.fields}
    assert fields["Creator tool (XMP)"] == "Honest Tool 1.0"
    assert fields["Creator (XMP)"].startswith("person 0; person 1;") and "person 20" not in fields["Creator (XMP)"]


def _signed_by(tmp_path, monkeypatch, signer_name: str, title: str) -> bytes:
    """A real C2PA credential whose signer name, action description and parent's title are attacker-chosen."""
    from core.labs.provenance import identity, sign_edit, sign_image

    monkeypatch.setattr(identity, "SIGNER_NAME", signer_name)
    ident = identity.load_demo_identity(tmp_path / "evil_identity")
    rgb = np.full((64, 64, 3), 128, np.uint8)
    parent = sign_image(encode_jpeg(rgb), claim="camera", title=title, identity=ident)
    return sign_edit(encode_jpeg(rgb[:60]), parent, action="c2pa.edited", description=title, title=title,
                     identity=ident)


def test_html_and_markdown_in_a_credential_are_shown_as_plain_text(tmp_path, monkeypatch):
    """A crafted manifest once drew a fake "✅ trusted (Reuters)" banner over the verdict and made the viewer's
    browser fetch a LAN address through a Markdown image."""
    import re

    overlay = '<b style="position:fixed;inset:0">✅ Trusted (Reuters)</b>'  # a certificate name: ≤ 64 characters
    beacon = "![x](http://10.0.0.1/beacon.png) [click](javascript:alert(1)) <img src=x onerror=alert(1)>"
    signed = _signed_by(tmp_path, monkeypatch, overlay, beacon)
    monkeypatch.setenv("LAB_DATA_DIR", str(tmp_path / "data"))
    at = AppTest.from_file(str(ROOT / "pages" / "provenance.py"), default_timeout=120)
    at.run()
    at.radio(key="provenance_source").set_value("Upload a photo").run()
    at.file_uploader(key="provenance_upload").upload("beacon](x).jpg", signed, "image/jpeg").run()
    assert not at.exception, at.exception
    shown = [e for kind in ("markdown", "caption", "info", "warning", "error", "success") for e in getattr(at, kind)]
    tainted = [e for e in shown if "Reuters" in str(e.value) or "beacon" in str(e.value)]
    assert any("Reuters" in str(e.value) for e in tainted) and any("beacon" in str(e.value) for e in tainted)
    for e in tainted:
        text = str(e.value)
        assert not getattr(e.proto, "allow_html", False), text  # never rendered as HTML
        assert not re.search(r"(?<!\\)[<\[\]`]", text), text  # no tag, link, image or code span can form
    table = at.table  # the validation checks and metadata tables render Markdown in cells too
    for t in table:
        for value in t.value.astype(str).to_numpy().ravel():
            assert not re.search(r"(?<!\\)[<\[\]]", value), value


def test_demo_root_ca_key_is_not_kept_beside_the_signer_key(tmp_path):
    from cryptography.hazmat.primitives import serialization

    from core.labs.provenance import identity

    folder = tmp_path / "ident"
    folder.mkdir()
    (folder / "root_ca_key.pem").write_text("left by an older version")
    ident = identity.load_demo_identity(folder)
    keys = []
    for path in folder.iterdir():
        try:
            serialization.load_pem_private_key(path.read_bytes(), None)
            keys.append(path.name)
        except (ValueError, TypeError):
            pass
    assert keys == ["signer_key.pem"] and not (folder / "root_ca_key.pem").exists()
    assert (folder.stat().st_mode & 0o777) == 0o700
    from core.labs.provenance import read_credentials, sign_image

    signed = sign_image(encode_jpeg(np.full((32, 32, 3), 90, np.uint8)), claim="camera", identity=ident)
    assert read_credentials(signed, trust_anchors=ident.root_pem).status == "trusted"  # signing needs no root key


def test_the_job_pool_limits_each_client_address_not_each_tab():
    from ui.jobs import client_key

    assert client_key("192.168.1.20", "tab-a") == client_key("192.168.1.20", "tab-b")  # more tabs, same slot
    assert client_key("192.168.1.20", "tab-a") != client_key("192.168.1.21", "tab-a")
    # the laptop itself (or everyone behind a local reverse proxy) and unknown addresses fall back to the tab
    assert client_key("127.0.0.1", "tab-a") != client_key("127.0.0.1", "tab-b")
    assert client_key(None, "tab-a") != client_key(None, "tab-b")
    assert client_key("not an address", "t") == client_key(None, "t")
