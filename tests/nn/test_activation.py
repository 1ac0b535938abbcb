"""Activation layers and their functional forms against torch: outputs and gradients over each layer's options,
in-place variants, PReLU's parameter and init, repr, the softmax family's implicit dim, randomness, errors."""
import warnings

import numpy as np
import pytest
import torch

import ember
from tests.nn.oracle import check_module
from tests.oracle.core import raises_like_torch

RNG = np.random.default_rng(0)


def arr(*shape, scale=3.0):
    return (RNG.uniform(-1, 1, shape) * scale).astype(np.float32)


X = arr(3, 4, 6)
LAYERS = [  # (id, constructor for m) run on X
    ("relu", lambda m: m.nn.ReLU()), ("relu6", lambda m: m.nn.ReLU6()),
    ("leaky", lambda m: m.nn.LeakyReLU()), ("leaky_0.2", lambda m: m.nn.LeakyReLU(0.2)),
    ("prelu", lambda m: m.nn.PReLU()), ("prelu_channels", lambda m: m.nn.PReLU(4, init=0.1)),
    ("elu", lambda m: m.nn.ELU()), ("elu_alpha", lambda m: m.nn.ELU(alpha=0.5)), ("selu", lambda m: m.nn.SELU()),
    ("celu", lambda m: m.nn.CELU()), ("celu_alpha", lambda m: m.nn.CELU(2.0)),
    ("gelu", lambda m: m.nn.GELU()), ("gelu_tanh", lambda m: m.nn.GELU(approximate="tanh")),
    ("silu", lambda m: m.nn.SiLU()), ("mish", lambda m: m.nn.Mish()),
    ("softplus", lambda m: m.nn.Softplus()), ("softplus_beta", lambda m: m.nn.Softplus(beta=2.0, threshold=3.0)),
    ("softsign", lambda m: m.nn.Softsign()), ("hardtanh", lambda m: m.nn.Hardtanh()),
    ("hardtanh_range", lambda m: m.nn.Hardtanh(-2.0, 0.5)), ("hardsigmoid", lambda m: m.nn.Hardsigmoid()),
    ("hardswish", lambda m: m.nn.Hardswish()), ("sigmoid", lambda m: m.nn.Sigmoid()),
    ("logsigmoid", lambda m: m.nn.LogSigmoid()), ("tanh", lambda m: m.nn.Tanh()),
    ("tanhshrink", lambda m: m.nn.Tanhshrink()), ("softshrink", lambda m: m.nn.Softshrink()),
    ("softshrink_1", lambda m: m.nn.Softshrink(1.0)), ("hardshrink", lambda m: m.nn.Hardshrink()),
    ("hardshrink_1", lambda m: m.nn.Hardshrink(lambd=1.0)), ("threshold", lambda m: m.nn.Threshold(0.5, -2.0)),
    ("glu", lambda m: m.nn.GLU()), ("glu_dim1", lambda m: m.nn.GLU(dim=1)),
    ("softmax", lambda m: m.nn.Softmax(dim=1)), ("softmax_last", lambda m: m.nn.Softmax(-1)),
    ("log_softmax", lambda m: m.nn.LogSoftmax(dim=0)), ("softmin", lambda m: m.nn.Softmin(dim=2)),
    ("softmax2d", lambda m: m.nn.Softmax2d()), ("rrelu_eval", lambda m: m.nn.RReLU(0.1, 0.3)),
]
INPLACE = [
    ("relu", lambda m: m.nn.ReLU(inplace=True)), ("relu6", lambda m: m.nn.ReLU6(True)),
    ("leaky", lambda m: m.nn.LeakyReLU(0.1, inplace=True)), ("elu", lambda m: m.nn.ELU(inplace=True)),
    ("selu", lambda m: m.nn.SELU(inplace=True)), ("celu", lambda m: m.nn.CELU(0.5, inplace=True)),
    ("silu", lambda m: m.nn.SiLU(inplace=True)), ("mish", lambda m: m.nn.Mish(inplace=True)),
    ("hardtanh", lambda m: m.nn.Hardtanh(inplace=True)), ("hardsigmoid", lambda m: m.nn.Hardsigmoid(inplace=True)),
    ("hardswish", lambda m: m.nn.Hardswish(inplace=True)), ("threshold", lambda m: m.nn.Threshold(0.1, 2.0, True)),
    ("rrelu_eval", lambda m: m.nn.RReLU(inplace=True)),
]


