"""Convolution layers against torch: outputs and gradients over the options, default init, repr, errors."""
import math

import numpy as np
import pytest
import torch

import ember
from tests.nn.oracle import check_module

rng = np.random.default_rng(0)


def arr(*shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


CONV = [
    ("Conv1d(3, 4, 3)", (2, 3, 9)),
    ("Conv1d(4, 6, 3, stride=2, padding=2, dilation=2, groups=2)", (2, 4, 11)),
    ("Conv1d(3, 4, 4, padding='same', padding_mode='reflect')", (2, 3, 9)),
    ("Conv1d(2, 3, 3, padding='valid', bias=False)", (3, 2, 8)),
    ("Conv2d(3, 4, 3, padding=1)", (2, 3, 6, 7)),
    ("Conv2d(3, 4, 3, padding=1)", (3, 6, 7)),  # unbatched
    ("Conv2d(4, 4, 3, padding=1, groups=4)", (2, 4, 5, 6)),  # depthwise
    ("Conv2d(4, 8, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2)", (2, 4, 7, 8)),
    ("Conv2d(3, 5, 4, padding='same', dilation=(1, 2))", (2, 3, 6, 9)),
    ("Conv2d(3, 4, 3, padding=2, padding_mode='reflect')", (2, 3, 5, 6)),
    ("Conv2d(3, 4, 3, padding=(1, 2), padding_mode='replicate')", (2, 3, 5, 6)),
    ("Conv2d(3, 4, 3, padding=1, padding_mode='circular', stride=2)", (2, 3, 5, 6)),
    ("Conv2d(3, 4, 3, padding='same', padding_mode='circular')", (2, 3, 5, 6)),
    ("Conv2d(2, 3, 3)", (0, 2, 5, 5)),  # empty batch
    ("Conv3d(2, 4, (2, 3, 2), stride=(1, 2, 1), padding=1)", (2, 2, 4, 5, 4)),
    ("Conv3d(2, 2, 3, padding='same', groups=2, padding_mode='replicate')", (2, 4, 4, 3)),
    ("ConvTranspose1d(3, 4, 3, stride=2, padding=1, output_padding=1)", (2, 3, 5)),
    ("ConvTranspose1d(4, 6, 2, stride=1, dilation=3, groups=2, output_padding=2)", (2, 4, 5)),
    ("ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1)", (2, 3, 4, 5)),
    ("ConvTranspose2d(4, 6, (3, 2), stride=(2, 3), padding=(1, 0), output_padding=(0, 2), groups=2, dilation=(2, 1))",
     (2, 4, 3, 4)),
    ("ConvTranspose2d(3, 2, 3, bias=False)", (3, 4, 4)),  # unbatched
    ("ConvTranspose3d(2, 3, 2, stride=2, padding=(0, 1, 0))", (1, 2, 3, 3, 2)),
]


@pytest.mark.parametrize("spec,shape", CONV, ids=[f"{s}-{sh}" for s, sh in CONV])
def test_conv_layer(spec, shape):
    emod, tmod = check_module(lambda m: eval(f"m.nn.{spec}"), [arr(*shape)])
    assert repr(emod) == repr(tmod)


def test_conv_float64_and_half():
    check_module(lambda m: m.nn.Conv2d(3, 4, 3, padding=1), [arr(2, 3, 5, 5, dtype=np.float64)], dtype="float64",
                 atol=1e-10, rtol=1e-10)
    check_module(lambda m: m.nn.Conv2d(3, 4, 3, padding=1), [arr(2, 3, 5, 5).astype(np.float16)], dtype="float16",
                 atol=1e-2, rtol=1e-2)


@pytest.mark.parametrize("size", [None, (9, 11), (2, 4, 10, 12)])
def test_conv_transpose_output_size(size):
    check_module(lambda m: m.nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1), [arr(2, 4, 5, 6)],
                 call=lambda mod, x: mod(x, output_size=size))


def test_conv_transpose_output_size_out_of_range():
    for m in (torch, ember):
        with pytest.raises(ValueError, match="requested an output size"):
            m.nn.ConvTranspose2d(4, 2, 3, stride=2)(m.ones(1, 4, 5, 5), output_size=(20, 20))


@pytest.mark.parametrize("cls,args", [("Conv2d", (6, 8, (3, 5), 1, 0, 1, 2)), ("ConvTranspose1d", (4, 6, 3)),
                                      ("Conv3d", (2, 3, 2))])
