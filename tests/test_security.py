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
            assert not at.exception and at.success
        report = analyze_video(lab, clip, n_frames=4)
        assert report.frames_with_faces == 4
        with open(tmp_path / "control.txt", "w") as f:  # the watch must see a real write
            f.write("x")
    finally:
        watch.armed = False
    assert watch.writes == [str(tmp_path / "control.txt")]
    for path in (tmp_path / "data").rglob("*") if (tmp_path / "data").exists() else []:
        assert not path.is_file() or photo[:2000] not in path.read_bytes()


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
        assert at.success and not at.exception
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
