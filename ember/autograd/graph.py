"""Graph nodes and the backward engine.

A node's ``next_functions`` holds one ``(node, output_nr)`` edge per tensor input (``(None, 0)`` where that input
needs no gradient) and ``_meta`` the input's (shape, numpy dtype): the engine sums each gradient back to its input's
shape and casts it to its dtype here, so derivatives never have to.
"""
from __future__ import annotations

import heapq
import os
import sys
import weakref
from itertools import count

from .grad_mode import STATE

FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they have already "
    "been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). "
    "Specify retain_graph=True if you need to backward through the graph a second time or if you need to access "
    "saved tensors after calling backward.")
_EMBER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_seq = count()


def creation_site(depth: int = 2):
    """(code, instruction offset) of the first frame outside ember: cheap to keep (f_lineno would decode the line
    table on every op), turned into a line only when an error is formatted."""
    f = sys._getframe(depth)
    while f is not None and f.f_code.co_filename.startswith(_EMBER_DIR):
        f = f.f_back
    return None if f is None else (f.f_code, f.f_lasti)


def format_site(site) -> str:
    if site is None:
        return "<unknown>"
    code, lasti = site
    line = next((n for start, end, n in code.co_lines() if start <= lasti < end), None) or code.co_firstlineno
    return f"{code.co_filename}:{line} (in {code.co_name})"


class Node:
    """A step of the backward graph (torch.autograd.graph.Node)."""

    __slots__ = ("next_functions", "_meta", "_seq", "_site", "_pre_hooks", "_hooks", "_released", "__weakref__")
    n_outputs = 1

    def _init(self, edges, meta, depth: int = 2):
        """depth: frames between here and the earliest frame that may be the user's (a hint; ember frames are skipped)."""
        self.next_functions = edges
        self._meta = meta
        self._seq = next(_seq)
        self._site = creation_site(depth)
        self._pre_hooks = self._hooks = None
        self._released = False

    def name(self) -> str:
        return type(self).__name__

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"

    def apply(self, grads: tuple) -> tuple:
        raise NotImplementedError

    def release(self) -> None:
        self._released = True

    def register_hook(self, fn):
        """fn(grad_inputs, grad_outputs) runs after this node computed its input gradients; may return replacements."""
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(fn)
        return _RemovableHandle(self._hooks, fn)

    def register_prehook(self, fn):
        """fn(grad_outputs) runs before this node; may return replacement grad_outputs."""
        return self._add_pre_hook(-1, fn)

    def _add_pre_hook(self, output_nr, fn):
        if self._pre_hooks is None:
            self._pre_hooks = []
        entry = (output_nr, fn)
        self._pre_hooks.append(entry)
        return _RemovableHandle(self._pre_hooks, entry)

    def metadata(self):
        return {}


class _RemovableHandle:
    """What register_*hook returns: .remove() takes the hook out again."""

    __slots__ = ("_list", "_item")

    def __init__(self, lst, item):
        self._list, self._item = lst, item

    def remove(self):
        try:
            self._list.remove(self._item)
        except ValueError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class AccumulateGrad(Node):
    """Sink of a leaf tensor: runs its hooks and adds the incoming gradient into ``.grad``."""

    __slots__ = ("variable",)

    def __init__(self, variable):
        self._init((), ())
        self.variable = variable

    def apply(self, grads):
        var = self.variable
        grad = grads[0]
        extra = var._extra
        if extra is not None:
            for fn in tuple(extra.get("hooks", ())):
                new = fn(grad)
                if new is not None:
                    grad = new
        accumulate_grad(var, grad)
        if extra is not None:
            for fn in tuple(extra.get("post_hooks", ())):
                fn(var)
        return ()

    def release(self) -> None:
        """Nothing to free: the sink lives as long as its leaf and serves every graph built on it."""


def accumulate_grad(var, grad) -> None:
    """Add grad into var.grad (torch's AccumulateGrad): steals an array nobody else holds, copies one that is shared."""
    old = var._grad
    if STATE.grad_enabled:  # create_graph: keep the gradient's history
        var._grad = grad if old is None else old + grad
        return
    if old is None:
        arr = grad._data
        # 3 = grad._data, arr, the getrefcount argument: no other tensor holds this array. The engine copies a
        # gradient that one node returned for several inputs (see run_backward), so the Tensor itself is not shared.
        if not arr.flags.writeable or sys.getrefcount(arr) > 3 or (arr.base is not None and not _sole_view(grad)):
            arr = arr.copy()
        var._grad = type(grad)._make(arr, grad._device)
    elif old.grad_fn is not None:
        var._grad = old.detach() + grad
    else:
        a = old._data
        b = grad._data
        if a.shape == b.shape and a.flags.writeable:
            a += b
            old._vc[0] += 1
        else:
            var._grad = type(old)._make(a + b, old._device)


