"""BatchNorm, InstanceNorm, LayerNorm, GroupNorm, RMSNorm, LocalResponseNorm and F.normalize against torch."""
import warnings

import numpy as np
import pytest
import torch

import ember
from tests.nn.oracle import check_module, copy_weights, ember_state
from tests.oracle.core import np_dtype, raised_messages, to_ember, to_torch

RNG = np.random.default_rng(0)


def arr(*shape, dtype=np.float32):
    return (RNG.standard_normal(shape) * 2 + 0.5).astype(dtype)


def assert_buffers_equal(emod, tmod, rtol=1e-5):
    e_bufs = dict(emod.named_buffers())
    for name, tb in tmod.named_buffers():
        eb = e_bufs[name]
        assert str(eb.dtype).split(".")[-1] == str(tb.dtype).split(".")[-1], name
        np.testing.assert_allclose(eb.numpy(), tb.numpy(), rtol=rtol, atol=1e-6, err_msg=name)
    assert list(e_bufs) == [n for n, _ in tmod.named_buffers()]


BN = [("BatchNorm1d", (6, 3)), ("BatchNorm1d", (4, 3, 5)), ("BatchNorm2d", (2, 3, 4, 5)),
      ("BatchNorm3d", (2, 3, 2, 3, 2))]
OPTIONS = [dict(), dict(momentum=None), dict(affine=False), dict(track_running_stats=False), dict(bias=False),
           dict(momentum=0.5, eps=1e-3)]


@pytest.mark.parametrize("layer,shape", BN)
@pytest.mark.parametrize("opts", OPTIONS, ids=str)
def test_batch_norm_training_then_eval(layer, shape, opts):
    make = lambda m: getattr(m.nn, layer)(3, **opts)  # noqa: E731
    emod, tmod = check_module(make, [arr(*shape)], train=True)
    # more batches: running statistics (momentum or cumulative average) and num_batches_tracked follow torch
    for _ in range(3):
        x = arr(*shape)
        emod(ember.tensor(x))
        tmod(torch.tensor(x))
    assert_buffers_equal(emod, tmod)
    x = arr(*shape)
    emod.eval()
    tmod.eval()
    np.testing.assert_allclose(emod(ember.tensor(x)).detach().numpy(), tmod(torch.tensor(x)).detach().numpy(),
                               rtol=1e-4, atol=1e-5)
    assert_buffers_equal(emod, tmod)


@pytest.mark.parametrize("opts", OPTIONS, ids=str)
def test_batch_norm_eval_gradients(opts):
    def make(m):
        mod = m.nn.BatchNorm2d(3, **opts)
        if mod.running_mean is not None:
            with m.no_grad():
                mod.running_mean.copy_(m.tensor([0.5, -1.0, 2.0]))
                mod.running_var.copy_(m.tensor([0.5, 2.0, 1.5]))
        return mod
    check_module(make, [arr(2, 3, 4, 4)], train=False)


def test_batch_norm_num_batches_tracked_and_state_dict():
    bn = ember.nn.BatchNorm1d(4)
    assert bn.num_batches_tracked.dtype is ember.int64 and int(bn.num_batches_tracked) == 0
    bn(ember.randn(8, 4))
    bn(ember.randn(8, 4))
    assert int(bn.num_batches_tracked) == 2
    assert list(bn.state_dict()) == list(torch.nn.BatchNorm1d(4).state_dict())
    bn.eval()
    bn(ember.randn(8, 4))
    assert int(bn.num_batches_tracked) == 2
    # a checkpoint from before num_batches_tracked (no version metadata) still loads strictly
    old = {k: v for k, v in bn.state_dict().items() if k != "num_batches_tracked"}
    fresh = ember.nn.BatchNorm1d(4)
    assert fresh.load_state_dict(old) == ((), ()) or not any(fresh.load_state_dict(old))
    np.testing.assert_array_equal(fresh.running_mean.numpy(), bn.running_mean.numpy())
    # a version-2 state_dict without the key reports it missing, as torch
    meta = dict(old)
    sd = bn.state_dict()
    missing = type(sd)(meta)
    missing._metadata = getattr(sd, "_metadata", {"": {"version": 2}})
    with pytest.raises(RuntimeError, match="num_batches_tracked"):
        ember.nn.BatchNorm1d(4).load_state_dict(missing)


def test_batch_norm_running_var_is_unbiased():
    x = arr(5, 2)
    bn = ember.nn.BatchNorm1d(2, momentum=1.0)
    bn(ember.tensor(x))
    np.testing.assert_allclose(bn.running_var.numpy(), x.var(0, ddof=1), rtol=1e-5)
    np.testing.assert_allclose(bn.running_mean.numpy(), x.mean(0), rtol=1e-5, atol=1e-6)


