"""Identity, Linear, Bilinear, LazyLinear against torch: outputs, gradients, init, repr, errors."""
import math

import numpy as np
import pytest
import torch

import ember
from tests.nn.oracle import check_module
from tests.oracle.core import raised_messages

RNG = np.random.default_rng(0)


def arr(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("shape", [(5, 3), (2, 4, 3), (3,), (0, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(shape, bias):
    check_module(lambda m: m.nn.Linear(3, 4, bias=bias), [arr(*shape)])


def test_linear_float64_and_noncontiguous_input():
    check_module(lambda m: m.nn.Linear(3, 2).double(), [arr(4, 3, dtype=np.float64)], atol=1e-10)
    e, t = check_module(lambda m: m.nn.Linear(4, 2), [arr(3, 4)],
                        call=lambda mod, x: mod(x.t().contiguous().t()))
    assert e.weight.grad is not None


def test_linear_skips_input_grad_when_not_needed():
    lin = ember.nn.Linear(3, 2)
    x = ember.randn(4, 3)
    lin(x).sum().backward()
    assert x.grad is None and lin.weight.grad is not None and lin.bias.grad is not None
    np.testing.assert_allclose(lin.bias.grad.numpy(), [4, 4])


def test_linear_double_backward():
    x = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    tl = torch.nn.Linear(3, 2).double()
    el = ember.nn.Linear(3, 2).double()
    el.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tl.state_dict().items()})
    ex = ember.tensor(x.detach().numpy(), requires_grad=True)
    (tg,) = torch.autograd.grad((tl(x) ** 2).sum(), x, create_graph=True)
    (eg,) = ember.autograd.grad((el(ex) ** 2).sum(), ex, create_graph=True)
    tg.sum().backward()
    eg.sum().backward()
    np.testing.assert_allclose(ex.grad.numpy(), x.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(el.weight.grad.numpy(), tl.weight.grad.numpy(), rtol=1e-10)


@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_matches_torch(bias):
    check_module(lambda m: m.nn.Bilinear(3, 2, 4, bias=bias), [arr(5, 3), arr(5, 2)])
    check_module(lambda m: m.nn.Bilinear(3, 2, 4, bias=bias), [arr(2, 5, 3), arr(2, 5, 2)])
    check_module(lambda m: m.nn.Bilinear(3, 2, 4, bias=bias), [arr(3), arr(2)])


def test_identity():
    x = ember.randn(2, 3)
    assert ember.nn.Identity(54, unused="x")(x) is x
    assert repr(ember.nn.Identity(3)) == repr(torch.nn.Identity(3)) == "Identity()"


def test_lazy_linear_infers_in_features():
    ember.manual_seed(0)
    lazy = ember.nn.LazyLinear(4)
    assert repr(lazy) == repr(torch.nn.LazyLinear(4))
    assert isinstance(lazy.weight, ember.nn.UninitializedParameter)
    y = lazy(ember.randn(2, 7))
    assert type(lazy) is ember.nn.Linear and lazy.in_features == 7
    assert tuple(lazy.weight.shape) == (4, 7) and tuple(lazy.bias.shape) == (4,) and tuple(y.shape) == (2, 4)
    assert type(lazy.weight) is ember.nn.Parameter
    bound = 1 / math.sqrt(7)
    assert float(lazy.weight.abs().max()) <= bound
    y.sum().backward()
    assert lazy.weight.grad is not None
    assert repr(lazy) == "Linear(in_features=7, out_features=4, bias=True)"


def test_lazy_linear_no_bias_and_state_dict_load():
    lazy = ember.nn.LazyLinear(3, bias=False)
    lazy(ember.randn(5, 2))
    assert lazy.bias is None and tuple(lazy.weight.shape) == (3, 2)
    src = torch.nn.Linear(6, 3)
    fresh = ember.nn.LazyLinear(3)
    fresh.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in src.state_dict().items()})
    x = RNG.standard_normal((2, 6)).astype(np.float32)
    np.testing.assert_allclose(fresh(ember.tensor(x)).detach().numpy(), src(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    assert type(fresh) is ember.nn.Linear and fresh.in_features == 6


def _uniform_ok(t, bound):
    a = t.detach().numpy().ravel()
    assert a.min() >= -bound and a.max() <= bound
    # a uniform(-b, b) sample: mean ~ 0, variance b^2 / 3
    assert abs(a.mean()) < 4 * bound / math.sqrt(3 * a.size)
    assert abs(a.var() / (bound * bound / 3) - 1) < 0.1


def test_default_init_matches_torch_formula():
    ember.manual_seed(0)
    lin = ember.nn.Linear(200, 300)
    _uniform_ok(lin.weight, 1 / math.sqrt(200))
    _uniform_ok(lin.bias, 1 / math.sqrt(200))
    bil = ember.nn.Bilinear(100, 20, 30)
    _uniform_ok(bil.weight, 1 / math.sqrt(100))
    _uniform_ok(bil.bias, 1 / math.sqrt(100))
    assert [n for n, _ in bil.named_parameters()] == [n for n, _ in torch.nn.Bilinear(1, 2, 3).named_parameters()]
    assert float(ember.nn.Linear(0, 3).bias.abs().max()) == 0  # fan_in 0: bound 0, as torch


def test_reprs():
    for args in [(3, 4), (3, 4, False)]:
        assert repr(ember.nn.Linear(*args)) == repr(torch.nn.Linear(*args))
    assert repr(ember.nn.Bilinear(2, 3, 4, bias=False)) == repr(torch.nn.Bilinear(2, 3, 4, bias=False))


_raises_like = raised_messages


def test_errors():
    t, e = _raises_like(lambda m: m.nn.Linear(3, 4)(m.ones(2, 5)))
    assert t.split("\n")[0] in e and "Linear(in_features=3, out_features=4, bias=True)" in e
    t, e = _raises_like(lambda m: m.nn.Linear(3, 4)(m.ones(2, 3, dtype=m.long)))
    assert "same dtype" in e
    _raises_like(lambda m: m.nn.Bilinear(3, 2, 4)(m.ones(5, 3), m.ones(4, 2)))
    _raises_like(lambda m: m.nn.Bilinear(3, 2, 4)(m.ones(5, 2), m.ones(5, 2)))
    _raises_like(lambda m: m.nn.Bilinear(0, 2, 4))
    t, e = _raises_like(lambda m: m.nn.functional.bilinear(m.ones(2, 3), m.ones(2, 4),
                                                          m.ones(5, 3, 4, dtype=m.float64)))
    assert t == e
