"""Helpers shared by the gallery, quiz and teacher tests: one generated gallery per test session."""

from __future__ import annotations

import hashlib

import numpy as np


class MemoExtractor:
    """Wraps the real face extractor and remembers its answer per image, so rebuilding the built-in gallery
    in another folder (to test a variant) does not rerun MTCNN on the same four photos."""

    def __init__(self, extractor):
        self._inner = extractor
        self._memo: dict[str, list] = {}
        self.calls = 0

    def detect(self, rgb: np.ndarray, **kw):
        key = hashlib.sha1(np.ascontiguousarray(rgb).tobytes()).hexdigest() + repr(sorted(kw.items()))
        if key not in self._memo:
            self.calls += 1
            self._memo[key] = self._inner.detect(rgb, **kw)
        return self._memo[key]

    def __getattr__(self, name):
        return getattr(self._inner, name)


def shared_data_dir(tmp_path_factory):
    """A data folder shared by every test module in this run (the built-in gallery is generated once)."""
    return tmp_path_factory.getbasetemp() / "quiz-data"
