"""Writes the lab's notebooks from the cell lists below: edit the cells here, then run

    .venv/bin/python notebooks/_generate.py

The .ipynb files are committed as written (no outputs, no execution counts, stable cell ids), and
tests/test_notebooks.py checks that they still match this script, so the two never drift apart.
Every notebook uses only the public ``core`` API; none copies engine code into a cell.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
KERNELSPEC = {"name": "deepfake-lab", "display_name": "Python (Deepfake Lab)", "language": "python"}

# The first code cell after the parameters in every notebook: make `import core` work wherever Jupyter started.
SETUP = '''\
import sys
from pathlib import Path

# Find the lab's folder, so that `import core` works wherever Jupyter was started.
ROOT = next((p for p in [Path.cwd(), *Path.cwd().parents] if (p / "core" / "engine").is_dir()), None)
if ROOT is None:
    raise RuntimeError("Open this notebook from inside the Deepfake Lab folder (`make notebooks` does that).")
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
'''

PARAMS_NOTE = ("## Parameters\n\nThe cell below holds every setting (it is tagged `parameters`, so tools such as "
               "papermill can replace it). The defaults suit a classroom laptop; change them, then "
               "*Run → Run All Cells*.")


def md(text: str):
    return new_markdown_cell(text.strip("\n"))


def code(text: str):
    return new_code_cell(text.strip("\n"))


def params(text: str):
    cell = new_code_cell(text.strip("\n"))
    cell.metadata["tags"] = ["parameters"]
    return cell


# ------------------------------------------------------------------------------------------------ 1

NB1 = [
    md("""
# 1 · Faces → crops → scores → heatmaps

This notebook does what the *Detect — photo* and *Explain* pages do, step by step, with the lab's own engine
(`core`): find the faces in a photo, cut the aligned crop the detector sees, score it, then ask three attribution
methods where the score came from — and check whether their answer means anything.

Lesson: [Looking inside — heatmaps, and why they can mislead](../lessons/06-looking-inside.md).
A full run takes a couple of minutes on a laptop CPU.
"""),
    md(PARAMS_NOTE),
    params('''
SAMPLE = "grace_hopper"   # a built-in photo: "grace_hopper" or "astronaut"
MY_PHOTO = None           # your own photo: a path such as "my_photo.jpg" (relative to this notebook), or None
METHODS = ["gradcam", "integrated_gradients", "occlusion"]
IG_STEPS = 32             # Integrated Gradients: steps along the path (fewer = faster but noisier)
OCCLUSION_WINDOW = 16     # Occlusion: side of the grey patch in crop pixels (larger = faster but coarser)
SANITY_CHECK = True       # compare Grad-CAM with the same map from a network with random weights
'''),
    code(SETUP + '''
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from core.engine.analysis import load_lab
from core.engine.draw import draw_faces
from core.engine.explain import METHODS as METHOD_NAMES, explain, overlay, sanity_check
from core.engine.faces import SAMPLES, load_sample
from core.engine.media import load_image

lab = load_lab()  # the shipped detector and the face finder, exactly as the app builds them
print(f"detector {lab.detector.meta.version}; crops of {lab.detector.input_size} px")
if not lab.trained:
    print("No trained detector was found: scores below come from random weights and mean nothing.")
'''),
    md("""
## 1. Find and score the faces

`lab.analyze_image` runs the face finder (MTCNN), cuts one aligned square crop per face with the lab's single
crop function, and scores all crops in one batch. The **fake score** runs from 0 to 100: the higher, the more
the crop looks like the blended faces the detector was trained on. It is not a certainty.
"""),
    code('''
photo = load_sample(SAMPLE)
report = lab.analyze_image(photo)
print(f"{SAMPLES[SAMPLE]}: {photo.shape[1]}×{photo.shape[0]} px, {len(report.faces)} face(s) found")
if not report.faces:
    raise RuntimeError("No face found in this photo: choose another SAMPLE.")

pd.DataFrame([{"face": i, "fake score (0-100)": round(100 * f.fake_prob), "verdict": f.verdict,
               "detection confidence": round(f.detection_prob, 3),
               "box x1, y1, x2, y2": np.round(f.box).astype(int).tolist()}
              for i, f in enumerate(report.faces)])
'''),
    code('''
face = report.faces[0]  # the largest face
marked = draw_faces(photo, [f.box for f in report.faces], [f.landmarks for f in report.faces],
                    labels=[f"fake score {100 * f.fake_prob:.0f}" for f in report.faces])
fig, axes = plt.subplots(1, 2, figsize=(11, 5))
axes[0].imshow(marked)
axes[0].set_title("the photo: face box and five landmarks")
axes[1].imshow(face.crop)
axes[1].set_title(f"the {face.crop.shape[0]}×{face.crop.shape[1]} crop the detector sees")
for ax in axes:
    ax.axis("off")
plt.show()
'''),
    md("""
## 2. Where did the detector look?

Each method answers with a heatmap the size of the crop, scaled to 0–1 (1 = most evidence for "manipulated"):

- **Grad-CAM** weighs the last convolutional layer's feature maps by how much the score rises with each;
  coarse, because that layer sees the face at 1/16 of the crop's resolution.
- **Integrated Gradients** adds up the gradients along a path from a black image to the crop, pixel by pixel.
- **Occlusion** greys out one patch at a time and records how much the score drops.
"""),
    code('''
heatmaps = {}
for method in tqdm(METHODS, desc="explaining"):
    heatmaps[method] = explain(lab.detector, face.crop, method, ig_steps=IG_STEPS,
                               occlusion_window=OCCLUSION_WINDOW).heatmap

fig, axes = plt.subplots(1, len(heatmaps) + 1, figsize=(4 * (len(heatmaps) + 1), 4.2))
axes[0].imshow(face.crop)
axes[0].set_title(f"crop · fake score {100 * face.fake_prob:.0f}")
for ax, (method, heat) in zip(axes[1:], heatmaps.items()):
    ax.imshow(overlay(face.crop, heat))
    ax.set_title(METHOD_NAMES[method])
for ax in axes:
    ax.axis("off")
plt.show()
'''),
    md("""
The heatmaps are plain numpy arrays: look at them as numbers. How much of all the "evidence" sits in the
brightest tenth of the pixels tells you whether a method points at one spot or spreads over the face.
"""),
    code('''
pd.DataFrame([{"method": METHOD_NAMES[m], "shape": h.shape, "dtype": str(h.dtype), "min": float(h.min()),
               "max": float(h.max()),
               "share of evidence in the top 10% of pixels": round(float(np.sort(h.ravel())[::-1][: h.size // 10].sum()
                                                                         / max(h.sum(), 1e-9)), 3)}
              for m, h in heatmaps.items()])
'''),
    md("""
