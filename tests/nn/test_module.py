"""nn.Module against torch.nn.Module: the same code runs with m=torch and m=ember and must agree."""
from __future__ import annotations

import copy
import pickle
import warnings

import numpy as np
import pytest
import torch

import ember
from ember.nn.modules import module as emodule

BOTH = pytest.mark.parametrize("m", [torch, ember], ids=["torch", "ember"])


def _classes(m):
    """A small nested model from parameters and buffers only (no library layers), defined for m."""
    nn = m.nn

    class Lin(nn.Module):
        def __init__(self, i, o):
            super().__init__()
            self.weight = nn.Parameter(m.arange(float(i * o)).reshape(o, i) / 10)
            self.bias = nn.Parameter(m.zeros(o))
            self.register_buffer("count", m.zeros((), dtype=m.int64))
            self.register_buffer("scratch", m.ones(o), persistent=False)

        def forward(self, x):
            return x @ self.weight.t() + self.bias

        def extra_repr(self):
            return f"in={self.weight.shape[1]}, out={self.weight.shape[0]}"

    class Act(nn.Module):
        def forward(self, x):
            return x.tanh()

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(Lin(3, 4), Act(), Lin(4, 2))
            self.head = Lin(2, 2)
            self.shared = self.head  # registered twice: counted once
            self.scale = nn.Parameter(m.ones(()))
            self.none_param = None
            self.register_parameter("absent", None)

        def forward(self, x):
            return self.head(self.body(x)) * self.scale

    for cls in (Lin, Act, Net):  # module-level names, so that pickle finds them
        cls.__qualname__ = f"{cls.__name__}_{m.__name__}"
        globals()[cls.__qualname__] = cls
    return Net


_NET = {torch: _classes(torch), ember: _classes(ember)}


def build(m):
    return _NET[m]()


def names(pairs):
    return [n for n, _ in pairs]


@BOTH
def test_traversal_matches_torch(m):
    net = build(m)
    t = build(torch)
    assert names(net.named_parameters()) == names(t.named_parameters())
    assert names(net.named_parameters(remove_duplicate=False)) == names(t.named_parameters(remove_duplicate=False))
    assert names(net.named_buffers()) == names(t.named_buffers())
    assert names(net.named_children()) == names(t.named_children())
    assert names(net.named_modules()) == names(t.named_modules())
    assert names(net.named_modules(remove_duplicate=False)) == names(t.named_modules(remove_duplicate=False))
    assert names(net.named_parameters(prefix="p", recurse=False)) == ["p.scale"]
    assert len(list(net.parameters())) == 7
    assert net.get_submodule("body.0") is net.body[0]
    assert net.get_parameter("body.2.bias") is net.body[2].bias
    assert net.get_buffer("head.count") is net.head.count
    for bad, call in (("body.9", net.get_submodule), ("scale.x", net.get_submodule), ("body.0.count", net.get_parameter),
                      ("body.0.weight", net.get_buffer)):
        with pytest.raises(AttributeError):
            call(bad)


def test_repr_and_dir_match_torch():
    assert repr(build(ember)) == repr(build(torch))
    e, t = build(ember), build(torch)
    assert [k for k in dir(e) if k in ("body", "head", "scale", "shared")] == ["body", "head", "scale", "shared"]
    own = {"body", "head", "scale", "shared", "none_param", "absent", "training", "forward", "state_dict"}
    assert own <= set(dir(e)) and own <= set(dir(t))
    assert not any(k[0].isdigit() for k in dir(e.body)) and dir(e) == sorted(dir(e))


def test_state_dict_matches_torch():
    e, t = build(ember), build(torch)
    es, ts = e.state_dict(), t.state_dict()
    assert type(es) is type(ts) and list(es) == list(ts)
    assert es._metadata == ts._metadata
    for k in ts:
        np.testing.assert_array_equal(es[k].numpy(), ts[k].numpy())
        assert es[k].requires_grad == ts[k].requires_grad
    assert e.state_dict(keep_vars=True)["scale"] is e.scale
    assert list(e.state_dict(prefix="net.")) == list(t.state_dict(prefix="net."))


