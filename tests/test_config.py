"""The settings registry: every LAB_* variable declared once, and the README's table is the registry's."""

import re
from pathlib import Path

import pytest

from core.config import SETTINGS, Limits, setting, settings_table

ROOT = Path(__file__).resolve().parent.parent


def test_readme_settings_table_is_the_registry():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert settings_table() in readme
    rows = [line for line in readme.splitlines() if line.startswith("| `LAB_")]
    assert len(rows) == len(SETTINGS)  # no setting listed twice or listed but undeclared


def test_every_lab_variable_the_code_reads_is_declared():
    used = set()
    for folder in ("core", "ui", "pages", "bench", "tests"):
        for f in (ROOT / folder).rglob("*.py"):
            if f.name == "test_config.py":  # this file names an undeclared variable on purpose
                continue
            used |= set(re.findall(r"\bLAB_[A-Z_]+[A-Z]\b", f.read_text(encoding="utf-8")))
    used |= set(re.findall(r"\bLAB_[A-Z_]+[A-Z]\b", (ROOT / "app.py").read_text(encoding="utf-8")))
    assert used - set(SETTINGS) == set()


def test_reading_settings(monkeypatch):
    monkeypatch.setenv("LAB_MAX_FACES", " 3 ")
    monkeypatch.setenv("LAB_GALLERY_DIR", "   ")
    assert Limits.from_env().max_faces == 3 and setting("LAB_GALLERY_DIR") is None
    monkeypatch.setenv("LAB_MAX_FACES", "three")
    with pytest.raises(ValueError, match="LAB_MAX_FACES"):
        Limits.from_env()
    with pytest.raises(KeyError):
        setting("LAB_NOT_A_SETTING")
