"""Quiz items for spot-the-fake: built-in items made on first start, plus a teacher's folder of labelled media.

Built-in items come from the two photos shipped inside installed packages (see :data:`core.engine.faces.SAMPLES`):
the real photos (as taken and mirrored), self-blended fakes at three blend strengths (:func:`core.fakes.forge.self_blend`)
and face swaps between the two people (:func:`core.fakes.swap.swap_faces`, when that module is installed), each saved
at a few JPEG qualities. They live in ``<data_dir>/gallery/builtin/`` with a manifest and are rebuilt only when
the generator changes.

A teacher adds items by pointing ``LAB_GALLERY_DIR`` at a folder holding ``real/`` and ``fake/`` subfolders
and/or CSV files with ``path,label[,tip]`` rows (label: real/fake or 0/1; paths relative to the folder). Nothing
outside that folder is ever read: every path is resolved and must stay inside it.

The detector's score for every item is computed once through :class:`core.engine.analysis.Lab` and cached in
``<data_dir>/gallery/scores-<model version>.json``, keyed by item and file content, so a new model rescores.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import threading
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np

from core.config import data_dir, setting
from core.engine.faces import SAMPLES, Face, load_sample
from core.engine.labelled import LABEL_WORDS, folder_rows, inside, media_kind, table_rows
from core.fakes.forge import ForgeSettings, self_blend
from core.engine.media import MediaError, encode_jpeg, load_image

GENERATOR_VERSION = 1
JPEG_QUALITIES = (92, 65, 35)
BLEND_STRENGTHS = (1.0, 0.6, 0.3)
DECISION_THRESHOLD = 0.5  # the detector "answers fake" when its calibrated probability reaches this
MAX_TEACHER_ITEMS = 500
MAX_TEACHER_FILE_BYTES = 200 * 1024 * 1024
LABELS = LABEL_WORDS  # kept for older imports; labels are read by core.engine.labelled
NO_FACE = "no face found"


@dataclass(frozen=True)
class GalleryItem:
    """One quiz item.

    id: stable key, e.g. ``builtin/astronaut/blend60/q65`` or ``teacher/fake/clip.mp4``.
    label: 0 real, 1 fake. kind: "real", "self-blend", "face swap" or "teacher". media: "image" or "video".
    path: the file. title: what it is (shown after answering). tip: what to look for.
    face_box (4,) / face_landmarks (5, 2): the face the fake was made on, in the item's pixels (built-in
    images only; teacher items are searched for faces when scored).
    """

    id: str
    label: int
    kind: str
    media: str
    path: Path
    source: str
    title: str
    tip: str
    jpeg_quality: int | None = None
    blend: float | None = None
    face_box: tuple[float, ...] | None = None
    face_landmarks: tuple[tuple[float, float], ...] | None = None

    @property
    def truth(self) -> str:
        return "fake" if self.label else "real"

    def face(self) -> Face | None:
        if self.face_box is None or self.face_landmarks is None:
            return None
        return Face(box=np.asarray(self.face_box, np.float32), landmarks=np.asarray(self.face_landmarks, np.float32),
                    prob=1.0)


@dataclass(frozen=True)
class ItemScore:
    """The detector's answer on one item. fake_prob is None when it found no face (it then flags nothing).

    box / landmarks: the highest-scoring face, in the item's pixels (for the heatmap); None without a face.
    """

    item_id: str
    fake_prob: float | None
    verdict: str
    n_faces: int
    model_version: str
    box: tuple[float, ...] | None = None
    landmarks: tuple[tuple[float, float], ...] | None = None

    @property
    def says_fake(self) -> bool:
        return self.fake_prob is not None and self.fake_prob >= DECISION_THRESHOLD

    @property
    def answer(self) -> int:
        return int(self.says_fake)

    def face(self) -> Face | None:
        if self.box is None or self.landmarks is None:
            return None
        return Face(box=np.asarray(self.box, np.float32), landmarks=np.asarray(self.landmarks, np.float32), prob=1.0)


@dataclass
class Gallery:
    """All items, the detector's scores, and notes for the teacher (skipped files, missing modules)."""

    items: list[GalleryItem]
    scores: dict[str, ItemScore]
    model_version: str
    model_trained: bool
    notes: list[str] = field(default_factory=list)

    def __post_init__(self):
        self._by_id = {it.id: it for it in self.items}

    def get(self, item_id: str) -> GalleryItem | None:
        return self._by_id.get(item_id)

    def detector_correct(self, item_id: str) -> bool:
        return self.scores[item_id].answer == self._by_id[item_id].label

    def pick(self, n: int, *, seed: int | None = None, source: str = "all") -> list[str]:
        """``n`` item ids, half real and half fake where possible, in random order.

        source: "all", "built-in" or "teacher". Items are spread over kinds and base photos, so a short quiz
        does not show the same picture at three JPEG qualities.
        """
        rng = random.Random(seed)
        pool = [it for it in self.items if source == "all" or it.source == source]
        reals = [it for it in pool if it.label == 0]
        fakes = [it for it in pool if it.label == 1]
        n = max(1, min(n, len(pool)))
        want_fake = min(len(fakes), max(n - len(reals), n // 2 + (rng.random() < 0.5 if n % 2 else 0)))
        chosen = _spread(fakes, want_fake, rng) + _spread(reals, n - want_fake, rng)
        rng.shuffle(chosen)
        return [it.id for it in chosen]


def _spread(items: list[GalleryItem], k: int, rng: random.Random) -> list[GalleryItem]:
    """k items, taking one from each (kind, base picture) group in turn so a draw stays varied."""
    groups: dict[str, list[GalleryItem]] = {}
    for it in items:
        groups.setdefault(it.id.rsplit("/", 1)[0], []).append(it)
    for g in groups.values():
        rng.shuffle(g)
    keys = list(groups)
    rng.shuffle(keys)
    out: list[GalleryItem] = []
    while len(out) < k and keys:
        for key in list(keys):
            if len(out) >= k:
                break
            if groups[key]:
                out.append(groups[key].pop())
            else:
                keys.remove(key)
    return out


# ---------------------------------------------------------------------------------------------------------------
# Tips


def tip_for(kind: str, label: int, jpeg_quality: int | None = None, blend: float | None = None) -> str:
    if kind == "self-blend":
        tip = ("A self-blended fake: the face was pasted back onto itself after a small colour, sharpness and "
               f"position change ({blend:.0%} opacity). Look along the edge of the face (forehead, cheeks, jaw) "
               "for a seam where colour, sharpness or noise changes.")
        if blend is not None and blend < 0.5:
            tip += " At low opacity the seam is faint even for experts: this is where detectors earn their keep."
    elif kind == "face swap":
        tip = ("A face swap: the inner face comes from the other photo. Check whether skin tone, lighting direction "
               "and sharpness inside the face match the ears, neck and hair, and whether the face's outline is "
               "smeared.")
    elif label == 0:
        tip = ("A genuine photo. Real photos can look odd too: JPEG blocks, noise, soft focus and harsh light are "
               "not signs of manipulation by themselves.")
    else:
        tip = ("A manipulated item. Look for a seam around the face, skin that is smoother or sharper than the "
               "rest of the picture, and lighting that does not match the scene.")
    if jpeg_quality is not None and jpeg_quality < 50:
        tip += (f" Strong JPEG compression (quality {jpeg_quality}) smears the fine traces that both you and the "
                "detector rely on.")
    return tip


# ---------------------------------------------------------------------------------------------------------------
# Built-in items


def _swap_function() -> Callable | None:
    """core.fakes.swap.swap_faces when that module is installed; None otherwise (swap items are then left out)."""
    try:
        from core.fakes.swap import swap_faces
    except ImportError:
        return None
    return swap_faces


def _face_tuple(face: Face) -> tuple[tuple[float, ...], tuple[tuple[float, float], ...]]:
    return (tuple(float(v) for v in face.box),
            tuple((float(x), float(y)) for x, y in np.asarray(face.landmarks).reshape(5, 2)))


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _base_photos(lab) -> tuple[dict[str, tuple[np.ndarray, Face]], list[str]]:
    """Each shipped photo, as taken and mirrored, with its largest face."""
    bases: dict[str, tuple[np.ndarray, Face]] = {}
    notes = []
    for name in SAMPLES:
        try:
            rgb = load_sample(name)
        except (MediaError, OSError, KeyError) as exc:
            notes.append(f"The built-in photo {name!r} could not be loaded ({exc}); its items are left out.")
            continue
        for variant, img in (("", rgb), ("-mirror", np.ascontiguousarray(rgb[:, ::-1]))):
            faces = lab.extractor.detect(img, crops=False)
            if faces:
                bases[name + variant] = (img, faces[0])
    return bases, notes


def build_builtin(lab, folder: Path | None = None) -> tuple[list[GalleryItem], list[str]]:
    """The built-in items, generated into ``folder`` on first use and read from its manifest afterwards."""
    folder = Path(folder or data_dir() / "gallery" / "builtin")
    folder.mkdir(parents=True, exist_ok=True)
    swap = _swap_function()
    key = {"generator": GENERATOR_VERSION, "swaps": swap is not None, "qualities": list(JPEG_QUALITIES),
           "blends": list(BLEND_STRENGTHS), "samples": sorted(SAMPLES)}
    manifest = folder / "manifest.json"
    with _BUILD_LOCK:
        if manifest.exists():
            try:
                saved = json.loads(manifest.read_text())
                if saved.get("key") == key:
                    items = [_item_from_json(d, folder) for d in saved["items"]]
                    if all(it.path.is_file() for it in items):
                        return items, list(saved.get("notes", []))
            except (ValueError, KeyError, TypeError):
                pass  # unreadable manifest: rebuild
        items, notes = _generate(lab, folder, swap)
        payload = {"key": key, "notes": notes, "items": [_item_to_json(it) for it in items]}
        _write_atomic(manifest, json.dumps(payload, indent=1).encode())
        return items, notes


_BUILD_LOCK = threading.Lock()


def _item_to_json(item: GalleryItem) -> dict:
    d = asdict(item)
    d["path"] = item.path.name
    return d


def _item_from_json(d: dict, folder: Path) -> GalleryItem:
    d = dict(d)
    d["path"] = folder / d["path"]
    if d.get("face_box") is not None:
        d["face_box"] = tuple(d["face_box"])
        d["face_landmarks"] = tuple(tuple(p) for p in d["face_landmarks"])
    return GalleryItem(**d)


def _generate(lab, folder: Path, swap: Callable | None) -> tuple[list[GalleryItem], list[str]]:
    bases, notes = _base_photos(lab)
    items: list[GalleryItem] = []

    def save(stem: str, rgb: np.ndarray, face: Face, *, label: int, kind: str, title: str,
             blend: float | None = None) -> None:
        box, lms = _face_tuple(face)
        for q in JPEG_QUALITIES:
            name = f"{stem.replace('/', '_')}_q{q}.jpg"
            _write_atomic(folder / name, encode_jpeg(rgb, quality=q))
            items.append(GalleryItem(
                id=f"builtin/{stem}/q{q}", label=label, kind=kind, media="image", path=folder / name,
                source="built-in", title=f"{title}, JPEG quality {q}", tip=tip_for(kind, label, q, blend),
                jpeg_quality=q, blend=blend, face_box=box, face_landmarks=lms))

    for base, (rgb, face) in bases.items():
        person = SAMPLES[base.split("-")[0]].split(" (")[0]
        mirrored = " (mirrored)" if base.endswith("-mirror") else ""
        save(f"{base}/real", rgb, face, label=0, kind="real", title=f"Real photo of {person}{mirrored}")
    # Self-blends at each strength, alternating between the photo as taken and mirrored for variety.
    for si, name in enumerate(SAMPLES):
        for bi, strength in enumerate(BLEND_STRENGTHS):
            base = name + ("-mirror" if (si + bi) % 2 else "")
            if base not in bases:
                continue
            rgb, face = bases[base]
            fake = self_blend(rgb, face.landmarks, seed=1000 * si + bi, settings=ForgeSettings(blend=strength)).fake
            person = SAMPLES[name].split(" (")[0]
            save(f"{base}/blend{round(strength * 100)}", fake, face, label=1, kind="self-blend", blend=strength,
                 title=f"Self-blended fake of {person} at {strength:.0%} opacity")
    names = [n for n in SAMPLES if n in bases]
    if swap is None:
        notes.append("Face-swap items are left out: the face-swap module (core.fakes.swap) is not installed.")
    elif len(names) >= 2:
        for src, dst in ((names[0], names[1]), (names[1], names[0])):
            (src_rgb, src_face), (dst_rgb, dst_face) = bases[src], bases[dst]
            try:
                swapped = swap(src_rgb, src_face, dst_rgb, dst_face, seed=0).swapped
            except Exception as exc:  # noqa: BLE001 - a broken swap must not take the quiz down
                notes.append(f"The face swap {src} → {dst} failed ({type(exc).__name__}: {exc}); it is left out.")
                continue
            save(f"{dst}/swap-from-{src}", swapped, dst_face, label=1, kind="face swap",
                 title=f"Face swap: {SAMPLES[src].split(' (')[0]}'s face on {SAMPLES[dst].split(' (')[0]}")
    return items, notes


# ---------------------------------------------------------------------------------------------------------------
# The teacher's folder


def scan_teacher_dir(folder: str | Path) -> tuple[list[GalleryItem], list[str]]:
    """Items from a teacher's folder: ``real/`` and ``fake/`` subfolders and ``*.csv`` files (path,label[,tip]).

    Paths that leave the folder (``..``, absolute paths, symlinks pointing out) are refused with a note.
    """
    notes: list[str] = []
    try:
        root = Path(folder).expanduser().resolve(strict=True)
    except (OSError, RuntimeError):
        return [], [f"The teacher gallery folder {str(folder)!r} (LAB_GALLERY_DIR) does not exist."]
    if not root.is_dir():
        return [], [f"LAB_GALLERY_DIR {str(folder)!r} is not a folder."]
    found: dict[Path, tuple[int, str]] = {}  # resolved path → (label, tip)

    def add(raw: str, resolved: Path | None, label: int, tip: str = "") -> None:
        if resolved is None:
            notes.append(f"Skipped {raw!r}: it is missing or lies outside the gallery folder.")
            return
        if not resolved.is_file() or media_kind(resolved) is None:
            notes.append(f"Skipped {raw!r}: not an image or video file we know.")
            return
        if resolved in found and found[resolved][0] != label:
            notes.append(f"Skipped {raw!r}: it is labelled both real and fake.")
            found[resolved] = (-1, "")
            return
        found.setdefault(resolved, (label, tip))

    for row in folder_rows(root, confined=True):
        add(row.where, inside(root, row.path), row.label)
    for table in sorted(p for p in root.iterdir() if p.suffix.lower() == ".csv" and p.is_file()):
        if inside(root, table) is None:
            notes.append(f"Skipped {table.name}: it points outside the gallery folder.")
            continue
        try:
            rows, bad = table_rows(table, base=root)
        except OSError as exc:
            notes.append(f"Could not read {table.name}: {exc}")
            continue
        notes += bad
        for row in rows:
            if Path(row.raw).is_absolute() or re.match(r"^[a-zA-Z]:[\\/]", row.raw):
                add(row.raw, None, row.label)
                continue
            add(row.raw, inside(root, row.path), row.label, row.columns.get("tip", ""))

    items = []
    for path, (label, tip) in sorted(found.items()):
        if label < 0:
            continue
        if path.stat().st_size > MAX_TEACHER_FILE_BYTES:
            notes.append(f"Skipped {path.relative_to(root)}: larger than {MAX_TEACHER_FILE_BYTES // 2**20} MB.")
            continue
        if len(items) >= MAX_TEACHER_ITEMS:
            notes.append(f"Only the first {MAX_TEACHER_ITEMS} teacher items are used.")
            break
        rel = path.relative_to(root).as_posix()
        items.append(GalleryItem(id=f"teacher/{rel}", label=label, kind="teacher", media=media_kind(path) or "image",
                                 path=path, source="teacher", title=f"From your teacher's collection: {path.name}",
                                 tip=tip or tip_for("teacher", label)))
    return items, notes


# ---------------------------------------------------------------------------------------------------------------
# Scores


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)[:80] or "model"


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:20]