@BOTH
def test_load_state_dict(m):
    net = build(m)
    src = {k: v + 1 if v.is_floating_point() else v for k, v in build(m).state_dict().items()}
    weight = net.body[0].weight
    assert net.load_state_dict(src) == ((), ()) or tuple(net.load_state_dict(src)) == ([], [])
    assert net.body[0].weight is weight and float(weight[0, 1]) == pytest.approx(1.1)
    partial = dict(src)
    del partial["scale"]
    partial["extra"] = m.ones(1)
    res = net.load_state_dict(partial, strict=False)
    assert res.missing_keys == ["scale"] and res.unexpected_keys == ["extra"]
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "scale"'):
        net.load_state_dict(partial)
    bad = dict(src)
    bad["head.bias"] = m.zeros(5)
    with pytest.raises(RuntimeError, match="size mismatch for head.bias: copying a param with shape"):
        net.load_state_dict(bad)
    with pytest.raises(TypeError):
        net.load_state_dict([1, 2])
    new = {k: m.zeros_like(v) for k, v in src.items()}
    net.load_state_dict(new, assign=True)
    assert net.scale is new["scale"] or net.scale.requires_grad  # torch wraps assigned tensors as Parameters
    assert isinstance(net.scale, m.nn.Parameter) and net.scale.requires_grad


def test_load_error_text_matches_torch_and_prefix_hint():
    def message(m, sd):
        with pytest.raises(RuntimeError) as info:
            build(m).load_state_dict(sd)
        return str(info.value)
    t_sd = {k: v for k, v in build(torch).state_dict().items() if k != "scale"}
    e_sd = {k: ember.tensor(v.numpy()) for k, v in t_sd.items()}
    t_sd["body.0.bias"] = torch.zeros(7)
    e_sd["body.0.bias"] = ember.zeros(7)
    assert message(ember, e_sd) == message(torch, t_sd).replace("torch.Size", "ember.Size")
    wrapped = {"module." + k: v for k, v in build(ember).state_dict().items()}
    msg = message(ember, wrapped)
    assert "prefix 'module.'" in msg and "Missing key(s)" in msg


def test_load_from_state_dict_is_the_hook_point():
    class Versioned(ember.nn.Module):
        _version = 2

        def __init__(self):
            super().__init__()
            self.w = ember.nn.Parameter(ember.zeros(2))

        def _load_from_state_dict(self, state_dict, prefix, local_metadata, *args):
            if local_metadata.get("version", 1) < 2 and prefix + "old_w" in state_dict:
                state_dict[prefix + "w"] = state_dict.pop(prefix + "old_w")
            super()._load_from_state_dict(state_dict, prefix, local_metadata, *args)
    outer = ember.nn.Sequential(Versioned())
    sd = outer.state_dict()
    assert sd._metadata["0"] == {"version": 2}
    old = {"0.old_w": ember.ones(2)}
    outer.load_state_dict(old)
    assert outer[0].w.tolist() == [1.0, 1.0]


@BOTH
def test_setattr_registration(m):
    nn = m.nn
    mod = nn.Module()
    mod.p = nn.Parameter(m.ones(2))
    mod.b = nn.Buffer(m.zeros(2), persistent=False)
    mod.c = nn.Module()
    assert list(mod._parameters) == ["p"] and list(mod._buffers) == ["b"] and list(mod._modules) == ["c"]
    assert "b" not in mod.state_dict()
    mod.b = m.ones(2)  # stays a non-persistent buffer
    assert "b" in mod._buffers and "b" not in mod.state_dict()
    mod.p = None
    assert mod._parameters["p"] is None and "p" not in mod.state_dict()
    with pytest.raises(TypeError):
        mod.p = nn.Module()  # a parameter slot takes only Parameters or None
    mod.q = nn.Module()
    mod.q = nn.Parameter(m.ones(1))  # re-registers under another kind
    assert "q" in mod._parameters and "q" not in mod._modules
    del mod.c
    assert "c" not in mod._modules
    errors = [(lambda: setattr(mod, "b", 3), TypeError), (lambda: mod.register_buffer("x.y", None), KeyError),
              (lambda: mod.register_parameter("q", m.ones(2)), TypeError), (lambda: mod.add_module("", None), KeyError),
              (lambda: mod.register_parameter("r", nn.Parameter(m.ones(2)) * 2), TypeError),
              (lambda: setattr(mod, "p", m.ones(1)), TypeError), (lambda: mod.missing, AttributeError),
              (lambda: mod.register_buffer("p", None), KeyError), (lambda: nn.Module(1), TypeError),
              (lambda: mod(), NotImplementedError)]
    for fn, exc in errors:
        with pytest.raises(exc):
            fn()
    non_leaf = nn.Parameter(m.ones(2)) * 2
    non_leaf.__class__ = nn.Parameter
    with pytest.raises(ValueError, match="non-leaf"):
        mod.register_parameter("r", non_leaf)


