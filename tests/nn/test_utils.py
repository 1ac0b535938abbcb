"""nn.utils (clip_grad, convert_parameters, parametrize, parametrizations) and utils.checkpoint against torch."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ember

BOTH = pytest.mark.parametrize("m", [torch, ember], ids=["torch", "ember"])


def params_with_grads(m, dtype="float32"):
    rng = np.random.default_rng(0)
    out = []
    for shape in ((3, 4), (5,), ()):
        p = m.nn.Parameter(m.tensor(rng.standard_normal(shape).astype(dtype)))
        p.grad = m.tensor(rng.standard_normal(shape).astype(dtype) * 3)
        out.append(p)
    out.append(m.nn.Parameter(m.ones(2)))  # no grad: ignored
    return out


def grads(ps):
    return [None if p.grad is None else p.grad.numpy().copy() for p in ps]


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, float("inf"), "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    e, t = params_with_grads(ember), params_with_grads(torch)
    en = ember.nn.utils.clip_grad_norm_(e, max_norm, norm_type)
    tn = torch.nn.utils.clip_grad_norm_(t, max_norm, norm_type)
    assert isinstance(en, ember.Tensor) and en.dtype == ember.float32 and en.shape == ()
    np.testing.assert_allclose(en.item(), tn.item(), rtol=1e-5)
    for a, b in zip(grads(e), grads(t)):
        if b is None:
            assert a is None
        else:
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@BOTH
def test_clip_grad_norm_edge_cases(m):
    p = m.nn.Parameter(m.ones(2))
    p.grad = m.tensor([float("nan"), 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        m.nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert m.nn.utils.clip_grad_norm_([p], 1.0, foreach=False).isnan()
    q = m.nn.Parameter(m.ones(2))
    q.grad = m.full((2,), 3.0)
    assert m.nn.utils.clip_grad_norm_(q, 1.0).item() == pytest.approx(18 ** 0.5)  # a single tensor
    assert m.nn.utils.clip_grad_norm_([], 1.0).item() == 0.0
    with pytest.warns(UserWarning, match="empty generator"):
        m.nn.utils.clip_grad_norm_((x for x in []), 1.0)
    assert m.nn.utils.get_total_norm([m.ones(2, dtype=m.float64), m.ones(3)]).dtype == m.float64
    r = m.nn.Parameter(m.ones(3))
    r.grad = m.full((3,), 4.0)
    m.nn.utils.clip_grads_with_norm_([r], 2.0, m.tensor(8.0))
    assert r.grad.tolist() == pytest.approx([1.0] * 3)


def test_clip_grad_value_matches_torch():
    e, t = params_with_grads(ember), params_with_grads(torch)
    assert ember.nn.utils.clip_grad_value_(e, 1.5) is None
    torch.nn.utils.clip_grad_value_(t, 1.5)
    for a, b in zip(grads(e), grads(t)):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_array_equal(a, b)


@BOTH
def test_parameters_to_vector_and_back(m):
    ps = params_with_grads(m)
    vec = m.nn.utils.parameters_to_vector(ps)
    assert vec.shape == (12 + 5 + 1 + 2,) and vec.grad_fn is not None
    vec.sum().backward()
    assert ps[0].grad is not None
    new = m.arange(20.0)
    m.nn.utils.vector_to_parameters(new, ps)
    assert ps[0].tolist() == m.arange(12.0).reshape(3, 4).tolist() and ps[2].item() == 17.0
    with m.no_grad():
        new[0] = 100.0  # shares memory with the parameters, as torch
    assert ps[0][0, 0].item() == 100.0
    with pytest.raises(TypeError):
        m.nn.utils.vector_to_parameters([1.0], ps)


# -- parametrize ------------------------------------------------------------------------------------------------
def make_param_module(m):
    class Lin(m.nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = m.nn.Parameter(m.arange(12.0).reshape(4, 3) / 10)
            self.bias = m.nn.Parameter(m.zeros(4))

        def forward(self, x):
            return x @ self.weight.t() + self.bias
    return Lin()


def parametrizations(m):
    class Sym(m.nn.Module):
        def forward(self, x):
            return x.triu() + x.triu(1).transpose(-1, -2)

        def right_inverse(self, a):
            return a.triu()

    class Double(m.nn.Module):
        def forward(self, x):
            return x * 2

        def right_inverse(self, a):
            return a / 2

    class Split(m.nn.Module):  # two originals
        def forward(self, a, b):
            return a + b

        def right_inverse(self, w):
            return w * 0.25, w * 0.75
    return Sym, Double, Split


def parametrize_run(m):
    P = m.nn.utils.parametrize
    Sym, Double, Split = parametrizations(m)
    out = []
    lin = make_param_module(m)
    P.register_parametrization(lin, "weight", Double())
    P.register_parametrization(lin, "weight", Double())
    out += [type(lin).__name__, list(lin.state_dict()), [n for n, _ in lin.named_parameters()], repr(lin)]
    out.append(lin.weight.tolist())
    y = lin(m.ones(2, 3)).sum()
    y.backward()
    out.append(lin.parametrizations.weight.original.grad.tolist())
    lin.weight = m.ones(4, 3)
    out.append(lin.parametrizations.weight.original.tolist())
    out += [P.is_parametrized(lin), P.is_parametrized(lin, "bias"), P.type_before_parametrizations(lin).__name__]
    with P.cached():
        out.append(lin.weight is lin.weight)
    out.append(lin.weight is lin.weight)
    original = lin.parametrizations.weight.original
    P.remove_parametrizations(lin, "weight")
    out += [type(lin).__name__, lin.weight is original, lin.weight.tolist(), list(lin.state_dict())]
    split = make_param_module(m)
    P.register_parametrization(split, "weight", Split())
    out += [list(split.state_dict()), split.weight.tolist()]
    with pytest.raises(ValueError):
        P.remove_parametrizations(split, "weight", leave_parametrized=False)
    P.remove_parametrizations(split, "weight")
    out.append(type(split.weight).__name__)
    sq = m.nn.Module()
    sq.w = m.nn.Parameter(m.arange(9.0).reshape(3, 3))
    P.register_parametrization(sq, "w", Sym())
    out.append(sq.w.tolist())
    P.remove_parametrizations(sq, "w", leave_parametrized=False)
    out.append(sq.w.tolist())
    return out


def test_parametrize_matches_torch():
    assert parametrize_run(ember) == parametrize_run(torch)


@BOTH
def test_parametrize_errors(m):
    P = m.nn.utils.parametrize
    lin = make_param_module(m)

    class Shrink(m.nn.Module):
        def forward(self, x):
            return x[:1]
    with pytest.raises(ValueError, match="may not change the shape"):
        P.register_parametrization(lin, "weight", Shrink())
    P.register_parametrization(make_param_module(m), "weight", Shrink(), unsafe=True)
    with pytest.raises(ValueError, match="does not have a parameter"):
        P.register_parametrization(lin, "nothing", Shrink())
    with pytest.raises(ValueError, match="does not have a parametrization"):
        P.remove_parametrizations(lin, "weight")


@pytest.mark.parametrize("dim", [0, 1, None, -1])
def test_weight_norm_matches_torch(dim):
    torch.manual_seed(0)
    t = torch.nn.utils.parametrizations.weight_norm(_TLin(), dim=dim)
    e = ember.nn.utils.parametrizations.weight_norm(_ELin(), dim=dim)
    ts = t.state_dict()
    assert list(e.state_dict()) == list(ts) == ["bias", "parametrizations.weight.original0",
                                                "parametrizations.weight.original1"]
    e.load_state_dict({k: ember.tensor(v.numpy()) for k, v in ts.items()})
    for k, v in e.state_dict().items():
        np.testing.assert_allclose(v.numpy(), ts[k].numpy(), rtol=1e-6)
    _compare_forward_backward(e, t)


def test_weight_norm_loads_old_keys():
    e = ember.nn.utils.parametrizations.weight_norm(_ELin())
    old = {"weight_g": ember.full((4, 1), 2.0), "weight_v": ember.ones(4, 3), "bias": ember.zeros(4)}
    e.load_state_dict(old)
    np.testing.assert_allclose(e.weight.detach().numpy(), np.full((4, 3), 2 / 3 ** 0.5), rtol=1e-6)


def test_spectral_norm_matches_torch():
    torch.manual_seed(0)
    t = torch.nn.utils.parametrizations.spectral_norm(_TLin())
    e = ember.nn.utils.parametrizations.spectral_norm(_ELin())
    ts = t.state_dict()
    assert list(e.state_dict()) == list(ts)
    e.load_state_dict({k: ember.tensor(v.numpy()) for k, v in ts.items()})
    _compare_forward_backward(e, t)  # training: one power iteration each
    np.testing.assert_allclose(e.parametrizations.weight[0]._u.numpy(), t.parametrizations.weight[0]._u.numpy(),
                               rtol=1e-5, atol=1e-6)
    e.eval(), t.eval()
    _compare_forward_backward(e, t)
    sigma = np.linalg.svd(e.weight.detach().numpy(), compute_uv=False)[0]
    assert sigma == pytest.approx(1.0, rel=0.05)


class _TLin(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(4, 3))
        self.bias = torch.nn.Parameter(torch.randn(4))

    def forward(self, x):
        return x @ self.weight.t() + self.bias


class _ELin(ember.nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = ember.nn.Parameter(ember.randn(4, 3))
        self.bias = ember.nn.Parameter(ember.randn(4))

    def forward(self, x):
        return x @ self.weight.t() + self.bias


def _compare_forward_backward(e, t):
    x = np.random.default_rng(1).standard_normal((2, 3)).astype(np.float32)
    ey, ty = e(ember.tensor(x)), t(torch.tensor(x))
    np.testing.assert_allclose(ey.detach().numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-6)
    ey.square().sum().backward()
    ty.square().sum().backward()
    tp = dict(t.named_parameters())
    for name, p in e.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tp[name].grad.numpy(), rtol=1e-4, atol=1e-5)
        p.grad = None
        tp[name].grad = None


# -- checkpoint -------------------------------------------------------------------------------------------------
def _segment(m, lin, p):
    def fn(x, scale):
        h = m.nn.functional.dropout(lin(x).tanh(), p) * scale
        return h.sin(), h.shape
    return fn


@BOTH
@pytest.mark.parametrize("use_reentrant", [False, True])
def test_checkpoint_gradients_equal_plain(m, use_reentrant):
    m.manual_seed(0)
    lin = _ELin() if m is ember else _TLin()
    x = m.randn(3, 3, requires_grad=True)
    fn = _segment(m, lambda v: lin(v), 0.5)
    m.manual_seed(5)
    y, shape = m.utils.checkpoint.checkpoint(fn, x, 2.0, use_reentrant=use_reentrant)
    assert shape == (3, 4)
    (y * m.arange(12.0).reshape(3, 4)).sum().backward()
    got = [x.grad.clone(), lin.weight.grad.clone(), lin.bias.grad.clone()]
    x.grad = lin.weight.grad = lin.bias.grad = None
    m.manual_seed(5)
    y2, _ = fn(x, 2.0)  # same dropout mask: the checkpoint restored the RNG state for the recomputation
    (y2 * m.arange(12.0).reshape(3, 4)).sum().backward()
    assert (y - y2).abs().max().item() == 0
    for a, b in zip(got, [x.grad, lin.weight.grad, lin.bias.grad]):
        assert (a - b).abs().max().item() < 1e-6


@BOTH
def test_checkpoint_non_reentrant_features(m):
    lin = _ELin() if m is ember else _TLin()
    x = m.randn(2, 3)  # no input requires grad: parameters still get gradients
    out = m.utils.checkpoint.checkpoint(lambda v: lin(v).exp(), x, use_reentrant=False)
    (gw,) = m.autograd.grad(out.sum(), [lin.weight])
    expected = (lin(x).exp().t() @ x)
    assert (gw - expected).abs().max().item() < 1e-5
    with m.no_grad():
        assert m.utils.checkpoint.checkpoint(lambda v: v * 2, x, use_reentrant=False).grad_fn is None
    with pytest.warns(UserWarning, match="use_reentrant"):
        m.utils.checkpoint.checkpoint(lambda v: v * 2, x)
    with pytest.raises(ValueError):
        m.utils.checkpoint.checkpoint(lambda v, k: v * k, x, use_reentrant=True, k=2)


def test_checkpoint_double_backward_and_nonleaf_input():
    x = ember.tensor([0.5, 1.0], requires_grad=True)
    h = x * 3  # non-leaf input from outside the segment
    y = ember.utils.checkpoint.checkpoint(lambda v: v.pow(3).sum(), h, use_reentrant=False)
    (g,) = ember.autograd.grad(y, x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), 81 * np.array([0.25, 1.0]), rtol=1e-6)
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * 81 * np.array([0.5, 1.0]), rtol=1e-6)


def test_checkpoint_sequential_matches_plain():
    for m in (ember, torch):
        seq = m.nn.Sequential(*[_Square(m) for _ in range(5)])
        x = m.tensor([0.9, 1.1], requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y = m.utils.checkpoint.checkpoint_sequential(seq, 2, x, use_reentrant=False)
        y.sum().backward()
        assert (y - x.detach() ** 32).abs().max().item() < 1e-4
        assert (x.grad - 32 * x.detach() ** 31).abs().max().item() < 1e-3


def _Square(m):
    class Square(m.nn.Module):
        def forward(self, v):
            return v * v
    return Square()
