"""The lab's settings: every ``LAB_*`` environment variable is declared once in :data:`SETTINGS` (name,
default, meaning) and read through :func:`setting`, :func:`_int_env` or the helpers below. The README's
configuration table is :func:`settings_table`'s output (a test keeps the two equal).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Setting:
    """One environment variable: its name, its default as the README shows it, and what it changes."""

    name: str
    default: str
    meaning: str


SETTINGS: dict[str, Setting] = {s.name: s for s in (
    Setting("LAB_DATA_DIR", "`data/`", "what the lab keeps: quiz answers (SQLite), the demo signing identity, caches"),
    Setting("LAB_DATABASE_URL", "unset (SQLite in `LAB_DATA_DIR`)",
            "a PostgreSQL URL, e.g. `postgresql+psycopg://user:pw@host/db`"),
    Setting("LAB_TEACHER_PASSCODE", "unset (teacher view closed)",
            "passcode for the teacher view of class sessions; at least 12 characters, or the view stays closed"),
    Setting("LAB_GALLERY_DIR", "unset", "a folder of labelled media (`real/`, `fake/` or a CSV) added to the quiz"),
    Setting("LAB_MODEL_PATH", "`models/detector.safetensors`", "the face-swap detector checkpoint"),
    Setting("LAB_EVAL_SCORES", "`models/eval_scores.csv`",
            "the detector's measured scores (Thresholds and Spectrum pages), from `python -m core.training.evaluate`"),
    Setting("LAB_SPECTRUM_MODEL", "`models/spectrum.json`",
            "the spectrum classifier (Spectrum page), from `python -m core.training.train_spectrum`"),
    Setting("LAB_MAX_PIXELS", "`40000000`", "largest image decoded (decompression-bomb guard)"),
    Setting("LAB_MAX_VIDEO_SECONDS", "`300`", "longest video analysed"),
    Setting("LAB_MAX_VIDEO_PIXELS", "`8294400`", "largest video frame (4K)"),
    Setting("LAB_MAX_VIDEO_FPS", "`240`",
            "highest frame rate a video may declare; higher is refused (a crafted file can claim 100,000 a second)"),
    Setting("LAB_MAX_DECODED_FRAMES", "`12000`",
            "frames decoded from one video at most, whatever its header says (keyframe seeking keeps ordinary videos far below it)"),
    Setting("LAB_MAX_DECODED_MB", "`1024`", "decoded RGB frames kept from one video at most, in MB"),
    Setting("LAB_WORK_SIDE", "`4096`", "uploaded photos are decoded (JPEG draft / reduce) so their longer side is at most this"),
    Setting("LAB_MAX_FACES", "`20`", "faces analysed per image, largest first"),
    Setting("LAB_WORKERS", "`cores // 2` (at least 1, at most 4)",
            "analyses run at once by the shared job pool; the rest wait their turn in order"),
    Setting("LAB_TORCH_THREADS", "`cores // LAB_WORKERS`",
            "torch threads per analysis (workers × threads ≤ cores: more only slows a class down)"),
    Setting("LAB_QUEUE_LIMIT", "`40`", "analyses allowed to wait; beyond it a student is asked to try again in a moment"),
    Setting("LAB_TRUSTED_PROXIES", "unset",
            "reverse proxies (addresses or networks, comma-separated) whose `X-Forwarded-For` names the student's "
            "address: set it behind nginx so per-student limits are per student, not per proxy"),
    Setting("LAB_WARMUP", "`1`",
            "`0` switches off building the models and quiz pictures in the background when the server starts"),
    Setting("LAB_CHROMIUM", "`/usr/bin/chromium`", "the browser the headless-browser tests and `bench/browsers.py` drive"),
)}


def settings_table() -> str:
    """The Markdown table of every setting, as the README shows it."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    rows += [f"| `{s.name}` | {s.default} | {s.meaning} |" for s in SETTINGS.values()]
    return "\n".join(rows)


def setting(name: str) -> str | None:
    """The variable's value with surrounding blanks removed, or None when unset or blank. Only declared
    names may be read (a typo raises KeyError instead of silently reading nothing)."""
    if name not in SETTINGS:
        raise KeyError(f"{name} is not a declared setting; add it to core.config.SETTINGS")
    raw = os.environ.get(name, "").strip()
    return raw or None


def _int_env(name: str, default: int) -> int:
    raw = setting(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:  # a typo in the environment should say which variable
        raise ValueError(f"Environment variable {name} must be a whole number, got {raw!r}") from exc


def path_setting(name: str, default: Path) -> Path:
    """A path variable, or ``default`` when it is unset."""
    raw = setting(name)
    return Path(raw) if raw is not None else default


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
    path = path_setting("LAB_DATA_DIR", default)
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
    return path_setting("LAB_MODEL_PATH", ROOT / "models" / "detector.safetensors")


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