@BOTH
def test_train_eval_apply_requires_grad_zero_grad(m):
    net = build(m)
    assert net.eval() is net and not net.body[1].training
    net.train()
    assert all(mod.training for mod in net.modules())
    with pytest.raises(ValueError):
        net.train("yes")
    seen = []
    net.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen == ["Lin", "Act", "Lin", "Sequential", "Lin", "Net"]
    net(m.ones(1, 3)).sum().backward()
    g = net.scale.grad
    net.zero_grad(set_to_none=False)
    assert net.scale.grad is g and float(g) == 0.0
    net.zero_grad()
    assert net.scale.grad is None
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


@BOTH
def test_conversions_keep_parameter_identity(m):
    net = build(m)
    net(m.ones(1, 3)).sum().backward()
    params = list(net.parameters())
    grad = net.scale.grad
    assert net.double() is net
    assert [p is q for p, q in zip(params, net.parameters())] == [True] * len(params)
    assert net.scale.dtype == m.float64 and net.scale.grad.dtype == m.float64 and net.scale.grad is grad
    assert net.head.count.dtype == m.int64  # integers keep their dtype
    net.half()
    assert net.scale.dtype == m.float16
    net.to(m.float32).bfloat16().float()
    assert net.body[0].weight.dtype == m.float32
    net.to("cpu").cpu()
    net.type(m.float64)
    assert net.head.count.dtype == m.float64  # type() casts everything, as torch
    with pytest.raises(TypeError):
        net.to(m.int32)


@BOTH
def test_forward_hooks(m):
    net = build(m)
    calls = []
    lin = net.body[0]
    h1 = lin.register_forward_pre_hook(lambda mod, args: calls.append("pre") or (args[0] * 0,))
    h2 = lin.register_forward_pre_hook(lambda mod, args, kw: calls.append("pre_kw") or None, with_kwargs=True,
                                       prepend=True)
    h3 = lin.register_forward_hook(lambda mod, args, out: calls.append("post") or out + 1)
    h4 = lin.register_forward_hook(lambda mod, args, kw, out: calls.append("post_kw"), with_kwargs=True)
    out = lin(m.ones(2, 3))
    assert calls == ["pre_kw", "pre", "post", "post_kw"]
    assert out.tolist() == [[1.0] * 4] * 2
    for h in (h1, h2, h3, h4):
        h.remove()
    calls.clear()
    lin(m.ones(1, 3))
    assert calls == []

    class Boom(m.nn.Module):
        def forward(self, x):
            raise ValueError("boom")
    boom = Boom()
    boom.register_forward_hook(lambda mod, args, out: calls.append(("always", out)), always_call=True)
    boom.register_forward_hook(lambda mod, args, out: calls.append("never"))
    with pytest.raises(ValueError):
        boom(m.ones(1))
    assert calls == [("always", None)]


def test_global_hooks():
    calls = []
    handles = [emodule.register_module_forward_pre_hook(lambda mod, args: calls.append(("pre", type(mod).__name__))),
               emodule.register_module_forward_hook(lambda mod, args, out: calls.append(("post", type(mod).__name__)))]
    t_handles = [torch.nn.modules.module.register_module_forward_pre_hook(
        lambda mod, args: calls.append(("pre", type(mod).__name__))),
        torch.nn.modules.module.register_module_forward_hook(
            lambda mod, args, out: calls.append(("post", type(mod).__name__)))]
    try:
        for m in (ember, torch):
            calls.clear()
            build(m).body(m.ones(1, 3))
            if m is ember:
                got = list(calls)
        assert got == calls
    finally:
        for h in handles + t_handles:
            h.remove()
    calls.clear()
    build(ember)(ember.ones(1, 3))
    assert calls == []