def _video_analyser() -> Callable | None:
    try:
        from core.engine.video import analyze_video
    except ImportError:
        return None
    return analyze_video


def score_item(lab, item: GalleryItem) -> ItemScore:
    """The detector's answer on one item, through the lab's one analysis path. Raises MediaError if unreadable."""
    version = lab.detector.meta.version
    if item.media == "video":
        analyse = _video_analyser()
        if analyse is None:
            raise MediaError("Videos need the lab's video module (core.engine.video), which is not installed.")
        report = analyse(lab, item.path, n_frames=16, keep_frames=False)
        if report.score is None:
            return ItemScore(item.id, None, NO_FACE, 0, version)
        return ItemScore(item.id, float(report.score), report.verdict or lab.detector.verdict(report.score),
                         int(report.frames_with_faces), version)
    rgb = load_image(item.path)
    known = item.face()
    if known is not None:
        # Built-in items: score the face the fake was made on, cropped from the item itself (JPEG and all).
        results = lab.score_faces(rgb, [replace(known, crop=None, transform=None)])
    else:
        results = lab.analyze_image(rgb).faces
    if not results:
        return ItemScore(item.id, None, NO_FACE, 0, version)
    top = max(results, key=lambda r: r.fake_prob)
    box, lms = _face_tuple(Face(box=top.box, landmarks=top.landmarks, prob=top.detection_prob))
    return ItemScore(item.id, float(top.fake_prob), top.verdict, len(results), version, box, lms)