def test_batch_norm_half_and_double():
    check_module(lambda m: m.nn.BatchNorm1d(3).double(), [arr(5, 3, dtype=np.float64)], atol=1e-10)
    x = arr(4, 3, 2)
    e, t = ember.nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3)
    ye, yt = e(ember.tensor(x).half()), t(torch.tensor(x).half())
    assert ye.dtype is ember.float16
    np.testing.assert_allclose(ye.float().detach().numpy(), yt.float().detach().numpy(), atol=2e-3)


_raises_like = raised_messages


def test_batch_norm_errors():
    t, e = _raises_like(lambda m: m.nn.BatchNorm1d(4)(m.ones(5, 3)))
    assert t == "running_mean should contain 3 elements not 4" and t in e and "BatchNorm1d(4" in e
    t, e = _raises_like(lambda m: m.nn.BatchNorm2d(4)(m.ones(5, 4, 3)))
    assert t == e == "expected 4D input (got 3D input)" or (t in e)
    _raises_like(lambda m: m.nn.BatchNorm1d(4)(m.ones(5, 4, 3, 2)))
    _raises_like(lambda m: m.nn.BatchNorm3d(4)(m.ones(5, 4, 3, 2)))
    t, e = _raises_like(lambda m: m.nn.BatchNorm1d(4)(m.ones(1, 4)))
    assert t.replace("torch.Size", "ember.Size") in e
    _raises_like(lambda m: m.nn.BatchNorm1d(4)(m.ones(5, 4, dtype=m.long)))


NORM_SHAPES = [((4, 5), 5), ((2, 3, 4), (4,)), ((2, 3, 4), (3, 4)), ((2, 3, 4), [2, 3, 4])]


@pytest.mark.parametrize("shape,norm", NORM_SHAPES)
@pytest.mark.parametrize("opts", [dict(), dict(elementwise_affine=False), dict(bias=False), dict(eps=0.1)], ids=str)
def test_layer_norm(shape, norm, opts):
    def make(m):
        mod = m.nn.LayerNorm(norm, **opts)
        if mod.weight is not None:  # not the ones/zeros init, so the affine gradients are exercised
            with m.no_grad():
                mod.weight.uniform_(0.5, 1.5)
                if mod.bias is not None:
                    mod.bias.uniform_(-1, 1)
        return mod
    check_module(make, [arr(*shape)])


def test_layer_norm_low_precision_and_top_level():
    x = arr(3, 8)
    for dt in ("float16", "bfloat16", "float64"):
        check_module(lambda m: m.nn.LayerNorm(8), [x.astype(np_dtype(dt))], dtype=dt,
                     atol=3e-2 if dt != "float64" else 1e-10, rtol=2e-2)
    e = ember.layer_norm(ember.tensor(x), [8], None, None, 1e-5, True)
    t = torch.layer_norm(torch.tensor(x), [8], None, None, 1e-5, True)
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-5, atol=1e-6)


def test_layer_norm_errors():
    t, e = _raises_like(lambda m: m.nn.LayerNorm(4)(m.ones(2, 3)))
    assert t in e and "LayerNorm((4,)" in e
    _raises_like(lambda m: m.nn.LayerNorm(4)(m.ones(2, 4, dtype=m.long)))


@pytest.mark.parametrize("groups,channels,shape", [(2, 4, (3, 4, 5)), (1, 4, (2, 4, 3, 3)), (4, 4, (2, 4, 6)),
                                                   (3, 6, (2, 6))])
@pytest.mark.parametrize("opts", [dict(), dict(affine=False), dict(bias=False)], ids=str)
def test_group_norm(groups, channels, shape, opts):
    def make(m):
        mod = m.nn.GroupNorm(groups, channels, **opts)
        if mod.weight is not None:
            with m.no_grad():
                mod.weight.uniform_(0.5, 1.5)
        return mod
    check_module(make, [arr(*shape)])


def test_group_norm_errors():
    _raises_like(lambda m: m.nn.GroupNorm(3, 4))
    t, e = _raises_like(lambda m: m.nn.GroupNorm(2, 4)(m.ones(2, 6, 3)))
    _raises_like(lambda m: m.nn.GroupNorm(2, 4)(m.ones(4)))
    _raises_like(lambda m: m.nn.functional.group_norm(m.ones(2, 6, 4), 4))
    _raises_like(lambda m: m.nn.functional.group_norm(m.ones(1, 3, 1), 3))


IN = [("InstanceNorm1d", (2, 3, 5)), ("InstanceNorm1d", (3, 5)), ("InstanceNorm2d", (2, 3, 4, 4)),
      ("InstanceNorm2d", (3, 4, 4)), ("InstanceNorm3d", (2, 3, 2, 2, 3))]


@pytest.mark.parametrize("layer,shape", IN)
@pytest.mark.parametrize("opts", [dict(), dict(affine=True), dict(track_running_stats=True),
                                  dict(affine=True, track_running_stats=True, momentum=0.3)], ids=str)
