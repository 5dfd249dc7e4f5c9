"""Quiz items for spot-the-fake: built-in items made on first start, plus a teacher's folder of labelled media.

Built-in items come from the public-domain portraits of different adults committed in ``assets/portraits/``
(:mod:`core.classroom.portraits`; balanced by apparent gender, age band and skin tone). Each portrait gives three
items: the real photo, a self-blended fake (:func:`core.fakes.forge.self_blend`) and a face swap with another
person who looks alike at a glance (:func:`core.fakes.swap.swap_faces`, when that module is installed). Each fake is
chosen among a few variants (blend strength; partner and blending) by the detector's score, so the detector
catches some fakes and misses others and neither it nor a person wins trivially. Every item is saved once, at a
JPEG quality that cycles over the portraits so that each kind meets every quality equally often. The pictures are
made in memory, once per process (and again when the portraits, the generator or the detector change), and never
written to disk: they show real people who did not agree to be face-swapped, so no file of them is left on the
server (folders of them written by earlier versions are deleted). Titles and tips never name the people shown: their names live
only in ``assets/portraits/ATTRIBUTION.md``. A round can leave identity swaps out (``Gallery.pick(...,
identity_swaps=False)``), and never shows the same person twice while the gallery has enough people.

A teacher adds items by pointing ``LAB_GALLERY_DIR`` at a folder holding ``real/`` and ``fake/`` subfolders
and/or CSV files with ``path,label[,tip]`` rows (label: real/fake or 0/1; paths relative to the folder). Nothing
outside that folder is ever read: every path is resolved and must stay inside it.

The detector's score for every item is computed once through :class:`core.engine.analysis.Lab` and cached in
``<data_dir>/gallery/scores-<model version>.json`` (numbers only), keyed by item and content, so a new model
rescores.
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

from core.classroom.portraits import Portrait, load_portraits
from core.config import data_dir, setting
from core.engine.faces import Face
from core.engine.labelled import LABEL_WORDS, folder_rows, inside, media_kind, table_rows
from core.fakes.forge import ForgeSettings, self_blend
from core.engine.media import MediaError, encode_jpeg, load_image

GENERATOR_VERSION = 2
QUALITY_CYCLE = (92, 80, 65, 50)  # each item is saved once, at the next quality of this cycle
JPEG_QUALITIES = QUALITY_CYCLE  # kept for older imports
BLEND_STRENGTHS = (1.0, 0.6, 0.35)  # self-blend variants the detector's scores choose from
BLEND_SEEDS = (1, 2)  # … each with two random changes
SWAP_PARTNERS = 2  # face-swap variants: the two most alike other people, each with seamless and plain blending
SWAP_KIND = "face swap"
CAUGHT_SHARE = 0.5  # of each kind of built-in fake, the share chosen among variants the detector catches
DECISION_THRESHOLD = 0.5  # the detector "answers fake" when its calibrated probability reaches this
MAX_TEACHER_ITEMS = 500
MAX_TEACHER_FILE_BYTES = 200 * 1024 * 1024
LABELS = LABEL_WORDS  # kept for older imports; labels are read by core.engine.labelled
NO_FACE = "no face found"


@dataclass(frozen=True)
class GalleryItem:
    """One quiz item.

    id: stable key, e.g. ``builtin/portrait-07/self-blend`` or ``teacher/fake/clip.mp4``.
    label: 0 real, 1 fake. kind: "real", "self-blend", "face swap" or "teacher". media: "image" or "video".
    path: the file (teacher items), or a name only (built-in items: their JPEG bytes are ``data``, in memory).
    title: what it is (shown after answering; never a person's name). tip: what to look for.
    face_box (4,) / face_landmarks (5, 2): the face the fake was made on, in the item's pixels (built-in
    images only; teacher items are searched for faces when scored).
    people: anonymous keys of the built-in portraits whose faces the picture shows (empty for teacher items).
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
    people: tuple[str, ...] = ()
    data: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def content(self) -> bytes | Path:
        """What to read the picture from: its bytes when made in memory, else its file."""
        return self.data if self.data is not None else self.path

    @property
    def truth(self) -> str:
        return "fake" if self.label else "real"

    @property
    def identity_swap(self) -> bool:
        """One person's face put on another's head (left out of rounds without identity swaps)."""
        return self.kind == SWAP_KIND

    @property
    def description(self) -> str:
        """Plain words for a teacher's list: what the picture truly is (no file or person names)."""
        quality = f", JPEG quality {self.jpeg_quality}" if self.jpeg_quality else ""
        return describe_kind(self.kind, self.label) + (quality if self.source == "built-in" else "")

    def face(self) -> Face | None:
        if self.face_box is None or self.face_landmarks is None:
            return None
        return Face(box=np.asarray(self.face_box, np.float32), landmarks=np.asarray(self.face_landmarks, np.float32),
                    prob=1.0)