@pytest.mark.parametrize("make", [m for _, m in LAYERS], ids=[n for n, _ in LAYERS])
def test_layer_matches_torch(make):
    check_module(make, [X], train=False)
    check_module(make, [arr(3, 4, 2, 2).astype(np.float64)], train=False, dtype="float64")


@pytest.mark.parametrize("make", [m for _, m in INPLACE], ids=[n for n, _ in INPLACE])
def test_inplace_layer(make):
    """An in-place layer on a non-leaf writes into it, returns it, and gives torch's gradients."""
    check_module(make, [X], train=False, call=lambda mod, x: mod(x * 1))
    layer = make(ember).eval()
    y = ember.tensor(X) * 1
    assert layer(y) is y
    torch_out = make(torch).eval()(torch.tensor(X))
    np.testing.assert_allclose(y.numpy(), torch_out.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["relu_", "elu_", "leaky_relu_", "hardtanh_", "rrelu_", "threshold_", "celu_",
                                  "selu_"])
def test_functional_inplace(name):
    args = (0.1, 0.0) if name == "threshold_" else ()
    t = torch.tensor(X)
    e = ember.tensor(X)
    r = getattr(ember.nn.functional, name)(e, *args)
    getattr(torch.nn.functional, name)(t, *args)
    assert r is e
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-5, atol=1e-6)


def test_inplace_on_leaf_raises():
    x = ember.tensor(X, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        ember.nn.functional.elu(x, inplace=True)


@pytest.mark.parametrize("make", [m for _, m in LAYERS + INPLACE], ids=[n for n, _ in LAYERS + INPLACE])
def test_repr(make):
    assert repr(make(ember)) == repr(make(torch))


def test_prelu_parameter_and_init():
    e, t = ember.nn.PReLU(3, init=0.3), torch.nn.PReLU(3, init=0.3)
    assert [n for n, _ in e.named_parameters()] == ["weight"]
    assert tuple(e.weight.shape) == (3,)
    np.testing.assert_allclose(e.weight.detach().numpy(), t.weight.detach().numpy())
    check_module(lambda m: m.nn.PReLU(3), [arr(2, 3, 4)])
    check_module(lambda m: m.nn.PReLU(), [arr(5)])


@pytest.mark.parametrize("cls,dims", [("Softmax", (1, 2, 3, 4)), ("LogSoftmax", (0, 1, 3)), ("Softmin", (2,))])
def test_softmax_implicit_dim(cls, dims):
    """dim=None picks torch's legacy dim (0 for 0-, 1- and 3-d inputs, else 1) and warns as torch does."""
    for nd in dims:
        x = arr(*(2, 3, 4, 5)[:nd])
        with warnings.catch_warnings(record=True) as tw:
            warnings.simplefilter("always")
            t = getattr(torch.nn, cls)()(torch.tensor(x))
        with pytest.warns(UserWarning, match="Implicit dimension choice") as ew:
            e = getattr(ember.nn, cls)()(ember.tensor(x))
        assert str(ew[0].message) == str(tw[0].message)
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_functional_forms(dtype):
    x = arr(4, 6).astype(dtype)
    forms = [lambda F, a: F.relu6(a), lambda F, a: F.tanh(a), lambda F, a: F.sigmoid(a),
             lambda F, a: F.softmax(a, 1, dtype=getattr(F.torch_like, "float64")),
             lambda F, a: F.log_softmax(a, dim=0, dtype=getattr(F.torch_like, "float64")),
             lambda F, a: F.elu(a, 0.3), lambda F, a: F.leaky_relu(a, 0.3), lambda F, a: F.hardtanh(a, -0.5, 2.0),
             lambda F, a: F.threshold(a, 0.2, 9.0), lambda F, a: F.glu(a, 0), lambda F, a: F.softplus(a, 3, 1),
             lambda F, a: F.rrelu(a, 0.2, 0.4), lambda F, a: F.prelu(a, F.torch_like.ones(1, dtype=a.dtype) * 0.2)]
    for k, form in enumerate(forms):
        outs = []
        for m in (ember, torch):
            F = m.nn.functional
            F.torch_like = m
            a = (ember.tensor(x) if m is ember else torch.tensor(x)).requires_grad_()
            y = form(F, a)
            y.backward((y * 0 + 1).detach() if m is torch else ember.ones_like(y))
            outs.append((y.detach().numpy(), a.grad.numpy()))
        for e, t in zip(*outs):
            np.testing.assert_allclose(e, t, rtol=1e-5, atol=1e-6, err_msg=f"form {k}")


def test_low_precision():
    for dtype in ("float16", "bfloat16"):
        x = arr(3, 8)
        for make in (lambda m: m.nn.GELU(), lambda m: m.nn.Softmax(1), lambda m: m.nn.LogSoftmax(1),
                     lambda m: m.nn.SiLU(), lambda m: m.nn.ELU()):
            e = make(ember)(ember.tensor(x).to(getattr(ember, dtype)))
            t = make(torch)(torch.tensor(x).to(getattr(torch, dtype)))
            assert str(e.dtype) == str(t.dtype).replace("torch", "ember")
            np.testing.assert_allclose(e.float().numpy(), t.float().numpy(), rtol=2e-2, atol=2e-2)


def test_rrelu_training_is_random_in_range():
    ember.manual_seed(0)
    x = ember.tensor(-np.abs(arr(1000)) - 0.01, requires_grad=True)
    y = ember.nn.RReLU(0.1, 0.3).train()(x)
    slope = (y / x).detach().numpy()
    assert slope.min() >= 0.1 - 1e-6 and slope.max() <= 0.3 + 1e-6 and slope.std() > 0.03
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), slope, rtol=1e-5)
    pos = ember.tensor(np.abs(X))
    assert ember.equal(ember.nn.functional.rrelu(pos, training=True), pos)


