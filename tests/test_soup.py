"""Model soup (core.training.soup): the weight average of fine-tunes of one checkpoint."""

from __future__ import annotations

import pytest
import torch

from core.engine.detector import untrained_detector
from core.training.soup import average_weights


def test_average_weights_is_the_elementwise_mean_and_keeps_counters():
    a, b = untrained_detector(seed=0, device="cpu"), untrained_detector(seed=1, device="cpu")
    with torch.no_grad():  # give the BatchNorm statistics and counters something to average
        for det, v in ((a, 2.0), (b, 4.0)):
            for name, buf in det.model.named_buffers():
                buf.fill_(v if buf.is_floating_point() else int(v))
    soup = average_weights([a, b])
    sa, sb = a.model.state_dict(), b.model.state_dict()
    assert soup.keys() == sa.keys()
    for key, value in soup.items():
        if sa[key].is_floating_point():
            torch.testing.assert_close(value, (sa[key] + sb[key]) / 2)
        else:
            assert torch.equal(value, sa[key])  # batch counters are not averaged


def test_average_weights_refuses_different_networks():
    from dataclasses import replace

    a, b = untrained_detector(seed=0, device="cpu"), untrained_detector(seed=1, device="cpu")
    b.meta = replace(b.meta, input_size=b.meta.input_size + 32)
    with pytest.raises(ValueError, match="only fine-tunes of one checkpoint"):
        average_weights([a, b])
    with pytest.raises(ValueError, match="at least one"):
        average_weights([])
