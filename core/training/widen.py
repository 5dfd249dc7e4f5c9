"""Grow a trained detector's width without changing what it computes (Net2WiderNet).

Chen, Goodfellow & Shlens, "Net2Net: Accelerating Learning via Knowledge Transfer", ICLR 2016: every new channel
copies an existing one (weights, batch-norm statistics), and each layer that reads the copied channels splits the
old channel's weights evenly between its copies, so the wider network's output equals the narrow one's. Training
then continues from there instead of from scratch — what a CPU budget can afford for a wider network.

    wide = widen(narrow, 40)     # BlendNet(width=32) → BlendNet(width=40), same logits
"""

from __future__ import annotations

import torch
from torch import nn

from core.engine.detector import BlendNet


def _mapping(old: int, new: int, gen: torch.Generator) -> torch.Tensor:
    """Index of the old channel each new channel copies: the first ``old`` map to themselves, the rest at random."""
    if new < old:
        raise ValueError(f"can only widen: {old} → {new} channels")
    extra = torch.randint(0, old, (new - old,), generator=gen)
    return torch.cat([torch.arange(old), extra])


def _copy_out(conv: nn.Conv2d, bn: nn.BatchNorm2d | None, g: torch.Tensor, noise: float,
              gen: torch.Generator) -> None:
    """Output channels of ``conv`` (and its batch norm) become ``conv``'s channels ``g``; copies get a little noise."""
    w = conv.weight.data[g].clone()
    if noise > 0 and len(g) > conv.out_channels:
        fresh = slice(conv.out_channels, None)  # only the copies: the originals keep their exact weights
        w[fresh] += noise * w.std() * torch.randn(w[fresh].shape, generator=gen)
    conv.weight = nn.Parameter(w)
    conv.out_channels = len(g)
    if bn is not None:
        bn.weight = nn.Parameter(bn.weight.data[g].clone())
        bn.bias = nn.Parameter(bn.bias.data[g].clone())
        bn.running_mean = bn.running_mean[g].clone()
        bn.running_var = bn.running_var[g].clone()
        bn.num_features = len(g)


def _split_in(layer: nn.Conv2d | nn.Linear, g: torch.Tensor) -> None:
    """Input channels of ``layer`` read the copied channels ``g``: each old channel's weights are shared by its copies."""
    counts = torch.bincount(g).to(layer.weight.dtype)
    w = layer.weight.data[:, g] / counts[g].view(1, -1, *([1] * (layer.weight.dim() - 2)))
    layer.weight = nn.Parameter(w.clone())
    if isinstance(layer, nn.Conv2d):
        layer.in_channels = len(g)
    else:
        layer.in_features = len(g)


def widen(model: BlendNet, width: int, *, noise: float = 0.01, seed: int = 0) -> BlendNet:
    """A copy of ``model`` with ``width`` base channels (stages width, 2×, 4×, 8×) and, at ``noise=0``, the same output.

    ``noise`` (a fraction of each layer's weight spread) is added to the copied channels' weights so the copies can
    learn different things: without it, copies of one channel get equal gradients and stay equal forever.
    """
    old = model.fc.in_features // 8
    gen = torch.Generator().manual_seed(seed)
    wide = BlendNet(width, seam_head=model.seam_head is not None)
    net = _clone(model)

    def stage(mult: int) -> torch.Tensor:
        return _mapping(mult * old, mult * width, gen)

    g_in = stage(1)  # stem output = layer1 input and output (identity shortcut)
    stem_conv, stem_bn = net.stem[1][0], net.stem[1][1]
    _copy_out(stem_conv, stem_bn, g_in, noise, gen)
    for block, mult in ((net.layer1, 1), (net.layer2, 2), (net.layer3, 4), (net.last_block, 8)):
        g_mid = stage(mult)  # the block's inner channels: its own copies
        g_out = g_in if isinstance(block.short, nn.Identity) else stage(mult)
        _split_in(block.conv1[0], g_in)
        _copy_out(block.conv1[0], block.conv1[1], g_mid, noise, gen)
        _split_in(block.conv2[0], g_mid)
        _copy_out(block.conv2[0], block.conv2[1], g_out, noise, gen)
        if not isinstance(block.short, nn.Identity):
            _split_in(block.short[0], g_in)
            _copy_out(block.short[0], block.short[1], g_out, noise, gen)
        if block is net.layer3 and net.seam_head is not None:  # the seam head reads layer3's output
            g_seam = stage(1)
            _split_in(net.seam_head[0][0], g_out)
            _copy_out(net.seam_head[0][0], net.seam_head[0][1], g_seam, noise, gen)
            _split_in(net.seam_head[1], g_seam)
        g_in = g_out
    _split_in(net.fc, g_in)
    wide.load_state_dict(net.state_dict())
    return wide


def _clone(model: BlendNet) -> BlendNet:
    twin = BlendNet(model.fc.in_features // 8, seam_head=model.seam_head is not None)
    twin.load_state_dict(model.state_dict())
    return twin