def describe_kind(kind: str, label: int) -> str:
    """A kind of item and its truth in plain words: "real photo", "face swap (fake)", "yours (real)"…"""
    return {"real": "real photo", "self-blend": "self-blend (fake)", SWAP_KIND: "face swap (fake)"}.get(
        kind, f"yours ({'fake' if label else 'real'})")


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

    def pool(self, source: str = "all", *, identity_swaps: bool = True) -> list[GalleryItem]:
        """The items a round may use: from ``source`` ("all", "built-in" or "teacher"), without face swaps
        between people when ``identity_swaps`` is False (real photos and self-blends only)."""
        return [it for it in self.items if (source == "all" or it.source == source)
                and (identity_swaps or not it.identity_swap)]

    def pick(self, n: int, *, seed: int | None = None, source: str = "all",
             identity_swaps: bool = True) -> list[str]:
        """``n`` item ids, half real and half fake where possible, in random order.

        source: "all", "built-in" or "teacher"; identity_swaps: False leaves out face swaps between people.
        Items are spread over kinds and base photos, and a round shows each person once while enough people
        are left (a real photo and a fake of the same person side by side would give the fake away).
        """
        rng = random.Random(seed)
        pool = self.pool(source, identity_swaps=identity_swaps)
        reals = [it for it in pool if it.label == 0]
        fakes = [it for it in pool if it.label == 1]
        n = max(1, min(n, len(pool)))
        want_fake = min(len(fakes), max(n - len(reals), n // 2 + (rng.random() < 0.5 if n % 2 else 0)))
        used: set[str] = set()
        chosen = _spread(fakes, want_fake, rng, used) + _spread(reals, n - want_fake, rng, used)
        rng.shuffle(chosen)
        return [it.id for it in chosen]

    def people(self) -> set[str]:
        """The anonymous keys of every person the built-in items show."""
        return {p for it in self.items for p in it.people}


def _spread(items: list[GalleryItem], k: int, rng: random.Random, used: set[str] | None = None) -> list[GalleryItem]:
    """k items, taking one from each (kind, base picture) group in turn so a draw stays varied, and first only
    items showing nobody in ``used`` (which is updated), then any."""
    used = set() if used is None else used
    groups: dict[str, list[GalleryItem]] = {}
    for it in items:
        groups.setdefault(it.id.rsplit("/", 1)[0], []).append(it)
    for g in groups.values():
        rng.shuffle(g)
    keys = list(groups)
    rng.shuffle(keys)
    out: list[GalleryItem] = []
    for strict in (True, False):
        progressed = True
        while len(out) < k and progressed:
            progressed = False
            for key in keys:
                if len(out) >= k:
                    break
                it = next((x for x in reversed(groups[key]) if not (strict and used & set(x.people))), None)
                if it is not None:
                    groups[key].remove(it)
                    out.append(it)
                    used.update(it.people)
                    progressed = True
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
        tip = ("A face swap: the inner face comes from a photo of another person. Check whether skin tone, lighting "
               "direction and sharpness inside the face match the ears, neck and hair, and whether the face's "
               "outline is smeared.")
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


@dataclass(frozen=True)
class _Base:
    """A portrait ready for making items: its pixels and its largest face."""

    portrait: Portrait
    rgb: np.ndarray
    face: Face


def _base_photos(lab, portraits: list[Portrait]) -> tuple[list[_Base], list[str]]:
    """Each committed portrait with its largest face (portraits without a face are left out with a note)."""
    bases, notes = [], []
    for p in portraits:
        try:
            rgb = load_image(p.path)
        except (MediaError, OSError) as exc:
            notes.append(f"The built-in portrait {p.key} could not be loaded ({exc}); its items are left out.")
            continue
        faces = lab.extractor.detect(rgb, crops=False)
        if not faces:
            notes.append(f"No face was found in the built-in portrait {p.key}; its items are left out.")
            continue
        bases.append(_Base(p, rgb, max(faces, key=lambda f: f.size)))
    return bases, notes


def _swap_partners(base: _Base, bases: list[_Base]) -> list[_Base]:
    """Other people who look most alike at a glance (same apparent gender, then skin tone, then age band): a
    face swap between them is not given away by a face that plainly does not belong to the head."""
    others = [b for b in bases if b.portrait.key != base.portrait.key and b.portrait.gender == base.portrait.gender]
    others = others or [b for b in bases if b.portrait.key != base.portrait.key]
    p = base.portrait
    return sorted(others, key=lambda b: (b.portrait.skin_tone != p.skin_tone, b.portrait.age_band != p.age_band,
                                         b.portrait.key))[:SWAP_PARTNERS]


def _portraits_key(portraits: list[Portrait]) -> list[list[str]]:
    return [[p.key, _file_digest(p.path)] for p in portraits]


def build_builtin(lab, portraits: list[Portrait] | None = None
                  ) -> tuple[list[GalleryItem], list[str], dict[str, ItemScore]]:
    """The built-in items, made in memory on first use in this process (or when the portraits, the generator or
    the detector change) and reused afterwards; nothing is written to disk.

    Returns the items, notes for the teacher, and the detector's scores computed while choosing the items
    (empty when the items were already made: the score cache has them).
    """
    portraits = load_portraits() if portraits is None else portraits
    swap = _swap_function()
    key = {"generator": GENERATOR_VERSION, "swaps": swap is not None, "qualities": list(QUALITY_CYCLE),
           "blends": list(BLEND_STRENGTHS), "seeds": list(BLEND_SEEDS), "portraits": _portraits_key(portraits),
           "model": lab.detector.meta.version}
    key_text = json.dumps(key, sort_keys=True)
    with _BUILD_LOCK:
        if key_text in _BUILT:
            items, notes = _BUILT[key_text]
            return list(items), list(notes), {}
        items, notes, scores = _generate(lab, swap, portraits)
        _BUILT.clear()  # one gallery per process: an older detector's pictures are dropped
        _BUILT[key_text] = (items, notes)
        return list(items), list(notes), scores


_BUILD_LOCK = threading.Lock()
_BUILT: dict[str, tuple[list[GalleryItem], list[str]]] = {}  # build key → items (JPEG bytes held in memory), notes


def forget_old_builtin_files(folder: Path | None = None) -> None:
    """Delete the folder of built-in pictures earlier versions wrote to disk (fakes of real people)."""
    import shutil

    shutil.rmtree(Path(folder or data_dir() / "gallery" / "builtin"), ignore_errors=True)


@dataclass(frozen=True)
class _Candidate:
    """One way of filling a fake slot. visibility: higher = easier for a person to see (stronger blend, plainer
    paste, a less alike partner); jpeg: the bytes to save; detail: words for the title; people: who is shown."""

    visibility: int
    jpeg: bytes
    score: ItemScore
    detail: str
    blend: float | None
    people: tuple[str, ...]


def _choose(candidates: list[_Candidate], want_caught: bool) -> _Candidate:
    """The candidate for a slot: when the detector should catch it, the subtlest fake it still catches (hard for
    people); when it should miss it, the most visible fake it still misses (people can win there). If no candidate
    goes the wanted way, the one that comes closest."""
    caught = [c for c in candidates if c.score.says_fake]
    missed = [c for c in candidates if not c.score.says_fake]
    if want_caught and caught:
        return min(caught, key=lambda c: c.visibility)
    if not want_caught and missed:
        return max(missed, key=lambda c: c.visibility)
    prob = lambda c: c.score.fake_prob if c.score.fake_prob is not None else 0.0  # noqa: E731
    return max(candidates, key=prob) if want_caught else min(candidates, key=prob)


def _aims(slots: list[list[_Candidate]], share: float = CAUGHT_SHARE) -> list[bool]:
    """For each fake slot, whether to aim for a fake the detector catches, so that about ``share`` of the slots
    are caught: slots whose variants all go one way keep it; the others are split, spread evenly over the slots."""
    can_catch = [any(c.score.says_fake for c in cands) for cands in slots]
    can_miss = [any(not c.score.says_fake for c in cands) for cands in slots]
    aims = [catch and not miss for catch, miss in zip(can_catch, can_miss)]
    flexible = [i for i, (catch, miss) in enumerate(zip(can_catch, can_miss)) if catch and miss]
    need = max(0, min(len(flexible), round(share * len(slots)) - sum(aims)))
    for k in range(need):
        aims[flexible[int(k * len(flexible) / need)]] = True
    return aims


@dataclass
class _Slot:
    """A fake item to fill: which portrait, kind and quality, and the variants to choose from."""

    item_id: str
    base: _Base
    kind: str
    quality: int
    candidates: list[_Candidate]


def _generate(lab, swap: Callable | None,
              portraits: list[Portrait]) -> tuple[list[GalleryItem], list[str], dict[str, ItemScore]]:
    """One real photo, one self-blend and one face swap per portrait, each fake chosen among a few variants by the
    detector's score, so that it catches about half the fakes of each kind and misses the rest (:func:`_aims`,
    :func:`_choose`)."""
    bases, notes = _base_photos(lab, portraits)
    if not portraits:
        notes.append("The built-in portraits (assets/portraits) are missing: only the teacher's pictures are used.")
    version = lab.detector.meta.version
    items: list[GalleryItem] = []
    scores: dict[str, ItemScore] = {}

    def encode_and_score(item_id: str, rgb: np.ndarray, face: Face, quality: int) -> tuple[bytes, ItemScore]:
        # Scored exactly as score_item will score the saved file: decoded from the JPEG, on the known face.
        jpeg = encode_jpeg(rgb, quality=quality)
        result = lab.score_faces(load_image(jpeg), [replace(face, crop=None, transform=None)])[0]
        box, lms = _face_tuple(Face(box=result.box, landmarks=result.landmarks, prob=result.detection_prob))
        return jpeg, ItemScore(item_id, float(result.fake_prob), result.verdict, 1, version, box, lms)

    def add(item_id: str, base: _Base, jpeg: bytes, score: ItemScore, *, label: int, kind: str, title: str,
            quality: int, blend: float | None = None, people: tuple[str, ...] = ()) -> None:
        path = Path(f"{item_id.replace('/', '_')}.jpg")  # a name only: the picture is held in memory
        box, lms = _face_tuple(base.face)
        items.append(GalleryItem(
            id=item_id, label=label, kind=kind, media="image", path=path, source="built-in",
            title=f"{title}, JPEG quality {quality}", tip=tip_for(kind, label, quality, blend), jpeg_quality=quality,
            blend=blend, face_box=box, face_landmarks=lms, people=people or (base.portrait.key,), data=jpeg))
        scores[item_id] = score

    if swap is None:
        notes.append("Face-swap items are left out: the face-swap module (core.fakes.swap) is not installed.")
    slots: dict[str, list[_Slot]] = {"self-blend": [], SWAP_KIND: []}
    for i, base in enumerate(bases):
        p, n_q = base.portrait, len(QUALITY_CYCLE)
        # Each kind meets every JPEG quality equally often, so compression never gives the answer away.
        q_real, q_blend, q_swap = (QUALITY_CYCLE[(i + k) % n_q] for k in range(3))
        item_id = f"builtin/{p.key}/real"
        jpeg, score = encode_and_score(item_id, base.rgb, base.face, q_real)
        add(item_id, base, jpeg, score, label=0, kind="real", title=f"Real photo — {p.description}", quality=q_real)

        item_id = f"builtin/{p.key}/self-blend"
        cands = []
        for v, strength in enumerate(sorted(BLEND_STRENGTHS)):
            for seed in BLEND_SEEDS:  # each seed draws another colour, sharpness and shift change
                fake = self_blend(base.rgb, base.face.landmarks, seed=1000 * seed + i,
                                  settings=ForgeSettings(blend=strength)).fake
                jpeg, score = encode_and_score(item_id, fake, base.face, q_blend)
                cands.append(_Candidate(v, jpeg, score, f"{strength:.0%} opacity", strength, (p.key,)))
        slots["self-blend"].append(_Slot(item_id, base, "self-blend", q_blend, cands))

        if swap is None:
            continue
        item_id = f"builtin/{p.key}/face-swap"
        cands = []
        for rank, partner in enumerate(_swap_partners(base, bases)):
            for plain, mode in enumerate(("seamless", "alpha")):
                try:
                    swapped = swap(partner.rgb, partner.face, base.rgb, base.face, seed=i, blend=mode).swapped
                except Exception as exc:  # noqa: BLE001 - a broken swap must not take the quiz down
                    notes.append(f"A face swap onto {p.key} failed ({type(exc).__name__}: {exc}); it is left out.")
                    continue
                jpeg, score = encode_and_score(item_id, swapped, base.face, q_swap)
                words = "seamless (Poisson) blending" if mode == "seamless" else "a plain alpha blend"
                cands.append(_Candidate(2 * plain + rank, jpeg, score, words, None, (p.key, partner.portrait.key)))
        if cands:
            slots[SWAP_KIND].append(_Slot(item_id, base, SWAP_KIND, q_swap, cands))

    for kind, kind_slots in slots.items():
        for slot, aim in zip(kind_slots, _aims([sl.candidates for sl in kind_slots])):
            c = _choose(slot.candidates, want_caught=aim)
            title = ("Self-blended fake — the face pasted back onto itself at " if kind == "self-blend"
                     else "Face swap between two different people, with ") + c.detail
            add(slot.item_id, slot.base, c.jpeg, c.score, label=1, kind=kind, quality=slot.quality, blend=c.blend,
                title=title, people=c.people)
    order = {it.id: k for k, it in enumerate(sorted(items, key=lambda it: it.id))}
    items.sort(key=lambda it: order[it.id])
    return items, notes, scores


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


def _content_digest(item: GalleryItem) -> str:
    return hashlib.sha256(item.data).hexdigest()[:20] if item.data is not None else _file_digest(item.path)


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
    rgb = load_image(item.content)
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
                progress: Callable[[int, int], None] | None = None,
                known: dict[str, ItemScore] | None = None) -> tuple[dict[str, ItemScore], list[str]]:
    """Scores for all items, from the on-disk cache where the model version and file content match.

    known: scores already computed for these very files (while the built-in items were chosen); they are
    stored in the cache instead of being computed again.
    """
    known = known or {}
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
                digest = _content_digest(item)
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
                score = known[item.id] if item.id in known else score_item(lab, item)
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
    forget_old_builtin_files(folder / "builtin")
    items, notes, known = build_builtin(lab)
    teacher_dir = teacher_dir if teacher_dir is not None else setting("LAB_GALLERY_DIR")
    if teacher_dir:
        extra, extra_notes = scan_teacher_dir(teacher_dir)
        notes += extra_notes
        if any(it.media == "video" for it in extra) and _video_analyser() is None:
            notes.append("Videos in the teacher gallery are left out: the lab's video module (core.engine.video) is not "
                         "installed, so only images are used.")
            extra = [it for it in extra if it.media != "video"]
        items += extra
    scores, score_notes = score_items(lab, items, folder, progress, known)
    notes += score_notes
    items = [it for it in items if it.id in scores]  # unreadable files are not quiz items
    return Gallery(items=items, scores=scores, model_version=lab.detector.meta.version,
                   model_trained=bool(lab.trained), notes=notes)