## 3. The sanity check

Adebayo et al. (NeurIPS 2018) proposed a simple test: compute the same map from a network with **random
weights**. If the two maps look alike, the map shows the picture's edges, not what the model learned. The
similarity below is a rank correlation: near 1 = the map barely depends on the training; near 0 = it does.
"""),
    code('''
if SANITY_CHECK:
    check = sanity_check(lab.detector, face.crop, "gradcam")
    fig, axes = plt.subplots(1, 2, figsize=(8, 4.2))
    axes[0].imshow(overlay(face.crop, check.trained.heatmap))
    axes[0].set_title("Grad-CAM, trained weights")
    axes[1].imshow(overlay(face.crop, check.randomized.heatmap))
    axes[1].set_title("Grad-CAM, random weights")
    for ax in axes:
        ax.axis("off")
    plt.show()
    print(f"similarity (Spearman rank correlation): {check.similarity:.2f}")
'''),
    md("""
## 4. Your own photo

Set `MY_PHOTO` in the parameters cell to a photo file and run the notebook again. Nothing leaves your computer.
Photos are decoded with the same checks the app uses (size limits, real image formats only).
"""),
    code('''
def score_and_explain(image: np.ndarray, method: str = "gradcam"):
    """Score every face in an (H, W, 3) uint8 photo and show the largest face's heatmap."""
    result = lab.analyze_image(image)
    if not result.faces:
        print("No face found in this photo.")
        return result
    first = result.faces[0]
    heat = explain(lab.detector, first.crop, method, ig_steps=IG_STEPS, occlusion_window=OCCLUSION_WINDOW).heatmap
    fig, axes = plt.subplots(1, 2, figsize=(8, 4.2))
    axes[0].imshow(first.crop)
    axes[0].set_title(f"fake score {100 * first.fake_prob:.0f} · {first.verdict}")
    axes[1].imshow(overlay(first.crop, heat))
    axes[1].set_title(METHOD_NAMES[method])
    for ax in axes:
        ax.axis("off")
    plt.show()
    return result


if MY_PHOTO:
    my_report = score_and_explain(load_image(Path(MY_PHOTO).expanduser()))
else:
    print("Set MY_PHOTO in the parameters cell to try your own photo.")
'''),
]

# ------------------------------------------------------------------------------------------------ 2

NB2 = [
    md("""
# 2 · Making a self-blended fake, step by step

A **self-blend** (Shiohara & Yamasaki, CVPR 2022) is a fake made from one real photo: an altered copy of the face
is pasted back onto the same face inside a soft, face-shaped mask. No identity changes, yet the picture carries
the traces every face swap leaves: a blending boundary, a colour and sharpness mismatch, a slight misalignment.
The lab's detector learned from nothing but such fakes. This notebook takes one apart.

Lesson: [How a face swap is made](../lessons/02-how-a-face-swap-is-made.md). Runs in about a minute.
"""),
    md(PARAMS_NOTE),
    params('''
SAMPLE = "astronaut"      # a built-in photo: "grace_hopper" or "astronaut"
SEED = 7                  # the random draws (mask outline, blur or sharpen); the same seed makes the same fake
BLEND = 1.0               # how strongly the altered copy shows inside the mask, 0-1
MASK_SCALE = 1.0          # size of the face region relative to the landmarks' outline
COLOR_SHIFT = 0.8         # colour and brightness change of the pasted copy, 0 (none) to 1 (strong)
SHIFT_PX = 3.0            # misalignment of the pasted copy, in photo pixels
BLEND_SWEEP = [0.0, 0.25, 0.5, 0.75, 1.0]  # blend strengths to score at the end
'''),
    code(SETUP + '''
import matplotlib.pyplot as plt
import numpy as np
from tqdm.auto import tqdm

from core.engine.analysis import load_lab
from core.engine.faces import SAMPLES, load_sample
from core.fakes.forge import ForgeSettings, face_hull, face_mask, self_blend

lab = load_lab()
photo = load_sample(SAMPLE)
faces = lab.extractor.detect(photo)
if not faces:
    raise RuntimeError("No face found in this photo: choose another SAMPLE.")
face = faces[0]
print(f"{SAMPLES[SAMPLE]}: face box {np.round(face.box).astype(int).tolist()}")
'''),
    md("""
## 1. Landmarks and the face outline

The face finder gives five landmarks: eyes, nose tip, mouth corners. Five points only outline the eyes-to-mouth
area, so `face_hull` extrapolates brows, cheeks and chin from the face's own proportions.
"""),
    code('''
hull = face_hull(face.landmarks, MASK_SCALE)
x1, y1, x2, y2 = face.box
pad = 0.4 * (x2 - x1)
view = (max(0, x1 - pad), min(photo.shape[1], x2 + pad), min(photo.shape[0], y2 + pad), max(0, y1 - pad))

fig, ax = plt.subplots(figsize=(5, 5))
ax.imshow(photo)
ax.plot(*face.landmarks.T, "o", color="yellow", label="5 landmarks")
ax.fill(*hull.T, fill=False, edgecolor="magenta", linewidth=2, label="face outline (hull)")
ax.set_xlim(view[0], view[1]); ax.set_ylim(view[2], view[3])
ax.legend(loc="lower right"); ax.axis("off")
plt.show()
'''),
    md("""
## 2. The mask, and how it is deformed

A fixed outline would teach a detector one shape. So the mask is drawn at random: its corners jitter, it is
eroded or dilated, and its edge is blurred so the pasted face fades in. `deform=False` shows the plain outline.
"""),
    code('''
plain = face_mask(photo.shape[:2], face.landmarks, np.random.default_rng(SEED), scale=MASK_SCALE, deform=False)
deformed = face_mask(photo.shape[:2], face.landmarks, np.random.default_rng(SEED), scale=MASK_SCALE, deform=True)
fig, axes = plt.subplots(1, 2, figsize=(9, 4.5))
for ax, m, title in zip(axes, (plain, deformed), ("plain outline, blurred edge", f"deformed (seed {SEED})")):
    ax.imshow(m, cmap="gray", vmin=0, vmax=1)
    ax.set_xlim(view[0], view[1]); ax.set_ylim(view[2], view[3])
    ax.set_title(title); ax.axis("off")
plt.show()
print(f"mask: shape {deformed.shape}, dtype {deformed.dtype}, values {deformed.min():.2f} to {deformed.max():.2f}")
'''),
    md("""
## 3. The altered copy, then the blend

`self_blend` returns every intermediate: the **source** (a copy with its colour shifted, blurred or sharpened,
and slightly shifted and rescaled), the **target** (the untouched photo), the **mask**, and the **fake**. The
blend itself is one line of arithmetic, recomputed below to show there is nothing more to it.
"""),
    code('''