def _sole_view(grad) -> bool:
    """grad's array is a reshape of a whole array that nothing else holds (a weight gradient reshaped in a derivative,
    a bias gradient summed with keepdim and reshaped): the tensor it was viewed from may hold that array too, if only
    grad holds that tensor."""
    arr = grad._data
    base = arr.base
    source = grad._base
    # 3 = grad._base, the local name, the getrefcount argument
    shared = 1 if source is not None and source._data is base and sys.getrefcount(source) <= 3 else 0
    del source
    # 3 = arr.base, the local name, the getrefcount argument
    return base.base is None and arr.size == base.size and arr.flags.c_contiguous and sys.getrefcount(base) <= 3 + shared


def get_accumulator(t) -> AccumulateGrad:
    ref = t._accum
    node = None if ref is None else ref()
    if node is None:
        node = AccumulateGrad(t)
        t._accum = weakref.ref(node)
    return node


def edge_of(t):
    """The (node, output_nr) edge of a tensor that requires grad, (None, 0) for one that does not."""
    fn = t.grad_fn
    if fn is not None:
        return (fn, t._output_nr)
    if t._requires_grad:
        return (get_accumulator(t), 0)
    return (None, 0)


def _sum_to(grad, shape):
    """Sum a broadcast gradient back to shape."""
    gshape = grad._data.shape
    if gshape == shape:
        return grad
    lead = len(gshape) - len(shape)
    dims = tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape) if n == 1 and gshape[i + lead] != 1)
    a = grad._data
    if lead and len(dims) == lead and not STATE.grad_enabled and a.dtype.kind == "f" and a.itemsize >= 4 \
            and a.flags.c_contiguous and a.size:
        # a bias's gradient, summed over the leading dims: a BLAS vector-matrix product, ~3x NumPy's sum
        rows = a.reshape(-1, a[(0,) * lead].size)
        xp = grad._device.xp
        return type(grad)._make((xp.ones(rows.shape[0], a.dtype) @ rows).reshape(shape), grad._device)
    if dims:
        grad = grad.sum(dims, keepdim=True)
    if lead:
        grad = grad.reshape(shape)
    if grad.shape != shape:
        raise RuntimeError(f"gradient of shape {tuple(gshape)} cannot be summed to input shape {tuple(shape)}")
    return grad


def _node_error(node, err):
    site = format_site(node._site)
    msg = f"{err}\n  (raised in the backward of {node.name()}, whose forward was called at {site})"
    try:
        new = type(err)(msg)
    except Exception:
        new = RuntimeError(msg)
    return new


