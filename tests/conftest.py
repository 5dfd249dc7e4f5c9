"""Shared fixtures. Everything here works on a fresh machine: inputs come from photos installed packages ship."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import os  # noqa: E402

# No background warm-up (ui/warmup.py) in the test process or the apps it starts: tests build what they use.
os.environ.setdefault("LAB_WARMUP", "0")

import torch  # noqa: E402

torch.set_num_threads(1)  # the suite shares two cores with everything else

from pg_server import pg_url  # noqa: E402,F401 - a throwaway PostgreSQL server for the modules that ask for it


@pytest.fixture(scope="session")
def lab():
    """The engine as the app builds it (shipped checkpoint if present, otherwise untrained)."""
    from core.engine.analysis import load_lab

    return load_lab()


@pytest.fixture(scope="session")
def grace() -> np.ndarray:
    from core.engine.faces import load_sample

    return load_sample("grace_hopper")


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    from core.engine.faces import load_sample

    return load_sample("astronaut")
