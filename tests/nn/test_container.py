"""Containers against torch: the same code with m=torch and m=ember."""
from __future__ import annotations

from collections import OrderedDict

import pytest
import torch

import ember

BOTH = pytest.mark.parametrize("m", [torch, ember], ids=["torch", "ember"])


class Scale:
    """A callable factory of tiny layers that multiply by a constant."""

    @staticmethod
    def make(m, k):
        class Mul(m.nn.Module):
            def __init__(self):
                super().__init__()
                self.k = k

            def forward(self, x):
                return x * self.k

            def extra_repr(self):
                return f"k={self.k}"
        return Mul()


def seq_state(s):
    return [(name, repr(mod)) for name, mod in s.named_children()]


@BOTH
def test_sequential(m):
    a, b, c, d = (Scale.make(m, k) for k in (2, 3, 5, 7))
    s = m.nn.Sequential(a, b, c)
    assert s(m.ones(1)).tolist() == [30.0]
    assert len(s) == 3 and list(s) == [a, b, c] and s[-1] is c and s[1] is b
    sub = s[1:]
    assert type(sub) is m.nn.Sequential and list(sub._modules) == ["1", "2"]
    with pytest.raises(IndexError):
        s[3]
    s.append(d)
    s.insert(1, Scale.make(m, 11))
    s.insert(-1, Scale.make(m, 13))
    assert [mod.k for mod in s] == [2, 11, 3, 5, 13, 7]
    assert s.pop(1).k == 11 and list(s._modules) == ["0", "1", "2", "3", "4"]
    del s[::2]
    assert [mod.k for mod in s] == [3, 13] and list(s._modules) == ["0", "1"]
    s[-1] = a
    assert s[1] is a
    s.extend([b, c])
    t = s + m.nn.Sequential(d)
    assert [mod.k for mod in t] == [3, 2, 3, 5, 7] and list(t._modules) == ["0", "1", "2", "3", "4"]
    s += m.nn.Sequential(d)
    assert len(s) == 5
    assert [mod.k for mod in (m.nn.Sequential(a, b) * 2)] == [2, 3, 2, 3]
    with pytest.raises(ValueError):
        s + [a]
    with pytest.raises(IndexError):
        s.insert(9, a)
    named = m.nn.Sequential(OrderedDict([("first", a), ("second", b)]))
    assert list(named._modules) == ["first", "second"] and named[1] is b
    assert named.second is b


def test_sequential_repr_and_slice_match_torch():
    def run(m):
        s = m.nn.Sequential(*(Scale.make(m, k) for k in range(5)))
        s.add_module("tail", m.nn.Sequential(Scale.make(m, 9), m.nn.Sequential()))
        return repr(s), repr(s[1:4]), repr(s[::-2]), seq_state(s[::2])
    assert run(ember) == run(torch)


@BOTH
def test_module_list(m):
    mods = [Scale.make(m, k) for k in range(4)]
    ml = m.nn.ModuleList(mods[:2])
    ml.append(mods[2]).extend([mods[3]])
    assert len(ml) == 4 and ml[-1] is mods[3] and list(ml) == mods
    assert type(ml[1:3]) is m.nn.ModuleList and list(ml[1:3]) == mods[1:3]
    ml.insert(0, Scale.make(m, 10))
    assert [x.k for x in ml] == [10, 0, 1, 2, 3]
    del ml[0]
    assert list(ml._modules) == ["0", "1", "2", "3"]
    assert ml.pop(-1) is mods[3]
    ml[0] = mods[3]
    assert ml[0] is mods[3]
    both = ml + m.nn.ModuleList([mods[0]])
    assert len(both) == 4 and type(both) is m.nn.ModuleList
    ml += [mods[1]]
    assert len(ml) == 4
    with pytest.raises(IndexError):
        ml[10]
    with pytest.raises(TypeError):
        ml.extend(3)
    assert not any(k.isdigit() for k in dir(ml))


def test_module_list_repr_matches_torch():
    def run(m):
        same = [Scale.make(m, 1) for _ in range(3)]
        return repr(m.nn.ModuleList(same + [Scale.make(m, 2)] + same[:2])), repr(m.nn.ModuleList())
    assert run(ember) == run(torch)


