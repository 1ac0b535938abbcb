"""Padding, upsampling, pixel/channel shuffle, fold/unfold, grid_sample and affine_grid against torch."""
import warnings

import numpy as np
import pytest
import torch

import ember
from tests.nn.oracle import check_module
from tests.oracle.core import raises_like_torch

rng = np.random.default_rng(0)


def arr(*shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


LAYERS = [
    ("ZeroPad1d((2, 1))", (2, 3, 5)),
    ("ZeroPad2d((1, -1, 2, 0))", (2, 3, 4, 5)),
    ("ZeroPad3d(1)", (1, 2, 2, 3, 2)),
    ("ConstantPad1d(2, 3.5)", (3, 5)),
    ("ConstantPad2d((1, 2, 0, 1), -1.0)", (2, 3, 4, 5)),
    ("ConstantPad3d((1, 0, 0, 2, 1, 1), 0.5)", (1, 2, 2, 3, 2)),
    ("ReflectionPad1d((3, 1))", (2, 3, 5)),
    ("ReflectionPad2d((1, 2, -1, 3))", (2, 3, 4, 5)),
    ("ReflectionPad3d(1)", (1, 2, 2, 3, 2)),
    ("ReplicationPad1d((3, 1))", (3, 5)),
    ("ReplicationPad2d((2, 0, 1, -2))", (2, 3, 4, 5)),
    ("ReplicationPad3d((1, 0, 2, 1, 0, 1))", (1, 2, 2, 3, 2)),
    ("CircularPad1d((3, -1))", (2, 3, 5)),
    ("CircularPad2d((1, 2, 3, 0))", (2, 3, 4, 5)),
    ("CircularPad3d(1)", (2, 2, 3, 2)),
    ("Upsample(scale_factor=2)", (2, 3, 4, 5)),
    ("Upsample(size=(7, 3))", (2, 3, 4, 5)),
    ("Upsample(scale_factor=(1.7, 0.6), mode='nearest-exact')", (2, 3, 4, 5)),
    ("Upsample(size=9, mode='linear')", (2, 3, 5)),
    ("Upsample(scale_factor=2.5, mode='linear', align_corners=True)", (2, 3, 5)),
    ("Upsample(scale_factor=(2, 1.5), mode='bilinear')", (2, 3, 4, 5)),
    ("Upsample(size=(3, 8), mode='bilinear', align_corners=True)", (2, 3, 4, 5)),
    ("Upsample(scale_factor=1.7, mode='bicubic', recompute_scale_factor=True)", (2, 3, 4, 5)),
    ("Upsample(size=(6, 4), mode='bicubic', align_corners=True)", (2, 3, 4, 5)),
    ("Upsample(scale_factor=(1, 2, 0.5), mode='trilinear')", (1, 2, 3, 4, 4)),
    ("Upsample(size=(4, 2, 5), mode='trilinear', align_corners=True)", (1, 2, 3, 4, 4)),
    ("Upsample(size=(3, 4), mode='area')", (2, 3, 7, 9)),
    ("Upsample(scale_factor=(1, 0.5, 2), mode='nearest')", (1, 2, 3, 4, 4)),
    ("UpsamplingNearest2d(scale_factor=3)", (2, 3, 4, 5)),
    ("UpsamplingBilinear2d(size=(5, 7))", (2, 3, 4, 5)),
    ("PixelShuffle(2)", (2, 8, 3, 4)),
    ("PixelShuffle(3)", (9, 2, 2)),
    ("PixelUnshuffle(2)", (2, 2, 4, 6)),
    ("ChannelShuffle(3)", (2, 6, 3, 4)),
    ("Unfold((2, 3), dilation=(1, 2), padding=1, stride=(2, 1))", (2, 3, 5, 6)),
    ("Unfold(2)", (3, 4, 4)),
    ("Fold((5, 6), (2, 3), dilation=(1, 2), padding=1, stride=(2, 1))", (2, 18, 12)),
    ("Fold(3, 2)", (8, 4)),
]


@pytest.mark.parametrize("spec,shape", LAYERS, ids=[f"{s}-{sh}" for s, sh in LAYERS])
def test_layer(spec, shape):
    emod, tmod = check_module(lambda m: eval(f"m.nn.{spec}"), [arr(*shape)])
    assert repr(emod) == repr(tmod)


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_functional_dtypes(mode):
    x = rng.integers(-9, 9, (2, 3, 5))
    e = ember.nn.functional.pad(ember.tensor(x), (2, 1), mode=mode)
    t = torch.nn.functional.pad(torch.tensor(x), (2, 1), mode=mode)
    assert e.dtype == ember.int64
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    check_module(lambda m: m.nn.Identity(), [arr(2, 3, 4, 5, dtype=np.float64)],
                 call=lambda mod, x: (torch if isinstance(x, torch.Tensor) else ember).nn.functional.pad(
                     x, (1, 2, 2, 1), mode=mode), atol=1e-12)


@pytest.mark.parametrize("call", [
    lambda m, x: m.nn.functional.pad(x, (1, 1), mode="reflect", value=2.0),
    lambda m, x: m.nn.functional.pad(x, (1, 1, 1), mode="constant"),
    lambda m, x: m.nn.functional.pad(x, (1, 1), mode="mirror"),
    lambda m, x: m.nn.functional.pad(x, (5, 1), mode="reflect"),
    lambda m, x: m.nn.functional.pad(x, (6, 1), mode="circular"),
    lambda m, x: m.nn.functional.pad(x, (1, 1), mode="replicate") if x.dim() == 4 else 1 / 0,
    lambda m, x: m.nn.functional.pad(x, (-3, -3)),
    lambda m, x: m.nn.functional.interpolate(x, size=3, scale_factor=2),
    lambda m, x: m.nn.functional.interpolate(x),
    lambda m, x: m.nn.functional.interpolate(x, size=3, mode="foo"),
    lambda m, x: m.nn.functional.interpolate(x, size=3, align_corners=True),
    lambda m, x: m.nn.functional.interpolate(x, size=3, mode="linear"),
    lambda m, x: m.nn.functional.interpolate(x, size=(3, 3, 3)),
    lambda m, x: m.nn.functional.interpolate(x.long(), size=3),
    lambda m, x: m.nn.functional.pixel_shuffle(x, 3),
    lambda m, x: m.nn.functional.pixel_unshuffle(x, 2),
    lambda m, x: m.nn.functional.channel_shuffle(x, 2),
    lambda m, x: m.nn.functional.grid_sample(x, m.zeros(2, 3, 3, 3)),
    lambda m, x: m.nn.functional.grid_sample(x, m.zeros(1, 3, 3, 2)),
    lambda m, x: m.nn.functional.grid_sample(x, m.zeros(2, 3, 3, 2), mode="cubic"),
    lambda m, x: m.nn.functional.affine_grid(m.zeros(2, 3, 3), (2, 1, 4, 4)),
    lambda m, x: m.nn.functional.affine_grid(m.zeros(2, 2, 3), (2, 1, 4)),
])
def test_errors(call):
    x = lambda m: m.ones(2, 3, 5, 5)  # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raises_like_torch(lambda m: call(m, x(m)))


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("shape,grid", [((2, 3, 4, 5), (2, 3, 6, 2)), ((1, 2, 3, 4, 3), (1, 2, 3, 2, 3))])
def test_grid_sample(mode, padding_mode, align_corners, shape, grid):
    g = rng.uniform(-1.6, 1.6, grid).astype(np.float64)
    check_module(lambda m: m.nn.Identity(), [arr(*shape, dtype=np.float64), g], atol=1e-10,
                 call=lambda mod, x, gr: (torch if isinstance(x, torch.Tensor) else ember).nn.functional.grid_sample(
                     x, gr, mode=mode, padding_mode=padding_mode, align_corners=align_corners))


@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 1, 3), (2, 3, 2, 4, 3)])
@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid(size, align_corners):
    nd = len(size) - 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_module(lambda m: m.nn.Identity(), [arr(2, nd, nd + 1, dtype=np.float64)], atol=1e-12,
                     call=lambda mod, t: (torch if isinstance(t, torch.Tensor) else ember).nn.functional.affine_grid(
                         t, size, align_corners=align_corners))


def test_affine_grid_then_grid_sample_warns():
    theta = ember.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    with pytest.warns(UserWarning, match="align_corners"):
        grid = ember.nn.functional.affine_grid(theta, (1, 1, 3, 3))
    x = ember.arange(9.0).reshape(1, 1, 3, 3)
    out = ember.nn.functional.grid_sample(x, grid, align_corners=False)
    np.testing.assert_allclose(out.numpy(), x.numpy(), atol=1e-6)


def test_interpolate_gradgrad():
    x = ember.tensor(arr(1, 1, 3, 3, dtype=np.float64), requires_grad=True)
    assert ember.autograd.gradgradcheck(
        lambda x: ember.nn.functional.interpolate(x, scale_factor=1.5, mode="bicubic"), (x,))
    assert ember.autograd.gradgradcheck(lambda x: ember.nn.functional.pad(x, (1, 2, 2, 1), mode="reflect"), (x,))