_SCORE_LOCK = threading.Lock()


def score_items(lab, items: list[GalleryItem], folder: Path | None = None,
                progress: Callable[[int, int], None] | None = None) -> tuple[dict[str, ItemScore], list[str]]:
    """Scores for all items, from the on-disk cache where the model version and file content match."""
    folder = Path(folder or data_dir() / "gallery")
    folder.mkdir(parents=True, exist_ok=True)
    version = lab.detector.meta.version
    cache_path = folder / f"scores-{_safe_name(version)}.json"
    notes: list[str] = []
    with _SCORE_LOCK:
        try:
            cache = json.loads(cache_path.read_text()) if cache_path.exists() else {}
        except ValueError:
            cache = {}
        scores: dict[str, ItemScore] = {}
        changed = False
        for i, item in enumerate(items):
            if progress:
                progress(i, len(items))
            try:
                digest = _file_digest(item.path)
            except OSError as exc:
                notes.append(f"Skipped {item.id}: {exc}")
                continue
            hit = cache.get(item.id)
            if hit and hit.get("digest") == digest and hit.get("model_version") == version:
                s = hit["score"]
                scores[item.id] = ItemScore(
                    item.id, s["fake_prob"], s["verdict"], s["n_faces"], version,
                    tuple(s["box"]) if s.get("box") else None,
                    tuple(tuple(p) for p in s["landmarks"]) if s.get("landmarks") else None)
                continue
            try:
                score = score_item(lab, item)
            except MediaError as exc:
                notes.append(f"Skipped {item.id}: {exc}")
                continue
            scores[item.id] = score
            cache[item.id] = {"digest": digest, "model_version": version, "score": asdict(score)}
            changed = True
        if changed:
            _write_atomic(cache_path, json.dumps(cache).encode())
    return scores, notes


# ---------------------------------------------------------------------------------------------------------------
# Everything together


def load_gallery(lab, *, teacher_dir: str | Path | None = None, folder: Path | None = None,
                 progress: Callable[[int, int], None] | None = None) -> Gallery:
    """Built-in items plus the teacher's folder (``LAB_GALLERY_DIR`` unless given), all scored."""
    folder = Path(folder or data_dir() / "gallery")
    items, notes = build_builtin(lab, folder / "builtin")
    teacher_dir = teacher_dir if teacher_dir is not None else setting("LAB_GALLERY_DIR")
    if teacher_dir:
        extra, extra_notes = scan_teacher_dir(teacher_dir)
        notes += extra_notes
        if any(it.media == "video" for it in extra) and _video_analyser() is None:
            notes.append("Videos in the teacher gallery are left out: the lab's video module (core.engine.video) is not "
                         "installed, so only images are used.")
            extra = [it for it in extra if it.media != "video"]
        items += extra
    scores, score_notes = score_items(lab, items, folder, progress)
    notes += score_notes
    items = [it for it in items if it.id in scores]  # unreadable files are not quiz items
    return Gallery(items=items, scores=scores, model_version=lab.detector.meta.version,
                   model_trained=bool(lab.trained), notes=notes)