settings = ForgeSettings(blend=BLEND, mask_scale=MASK_SCALE, color_shift=COLOR_SHIFT, shift_px=SHIFT_PX)
result = self_blend(photo, face.landmarks, SEED, settings)

m3 = result.mask[..., None]
by_hand = result.source.astype(np.float32) * m3 + result.target.astype(np.float32) * (1 - m3)
recompute_error = float(np.abs(np.rint(by_hand) - result.fake.astype(np.float32)).max())
print(f"fake = source × mask + target × (1 − mask): largest difference from self_blend's result "
      f"{recompute_error:.0f} grey level(s)")

diff = np.abs(result.fake.astype(np.int16) - photo.astype(np.int16)).sum(-1)
panels = [(result.target, "target (the real photo)"), (result.source, "source (altered copy)"),
          (result.mask, "mask × blend"), (result.fake, "the fake"),
          (diff, "what changed (|fake − real|)")]
fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 4.2))
for ax, (img, title) in zip(axes, panels):
    ax.imshow(img, cmap="gray" if img.ndim == 2 else None, vmin=0 if img.ndim == 2 else None,
              vmax=(1 if img is result.mask else max(1, int(np.percentile(diff, 99.5)))) if img.ndim == 2 else None)
    ax.set_xlim(view[0], view[1]); ax.set_ylim(view[2], view[3])
    ax.set_title(title); ax.axis("off")
plt.show()
outside = result.mask == 0
print(f"pixels changed outside the mask: {int((diff[outside] > 0).sum())} "
      f"(of {int(outside.sum())}); inside: {int((diff[~outside] > 0).sum())}")
'''),
    md("""
## 4. What the detector sees

The detector never sees the whole photo, only the aligned crop. Here are the real and the fake crop, cut with the
same box, and their fake scores (0–100).
"""),
    code('''
real_result, fake_result = lab.score_faces(photo, [face])[0], lab.score_faces(result.fake, [face])[0]
scores = {"real": 100 * real_result.fake_prob, "fake": 100 * fake_result.fake_prob}
fig, axes = plt.subplots(1, 2, figsize=(7, 3.8))
for ax, r, name in zip(axes, (real_result, fake_result), ("real", "self-blend")):
    ax.imshow(r.crop)
    ax.set_title(f"{name}: fake score {100 * r.fake_prob:.0f}")
    ax.axis("off")
plt.show()
'''),
    md("""
## 5. Stronger and weaker blends

The same fake at several blend strengths. At blend 0 the fake *is* the photo, so its score must equal the real
photo's; how quickly the score climbs tells you how much the detector relies on the blend's strength.
"""),
    code('''
sweep = {}
for b in tqdm(BLEND_SWEEP, desc="blend strengths"):
    fake = self_blend(photo, face.landmarks, SEED, ForgeSettings(blend=b, mask_scale=MASK_SCALE,
                                                                 color_shift=COLOR_SHIFT, shift_px=SHIFT_PX)).fake
    sweep[b] = 100 * lab.score_faces(fake, [face])[0].fake_prob

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(list(sweep), list(sweep.values()), "o-")
ax.axhline(scores["real"], color="grey", linestyle="--", label="the real photo")
ax.set_xlabel("blend strength"); ax.set_ylabel("fake score (0-100)"); ax.set_ylim(0, 100); ax.legend()
plt.show()
'''),
]

# ------------------------------------------------------------------------------------------------ 3

NB3 = [
    md("""
# 3 · Train a tiny detector on your CPU

The lab's detector learned to spot fakes without seeing a single real deepfake: it was trained on real faces
and their **self-blends** (notebook 2). Here you train a small version of it in a few minutes with the same
building blocks (`core.training.train`): `make_pair` makes one real crop and its self-blended fake,
`PairStream` draws the batches, `BlendNet` is the network. Watch the loss fall and the validation AUC rise,
then compare what your tiny model looks at with the shipped model.

Lesson: [How detectors work](../lessons/05-how-detectors-work.md).

**Data.** With `DATA = None` the notebook uses the two photos that ship with the lab's packages. Two people are
far too few to learn faces in general: the validation fakes are new random blends, but of the **same two
people**, so the AUC is optimistic. Point `DATA` at a folder of real face photos (one sub-folder per person, e.g.
Labeled Faces in the Wild) and validation uses people the model never saw.
"""),
    md(PARAMS_NOTE),
    params('''
DATA = None          # None: the two built-in photos; or a folder of real face photos, one sub-folder per person
MAX_PHOTOS = 300     # photos read from DATA (face finding takes about 0.1 s each)
STEPS = 400          # training steps
BATCH = 32           # crops per step: half real faces, half their self-blends
INPUT_SIZE = 64      # crop side in pixels (the shipped model uses 128)
WIDTH = 8            # network width (the shipped model uses 32)
LR = 3e-3            # peak learning rate (one-cycle schedule)
EVAL_EVERY = 25      # steps between validation checks (and plot updates)
VAL_PAIRS = 64       # validation: real crops and as many self-blends
SEED = 0
'''),
    code(SETUP + '''
import cv2
import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import display
from tqdm.auto import tqdm

from core.config import torch_threads
from core.engine.analysis import load_lab
from core.engine.detector import BlendNet, Detector, DetectorMeta
from core.engine.explain import explain, overlay
from core.engine.faces import SAMPLES, FaceExtractor, crop_face, load_sample
from core.engine.media import MediaError, load_image
from core.fakes.forge import ForgeSettings, self_blend
from core.training.datasets import FacePool
from core.training.train import PairStream, TrainConfig, auc, make_pair, person_split, to_input, val_logits

torch.set_num_threads(torch_threads())
torch.manual_seed(SEED)
'''),
    md("""
## 1. Real faces

Each photo's largest face is found with the app's face finder. To keep training fast, each photo is then cut
down to a small window around its face (twice the face's size) — the crops are made from these windows.
"""),
    code('''
