"""The one labelled-media reader shared by the evaluation and the quiz gallery."""

from pathlib import Path

import pytest

from core.engine.labelled import folder_rows, media_kind, parse_label, table_rows
from core.errors import DataFileError
from core.training.evaluate import items_from_folder, items_from_manifest


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return path


def test_labels_and_media_kinds():
    assert [parse_label(w) for w in ("Real", " fake ", "0", "1.0", "deepfake", "original", "maybe", "")] == \
        [0, 1, 0, 1, 1, 0, None, None]
    assert media_kind(Path("a.JPG")) == "image" and media_kind(Path("a.mp4")) == "video"
    assert media_kind(Path("a.txt")) is None and media_kind(Path("a.bin"), "video") == "video"


def test_folder_rows_and_the_evaluation_items(tmp_path):
    _touch(tmp_path / "Real" / "a.jpg")
    _touch(tmp_path / "fake" / "deep" / "b.mp4")
    _touch(tmp_path / "fake" / ".hidden.jpg")
    _touch(tmp_path / "fake" / "notes.txt")
    _touch(tmp_path / "other" / "c.jpg")
    rows = folder_rows(tmp_path)
    assert [(r.raw, r.label) for r in rows] == [("Real/a.jpg", 0), ("fake/deep/b.mp4", 1), ("fake/notes.txt", 1)]
    items = items_from_folder(tmp_path)  # the evaluation leaves out files it cannot read
    assert [(i.name, i.label, i.media) for i in items] == [("Real/a.jpg", 0, "image"), ("fake/deep/b.mp4", 1, "video")]


def test_table_rows_with_and_without_a_header(tmp_path):
    named = tmp_path / "m.csv"
    named.write_text("path,label,media,kind\nx/a.jpg,real,,lfw\n# a comment\n\nx/b.bin,FAKE,video,dfdc\nx/c.jpg,unsure,,\n")
    rows, notes = table_rows(named)
    assert [(r.raw, r.label, r.columns.get("kind")) for r in rows] == [("x/a.jpg", 0, "lfw"), ("x/b.bin", 1, "dfdc")]
    assert notes == ["m.csv line 6: the label must be real or fake (or 0/1); skipped."]
    bare = tmp_path / "t.csv"
    bare.write_text('a.jpg,0,"a tip, with a comma"\nb.jpg,1\n<b>c.jpg</b>,<i>fake</i>\n')
    rows, notes = table_rows(bare)
    assert [(r.raw, r.label, r.columns["tip"]) for r in rows] == [("a.jpg", 0, "a tip, with a comma"), ("b.jpg", 1, "")]
    assert len(notes) == 1 and "line 3" in notes[0]


def test_manifest_with_a_bad_label_stops_the_evaluation(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("path,label,kind\nv.mp4,fake,swap\n")
    (item,) = items_from_manifest(good, {"swap": ["face swaps"]})
    assert item.path == tmp_path / "v.mp4" and item.media == "video" and item.families == ["face swaps"]
    bad = tmp_path / "bad.csv"
    bad.write_text("path,label\na.jpg,perhaps\n")
    with pytest.raises(DataFileError, match="line 2"):
        items_from_manifest(bad)