def test_instance_norm(layer, shape, opts):
    def make(m):
        mod = getattr(m.nn, layer)(3, **opts)
        if mod.weight is not None:
            with m.no_grad():
                mod.weight.uniform_(0.5, 1.5)
        return mod
    emod, tmod = check_module(make, [arr(*shape)])
    assert_buffers_equal(emod, tmod)
    x = arr(*shape)
    emod.eval()
    tmod.eval()
    check = lambda: np.testing.assert_allclose(emod(ember.tensor(x)).detach().numpy(),  # noqa: E731
                                               tmod(torch.tensor(x)).detach().numpy(), rtol=1e-4, atol=1e-5)
    check()
    assert repr(emod) == repr(tmod)


def test_instance_norm_errors_and_warning():
    _raises_like(lambda m: m.nn.InstanceNorm1d(3)(m.ones(2, 3, 4, 5)))
    _raises_like(lambda m: m.nn.InstanceNorm1d(3, affine=True)(m.ones(2, 4, 5)))
    _raises_like(lambda m: m.nn.InstanceNorm1d(3)(m.ones(2, 3, 1)))
    with pytest.warns(UserWarning, match="does not match num_features"):
        ember.nn.InstanceNorm1d(3)(ember.randn(2, 4, 5))
    # an old checkpoint with running stats for a layer that does not track them
    sd = {"running_mean": ember.zeros(3), "running_var": ember.ones(3)}
    with pytest.raises(RuntimeError, match="Unexpected running stats"):
        ember.nn.InstanceNorm1d(3).load_state_dict(sd)


@pytest.mark.parametrize("norm,opts", [(4, dict()), ((3, 4), dict(eps=1e-3)), (4, dict(elementwise_affine=False))])
def test_rms_norm(norm, opts):
    def make(m):
        mod = m.nn.RMSNorm(norm, **opts)
        if mod.weight is not None:
            with m.no_grad():
                mod.weight.uniform_(0.5, 1.5)
        return mod
    check_module(make, [arr(2, 3, 4)])
    assert repr(make(ember)) == repr(make(torch))


def test_rms_norm_low_precision_and_eps_none():
    x = arr(2, 8) * 1e-4
    for dt in ("float16", "bfloat16"):
        e = ember.nn.functional.rms_norm(ember.tensor(x).to(getattr(ember, dt)), [8])
        t = torch.nn.functional.rms_norm(torch.tensor(x).to(getattr(torch, dt)), [8])
        assert str(e.dtype).split(".")[-1] == dt
        np.testing.assert_allclose(e.float().numpy(), t.float().numpy(), rtol=2e-2, atol=2e-2)
    _raises_like(lambda m: m.nn.RMSNorm(3)(m.ones(2, 4)))
    _raises_like(lambda m: m.rms_norm(m.ones(2, 4, dtype=m.long), [4]))


@pytest.mark.parametrize("size,shape", [(2, (2, 5, 3)), (3, (2, 6, 3, 3)), (4, (1, 5, 2, 2, 2)), (1, (2, 3, 4))])
def test_local_response_norm(size, shape):
    check_module(lambda m: m.nn.LocalResponseNorm(size, alpha=0.1, beta=0.6, k=2.0), [arr(*shape)])
    assert repr(ember.nn.LocalResponseNorm(size)) == repr(torch.nn.LocalResponseNorm(size))
    _raises_like(lambda m: m.nn.LocalResponseNorm(2)(m.ones(2, 3)))


@pytest.mark.parametrize("p,dim", [(2.0, 1), (1.0, -1), (3.0, 0), (float("inf"), 1)])
def test_normalize(p, dim):
    x = arr(3, 4)
    x[1] = 0  # a zero row: the norm clamps at eps
    e = to_ember(x, True)
    t = to_torch(x, True)
    ye, yt = ember.nn.functional.normalize(e, p, dim), torch.nn.functional.normalize(t, p, dim)
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    g = arr(3, 4)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-4, atol=1e-5)
    out = ember.empty(3, 4)
    ember.nn.functional.normalize(ember.tensor(x), p, dim, out=out)
    np.testing.assert_allclose(out.numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_norm_layers_init_and_names():
    for make in (lambda m: m.nn.BatchNorm2d(5), lambda m: m.nn.LayerNorm((2, 3)), lambda m: m.nn.GroupNorm(1, 4),
                 lambda m: m.nn.RMSNorm(4), lambda m: m.nn.InstanceNorm2d(3, affine=True, track_running_stats=True)):
        e, t = make(ember), make(torch)
        assert list(e.state_dict()) == list(t.state_dict())
        for k, v in t.state_dict().items():
            np.testing.assert_array_equal(e.state_dict()[k].numpy(), v.numpy())
        assert repr(e) == repr(t)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        copy_weights(ember.nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3))
        assert set(ember_state(torch.nn.BatchNorm1d(3))) == set(ember.nn.BatchNorm1d(3).state_dict())