def test_gumbel_softmax():
    ember.manual_seed(0)
    logits = ember.tensor(arr(64, 5), requires_grad=True)
    soft = ember.nn.functional.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(soft.sum(-1).detach().numpy(), 1, rtol=1e-5)
    hard = ember.nn.functional.gumbel_softmax(logits, hard=True, dim=1)
    h = hard.detach().numpy()
    assert set(np.unique(h)) == {0.0, 1.0} and (h.sum(1) == 1).all()
    (hard * ember.arange(5.0)).sum().backward()
    assert logits.grad is not None and float(logits.grad.abs().sum()) > 0
    # samples follow softmax(logits): the argmax frequencies of many draws
    counts = np.bincount(ember.nn.functional.gumbel_softmax(ember.zeros(4000, 3).add(ember.tensor([0.0, 1.0, 2.0])),
                                                            hard=True).argmax(1).numpy(), minlength=3) / 4000
    np.testing.assert_allclose(counts, torch.softmax(torch.tensor([0.0, 1.0, 2.0]), 0).numpy(), atol=0.03)


ERRORS = [  # (id, fn(m)) must raise torch's exception class
    ("softmax2d_2d", lambda m: m.nn.Softmax2d()(m.ones(3, 4))),
    ("glu_odd", lambda m: m.nn.GLU(0)(m.ones(3, 4))),
    ("hardtanh_range", lambda m: m.nn.Hardtanh(1.0, -1.0)),
    ("hardtanh_functional_range", lambda m: m.nn.functional.hardtanh(m.ones(3), 2.0, 1.0)),
    ("gelu_int", lambda m: m.nn.GELU()(m.ones(3, dtype=m.int64))),
    ("softmax_int", lambda m: m.nn.Softmax(0)(m.ones(3, dtype=m.int64))),
    ("prelu_channels", lambda m: m.nn.PReLU(3)(m.ones(2, 4))),
    ("prelu_dtype", lambda m: m.nn.PReLU()(m.ones(2, 4, dtype=m.float64))),
    ("softshrink_negative", lambda m: m.nn.Softshrink(-1.0)(m.ones(3))),
    ("gelu_approximate", lambda m: m.nn.GELU("fast")(m.ones(3))),
    ("threshold_missing_args", lambda m: m.nn.Threshold(0.5)),
]


@pytest.mark.parametrize("fn", [f for _, f in ERRORS], ids=[n for n, _ in ERRORS])
def test_error_parity(fn):
    raises_like_torch(fn, runtime_errors_alike=True)


def test_error_names_the_layer():
    with pytest.raises(RuntimeError, match="Halving dimension must be even") as err:
        ember.nn.Sequential(ember.nn.Linear(3, 5), ember.nn.GLU(dim=1))(ember.ones(2, 3))
    assert "in module 1 (GLU(dim=1))" in str(err.value)
    with pytest.raises(NotImplementedError, match="GELU"):
        ember.nn.GELU()(ember.ones(3, dtype=ember.int64))
