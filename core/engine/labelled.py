"""Reading labelled media: a folder with ``real/`` and ``fake/`` subfolders, or a CSV of ``path,label[,...]``
rows (an evaluation manifest, a teacher's quiz list). The evaluation (:mod:`core.training.evaluate`) and the
quiz gallery (:mod:`core.classroom.gallery`) both read through here, so a label means the same everywhere.

Rows keep the path as written and the path joined to the folder; callers decide what else to check (the
gallery, for one, refuses paths that leave the teacher's folder).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from core.engine.media import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS

LABEL_WORDS = {
    "real": 0, "0": 0, "0.0": 0, "genuine": 0, "authentic": 0, "original": 0,
    "fake": 1, "1": 1, "1.0": 1, "manipulated": 1, "deepfake": 1,
}
FOLDERS = {"real": 0, "fake": 1}


def parse_label(raw: str) -> int | None:
    """1 for a fake, 0 for a real item (the words in :data:`LABEL_WORDS`, any case); None otherwise."""
    return LABEL_WORDS.get(str(raw).strip().lower())


def media_kind(path: Path, declared: str = "") -> str | None:
    """"image" or "video" from a declared kind or the file's extension; None for a file we do not read."""
    if "video" in declared.lower():
        return "video"
    ext = path.suffix.lower().lstrip(".")
    return "image" if ext in IMAGE_EXTENSIONS else "video" if ext in VIDEO_EXTENSIONS else None


@dataclass(frozen=True)
class LabelledRow:
    """One labelled file. raw: the path as written (relative to the folder); path: joined to the folder;
    label: 0 real, 1 fake; columns: the row's other named columns (e.g. media, kind, tip); where: for messages."""

    raw: str
    path: Path
    label: int
    columns: dict[str, str] = field(default_factory=dict)
    where: str = ""


def folder_rows(root: Path, *, confined: bool = False) -> list[LabelledRow]:
    """Every file (hidden ones aside) at any depth under ``root/real`` and ``root/fake`` (either case), sorted.
    ``confined``: leave out a subfolder that is a link to somewhere outside ``root``."""
    root = Path(root)
    rows = []
    for sub in sorted(root.iterdir()) if root.is_dir() else []:
        label = FOLDERS.get(sub.name.lower())
        if label is None or not sub.is_dir():
            continue
        if confined and not inside(root, sub):
            continue
        for path in sorted(sub.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                rows.append(LabelledRow(raw=path.relative_to(root).as_posix(), path=path, label=label,
                                        where=str(path.relative_to(root))))
    return rows


def table_rows(table: Path, *, base: Path | None = None,
               positional: tuple[str, ...] = ("path", "label", "tip")) -> tuple[list[LabelledRow], list[str]]:
    """Rows of a CSV file: with a header naming ``path`` and ``label`` columns, or without one, in the order
    ``positional``. Blank lines and lines starting with ``#`` are skipped; a row whose label is not a known
    word is skipped with a note ("<file> line N: ..."). Paths are joined to ``base`` (the CSV's folder)."""
    base = Path(base) if base is not None else table.parent
    text = table.read_text(encoding="utf-8-sig", errors="replace")
    lines = [row for row in csv.reader(text.splitlines())]
    header = [c.strip().lower() for c in lines[0]] if lines else []
    named = "path" in header and "label" in header
    names = header if named else list(positional)
    rows, notes = [], []
    for n, row in enumerate(lines, start=1):
        if n == 1 and (named or (row and row[0].strip().lower() == "path")):
            continue  # the header
        if not row or not "".join(row).strip() or row[0].strip().startswith("#"):
            continue
        cells = {k: (row[i].strip() if i < len(row) else "") for i, k in enumerate(names)}
        raw = cells.pop("path", "")
        label = parse_label(cells.pop("label", ""))
        if label is None:
            notes.append(f"{table.name} line {n}: the label must be real or fake (or 0/1); skipped.")
            continue
        rows.append(LabelledRow(raw=raw, path=base / raw, label=label, columns=cells, where=f"{table.name} line {n}"))
    return rows, notes


def inside(root: Path, candidate: Path) -> Path | None:
    """``candidate`` resolved (symlinks followed) when it stays inside ``root``; None otherwise."""
    try:
        resolved = candidate.resolve(strict=True)
        return resolved if resolved.is_relative_to(Path(root).resolve(strict=True)) else None
    except (OSError, RuntimeError):
        return None
