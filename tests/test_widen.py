"""Net2WiderNet: a widened detector computes what the narrow one did, and its copied channels can diverge."""

import pytest
import torch

from core.engine.detector import BlendNet
from core.training.widen import widen


def _trained_like(seam_head: bool) -> BlendNet:
    """A network whose batch norms hold real running statistics (fresh ones are 0/1 and hide mistakes)."""
    torch.manual_seed(0)
    net = BlendNet(16, seam_head=seam_head)
    net.train()
    with torch.no_grad():
        for _ in range(3):
            net(torch.rand(8, 3, 64, 64))
    return net.eval()


@pytest.mark.parametrize("seam_head", [False, True])
def test_widening_keeps_the_function(seam_head):
    narrow = _trained_like(seam_head)
    wide = widen(narrow, 24, noise=0.0).eval()
    assert wide.fc.in_features == 8 * 24 and wide.layer2.conv1[0].out_channels == 48
    x = torch.rand(4, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(wide(x), narrow(x), rtol=1e-4, atol=1e-5)
        if seam_head:
            torch.testing.assert_close(wide.forward_with_seam(x)[1], narrow.forward_with_seam(x)[1],
                                       rtol=1e-4, atol=1e-5)
    # The narrow network is untouched.
    assert narrow.fc.in_features == 8 * 16


def test_noise_lets_copies_differ_and_keeps_the_originals():
    narrow = _trained_like(False)
    wide = widen(narrow, 24, noise=0.01, seed=1)
    w_old, w_new = narrow.stem[1][0].weight, wide.stem[1][0].weight
    torch.testing.assert_close(w_new[:16], w_old)  # original channels keep their weights exactly
    assert not any(torch.equal(w_new[16 + i], w_old[j]) for i in range(8) for j in range(16))
    x = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(wide.eval()(x), narrow(x), rtol=0.05, atol=0.05)  # close, not equal
    assert not torch.equal(widen(narrow, 24, seed=1).stem[1][0].weight, widen(narrow, 24, seed=2).stem[1][0].weight)


def test_widen_refuses_to_narrow():
    with pytest.raises(ValueError, match="only widen"):
        widen(_trained_like(False), 8)