def test_default_init_bounds(cls, args):
    ember.manual_seed(0)
    mod = getattr(ember.nn, cls)(*args)
    w, b = mod.weight.detach().numpy(), mod.bias.detach().numpy()
    fan_in = w.shape[1] * math.prod(w.shape[2:])
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform_(a=sqrt(5)): gain sqrt(2/6), bound sqrt(3)*gain/sqrt(fan_in)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.25 * bound
    assert np.abs(b).max() <= bound
    t = getattr(torch.nn, cls)(*args)
    assert [n for n, _ in mod.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [tuple(p.shape) for p in mod.parameters()] == [tuple(p.shape) for p in t.parameters()]


@pytest.mark.parametrize("make,shape", [
    (lambda m: m.nn.Conv2d(3, 6, 5), (2, 3)),
    (lambda m: m.nn.Conv2d(3, 6, 5), (1, 4, 28, 28)),
    (lambda m: m.nn.Conv1d(4, 6, 3, groups=2), (1, 3, 8)),
    (lambda m: m.nn.ConvTranspose2d(3, 6, 5), (1, 4, 8, 8)),
    (lambda m: m.nn.Conv2d(3, 6, 5), (1, 3, 4, 4)),
])
def test_layer_errors_name_the_layer(make, shape):
    with pytest.raises(RuntimeError) as t_err:
        make(torch)(torch.ones(shape))
    emod = ember.nn.Sequential(make(ember))
    with pytest.raises(RuntimeError) as e_err:
        emod(ember.ones(shape))
    msg = str(e_err.value)
    assert str(t_err.value).split("\n")[0].split(" (in ")[0][:40] in msg
    assert "Conv" in msg and "0" in msg  # the module path and layer


def test_exact_torch_messages():
    with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input to conv2d, but got "
                                           r"input of size: \[2, 3\]"):
        ember.nn.Conv2d(3, 6, 5)(ember.ones(2, 3))
    with pytest.raises(RuntimeError, match=r"Given groups=1, weight of size \[6, 3, 5, 5\], expected "
                                           r"input\[1, 4, 28, 28\] to have 3 channels, but got 4 channels instead"):
        ember.nn.Conv2d(3, 6, 5)(ember.ones(1, 4, 28, 28))


@pytest.mark.parametrize("kwargs,err", [
    (dict(in_channels=3, out_channels=4, kernel_size=3, groups=2), ValueError),
    (dict(in_channels=4, out_channels=3, kernel_size=3, groups=2), ValueError),
    (dict(in_channels=3, out_channels=4, kernel_size=3, padding="foo"), ValueError),
    (dict(in_channels=3, out_channels=4, kernel_size=3, padding="same", stride=2), ValueError),
    (dict(in_channels=3, out_channels=4, kernel_size=3, padding_mode="mirror"), ValueError),
])
def test_constructor_errors(kwargs, err):
    with pytest.raises(err):
        torch.nn.Conv2d(**kwargs)
    with pytest.raises(err):
        ember.nn.Conv2d(**kwargs)
    with pytest.raises(ValueError):
        ember.nn.ConvTranspose2d(3, 4, 3, padding_mode="reflect")


def test_integer_input_to_float_layer():
    with pytest.raises(RuntimeError):
        torch.nn.Conv2d(3, 4, 3)(torch.ones(1, 3, 5, 5, dtype=torch.int64))
    with pytest.raises(RuntimeError):
        ember.nn.Conv2d(3, 4, 3)(ember.ones(1, 3, 5, 5, dtype=ember.int64))


def test_double_backward_through_conv():
    x = ember.tensor(arr(1, 2, 5, 5, dtype=np.float64), requires_grad=True)
    conv = ember.nn.Conv2d(2, 3, 3, stride=2, padding=1).double()
    (g,) = ember.autograd.grad(conv(x).pow(2).sum(), x, create_graph=True)
    g.sum().backward()
    tx = torch.tensor(x.detach().numpy(), requires_grad=True)
    tconv = torch.nn.Conv2d(2, 3, 3, stride=2, padding=1).double()
    tconv.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in conv.state_dict().items()})
    (tg,) = torch.autograd.grad(tconv(tx).pow(2).sum(), tx, create_graph=True)
    tg.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(conv.weight.grad.numpy(), tconv.weight.grad.numpy(), atol=1e-10)