@BOTH
def test_module_dict(m):
    a, b, c = (Scale.make(m, k) for k in (1, 2, 3))
    md = m.nn.ModuleDict({"b": b, "a": a})
    assert list(md.keys()) == ["b", "a"] and list(md) == ["b", "a"] and md["a"] is a
    md["c"] = c
    md.update([("d", a)])
    assert list(md.items()) == [("b", b), ("a", a), ("c", c), ("d", a)]
    assert "c" in md and md.pop("c") is c and len(md) == 3
    del md["d"]
    assert list(md.values()) == [b, a]
    with pytest.raises(ValueError):
        md.update([("x", a, b)])
    with pytest.raises(TypeError):
        md.update(3)
    md.clear()
    assert len(md) == 0


def test_module_dict_repr_matches_torch():
    def run(m):
        return repr(m.nn.ModuleDict(OrderedDict([("z", Scale.make(m, 1)), ("a", m.nn.ModuleDict())])))
    assert run(ember) == run(torch)


@BOTH
def test_parameter_list(m):
    pl = m.nn.ParameterList([m.nn.Parameter(m.ones(2)), m.zeros(3)])
    assert isinstance(pl[1], m.nn.Parameter) and pl[1].requires_grad
    pl.append(m.ones(1, 2))
    pl.extend([m.ones(4)])
    assert len(pl) == 4 and [tuple(p.shape) for p in pl] == [(2,), (3,), (1, 2), (4,)]
    assert [n for n, _ in pl.named_parameters()] == ["0", "1", "2", "3"]
    assert len(pl[1:3]) == 2 and pl[-1] is pl[3]
    pl[0] = m.full((5,), 2.0)
    assert pl[0].shape == (5,)
    with pytest.raises(RuntimeError):
        pl()
    with pytest.raises(TypeError):
        pl.extend(m.ones(2))


@BOTH
def test_parameter_dict(m):
    pd = m.nn.ParameterDict({"b": m.ones(2), "a": m.nn.Parameter(m.zeros(3))})
    assert list(pd) == ["a", "b"]  # a plain dict goes in sorted order, as torch
    pd["c"] = m.ones(1)
    assert isinstance(pd["c"], m.nn.Parameter)
    assert [n for n, _ in pd.named_parameters()] == ["a", "b", "c"]
    assert pd.get("zz") is None and "c" in pd and len(pd) == 3
    assert pd.pop("b").shape == (2,) and list(pd.keys()) == ["a", "c"]
    k, v = pd.popitem()
    assert k == "c" and list(pd) == ["a"]
    merged = pd | m.nn.ParameterDict(OrderedDict([("z", m.ones(1)), ("y", m.ones(1))]))
    assert list(merged) == ["a", "z", "y"]
    assert pd.setdefault("q", m.ones(2)) is pd["q"]
    pd.clear()
    assert len(pd) == 0
    with pytest.raises(TypeError):
        pd[1] = m.ones(1)


def test_parameter_container_reprs_match_torch():
    def run(m):
        pl = m.nn.ParameterList([m.nn.Parameter(m.ones(2, 3)), m.ones(3), "text"])
        pd = m.nn.ParameterDict(OrderedDict([("w", m.ones(2, 3)), ("n", 4)]))
        return repr(pl).replace("torch.float32", "DT"), repr(pd)
    assert [r.replace("ember.float32", "DT") for r in run(ember)] == list(run(torch))


def test_nested_containers_state_dict_matches_torch():
    def run(m):
        root = m.nn.Module()
        root.blocks = m.nn.ModuleList([m.nn.Sequential(Scale.make(m, 1)), m.nn.ModuleDict({"x": Scale.make(m, 2)})])
        root.params = m.nn.ParameterList([m.ones(1), m.ones(2)])
        root.named = m.nn.ParameterDict(OrderedDict([("w", m.ones(3))]))
        return list(root.state_dict()), [n for n, _ in root.named_modules()]
    assert run(ember) == run(torch)