def face_window(image: np.ndarray, box: np.ndarray, landmarks: np.ndarray, side: int):
    """A square-ish window of twice the face's size around it, resized so its longer side is `side` pixels;
    returns (window, box, landmarks) with the box and landmarks in the window's pixels."""
    h, w = image.shape[:2]
    cx, cy = (box[:2] + box[2:]) / 2
    half = max(box[2] - box[0], box[3] - box[1])
    x0, y0 = int(max(0, cx - half)), int(max(0, cy - half))
    x1, y1 = int(min(w, cx + half)), int(min(h, cy + half))
    scale = side / max(x1 - x0, y1 - y0)
    window = cv2.resize(image[y0:y1, x0:x1], None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    offset = np.array([x0, y0], np.float32)
    return window, ((box - np.tile(offset, 2)) * scale).astype(np.float32), ((landmarks - offset) * scale).astype(np.float32)


if DATA is None:
    sources = [(name, load_sample(name)) for name in SAMPLES]
else:
    paths = sorted(p for p in Path(DATA).expanduser().rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    if not paths:
        raise FileNotFoundError(f"No .jpg or .png photos under {DATA}")
    picked = np.random.default_rng(SEED).permutation(len(paths))[:MAX_PHOTOS]
    sources = []
    for i in sorted(picked):
        try:
            sources.append((paths[i].parent.name, load_image(paths[i])))
        except MediaError as err:
            print(f"skipped {paths[i].name}: {err}")

extractor = FaceExtractor(detect_side=None)
people, windows, boxes, landmarks = [], [], [], []
for person, image in tqdm(sources, desc="finding faces"):
    found = extractor.detect(image, crops=False)
    if found:
        win, box, lm = face_window(image, found[0].box, found[0].landmarks, side=2 * INPUT_SIZE)
        people.append(person); windows.append(win); boxes.append(box); landmarks.append(lm)
boxes, landmarks = np.array(boxes), np.array(landmarks)
print(f"{len(windows)} faces of {len(set(people))} people")
'''),
    md("""
## 2. Training and validation data

`TrainConfig` holds the settings `make_pair` and `PairStream` read. With your own folder, whole people are held
out for validation (`person_split`, by sub-folder name). Validation crops are made once, with a fixed seed, so
every check scores the same crops.
"""),
    code('''
cfg = TrainConfig(steps=STEPS, batch=BATCH, lr=LR, width=WIDTH, input_size=INPUT_SIZE, seed=SEED)
if DATA is None:
    is_val = np.zeros(len(windows), bool)  # two people only: validate on fresh blends of the same faces
    val_idx = np.arange(len(windows))
else:
    is_val = person_split([Path(p) / "x.jpg" for p in people], 0.2, SEED)
    val_idx = np.flatnonzero(is_val)
train_idx = np.flatnonzero(~is_val)
if len(train_idx) == 0 or len(val_idx) == 0:
    raise RuntimeError("Need faces for both training and validation: add photos or raise MAX_PHOTOS.")

rng = np.random.default_rng([SEED, 10**6])  # not a seed the training stream uses
val_pairs = [make_pair(windows[i], boxes[i], landmarks[i], rng, cfg)
             for i in np.resize(val_idx, VAL_PAIRS)]
x_val = np.stack([real for real, _, _ in val_pairs] + [fake for _, fake, _ in val_pairs])
y_val = np.r_[np.zeros(len(val_pairs)), np.ones(len(val_pairs))].astype(np.float32)
print(f"training on {len(train_idx)} faces, validating on {len(x_val)} crops ({len(val_idx)} faces)")

fig, axes = plt.subplots(2, 6, figsize=(12, 4.4))
for k in range(6):
    axes[0, k].imshow(x_val[k]); axes[1, k].imshow(x_val[len(val_pairs) + k])
axes[0, 0].set_title("real crops", loc="left"); axes[1, 0].set_title("their self-blends", loc="left")
for ax in axes.ravel():
    ax.axis("off")
plt.show()
'''),
    md("""
## 3. Train

Binary cross-entropy on the network's logit (1 = fake), AdamW, and a one-cycle learning-rate schedule (warm up,
then anneal). The plot updates every `EVAL_EVERY` steps. **AUC** is the chance that a random fake scores above a
random real crop: 0.5 is guessing, 1.0 is perfect.
"""),
    code('''
model = BlendNet(WIDTH).to(memory_format=torch.channels_last)
optimiser = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=cfg.weight_decay)
schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=LR, total_steps=STEPS)
loss_fn = torch.nn.BCEWithLogitsLoss()
train_pool = FacePool([windows[i] for i in train_idx], boxes[train_idx], landmarks[train_idx], np.array(people)[train_idx])
stream = PairStream([train_pool], cfg, start=0)

history, running = [], []
fig, (ax_loss, ax_auc) = plt.subplots(1, 2, figsize=(11, 3.6))
handle = display(fig, display_id=True)
plt.close(fig)
model.train()
for step, x, y, _ in tqdm(stream, total=STEPS, desc="training"):
    loss = loss_fn(model(to_input(x, "cpu"))[:, 0], y)
    optimiser.zero_grad(set_to_none=True)
    loss.backward()
    optimiser.step()
    schedule.step()
    running.append(loss.item())
    if (step + 1) % EVAL_EVERY == 0 or step + 1 == STEPS:
        history.append({"step": step + 1, "loss": float(np.mean(running)),
                        "val_auc": auc(y_val, val_logits(model, x_val, "cpu"))})
        running = []
        ax_loss.clear(); ax_auc.clear()
        ax_loss.plot([h["step"] for h in history], [h["loss"] for h in history], "o-")
        ax_loss.set_title("training loss"); ax_loss.set_xlabel("step")
        ax_auc.plot([h["step"] for h in history], [h["val_auc"] for h in history], "o-", color="tab:green")
        ax_auc.axhline(0.5, color="grey", linestyle="--")
        ax_auc.set_ylim(0.4, 1.0); ax_auc.set_title("validation AUC"); ax_auc.set_xlabel("step")
        handle.update(fig)
model.eval()
val_auc = history[-1]["val_auc"]
print(f"final validation AUC {val_auc:.3f} after {STEPS} steps")
'''),
    md("""
## 4. Your detector beside the shipped one

`Detector` wraps any `BlendNet` with its metadata, so everything in the lab works on your model too: scoring,
Grad-CAM, the robustness curves. Below, both detectors look at the same self-blended fake. The shipped model was
trained for hours on thousands of people; yours for minutes. Does your model look at the blended region?
"""),
    code('''
tiny = Detector(model, DetectorMeta(input_size=INPUT_SIZE, margin=cfg.margin, width=WIDTH, trained=True,
                                    version="tiny-notebook"))
shipped = load_lab().detector

photo = load_sample("grace_hopper")
face = extractor.detect(photo, crops=False)[0]
demo = self_blend(photo, face.landmarks, SEED, ForgeSettings(blend=1.0, color_shift=0.8, mask_scale=1.0))
rows = []
for det, name in ((tiny, "your tiny detector"), (shipped, "the shipped detector")):
    size, margin = det.input_size, det.meta.margin
    real_crop, _ = crop_face(photo, face.box, face.landmarks, size, margin)
    fake_crop, _ = crop_face(demo.fake, face.box, face.landmarks, size, margin)
    mask_crop, _ = crop_face((demo.mask * 255).astype(np.uint8)[..., None].repeat(3, -1), face.box,
                             face.landmarks, size, margin)
    probs = det.predict(np.stack([real_crop, fake_crop]))
    rows.append((name, fake_crop, mask_crop[..., 0] / 255.0, explain(det, fake_crop, "gradcam").heatmap, probs))

