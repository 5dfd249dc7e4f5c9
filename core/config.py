"""Limits and paths, read once from a few documented environment variables.

| variable | default | meaning |
|---|---|---|
| ``LAB_DATA_DIR`` | ``./data`` | where the lab stores what it keeps (quiz answers, demo certificate, caches) |
| ``LAB_MODEL_PATH`` | ``models/detector.safetensors`` | the face-swap detector checkpoint |
| ``LAB_MAX_PIXELS`` | ``40000000`` | largest image (width × height) we decode; larger files are refused |
| ``LAB_MAX_VIDEO_SECONDS`` | ``300`` | longest video we analyse |
| ``LAB_MAX_VIDEO_PIXELS`` | ``8294400`` (3840×2160) | largest video frame |
| ``LAB_MAX_VIDEO_FPS`` | ``240`` | highest frame rate a video may declare; higher is refused (a crafted file can claim 100,000 frames a second) |
| ``LAB_MAX_DECODED_FRAMES`` | ``12000`` | frames decoded from one video at most, whatever its header says (a work budget per job; keyframe seeking keeps ordinary videos far below it) |
| ``LAB_MAX_DECODED_MB`` | ``1024`` | decoded RGB frames kept from one video at most, in MB |
| ``LAB_WORK_SIDE`` | ``4096`` | uploaded photos are decoded (with JPEG draft / reduce) so their longer side is at most this |
| ``LAB_MAX_FACES`` | ``20`` | faces analysed per image (the largest ones first) |
| ``LAB_WORKERS`` | ``cores // 2`` (1 to 4) | analyses run at once by the shared job pool (``core.engine.jobs``) |
| ``LAB_TORCH_THREADS`` | ``cores // LAB_WORKERS`` | torch intra-op threads per analysis; workers × threads ≤ cores, since more only slows a class down |
| ``LAB_QUEUE_LIMIT`` | ``40`` | analyses that may wait for a worker; beyond it a student is told the lab is busy |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:  # a typo in the environment should say which variable
        raise ValueError(f"Environment variable {name} must be a whole number, got {raw!r}") from exc


@dataclass(frozen=True)
class Limits:
    """What the lab accepts. Pass your own to the loaders to override the environment."""

    max_pixels: int = 40_000_000
    max_video_seconds: float = 300.0
    max_video_pixels: int = 3840 * 2160
    max_faces: int = 20
    max_video_fps: float = 240.0
    max_decoded_frames: int = 12_000
    max_decoded_bytes: int = 1024 * 2**20
    work_side: int = 4096

    @classmethod
    def from_env(cls) -> "Limits":
        return cls(
            max_pixels=_int_env("LAB_MAX_PIXELS", cls.max_pixels),
            max_video_seconds=float(_int_env("LAB_MAX_VIDEO_SECONDS", int(cls.max_video_seconds))),
            max_video_pixels=_int_env("LAB_MAX_VIDEO_PIXELS", cls.max_video_pixels),
            max_faces=_int_env("LAB_MAX_FACES", cls.max_faces),
            max_video_fps=float(_int_env("LAB_MAX_VIDEO_FPS", int(cls.max_video_fps))),
            max_decoded_frames=_int_env("LAB_MAX_DECODED_FRAMES", cls.max_decoded_frames),
            max_decoded_bytes=_int_env("LAB_MAX_DECODED_MB", cls.max_decoded_bytes // 2**20) * 2**20,
            work_side=_int_env("LAB_WORK_SIDE", cls.work_side),
        )


def data_dir() -> Path:
    """The folder for what the lab keeps; created on first use, readable by its owner only (0700): it holds
    the class database and the demo signing key. The default ``./data`` is tightened to 0700 even when an
    older version created it 0755; a folder you name with ``LAB_DATA_DIR`` is only made 0700 when created."""
    default = ROOT / "data"
    path = Path(os.environ.get("LAB_DATA_DIR", default))
    if not path.exists():
        path.mkdir(parents=True, mode=0o700, exist_ok=True)
    elif path.resolve() == default.resolve():
        try:
            if path.stat().st_mode & 0o077:
                path.chmod(0o700)
        except OSError:  # not ours to change (a read-only checkout): leave it
            pass
    return path


def model_path() -> Path:
    return Path(os.environ.get("LAB_MODEL_PATH", ROOT / "models" / "detector.safetensors"))


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))  # the cores this process may use (containers, taskset)
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def lab_workers() -> int:
    """Analyses the shared job pool runs at once: by default one per two cores (at most 4), so that each
    analysis gets two torch threads. On the 2-core reference laptop one worker with 2 threads served 30
    simultaneous photo analyses as fast as two workers with 1 thread each, and a lone photo in 87 ms
    instead of 133 ms (bench/load.py, bench/analyze.py)."""
    return max(1, _int_env("LAB_WORKERS", min(4, _cores() // 2)))


def torch_threads() -> int:
    """Torch intra-op threads, so that workers × threads does not exceed the cores."""
    return max(1, _int_env("LAB_TORCH_THREADS", _cores() // lab_workers()))


def queue_limit() -> int:
    """Analyses allowed to wait for a worker before new ones are turned away."""
    return max(0, _int_env("LAB_QUEUE_LIMIT", 40))