def _backward_hook_run(m):
    nn = m.nn
    log = []

    class Two(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(m.arange(1.0, 4.0))

        def forward(self, x, k, y):
            return x * self.w, y * k, k

    mod = Two()
    mod.register_full_backward_pre_hook(lambda mod, go: log.append(("pre", _vals(go))))
    mod.register_full_backward_hook(lambda mod, gi, go: log.append(("bw", _vals(gi), _vals(go))))
    mod.register_full_backward_hook(lambda mod, gi, go: (gi[0] * 10,) + gi[1:])
    x = m.ones(3, requires_grad=True)
    y = m.full((3,), 2.0)
    a, b, k = mod(x, 3, y)
    (a * 2).sum().backward()
    log.append(("x.grad", x.grad.tolist()))
    y.requires_grad_()
    x.grad = None
    a, b, k = mod(x, 3, y)
    (a.sum() + b.sum()).backward()
    log.append(("grads", x.grad.tolist(), y.grad.tolist()))
    return log


def _vals(ts):
    return [None if t is None else (t.tolist() if hasattr(t, "tolist") else t) for t in ts]


def test_full_backward_hooks_match_torch():
    assert _backward_hook_run(ember) == _backward_hook_run(torch)


def test_backward_hook_no_input_requires_grad_warns():
    for m in (ember, torch):
        lin = build(m).head
        log = []
        lin.register_full_backward_hook(lambda mod, gi, go: log.append(gi))
        with pytest.warns(UserWarning, match="Full backward hook is firing"):
            lin(m.ones(1, 2)).sum().backward()
        assert log == [(None,)]


def test_error_names_module_path():
    net = build(ember)
    with pytest.raises(RuntimeError) as info:
        net(ember.ones(2, 5))
    msg = str(info.value)
    assert "in module body.0 (Lin(in=3, out=4))" in msg
    assert msg.count("in module") == 1
    seq = ember.nn.Sequential(ember.nn.Sequential(build(ember).body[1], build(ember).body[0]))
    with pytest.raises(RuntimeError, match=r"in module 0\.1 \(Lin\(in=3, out=4\)\)"):
        seq(ember.ones(2, 5))


@BOTH
def test_deepcopy_and_pickle(m):
    net = build(m)
    net(m.ones(1, 3)).sum().backward()
    for clone in (copy.deepcopy(net), pickle.loads(pickle.dumps(net))):
        assert names(clone.named_parameters()) == names(net.named_parameters())
        assert clone.shared is clone.head and clone.head is not net.head
        assert clone.scale is not net.scale and isinstance(clone.scale, m.nn.Parameter)
        assert clone.scale.requires_grad
        assert clone(m.ones(1, 3)).tolist() == net(m.ones(1, 3)).tolist()
    assert copy.deepcopy(net).scale.grad is None  # torch's Parameter.__deepcopy__ drops it


def test_extra_state():
    class WithExtra(ember.nn.Module):
        def __init__(self):
            super().__init__()
            self.value = 1

        def get_extra_state(self):
            return {"value": self.value}

        def set_extra_state(self, state):
            self.value = state["value"]
    mod = ember.nn.Sequential(WithExtra())
    sd = mod.state_dict()
    assert list(sd) == ["0._extra_state"]
    sd["0._extra_state"] = {"value": 5}
    mod.load_state_dict(sd)
    assert mod[0].value == 5
    with pytest.raises(RuntimeError, match="Missing key"):
        mod.load_state_dict({})


def test_state_dict_and_load_hooks():
    for m in (ember, torch):
        mod = build(m).head
        log = []
        mod.register_state_dict_pre_hook(lambda module, prefix, keep: log.append(("pre", prefix)))
        mod.register_state_dict_post_hook(lambda module, sd, prefix, meta: log.append(("post", list(sd))))
        mod.register_load_state_dict_pre_hook(lambda module, sd, prefix, *rest: log.append(("lpre", prefix)))
        mod.register_load_state_dict_post_hook(lambda module, keys: log.append(("lpost", list(keys.missing_keys))))
        mod.load_state_dict(mod.state_dict())
        if m is ember:
            got = log
    assert got == log


@BOTH
def test_uninitialized_parameter_and_lazy_mixin(m):
    from ember.nn.modules.lazy import LazyModuleMixin as EMixin
    Mixin = EMixin if m is ember else torch.nn.modules.lazy.LazyModuleMixin
    nn = m.nn

    class Plain(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(m.ones(1))

        def forward(self, x):
            return x * self.weight

    class LazyScale(Mixin, Plain):
        cls_to_become = Plain

        def __init__(self):
            super().__init__()
            self.weight = nn.UninitializedParameter()

        def initialize_parameters(self, x):
            if self.has_uninitialized_params():
                with m.no_grad():
                    self.weight.materialize(x.shape[1:])
                    self.weight.fill_(2.0)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lazy = LazyScale()
        assert repr(lazy.weight) == "<UninitializedParameter>"
        assert m.nn.parameter.is_lazy(lazy.weight)
        assert isinstance(lazy.state_dict()["weight"], nn.UninitializedParameter)
        weight = lazy.weight
        out = lazy(m.ones(2, 3))
        assert type(lazy) is Plain and lazy.weight is weight and type(weight) is nn.Parameter
        assert out.tolist() == [[2.0] * 3] * 2
        loaded = LazyScale()
        loaded.load_state_dict({"weight": m.ones(4)})
        assert loaded.weight.shape == (4,)