fig, axes = plt.subplots(2, 3, figsize=(10, 7))
for r, (name, crop, mask, heat, probs) in enumerate(rows):
    axes[r, 0].imshow(crop); axes[r, 0].set_title(f"{name}\\nreal {probs[0]:.2f} · fake {probs[1]:.2f}")
    axes[r, 1].imshow(mask, cmap="gray", vmin=0, vmax=1); axes[r, 1].set_title("where the fake was blended")
    axes[r, 2].imshow(overlay(crop, heat)); axes[r, 2].set_title("Grad-CAM")
for ax in axes.ravel():
    ax.axis("off")
plt.show()
# The share of each heatmap's weight that falls inside the blended region (a rough check, not a metric).
inside = {name: float((heat * (mask > 0.5)).sum() / max(heat.sum(), 1e-9)) for name, _, mask, heat, _ in rows}
print({name: round(v, 2) for name, v in inside.items()})
'''),
    md("""
Your model's scores are raw, uncalibrated probabilities (the shipped one is calibrated on held-out people). To
keep your model, save it with `tiny.save("my_detector.safetensors")`; the app loads any such file when
`LAB_MODEL_PATH` points at it. For real training runs, use `python -m core.training.train` (see the README).
"""),
]

# ------------------------------------------------------------------------------------------------ 4

NB4 = [
    md("""
# 4 · Robustness and adversarial noise

Two ways a detector's score moves when it should not. **Everyday changes** — JPEG compression, resizing, blur,
noise, exposure — happen to every photo shared online. **Adversarial noise** is a change designed, with the
model's own gradients, to push the score where an attacker wants it, usually invisible to the eye.

Lesson: [The limits of detection](../lessons/07-limits-of-detection.md). Runs in two to three minutes.
"""),
    md(PARAMS_NOTE),
    params('''
SAMPLE = "grace_hopper"          # a built-in photo: "grace_hopper" or "astronaut"
SEED = 3                         # the self-blended fake's random draws
KINDS = ["jpeg", "downscale", "blur", "noise", "brightness"]  # everyday changes to plot
ATTACK = "pgd"                   # "fgsm" (one step) or "pgd" (many small steps)
EPSILON = 4                      # the attack's budget: largest change of any pixel, in grey levels (0-255)
ATTACK_STEPS = 20                # PGD steps
SWEEP = [0, 1, 2, 4, 8]          # budgets for the score-against-budget curve
'''),
    code(SETUP + '''
import matplotlib.pyplot as plt
import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots
from tqdm.auto import tqdm

from core.engine.analysis import load_lab
from core.engine.explain import explain, overlay
from core.engine.faces import load_sample
from core.fakes.forge import ForgeSettings, self_blend
from core.labs.adversarial import METHODS as ATTACKS, attack
from core.labs.robustness import PERTURBATIONS, perturb, robustness_curves

lab = load_lab()
detector = lab.detector
flag_from = detector.meta.likely_manipulated_from  # the "likely manipulated" threshold, from the checkpoint
photo = load_sample(SAMPLE)
face = lab.extractor.detect(photo)[0]
fake = self_blend(photo, face.landmarks, SEED, ForgeSettings(blend=1.0, color_shift=0.8, mask_scale=1.0)).fake
real_crop, _ = lab.crop(photo, face)
fake_crop, _ = lab.crop(fake, face)
print(f"fake score: real crop {100 * detector.predict(real_crop)[0]:.0f}, "
      f"self-blended crop {100 * detector.predict(fake_crop)[0]:.0f}; "
      f'"likely manipulated" from {100 * flag_from:.0f}')
'''),
    md("""
## 1. Everyday changes

Every change is applied to the detector's crop (what it sees), at a range of strengths, and all versions are
scored in one batch. The dashed line is the "likely manipulated" threshold: where the fake's curve falls below
it, that change alone would let the fake pass.
"""),
    code('''
curves = {"real": robustness_curves(detector, real_crop, kinds=tuple(KINDS)),
          "self-blend": robustness_curves(detector, fake_crop, kinds=tuple(KINDS))}
fig = make_subplots(rows=1, cols=len(KINDS), subplot_titles=[PERTURBATIONS[k].label for k in KINDS],
                    shared_yaxes=True)
for col, kind in enumerate(KINDS, start=1):
    for name, colour in (("real", "#0072B2"), ("self-blend", "#D55E00")):
        c = curves[name].curves[kind]
        fig.add_trace(go.Scatter(x=c.strengths, y=100 * c.probs, mode="lines+markers", name=name,
                                 line=dict(color=colour), showlegend=col == 1), row=1, col=col)
    fig.add_hline(y=100 * flag_from, line_dash="dash", line_color="grey", row=1, col=col)
    fig.update_xaxes(title_text=PERTURBATIONS[kind].unit, row=1, col=col)
    if kind == "jpeg":
        fig.update_xaxes(autorange="reversed", row=1, col=col)  # from best quality to worst
fig.update_yaxes(title_text="fake score (0-100)", range=[0, 100], row=1, col=1)
fig.update_layout(height=380, width=260 * len(KINDS), margin=dict(t=60))
fig.show()
'''),
    md("""
## 2. An adversarial attack

The attack takes the self-blended fake and changes each pixel by at most `EPSILON` grey levels, in the direction
that lowers the fake score fastest (FGSM: one step; PGD: many small steps, each kept inside the budget).
"""),
    code('''
result = attack(detector, fake_crop, EPSILON, ATTACK, steps=ATTACK_STEPS)
print(f"{ATTACKS[ATTACK]}, budget {EPSILON} grey levels: fake score {100 * result.prob_before:.0f} → "
      f"{100 * result.prob_after:.0f}; largest pixel change {result.max_change}, PSNR {result.psnr:.1f} dB")

fig, axes = plt.subplots(1, 3, figsize=(11, 4))
for ax, img, title in zip(axes, (result.original, result.adversarial, result.noise),
                          (f"self-blend · {100 * result.prob_before:.0f}",
                           f"after the attack · {100 * result.prob_after:.0f}",
                           f"the change, amplified (±{EPSILON} = black/white)")):
    ax.imshow(img); ax.set_title(title); ax.axis("off")
plt.show()
'''),
    md("""
## 3. How big a budget does it take?

The score after the attack for each budget. Budgets of a few grey levels are below what the eye notices.
"""),
    code('''
sweep = {eps: attack(detector, fake_crop, eps, ATTACK, steps=ATTACK_STEPS).prob_after
         for eps in tqdm(SWEEP, desc="attack budgets")}
