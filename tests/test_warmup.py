"""The background warm-up (ui/warmup.py): it builds the shared lab and the quiz gallery, never raises, and
LAB_WARMUP=0 (the test suite's default, see conftest.py) keeps it off. The time it saves is measured by
``python bench/browsers.py --cold-start`` (with and without ``--no-warmup``)."""

from __future__ import annotations

import ui.classroom
import ui.resources
from ui import warmup


def test_warm_builds_the_lab_then_the_gallery(monkeypatch):
    built = []
    monkeypatch.setattr(ui.resources, "get_lab", lambda: built.append("lab") or "the lab")
    monkeypatch.setattr(ui.classroom, "get_gallery", lambda lab: built.append(("gallery", lab)))
    assert warmup.warm() >= 0 and built == ["lab", ("gallery", "the lab")]


def test_a_failing_warm_up_is_logged_not_raised(monkeypatch):
    def broken():
        raise OSError("disk full")

    logged = []
    monkeypatch.setattr(ui.resources, "get_lab", broken)
    monkeypatch.setattr(warmup.log, "exception", lambda msg, *a: logged.append(msg))
    assert warmup.warm() >= 0  # no exception: pages build what they need on first use
    assert logged and "Warm-up failed" in logged[0]


def test_lab_warmup_0_starts_nothing(monkeypatch):
    started = []
    monkeypatch.setattr(warmup, "_started", lambda: started.append(1))
    monkeypatch.setenv("LAB_WARMUP", "0")
    warmup.start_warmup()
    monkeypatch.setenv("LAB_WARMUP", "1")
    warmup.start_warmup()
    assert started == [1]
