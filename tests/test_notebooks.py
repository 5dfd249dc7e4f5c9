"""The notebooks in notebooks/: each runs top to bottom in a real Jupyter kernel with a small parameter set, and
what it computes is read back from the kernel and checked. Also: committed notebooks carry no outputs, they match
their generator, and JupyterLab started by `make notebooks`' command shows them in headless Chromium.

The kernel is the native "python3" kernel of the interpreter running the tests (the lab's venv), so the tests do
not depend on `make notebooks` having registered the "deepfake-lab" kernelspec.
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed (pip install -r requirements.txt)")
nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed (pip install -r requirements.txt)")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
NOTEBOOK_FILES = sorted(NOTEBOOKS.glob("*.ipynb"))
RESULT_MARK = "__NOTEBOOK_RESULT__"
CHROMIUM = os.environ.get("LAB_CHROMIUM", "/usr/bin/chromium")


def run_notebook(name: str, params: dict, results: dict[str, str], env: dict[str, str] | None = None,
                 timeout: int = 600) -> dict:
    """Execute notebooks/<name> with ``params`` injected after its parameters cell; return the values of the
    ``results`` expressions, evaluated in the kernel after the last cell (JSON round trip)."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    at = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    assignments = "\n".join(f"{k} = {v!r}" for k, v in params.items())
    injected = nbformat.v4.new_code_cell(assignments, metadata={"tags": ["injected-parameters"]})
    nb.cells.insert(at + 1, injected)
    probe = "import json as _json\nprint(%r + _json.dumps({%s}, default=float))" % (
        RESULT_MARK, ", ".join(f"{k!r}: ({expr})" for k, expr in results.items()))
    nb.cells.append(nbformat.v4.new_code_cell(probe))
    old_env = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})  # the kernel inherits the test's environment
    try:
        client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=timeout, allow_errors=False,
                                         resources={"metadata": {"path": str(NOTEBOOKS)}})
        client.execute()
    finally:
        for k, v in old_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.get("output_type") == "stream")
    line = next(ln for ln in text.splitlines() if ln.startswith(RESULT_MARK))
    return json.loads(line[len(RESULT_MARK):])


@pytest.fixture
def kernel_env(tmp_path):
    """Keep what notebooks write (demo identity, caches) out of the lab's data folder; one torch thread each."""
    return {"LAB_DATA_DIR": str(tmp_path / "labdata"), "LAB_TORCH_THREADS": "1", "MPLBACKEND": "agg"}


# --------------------------------------------------------------------------------------- committed form