fig = go.Figure(go.Scatter(x=list(sweep), y=[100 * p for p in sweep.values()], mode="lines+markers"))
fig.add_hline(y=100 * flag_from, line_dash="dash", line_color="grey", annotation_text="likely manipulated")
fig.update_layout(xaxis_title="budget ε (grey levels out of 255)", yaxis_title="fake score after the attack",
                  yaxis_range=[0, 100], height=350, width=600)
fig.show()
'''),
    md("""
## 4. What did the attack change?

Grad-CAM before and after, and where the noise is largest. Then a test of how fragile the attack itself is:
save the attacked crop as a JPEG, as any upload would, and score it again.
"""),
    code('''
before = explain(detector, result.original, "gradcam").heatmap
after = explain(detector, result.adversarial, "gradcam").heatmap
change = np.abs(result.adversarial.astype(np.int16) - result.original.astype(np.int16)).sum(-1)
fig, axes = plt.subplots(1, 3, figsize=(11, 4))
axes[0].imshow(overlay(result.original, before)); axes[0].set_title("Grad-CAM before")
axes[1].imshow(overlay(result.adversarial, after)); axes[1].set_title("Grad-CAM after")
axes[2].imshow(change, cmap="magma"); axes[2].set_title("size of the change per pixel")
for ax in axes:
    ax.axis("off")
plt.show()

jpeg_scores = {q: float(detector.predict(perturb(result.adversarial, "jpeg", q))[0]) for q in (95, 75)}
print("attacked crop saved as JPEG, fake score:",
      {f"quality {q}": round(100 * p) for q, p in jpeg_scores.items()})
'''),
]

# ------------------------------------------------------------------------------------------------ 5

NB5 = [
    md("""
# 5 · Thresholds, ROC curves and base rates

No machine learning needed. A detector gives every item a score; *someone* decides the **threshold** above which
an item is flagged as fake. This notebook uses the scores the lab's detector got on its evaluation set (real
photos and videos, face swaps made with real tools, and GAN-generated faces) to show what each threshold costs — and why the
same detector is useful in a newsroom and hopeless at the scale of a social network.

Lesson: [Policy and ethics](../lessons/09-policy-and-ethics.md). Runs in seconds.
"""),
    md(PARAMS_NOTE),
    params('''
SCORES_CSV = None          # None: the lab's measured scores (models/eval_scores.csv); or your own scores CSV
THRESHOLD = None           # None: the detector's "likely manipulated" threshold; or a score between 0 and 1
ITEMS_PER_DAY = 1_000_000  # how many items are checked each day
FAKE_SHARE = 0.001         # the share of them that are fakes (the base rate): 0.001 = 1 in 1,000
'''),
    code(SETUP + '''
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from IPython.display import display

from core.labs.roc import alerts_sentence, base_rate, confusion_at, load_eval_scores, roc
from core.training.model_card import load_card

scores = load_eval_scores(SCORES_CSV)
card = load_card()
if THRESHOLD is None:
    if not card:
        raise RuntimeError("No model card (models/model_card.json): set THRESHOLD in the parameters cell.")
    THRESHOLD = card["thresholds"]["likely_manipulated_from"]
print(f"{len(scores)} scored items: {int((scores.labels == 0).sum())} real, {int((scores.labels == 1).sum())} fake; "
      f"threshold {THRESHOLD:.3f}")
'''),
    md("""
## 1. Two piles of scores

If the detector were perfect, every real item would score low and every fake high. Real scores overlap.
Anything right of the threshold is flagged.
"""),
    code('''
fig = go.Figure()
for label, name, colour in ((0, "real", "#0072B2"), (1, "fake", "#D55E00")):
    fig.add_trace(go.Histogram(x=scores.scores[scores.labels == label], name=name, marker_color=colour,
                               opacity=0.6, xbins=dict(start=0, end=1, size=0.025)))
fig.add_vline(x=THRESHOLD, line_dash="dash", annotation_text="threshold")
fig.update_layout(barmode="overlay", xaxis_title="score", yaxis_title="items", height=350, width=700)
fig.show()
'''),
    md("""
## 2. The ROC curve, and what one threshold means

Each point of the ROC curve is one threshold: across, the share of **real** items wrongly flagged (false-positive
rate); up, the share of **fakes** caught (true-positive rate). Drag the slider under the chart to move the
threshold.
"""),
    code('''
curve = roc(scores.labels, scores.scores)
conf = confusion_at(scores.labels, scores.scores, THRESHOLD)
print(f"AUC {curve.auc:.3f} (0.5 = guessing, 1 = perfect)")
print(f"at threshold {THRESHOLD:.3f}: {conf.tp} of {conf.tp + conf.fn} fakes caught ({conf.tpr:.0%}), "
      f"{conf.fp} of {conf.fp + conf.tn} real items flagged ({conf.fpr:.0%})")

grid = np.round(np.linspace(0.05, 0.95, 19), 2)
points = [confusion_at(scores.labels, scores.scores, t) for t in grid]
fig = go.Figure([go.Scatter(x=curve.fpr, y=curve.tpr, mode="lines", name=f"ROC (AUC {curve.auc:.3f})"),
                 go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(dash="dash", color="grey"), name="guessing"),
                 go.Scatter(x=[conf.fpr], y=[conf.tpr], mode="markers", marker=dict(size=14, color="#D55E00"),
                            name="threshold")])
fig.update_layout(
    xaxis_title="false-positive rate (real items flagged)", yaxis_title="true-positive rate (fakes caught)",
    height=520, width=620,
    sliders=[dict(currentvalue=dict(prefix="threshold "), active=int(np.abs(grid - THRESHOLD).argmin()), steps=[
        dict(label=f"{t:.2f}", method="restyle",
             args=[{"x": [[c.fpr]], "y": [[c.tpr]]}, [2]]) for t, c in zip(grid, points)])])
fig.show()
'''),
    md("""
## 3. Which kinds of fake get through?

The evaluation set mixes several sources: real photos and videos, face swaps (what the detector was built
for), and faces generated whole by a GAN (which carry no blending seam at all). One AUC over everything can hide
that the detector does well on some kinds and worse than guessing on others. Below, each kind of fake is ranked
against all the real items, and each kind of real item shows how often it is flagged by mistake.
"""),
    code('''
if scores.kinds is not None:
    kinds = np.array(scores.kinds)
    real = scores.labels == 0
    fakes_table = []
    for kind in sorted(set(kinds[~real])):
        keep = real | (kinds == kind)
        c = confusion_at(scores.labels[keep], scores.scores[keep], THRESHOLD)
        fakes_table.append({"kind of fake": kind, "items": c.tp + c.fn,
                            "AUC against all real items": round(roc(scores.labels[keep], scores.scores[keep]).auc, 3),
                            "caught at the threshold": f"{c.tpr:.0%}"})
    reals_table = []
    for kind in sorted(set(kinds[real])):
        part = real & (kinds == kind)
        c = confusion_at(scores.labels[part], scores.scores[part], THRESHOLD)
        reals_table.append({"kind of real item": kind, "items": c.fp + c.tn, "flagged by mistake": f"{c.fpr:.0%}"})
    display(pd.DataFrame(fakes_table), pd.DataFrame(reals_table))