def run_backward(roots, grads, retain_graph: bool, create_graph: bool, inputs=None, capture=None):
    """Run the graph from roots (list of (node, output_nr)) seeded with grads.

    inputs: edges whose gradient is wanted (autograd.grad, with capture a dict edge -> slot) or the only leaves to
    accumulate into (backward(inputs=...)). Nodes that lead to none of them are skipped.
    """
    deps: dict = {}
    seen = {n for n, _ in roots if n is not None}
    stack = list(seen)  # once per node: two outputs of one node as roots must not count its inputs twice
    while stack:
        node = stack.pop()
        for nxt, _ in node.next_functions:
            if nxt is not None:
                deps[nxt] = deps.get(nxt, 0) + 1
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)

    needed = None
    if inputs is not None:
        targets = {n for n, _ in inputs}
        needed = _needed_nodes(seen, targets)

    buffers: dict = {}
    for (node, nr), g in zip(roots, grads):
        if node is None:
            continue
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * node.n_outputs
        buf[nr] = g if buf[nr] is None else buf[nr] + g
    ready = [(-n._seq, n) for n in buffers if deps.get(n, 0) == 0]
    heapq.heapify(ready)
    heappop, heappush = heapq.heappop, heapq.heappush
    filtered = capture is not None or needed is not None
    prev_mode = STATE.grad_enabled
    STATE.grad_enabled = create_graph
    anomaly = STATE.anomaly
    try:
        while ready:
            node = heappop(ready)[1]
            buf = buffers.pop(node, None)
            if buf is None:
                continue
            if node._pre_hooks:
                buf = _run_pre_hooks(node, buf)
            if filtered and _skip(node, buf, capture, needed):
                _finish(node, deps, buffers, ready)
                continue
            try:
                outs = node.apply(tuple(buf))
            except Exception as e:
                if getattr(e, "_ember_site", False):
                    raise
                new = _node_error(node, e)
                new._ember_site = True
                raise new.with_traceback(e.__traceback__) from None
            if node._hooks:
                for fn in node._hooks:
                    new = fn(outs, tuple(buf))
                    if new is not None:
                        outs = tuple(new)
            if anomaly:
                _check_anomaly(node, outs)
            meta = node._meta
            n_outs = len(outs)
            i = -1
            for nxt, nr in node.next_functions:
                i += 1
                if nxt is None:
                    continue
                g = outs[i] if i < n_outs else None
                if g is not None:
                    a = g._data
                    shape, dt = meta[i]
                    if a.shape != shape:
                        g = _sum_to(g, shape)
                    if a.dtype is not dt and a.dtype != dt:
                        g = g.to(g._dtype_of(dt))
                    b = buffers.get(nxt)
                    if b is not None and b[nr] is not None:
                        # same shape and dtype already: without create_graph add the arrays, no op dispatch
                        b[nr] = b[nr] + g if create_graph else type(g)._make(b[nr]._data + g._data, g._device)
                    else:
                        if i and type(nxt) is AccumulateGrad and (g is outs[0] or any(g is o for o in outs[1:i])):
                            # one gradient for several inputs (add): each leaf must own its .grad
                            g = g.clone() if create_graph else type(g)._make(g._data.copy(), g._device)
                        if b is not None:
                            b[nr] = g
                        elif nxt.n_outputs == 1:
                            buffers[nxt] = [g]
                        else:
                            b = buffers[nxt] = [None] * nxt.n_outputs
                            b[nr] = g
                d = deps[nxt] - 1
                deps[nxt] = d
                if d == 0 and nxt in buffers:
                    heappush(ready, (-nxt._seq, nxt))
            if not retain_graph:
                node.release()
    finally:
        STATE.grad_enabled = prev_mode


def _skip(node, buf, capture, needed) -> bool:
    """autograd.grad captures the gradients of its inputs and never accumulates; nodes leading nowhere are skipped."""
    if capture is not None:
        for nr, g in enumerate(buf):
            slot = capture.get((node, nr))
            if slot is not None:
                slot[0] = g if slot[0] is None else slot[0] + g
        if type(node) is AccumulateGrad:
            return True
    return needed is not None and node not in needed


def _finish(node, deps, buffers, ready):
    for nxt, _ in node.next_functions:
        if nxt is None:
            continue
        d = deps[nxt] - 1
        deps[nxt] = d
        if d == 0 and nxt in buffers:
            heapq.heappush(ready, (-nxt._seq, nxt))


def _needed_nodes(nodes, targets) -> set:
    """Nodes that must run: those that reach a target through their inputs, and leaf sinks that are targets.

    A non-leaf target's own node does not run (as in torch): it would only compute gradients nobody asked for, and
    release what it saved.
    """
    memo: dict = {}
    order = set()  # a set: membership is tested for every edge
    stack = [(n, False) for n in nodes]
    while stack:
        node, done = stack.pop()
        if done:
            memo[node] = node in targets or any(memo.get(nxt, False) for nxt, _ in node.next_functions if nxt is not None)
            continue
        if node in memo or node in order:
            continue
        order.add(node)
        stack.append((node, True))
        for nxt, _ in node.next_functions:
            if nxt is not None and nxt not in memo:
                stack.append((nxt, False))
    return {n for n in memo if (n in targets and type(n) is AccumulateGrad)
            or any(memo.get(nxt, False) for nxt, _ in n.next_functions if nxt is not None)}


def _run_pre_hooks(node, buf):
    buf = list(buf)
    for nr, fn in tuple(node._pre_hooks):
        if nr == -1:
            new = fn(tuple(buf))
            if new is not None:
                buf = list(new)
        elif buf[nr] is not None:
            new = fn(buf[nr])
            if new is not None:
                buf[nr] = new
    return buf


def _check_anomaly(node, outs):
    for i, g in enumerate(outs):
        if g is not None and STATE.anomaly_check_nan and g.dtype.is_floating_point and bool(g.isnan().any()):
            raise RuntimeError(
                f"Function '{node.name()}' returned nan values in its {i}th output. The forward call that created "
                f"it was at {format_site(node._site)}")