def test_every_issue_topic_has_a_notebook():
    assert len(NOTEBOOK_FILES) >= 6
    names = " ".join(p.name for p in NOTEBOOK_FILES)
    for topic in ("heatmaps", "self-blend", "tiny-detector", "robustness", "roc", "evaluate", "credentials"):
        assert topic in names


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.stem)
def test_committed_notebook_is_clean_and_paired_with_a_lesson(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a code cell has outputs"
            assert cell.execution_count is None, f"{path.name}: a code cell has an execution count"
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and tagged[0].cell_type == "code", f"{path.name}: needs exactly one parameters cell"
    # The notebook links to its lesson, and the lesson names the notebook back.
    lessons = [p for p in (ROOT / "lessons").glob("*.md") if f"../lessons/{p.name}" in nb.cells[0].source]
    assert len(lessons) == 1, f"{path.name}: its first cell should link one lesson"
    assert f"notebooks/{path.name}" in lessons[0].read_text(encoding="utf-8"), f"{lessons[0].name} lacks the link back"
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "from core." in source and "def self_blend" not in source and "class BlendNet" not in source


def test_notebooks_match_their_generator():
    sys.path.insert(0, str(NOTEBOOKS))
    try:
        import _generate
    finally:
        sys.path.remove(str(NOTEBOOKS))
    assert sorted(_generate.NOTEBOOKS) == [p.name for p in NOTEBOOK_FILES]
    for name, cells in _generate.NOTEBOOKS.items():
        committed = nbformat.read(NOTEBOOKS / name, as_version=4)
        assert committed == _generate.build(cells), f"{name} differs from notebooks/_generate.py: rerun it"


# --------------------------------------------------------------------------------------- execution


def test_01_faces_scores_heatmaps(kernel_env):
    from core.engine.faces import sample_image_path

    r = run_notebook("01-faces-scores-heatmaps.ipynb", {
        "SAMPLE": "grace_hopper", "MY_PHOTO": sample_image_path("astronaut"),
        "METHODS": ["gradcam", "integrated_gradients", "occlusion"], "IG_STEPS": 4, "OCCLUSION_WINDOW": 32,
        "SANITY_CHECK": True,
    }, {
        "size": "lab.detector.input_size", "n_faces": "len(report.faces)", "crop": "list(face.crop.shape)",
        "score": "face.fake_prob", "rescored": "float(lab.detector.predict(face.crop)[0])",
        "heat": "{m: [list(h.shape), str(h.dtype), float(h.min()), float(h.max())] for m, h in heatmaps.items()}",
        "similarity": "check.similarity", "my_faces": "len(my_report.faces)",
    }, env=kernel_env)
    s = r["size"]
    assert r["n_faces"] == 1 and r["my_faces"] == 1
    assert r["crop"] == [s, s, 3]
    assert 0.0 <= r["score"] <= 1.0 and abs(r["score"] - r["rescored"]) < 1e-5
    assert set(r["heat"]) == {"gradcam", "integrated_gradients", "occlusion"}
    for shape, dtype, lo, hi in r["heat"].values():
        assert shape == [s, s] and dtype == "float32" and 0.0 <= lo <= hi <= 1.0
    assert r["heat"]["gradcam"][3] == pytest.approx(1.0)  # normalised to its peak
    assert -1.0 <= r["similarity"] <= 1.0


def test_02_make_a_self_blend(kernel_env):
    r = run_notebook("02-make-a-self-blend.ipynb", {"SAMPLE": "astronaut", "SEED": 7, "BLEND": 0.8,
                                                     "BLEND_SWEEP": [0.0, 1.0]}, {
        "photo": "list(photo.shape)", "mask": "list(result.mask.shape)", "mask_max": "float(result.mask.max())",
        "recompute": "recompute_error", "outside_changed": "int((diff[result.mask == 0] > 0).sum())",
        "inside_changed": "int((diff[result.mask > 0.5] > 0).sum())",
        "real": "scores['real']", "sweep": "{str(k): v for k, v in sweep.items()}",
    }, env=kernel_env)
    assert r["mask"] == r["photo"][:2]
    assert r["mask_max"] == pytest.approx(0.8, abs=1e-4)
    assert r["recompute"] <= 1
    assert r["outside_changed"] == 0 and r["inside_changed"] > 1000
    assert r["sweep"]["0.0"] == pytest.approx(r["real"], abs=1e-3)  # blend 0 leaves the photo as it was


def test_03_train_a_tiny_detector(kernel_env):
    r = run_notebook("03-train-a-tiny-detector.ipynb", {"STEPS": 160, "BATCH": 16, "EVAL_EVERY": 40,
                                                         "VAL_PAIRS": 32, "LR": 4e-3}, {
        "n_faces": "len(windows)", "history": "history", "val_auc": "val_auc", "x_val": "list(x_val.shape)",
        "tiny_probs": "[float(p) for p in rows[0][4]]", "heat": "list(rows[0][3].shape)",
    }, env=kernel_env)
    print("tiny detector history:", r["history"])
    assert r["n_faces"] == 2
    assert r["x_val"] == [64, 64, 64, 3]
    assert [h["step"] for h in r["history"]] == [40, 80, 120, 160]
    assert r["val_auc"] > 0.6, f"the tiny detector did not learn: validation AUC {r['val_auc']:.3f}"
    assert r["history"][-1]["loss"] < r["history"][0]["loss"]
    assert r["heat"] == [64, 64] and all(0.0 <= p <= 1.0 for p in r["tiny_probs"])


def test_04_robustness_and_attacks(kernel_env):
    r = run_notebook("04-robustness-and-attacks.ipynb", {"KINDS": ["jpeg", "blur"], "ATTACK": "pgd", "EPSILON": 4,
                                                          "ATTACK_STEPS": 5, "SWEEP": [0, 4]}, {
        "points": "{k: len(c.probs) for k, c in curves['self-blend'].curves.items()}",
        "defaults": "{k: len(PERTURBATIONS[k].strengths) for k in KINDS}",
        "base": "curves['self-blend'].base_prob", "fake": "float(detector.predict(fake_crop)[0])",
        "before": "result.prob_before", "after": "result.prob_after", "max_change": "result.max_change",
        "psnr": "result.psnr", "sweep": "{str(k): v for k, v in sweep.items()}",
    }, env=kernel_env)
    assert r["points"] == r["defaults"]
    assert r["base"] == pytest.approx(r["fake"], abs=1e-4) == pytest.approx(r["before"], abs=1e-4)
    assert 0 < r["max_change"] <= 4 and r["psnr"] > 35
    assert r["after"] < r["before"]
    assert r["sweep"]["0"] == pytest.approx(r["before"], abs=1e-4)


def test_05_thresholds_roc_base_rates(kernel_env):
    from sklearn.metrics import roc_auc_score

    with (ROOT / "models" / "eval_scores.csv").open(newline="") as f:
        rows = [row for row in csv.DictReader(f) if row["score"]]  # items without a face have no score
    labels = [int(row["label"]) for row in rows]
    expected_auc = roc_auc_score(labels, [float(row["score"]) for row in rows])
    r = run_notebook("05-thresholds-roc-base-rates.ipynb", {"THRESHOLD": 0.5, "ITEMS_PER_DAY": 10000,
                                                             "FAKE_SHARE": 0.01}, {
        "auc": "curve.auc", "tp": "conf.tp", "fn": "conf.fn", "fp": "conf.fp", "tn": "conf.tn",
        "true_alarms": "outcome.true_alarms", "false_alarms": "outcome.false_alarms", "sentence": "sentence",
        "fake_kinds": "{row['kind of fake']: row['items'] for row in fakes_table}",
    }, env=kernel_env)
    assert r["auc"] == pytest.approx(expected_auc, abs=1e-9) and 0.0 <= r["auc"] <= 1.0
    fake_kinds = {}
    for row in rows:
        if row["label"] == "1":
            fake_kinds[row["kind"]] = fake_kinds.get(row["kind"], 0) + 1
    assert r["fake_kinds"] == fake_kinds
    assert r["tp"] + r["fn"] == sum(labels) and r["fp"] + r["tn"] == len(labels) - sum(labels)
    caught = sum(1 for row in rows if row["label"] == "1" and float(row["score"]) >= 0.5)
    assert r["tp"] == caught
    assert r["true_alarms"] == pytest.approx(100 * caught / sum(labels))  # 100 fakes a day × TPR
    assert r["sentence"].startswith("Of every 100 alerts")


def test_06_evaluate_your_folder(kernel_env, tmp_path):
    out = tmp_path / "eval"
    r = run_notebook("06-evaluate-your-folder.ipynb", {"OUT": str(out), "BLENDS": [1.0], "FAKES_PER_BLEND": 1}, {
        "summary": "summary", "curves": "sorted(curves)",
    }, env=kernel_env)
    s = r["summary"]
    assert s["n_items"] == s["n_images"] == 6 and s["n_unreadable"] == 0
    assert s["image_auc"] is not None and 0.0 <= s["image_auc"] <= 1.0
    assert set(s["families"]) == {"real photo", "self-blend 1"}
    assert s["families"]["real photo"]["n"] == 4 and s["families"]["self-blend 1"]["n"] == 2
    assert r["curves"] == ["all items", "self-blend 1"]
    with (out / "scores.csv").open(newline="") as f:
        assert len(list(csv.DictReader(f))) == 6
    assert json.loads((out / "summary.json").read_text()) == s
    assert (out / "roc.html").stat().st_size > 10_000


def test_07_content_credentials(kernel_env):
    r = run_notebook("07-content-credentials.ipynb", {"SAMPLE": "astronaut", "CLAIM": "camera",
                                                       "TRUST_DEMO_ROOT": True}, {
        "plain": "report.status", "signed": "signed_report.status", "trusted": "trusted_report.status",
        "tampered": "tampered_report.status", "stripped": "stripped_report.status",
        "edits": "{f'{e}/{s}': st for e, s, st in zip(edits['edit'], edits['saved by'], edits['status'])}",
    }, env=kernel_env)
    assert (r["plain"], r["signed"], r["trusted"]) == ("none", "valid_untrusted", "trusted")
    assert r["tampered"] == "tampered" and r["stripped"] == "none"
    assert len(r["edits"]) == 9
    assert r["edits"]["none/keep"] == "trusted" and r["edits"]["crop/resave"] == "none"
    assert r["edits"]["crop/keep"] == "tampered" and r["edits"]["fake/sign"] == "trusted"


# --------------------------------------------------------------------------------------- JupyterLab in a browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_jupyterlab_from_make_shows_the_notebooks(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install playwright)")
    if not shutil.which(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "config"), JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"))
    log = (tmp_path / "jupyter.log").open("w")
    # The recipe `make notebooks` ends with (its own target, so the test skips the install steps).
    proc = subprocess.Popen(
        ["make", "--no-print-directory", "jupyter", f"PY={sys.executable}", "ADDRESS=127.0.0.1",
         f"JUPYTER_PORT={port}", f"JUPYTER_ARGS=--no-browser --IdentityProvider.token={token}"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                pytest.fail("JupyterLab did not start:\n" + (tmp_path / "jupyter.log").read_text()[-2000:])
            time.sleep(0.5)
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.set_default_timeout(120_000)
                page.goto(f"{url}/?token={token}")  # the server's default page: the lab opened on notebooks/
                listing = page.locator(".jp-DirListing-content")
                for nb in NOTEBOOK_FILES:
                    listing.get_by_text(nb.name, exact=True).wait_for()
                assert "/lab/tree/notebooks" in page.url
                page.screenshot(path=str(tmp_path / "jupyterlab.png"))
            finally:
                browser.close()
    finally:
        _stop_group(proc)
        log.close()


def _stop_group(proc: subprocess.Popen) -> None:
    """End make and the JupyterLab it started (their own process group, made by start_new_session)."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
