"""Views share memory and the version counter with their base; in-place writes through views flow into autograd."""
import numpy as np
import pytest
import torch

import ember


def _pair(shape=(3, 4), requires_grad=False):
    arr = np.arange(np.prod(shape), dtype=np.float32).reshape(shape) / 7
    return ember.tensor(arr, requires_grad=requires_grad), torch.tensor(arr, requires_grad=requires_grad)


VIEWS = {
    "view": lambda x: x.view(2, 6),
    "reshape": lambda x: x.reshape(6, 2),
    "transpose": lambda x: x.transpose(0, 1),
    "permute": lambda x: x.permute(1, 0),
    "t": lambda x: x.t(),
    "T": lambda x: x.T,
    "unsqueeze": lambda x: x.unsqueeze(1),
    "squeeze": lambda x: x.unsqueeze(0).squeeze(0),
    "narrow": lambda x: x.narrow(1, 1, 2),
    "select": lambda x: x.select(0, 1),
    "diagonal": lambda x: x.diagonal(),
    "getitem_basic": lambda x: x[1:, ::2],
    "getitem_none": lambda x: x[None, 1, ...],
    "unbind": lambda x: x.unbind(1)[2],
    "split": lambda x: x.split(2, 1)[1],
    "chunk": lambda x: x.chunk(3)[1],
    "flatten": lambda x: x.flatten(),
    "movedim": lambda x: x.movedim(0, 1),
    "unfold": lambda x: x.unfold(1, 2, 2),
    "tensor_split": lambda x: x.tensor_split(2, 1)[1],
    "view_dtype": lambda x: x.view(ember.int32 if isinstance(x, ember.Tensor) else torch.int32),
}


@pytest.mark.parametrize("name", VIEWS)
def test_view_shares_memory_and_version(name):
    f = VIEWS[name]
    x, tx = _pair()
    y, ty = f(x), f(tx)
    if name != "view_dtype":  # torch shares the version counter of view(dtype) but reports no _base; ember keeps one
        assert y._base is x and ty._base is tx
    v0 = x._version
    y.zero_() if name != "view_dtype" else y.fill_(0)
    ty.zero_() if name != "view_dtype" else ty.fill_(0)
    np.testing.assert_array_equal(x.numpy(), tx.numpy())
    assert x._version == y._version == v0 + 1
    x.add_(1)
    tx.add_(1)
    assert y._version == x._version
    np.testing.assert_array_equal(y.numpy(), ty.numpy())


@pytest.mark.parametrize("name", ["gather_copy", "advanced", "flip", "repeat", "clone"])
def test_copies_do_not_share(name):
    f = {"gather_copy": lambda x: x.index_select(0, x.new_zeros(1).long()), "advanced": lambda x: x[[0, 2]],
         "flip": lambda x: x.flip(0), "repeat": lambda x: x.repeat(1, 1), "clone": lambda x: x.clone()}[name]
    x, _ = _pair()
    before = x.numpy().copy()
    y = f(x)
    assert y._base is None
    y.fill_(5)
    np.testing.assert_array_equal(x.numpy(), before)
    assert x._version == 0


def test_view_of_view_keeps_root_base():
    x, _ = _pair()
    y = x[1:].t()[0]
    assert y._base is x
    y.fill_(-1)
    assert (x.numpy()[1:, 0] == -1).all()


def test_setitem_bumps_version_and_base_sees_it():
    x, tx = _pair()
    v = x.view(-1)
    x[0, 1] = 9.0
    tx[0, 1] = 9.0
    assert v._version == x._version == 1
    assert v[1].item() == 9.0


def _both(fn, *shapes):
    """fn run in ember and torch on equal inputs that require grad: (ember grads, torch grads)."""
    rng = np.random.default_rng(0)
    arrs = [rng.standard_normal(s) for s in shapes]
    es = [ember.tensor(a, requires_grad=True) for a in arrs]
    ts = [torch.tensor(a, requires_grad=True) for a in arrs]
    eo, to = fn(ember, *es), fn(torch, *ts)
    cot = rng.standard_normal(tuple(to.shape))
    eo.backward(ember.tensor(cot))
    to.backward(torch.tensor(cot))
    np.testing.assert_allclose(eo.detach().numpy(), to.detach().numpy(), rtol=1e-12)
    for e, t in zip(es, ts):
        np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-12)
    return eo, to


def test_augmented_assignment_through_view_gradient():
    def f(m, x):
        y = x * 1
        y[:, 0] += 2
        return y * x
    eo, to = _both(f, (3, 4))
    assert type(eo.grad_fn).__name__ == type(to.grad_fn).__name__ == "MulBackward0"


def test_inplace_on_view_rebases_base_history():
    def f(m, x, w):
        y = x * 1
        row = y[1]
        row.mul_(w)
        return y.exp()
    _both(f, (3, 4), (4,))


def test_inplace_on_view_then_use_view():
    def f(m, x, w):
        y = x.clone()
        d = y.diagonal()
        d.add_(w)
        return d * 3 + y.sum()
    _both(f, (3, 3), (3,))


def test_setitem_advanced_and_mask_gradients():
    def f(m, x, v):
        y = x * 2
        y[m.tensor([2, 0])] = v
        y[y > 1] = 0.0
        return y
    _both(f, (3, 4), (4,))


def test_inplace_on_leaf_view_raises():
    x = ember.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError):
        x[0].fill_(1)
    with pytest.raises(RuntimeError):
        x.view(3).add_(1)


def test_saved_view_modified_raises():
    x = ember.ones(3, 4, requires_grad=True)
    y = x * 1
    v = y[0]
    z = v.exp()
    y.add_(1)  # z saved its output, not v: still fine
    w = (v * v).sum()
    v.mul_(2)  # v was saved by the mul above
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        w.backward()
    z.sum().backward()


PIECES = {
    "split": lambda x: x.split(2, 1),
    "split_sizes": lambda x: x.split([1, 3], 1),
    "chunk": lambda x: x.chunk(2, 0),
    "unbind": lambda x: x.unbind(1),
}


@pytest.mark.parametrize("name", sorted(PIECES))
def test_pieces_share_one_node_and_refuse_inplace(name):
    # split/chunk/unbind: one backward node for all pieces (torch's SplitBackward0 & co.), gradients for the pieces
    # used (zeros elsewhere), double backward, and torch's error for an in-place op on a piece
    results = []
    for x in _pair((4, 4), requires_grad=True):
        m = ember if isinstance(x, ember.Tensor) else torch
        pieces = PIECES[name](x * 1)
        names = {type(p.grad_fn).__name__ for p in pieces}
        loss = (pieces[0] ** 2).sum() + (pieces[-1] * 3).sum()
        g, = m.autograd.grad(loss, x, create_graph=True)
        g.pow(2).sum().backward()
        with pytest.raises(RuntimeError) as err:
            PIECES[name](x * 1)[-1].mul_(2)
        with m.no_grad():
            PIECES[name](x * 1)[-1].mul_(2)  # allowed without grad mode
        results.append((names, g.detach().numpy(), x.grad.numpy(), str(err.value)))
    (en, eg, exg, emsg), (tn, tg, txg, tmsg) = results
    assert en == tn and len(en) == 1 and emsg == tmsg
    np.testing.assert_allclose(eg, tg, rtol=1e-6)
    np.testing.assert_allclose(exg, txg, rtol=1e-6)