else:
    print("This scores file has no `kind` column.")
'''),
    md("""
## 4. Base rates: what happens at scale

Suppose `ITEMS_PER_DAY` items are checked and a share `FAKE_SHARE` of them are fakes. With the detector's
rates at this threshold, how many alerts are real fakes? When fakes are rare, even a small false-positive rate
on the huge number of real items produces far more false alarms than true ones.
"""),
    code('''
outcome = base_rate(ITEMS_PER_DAY, FAKE_SHARE, conf.tpr, conf.fpr)
sentence = alerts_sentence(outcome)
print(sentence)

shares = np.logspace(-5, -0.3, 60)
precision = [base_rate(ITEMS_PER_DAY, s, conf.tpr, conf.fpr).precision for s in shares]
fig = go.Figure(go.Scatter(x=shares, y=100 * np.array(precision), mode="lines"))
fig.add_vline(x=FAKE_SHARE, line_dash="dash", annotation_text="your base rate")
fig.update_layout(xaxis_type="log", xaxis_title="share of items that are fakes",
                  yaxis_title="alerts that are real fakes (%)", yaxis_range=[0, 100], height=380, width=700)
fig.show()
'''),
    md("""
**Try:** set `FAKE_SHARE = 0.5` (a newsroom checking videos already suspected) and `FAKE_SHARE = 0.0001` (a
platform screening everything), and compare the sentences. Then change `THRESHOLD`. Which mistakes does each
setting make, and who bears them?
"""),
]

# ------------------------------------------------------------------------------------------------ 6

NB6 = [
    md("""
# 6 · Evaluate the detector on your own labelled folder

How well does the detector do on *your* pictures? Put real photos in `real/` and fakes in `fake/` (any depth,
photos or videos), or write a CSV manifest `path,label,kind` to get a table per kind of fake. This notebook
scores them with `core.training.evaluate` — the same code, and the same app analysis path, the lab's published
figures come from.

Lesson: [Spot the fake](../lessons/10-spot-the-fake.md). Without a folder of your own, the notebook builds a
small one from the built-in photos and their self-blends (a minute or two).
"""),
    md(PARAMS_NOTE),
    params('''
FOLDER = None        # a folder with real/ and fake/ sub-folders; None builds a demo folder from the built-in photos
MANIFEST = None      # or a CSV with path,label[,media,kind] (paths relative to the CSV); kind gives per-family rows
OUT = "../runs/notebook-eval"  # where scores.csv, summary.json and roc.html are written
BLENDS = [1.0, 0.5]  # demo folder: blend strengths of the self-blended fakes
FAKES_PER_BLEND = 2  # demo folder: fakes per photo and blend strength (different random seeds)
FRAMES = 16          # frames sampled per video
'''),
    code(SETUP + '''
import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from tqdm.auto import tqdm

from core.engine.analysis import load_lab
from core.engine.faces import SAMPLES, load_sample
from core.engine.media import encode_jpeg
from core.fakes.forge import ForgeSettings, self_blend
from core.labs.roc import roc
from core.training.evaluate import (items_from_folder, items_from_manifest, score_item, summarise, write_roc_html,
                                    write_scores)

lab = load_lab()
out = Path(OUT).expanduser()
out.mkdir(parents=True, exist_ok=True)
'''),
    md("""
## 1. The labelled items

The demo folder holds each built-in photo as a real item (and its mirror image) and several self-blends per
photo, written as a manifest with a `kind` per item so the summary can break the figures down by family.
"""),
    code('''
def build_demo_folder(folder: Path) -> Path:
    """Real photos and self-blended fakes of the built-in samples, with a manifest; returns the CSV's path."""
    rows = []
    for sample in tqdm(list(SAMPLES), desc="making the demo folder"):
        photo = load_sample(sample)
        faces = lab.extractor.detect(photo, crops=False)
        for name, image in ((f"real/{sample}.jpg", photo), (f"real/{sample}-mirrored.jpg", photo[:, ::-1])):
            rows.append((name, image, "real", "real photo"))
        for blend in BLENDS:
            for seed in range(FAKES_PER_BLEND):
                fake = self_blend(photo, faces[0].landmarks, seed, ForgeSettings(blend=blend)).fake
                rows.append((f"fake/{sample}-blend{blend:g}-seed{seed}.jpg", fake, "fake", f"self-blend {blend:g}"))
    lines = ["path,label,kind"]
    for name, image, label, kind in rows:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(encode_jpeg(np.ascontiguousarray(image), quality=92))
        lines.append(f"{name},{label},{kind}")
    (folder / "manifest.csv").write_text("\\n".join(lines) + "\\n")
    return folder / "manifest.csv"


if MANIFEST:
    items = items_from_manifest(Path(MANIFEST).expanduser())
elif FOLDER:
    items = items_from_folder(Path(FOLDER).expanduser())
else:
    items = items_from_manifest(build_demo_folder(out / "demo-folder"))
if not items:
    raise RuntimeError("No photos or videos found: the folder needs real/ and fake/ sub-folders.")
print(f"{len(items)} items: {sum(i.label == 0 for i in items)} real, {sum(i.label == 1 for i in items)} fake")
'''),
    md("""
## 2. Score every item

An image's score is its highest face score (the app's rule); a video's is the mean of its frames'. Items with no
face, or that cannot be read, get no score and are counted apart rather than guessed.
"""),
    code('''
for item in tqdm(items, desc="scoring"):
    score_item(lab, item, n_frames=FRAMES)
summary = summarise(items, lab)
write_scores(items, out / "scores.csv")
write_roc_html(items, out / "roc.html", f"Deepfake Lab detector {lab.detector.meta.version}")
(out / "summary.json").write_text(json.dumps(summary, indent=2))

pd.DataFrame([{"item": i.name, "label": "fake" if i.label else "real", "kind": i.kind,
               "fake score (0-100)": None if not np.isfinite(i.score) else round(100 * i.score),
               "faces": i.n_faces, "error": i.error} for i in items])
'''),
    md("""
## 3. The summary, per family

AUC per family compares that family's items with each other; a family of fakes alone has no AUC (nothing real to
rank them against), so its useful figure is the share caught (`tpr`) at the "likely manipulated" threshold.
"""),
    code('''
print(f"image AUC {summary['image_auc']}, video AUC {summary['video_auc']}, "
      f"items without a face {summary['n_no_face']}, unreadable {summary['n_unreadable']}")
