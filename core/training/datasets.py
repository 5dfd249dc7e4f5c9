"""Real faces to self-blend: photo folders (LFW) and real videos, found by the lab's own face extractor.

Detection (and for videos, decoding) runs once; the results are cached under the run's parent folder so every
epoch, resumed session and export reuses them. Each face carries a *group* — the person for photos, the
actor or video for clips — and splits never put one group on both sides.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from core.engine.faces import FaceExtractor

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm")


@dataclass
class FacePool:
    """N real faces: ``images`` N × (H, W, 3) uint8 RGB (a whole photo, or a context region around the face
    for video frames); ``boxes`` (N, 4) float32 and ``landmarks`` (N, 5, 2) float32 in that image's pixels;
    ``groups`` (N,) str, the unit a split keeps together."""

    images: list[np.ndarray]
    boxes: np.ndarray
    landmarks: np.ndarray
    groups: np.ndarray

    def __len__(self) -> int:
        return len(self.images)

    def subset(self, mask: np.ndarray) -> "FacePool":
        idx = np.flatnonzero(mask)
        return FacePool([self.images[i] for i in idx], self.boxes[idx], self.landmarks[idx], self.groups[idx])

    @staticmethod
    def empty() -> "FacePool":
        return FacePool([], np.zeros((0, 4), np.float32), np.zeros((0, 5, 2), np.float32), np.array([], str))


def group_split(groups, val_fraction: float, seed: int) -> np.ndarray:
    """Boolean (N,) "is validation" by group name (hashed), stable across runs and machines."""
    def bucket(name: str) -> float:
        h = hashlib.sha256(f"{seed}:{name}".encode()).digest()
        return int.from_bytes(h[:8], "little") / 2**64
    return np.array([bucket(str(g)) < val_fraction for g in groups], bool)


def person_split(paths: list[Path], val_fraction: float, seed: int) -> np.ndarray:
    """Boolean (N,) "is validation" by person (LFW folder name)."""
    return group_split([p.parent.name for p in paths], val_fraction, seed)


# ------------------------------------------------------------------------------------------- photos


def _central_face(faces, shape) -> tuple[np.ndarray, np.ndarray] | None:
    if not faces:
        return None
    h, w = shape[:2]
    centre = np.array([w / 2, h / 2])
    # The photo's subject: the face nearest the centre among the larger ones.
    best = min(faces, key=lambda f: np.linalg.norm((f.box[:2] + f.box[2:]) / 2 - centre) - 0.5 * f.size)
    return best.box, best.landmarks


def detect_photos(data: Path, cache: Path) -> dict[str, np.ndarray]:
    """Find the central face of every photo under ``data``; cached in ``cache`` (npz: paths, boxes, landmarks)."""
    if cache.exists():
        z = np.load(cache, allow_pickle=False)
        return {k: z[k] for k in z.files}
    from tqdm import tqdm

    from core.engine.media import MediaError, load_image

    paths = sorted(p for p in data.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    extractor = FaceExtractor(detect_side=None)
    keep, boxes, lms = [], [], []
    by_shape: dict[tuple, list[tuple[Path, np.ndarray]]] = {}

    def flush(group):
        for (p, img), faces in zip(group, extractor.detect_batch([img for _, img in group], crops=False)):
            found = _central_face(faces, img.shape)
            if found is not None:
                keep.append(p), boxes.append(found[0]), lms.append(found[1])

    for p in tqdm(paths, desc="detecting faces", unit="img"):
        try:
            img = load_image(p)
        except (MediaError, ValueError, OSError):
            continue
        group = by_shape.setdefault(img.shape, [])
        group.append((p, img))
        if len(group) == 32:  # MTCNN batches need one image size
            flush(group)
            group.clear()
    for group in by_shape.values():
        if group:
            flush(group)
    out = {"paths": np.array([str(p) for p in keep]), "boxes": np.array(boxes, np.float32).reshape(-1, 4),
           "landmarks": np.array(lms, np.float32).reshape(-1, 5, 2)}
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, **out)
    return out


def photo_faces(data: Path, cache_dir: Path) -> tuple[FacePool, list[Path]]:
    """Every photo's central face (group = the photo's folder, i.e. the person) and the photo paths."""
    det = detect_photos(data, cache_dir / f"detections_{data.name}.npz")
    paths = [Path(p) for p in det["paths"]]
    images = [cv2.cvtColor(cv2.imread(str(p), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB) for p in paths]
    groups = np.array([p.parent.name for p in paths])
    return FacePool(images, det["boxes"], det["landmarks"], groups), paths


# ------------------------------------------------------------------------------------------- videos


def video_group(rel: str) -> str:
    """The unit a video split keeps together: the actor for FF++ DeepFakeDetection clips (``07__scene.mp4``),
    otherwise the video itself."""
    stem = Path(rel).stem
    return f"actor-{stem.split('__')[0]}" if "__" in stem else f"video-{stem}"


def list_videos(folder: Path) -> list[str]:
    """Video paths relative to ``folder``: from its ``videos.csv`` (column ``path``) when present, else every video."""
    listing = folder / "videos.csv"
    if listing.exists():
        with listing.open(newline="", encoding="utf-8") as f:
            return [row["path"] for row in csv.DictReader(f)]
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.suffix.lower() in VIDEO_SUFFIXES)


def main_face_regions(frames: list[np.ndarray], extractor: FaceExtractor, *, context: float = 0.6,
                      max_face: int = 224, min_face: int = 64) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """For each frame, the largest face (the subject) as (region, box, landmarks) in region pixels.

    The region reaches ``context`` × the face size past each side of the box (room for the crop margin, the
    tight-crop augmentation and the blend), clipped to the frame; it is shrunk, never enlarged, so the face is
    at most ``max_face`` px — enough for any input size the detector uses. Frames whose largest face is smaller
    than ``min_face`` px are skipped: they carry no blending detail worth learning.
    """
    out = []
    for frame, faces in zip(frames, extractor.detect_batch(frames, crops=False)):
        if not faces:
            continue
        face = max(faces, key=lambda f: f.size)
        if face.size < min_face:
            continue
        h, w = frame.shape[:2]
        pad = context * face.size
        x1, y1 = int(max(0, face.box[0] - pad)), int(max(0, face.box[1] - pad))
        x2, y2 = int(min(w, face.box[2] + pad)), int(min(h, face.box[3] + pad))
        region = frame[y1:y2, x1:x2]
        off = np.array([x1, y1], np.float32)
        box, lm = face.box - np.tile(off, 2), face.landmarks - off
        s = min(1.0, max_face / face.size)
        if s < 1.0:
            region = cv2.resize(region, (max(1, round(region.shape[1] * s)), max(1, round(region.shape[0] * s))),
                                interpolation=cv2.INTER_AREA)
            box, lm = box * s, lm * s
        out.append((np.ascontiguousarray(region), box.astype(np.float32), lm.astype(np.float32)))
    return out


def video_faces(folder: Path, cache_dir: Path, *, frames_per_video: int = 50) -> FacePool:
    """The main face of ``frames_per_video`` evenly spaced frames of every video under ``folder``.

    Frames are decoded with the lab's PyAV reader and faces found with its extractor (downscaled detection,
    as the app does); each video's regions are cached in ``cache_dir/video/`` so decoding and MTCNN run once.
    """
    from tqdm import tqdm

    from core.config import Limits
    from core.engine.media import MediaError, read_frames

    extractor = None
    images, boxes, lms, groups = [], [], [], []
    limits = Limits.from_env()
    for rel in tqdm(list_videos(folder), desc="video faces", unit="video"):
        key = hashlib.sha256(f"{rel}:{frames_per_video}".encode()).hexdigest()[:16]
        cache = cache_dir / "video" / f"{key}.npz"
        if not cache.exists():
            extractor = extractor or FaceExtractor()
            try:
                _, _, frames = read_frames(folder / rel, frames_per_video, limits=limits)
            except (MediaError, OSError) as exc:
                print(f"skipping {rel}: {exc}", flush=True)
                continue
            found = main_face_regions(frames, extractor)
            cache.parent.mkdir(parents=True, exist_ok=True)
            arrays = {f"region_{i}": r for i, (r, _, _) in enumerate(found)}
            np.savez(cache, boxes=np.array([b for _, b, _ in found], np.float32).reshape(-1, 4),
                     landmarks=np.array([m for _, _, m in found], np.float32).reshape(-1, 5, 2), **arrays)
        z = np.load(cache, allow_pickle=False)
        n = len(z["boxes"])
        images += [z[f"region_{i}"] for i in range(n)]
        boxes.append(z["boxes"]), lms.append(z["landmarks"])
        groups += [video_group(rel)] * n
    if not images:
        return FacePool.empty()
    return FacePool(images, np.concatenate(boxes), np.concatenate(lms), np.array(groups))