print("at the 'likely manipulated' threshold:", summary["at_likely_manipulated"])
pd.DataFrame(summary["families"]).T
'''),
    md("""
## 4. The ROC curve

One curve for all items, and one per family of fakes against all the real items. The same chart is saved as a
self-contained `roc.html` in `OUT`, to share.
"""),
    code('''
labels = np.array([i.label for i in items])
values = np.array([i.score for i in items], np.float64)
scored = np.isfinite(values)
fig = go.Figure()
groups = {"all items": scored}
for kind in sorted({i.kind for i in items if i.label == 1 and i.kind}):
    groups[kind] = scored & ((labels == 0) | np.array([i.kind == kind for i in items]))
curves = {}
for name, keep in groups.items():
    if len(set(labels[keep].tolist())) == 2:
        curves[name] = roc(labels[keep], values[keep])
        fig.add_trace(go.Scatter(x=curves[name].fpr, y=curves[name].tpr, mode="lines+markers",
                                 name=f"{name} (AUC {curves[name].auc:.2f})"))
fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(dash="dash", color="grey"), name="guessing"))
fig.update_layout(xaxis_title="real items flagged (false-positive rate)", yaxis_title="fakes caught (true-positive rate)",
                  height=500, width=650)
fig.show()
print(f"written: {out / 'scores.csv'}, {out / 'summary.json'}, {out / 'roc.html'}")
'''),
]

# ------------------------------------------------------------------------------------------------ 7

NB7 = [
    md("""
# 7 · Content credentials: read, sign and tamper

Detectors guess from pixels. **Content credentials** (the C2PA standard) take the other road: the camera or app
that made a picture signs a record of what it did, and anyone can check that record later. This notebook signs a
photo with the lab's **demo identity** (a certificate made on this computer that nobody trusts), then edits it
in different ways and reads what the credential says each time. Everything runs offline.

Lesson: [Provenance](../lessons/08-provenance.md). Runs in under a minute.
"""),
    md(PARAMS_NOTE),
    params('''
SAMPLE = "astronaut"   # a built-in photo: "grace_hopper" or "astronaut"
CLAIM = "camera"       # what the signature claims: "camera", "generative_ai" or "edited"
TRUST_DEMO_ROOT = True # also check the credential against the demo root certificate, as if it were trusted
'''),
    code(SETUP + '''
import pandas as pd

from core.engine.faces import load_sample
from core.engine.media import encode_jpeg
from core.labs.provenance.identity import load_demo_identity
from core.labs.provenance import (CLAIMS, EDITS, SAVING, edit_signed, read_credentials, read_metadata, sign_image,
                                  strip_credential)

photo = load_sample(SAMPLE)
original = encode_jpeg(photo, quality=92)
identity = load_demo_identity()  # made on first use under LAB_DATA_DIR (./data by default)
trust = identity.root_pem if TRUST_DEMO_ROOT else None
print(f"the photo as a JPEG: {len(original):,} bytes")
'''),
    md("""
## 1. A file without a credential

Most files carry none: most cameras and apps do not add one yet, and most uploads strip it. Its absence proves
nothing either way. Ordinary metadata (EXIF, XMP) can be read too — and can be written by anyone.
"""),
    code('''
report = read_credentials(original)
print(report.status, "—", report.headline)
meta = read_metadata(original)
print(f"metadata fields: {len(meta.fields)}; AI markers: {meta.ai_markers or 'none'}")
'''),
    md("""
## 2. Sign it

The signer can claim anything: that is part of the lesson. The signature proves only *who* signed (if you trust
their certificate) and that nothing changed since.
"""),
    code('''
signed = sign_image(original, claim=CLAIM, title=f"{SAMPLE}.jpg", rgb=photo, identity=identity)
signed_report = read_credentials(signed)
print(f"claim: {CLAIMS[CLAIM]}")
print(signed_report.status, "—", signed_report.headline)
active = signed_report.active
print(f"signed by {active.signer!r} (issuer {active.issuer!r}) with {active.generator!r}")
pd.DataFrame([{"action": a.label, "meaning": a.plain, "source type": a.source_plain} for a in active.actions])
'''),
    code('''
if trust is not None:
    trusted_report = read_credentials(signed, trust_anchors=trust)
    print("with the demo root as the trust list:", trusted_report.status, "—", trusted_report.headline)
'''),
    md("""
## 3. Edit it, three ways

Each edit (crop the picture, blend a fake face into it, or nothing) is saved three ways: by an editor that copies
the old credential along, by an app that drops all metadata, and by a C2PA-aware editor that signs the edit and
keeps the original as its parent.
"""),
    code('''
from core.engine.analysis import load_lab

face = load_lab().extractor.detect(photo, crops=False)[0]
rows = []
for edit in EDITS:
    for saving in SAVING:
        data, _ = edit_signed(signed, photo, edit, saving, landmarks=face.landmarks, identity=identity)
        r = read_credentials(data, trust_anchors=trust)
        rows.append({"edit": edit, "saved by": saving, "status": r.status, "what the reader says": r.headline,
                     "history": len(r.history)})
edits = pd.DataFrame(rows)
edits
'''),
    md("""
## 4. Tamper with the bytes

Change a single byte of the picture data and read again: the content hash no longer matches. Then cut the
credential out: the file is back to "no credential", and nothing shows it ever had one.
"""),
    code('''
tampered = bytearray(signed)
tampered[-100] ^= 0xFF  # one byte near the end of the image data
tampered_report = read_credentials(bytes(tampered), trust_anchors=trust)
print("one byte changed:", tampered_report.status, "—", tampered_report.headline)
for check in tampered_report.failures:
    print("  failed:", check.code, "—", check.plain)

stripped_report = read_credentials(strip_credential(signed))
print("credential cut out:", stripped_report.status, "—", stripped_report.headline)
'''),
]

NOTEBOOKS = {
    "01-faces-scores-heatmaps.ipynb": NB1,
    "02-make-a-self-blend.ipynb": NB2,
    "03-train-a-tiny-detector.ipynb": NB3,
    "04-robustness-and-attacks.ipynb": NB4,
    "05-thresholds-roc-base-rates.ipynb": NB5,
    "06-evaluate-your-folder.ipynb": NB6,
    "07-content-credentials.ipynb": NB7,
}


def build(cells) -> nbformat.NotebookNode:
    """A notebook of these cells: no outputs, no execution counts, cell ids that do not change between runs."""
    nb = new_notebook(cells=[c.copy() for c in cells],
                      metadata={"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}})
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"
    nbformat.validate(nb)
    return nb


def main() -> None:
    for name, cells in NOTEBOOKS.items():
        nbformat.write(build(cells), HERE / name)
        print(f"wrote notebooks/{name}", file=sys.stderr)


if __name__ == "__main__":
    main()
