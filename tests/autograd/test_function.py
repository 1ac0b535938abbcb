"""Custom autograd.Function against torch: ctx API, saved tensors, dirty and non-differentiable outputs, materialized
grads, non-tensor arguments, several outputs, once_differentiable, double backward, errors and their sites."""
import inspect

import pytest

import ember
from tests.autograd.both import raises, same


def leaf(m, data=(0.5, -1.0, 2.0)):
    return m.tensor(data, requires_grad=True)


def cube(m):
    class Cube(m.autograd.Function):
        """x**3, with a backward written in ops (so it is differentiable again)."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * 3 * x * x
    return Cube


def scale(m):
    class Scale(m.autograd.Function):
        """x * k and y * k for a Python number k, new style: forward without ctx plus setup_context."""

        @staticmethod
        def forward(x, k, y=None):
            return x * k if y is None else x * k + y

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.k, ctx.has_y = inputs[1], inputs[2] is not None  # inputs has y's default when it was not passed

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, None, (g if ctx.has_y else None)
    return Scale


def test_forward_backward_and_node():
    def case(m):
        x = leaf(m)
        y = cube(m).apply(x)
        fn = y.grad_fn
        y.sum().backward()
        return y, x.grad, type(fn).__name__, fn.name(), len(fn.next_functions), y.requires_grad, y.is_leaf
    same(case)


def test_forward_runs_without_grad_and_sees_needs_input_grad():
    def case(m):
        seen = []

        class F(m.autograd.Function):
            @staticmethod
            def forward(ctx, a, k, b):
                seen.append((m.is_grad_enabled(), ctx.needs_input_grad))
                return a * k + b

            @staticmethod
            def backward(ctx, g):
                seen.append(m.is_grad_enabled())
                return g, None, g
        x = leaf(m)
        F.apply(x, 2.0, m.ones(3)).sum().backward()
        return seen, x.grad
    same(case)


def test_setup_context_style_and_keyword_arguments():
    def case(m):
        x, y = leaf(m), leaf(m, (1.0, 1.0, 1.0))
        S = scale(m)
        a = S.apply(x, 3.0)
        b = S.apply(x, k=2.0, y=y)
        (a + b).sum().backward()
        return a, b, x.grad, y.grad
    same(case)


def test_non_tensor_arguments_and_outputs():
    def case(m):
        class F(m.autograd.Function):
            @staticmethod
            def forward(ctx, x, n, name):
                ctx.n = n
                return x * n, name, n + 1

            @staticmethod
            def backward(ctx, g, g_name, g_n):
                return g * ctx.n, None, None
        x = leaf(m)
        y, name, n = F.apply(x, 4, "tag")
        y.sum().backward()
        return y, name, n, x.grad
    same(case)


def test_no_node_without_grad():
    def case(m):
        C = cube(m)
        a = C.apply(leaf(m).detach())
        with m.no_grad():
            b = C.apply(leaf(m))
        return a.requires_grad, a.grad_fn, b.requires_grad, b.grad_fn
    same(case)


def test_multiple_outputs_and_materialized_grads():
    def case(m):
        got = []

        class Split(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2, x * 3

            @staticmethod
            def backward(ctx, g1, g2):
                got.append((g1, g2))
                return g1 * 2 + g2 * 3
        x = leaf(m)
        a, b = Split.apply(x)
        same_node = a.grad_fn is b.grad_fn
        a.sum().backward(retain_graph=True)
        (a.sum() + (b * b).sum()).backward()
        return same_node, got, x.grad
    same(case)


def test_set_materialize_grads_false_gives_none():
    def case(m):
        got = []

        class Split(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.set_materialize_grads(False)
                return x * 2, x * 3

            @staticmethod
            def backward(ctx, g1, g2):
                got.append((g1, g2))
                return g1 * 2
        x = leaf(m)
        a, _ = Split.apply(x)
        a.sum().backward()
        return got, x.grad
    same(case)


def test_mark_non_differentiable():
    def case(m):
        got = []

        class SortLike(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                mask = x > 0
                ctx.mark_non_differentiable(mask)
                return x * 2, mask

            @staticmethod
            def backward(ctx, g, g_mask):
                got.append(g_mask)
                return g * 2
        x = leaf(m)
        y, mask = SortLike.apply(x)
        y.sum().backward()
        return mask.requires_grad, mask.grad_fn, got, x.grad
    same(case)


def test_returning_an_input_gives_a_view_with_new_history():
    def case(m):
        class Ident(m.autograd.Function):
            @staticmethod
            def forward(ctx, x, y):
                ctx.mark_non_differentiable(y)
                return x, y

            @staticmethod
            def backward(ctx, g, gy):
                return g * 5, None
        x, y = leaf(m), leaf(m)
        a, b = Ident.apply(x, y)
        a.sum().backward()
        return a is x, a._base is x, a.grad_fn is not None, b is y, b.requires_grad, x.grad
    same(case)


def double_inplace_fn(m):
    """An in-place Function that marks its input dirty: x *= 2."""
    class Double_(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2
    return Double_


def test_mark_dirty_in_place_function():
    def case(m):
        x = leaf(m)
        y = x * 1
        v = y._version
        out = double_inplace_fn(m).apply(y)
        name = y.grad_fn.name()
        (out * out).sum().backward()
        return out is y, v, y._version, name, x.grad
    same(case)


def test_mark_dirty_on_leaf_raises():
    def case(m):
        class AddOne_(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.add_(1)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, g):
                return g
        AddOne_.apply(leaf(m))
    assert "leaf Variable" in raises(case)


def test_saved_input_modified_later_raises():
    def case(m):
        x = leaf(m) * 1
        y = cube(m).apply(x)
        x.add_(1)
        y.sum().backward()
    msg = raises(case)
    assert "modified by an inplace operation" in msg and "is at version 1; expected version 0" in msg


def test_saved_output_is_rewrapped_and_version_checked():
    def case(m):
        x = leaf(m)
        y = exp_fn(m).apply(x)
        node = y.grad_fn
        saved, = node.saved_tensors
        y.sum().backward()
        return saved.grad_fn is node, saved.requires_grad, x.grad
    same(case, rtol=1e-5)

    def modified(m):
        y = exp_fn(m).apply(leaf(m))
        y.add_(1)
        y.sum().backward()
    raises(modified)


def test_saved_tensors_freed_after_backward():
    def case(m):
        y = cube(m).apply(leaf(m))
        y.sum().backward()
        return y.grad_fn.saved_tensors
    assert "freed" in raises(case)

    def second(m):
        y = cube(m).apply(leaf(m))
        y.sum().backward()
        y.sum().backward()
    raises(second)


def test_double_backward_through_function():
    def case(m):
        x = leaf(m)
        y = cube(m).apply(x).sum()
        g1, = m.autograd.grad(y, x, create_graph=True)
        g2, = m.autograd.grad(g1.sum(), x, create_graph=True)
        g3, = m.autograd.grad(g2.sum(), x)
        return g1, g2, g3
    same(case)


def test_once_differentiable():
    def make(m, modes=None):
        class Square(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            @m.autograd.function.once_differentiable
            def backward(ctx, g):
                x, = ctx.saved_tensors
                if modes is not None:
                    modes.append(m.is_grad_enabled())
                return 2 * x * g
        return Square

    def first_order(m):
        x, modes = leaf(m), []
        g, = m.autograd.grad(make(m, modes).apply(x).sum(), x, create_graph=True)
        return g, g.grad_fn, modes
    same(first_order)

    def twice(m):
        x = leaf(m)
        y = make(m).apply(x)
        g, = m.autograd.grad((y * y).sum(), x, create_graph=True)
        g.sum().backward()
    assert "once_differentiable" in raises(twice)


def test_wrong_number_of_gradients_raises():
    def make(m, grads):
        class F(m.autograd.Function):
            @staticmethod
            def forward(ctx, x, k):
                return x * k

            @staticmethod
            def backward(ctx, g):
                return grads(g)
        return F
    msg = raises(lambda m: make(m, lambda g: g).apply(leaf(m), 2.0).sum().backward())
    assert "returned an incorrect number of gradients (expected 2, got 1)" in msg
    raises(lambda m: make(m, lambda g: (g, g)).apply(leaf(m), 2.0).sum().backward())
    raises(lambda m: make(m, lambda g: (g, None, g)).apply(leaf(m), 2.0).sum().backward())

    def extra_none(m):
        x = leaf(m)
        make(m, lambda g: (g, None, None)).apply(x, 2.0).sum().backward()
        return x.grad
    same(extra_none)


def test_gradient_of_wrong_shape_raises():
    def case(m):
        class F(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 1

            @staticmethod
            def backward(ctx, g):
                return m.ones(5)
        F.apply(leaf(m)).sum().backward()
    assert "invalid gradient at index 0" in raises(case)


def test_broadcastable_gradient_is_summed():
    def case(m):
        class F(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 1

            @staticmethod
            def backward(ctx, g):
                return m.ones(2, 3)
        x = leaf(m)
        F.apply(x).sum().backward()
        return x.grad
    same(case)


def test_hooks_on_function_outputs_and_node():
    def case(m):
        x = leaf(m)
        y = cube(m).apply(x)
        y.register_hook(lambda g: g * 2)
        seen = []
        y.grad_fn.register_hook(lambda gi, go: seen.append(gi[0].clone()))
        y.sum().backward()
        return seen, x.grad
    same(case)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_legacy_instance_call_raises():
    raises(lambda m: cube(m)()(leaf(m)))


def test_backward_error_names_node_and_forward_line():
    class Boom(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            raise ValueError("boom in backward")

    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = Boom.apply(x); line = inspect.currentframe().f_lineno  # noqa: E702  (the forward site is this line)
    with pytest.raises(ValueError) as info:
        y.sum().backward()
    msg = str(info.value)
    assert "boom in backward" in msg and "BoomBackward" in msg and f"test_function.py:{line}" in msg


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy warns on 0/0; torch does not
def test_anomaly_nan_names_node_and_forward_line():
    x = ember.tensor([0.0, 1.0], requires_grad=True)
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        mode = ember.autograd.detect_anomaly()
    with mode:
        assert ember.autograd.is_anomaly_enabled()
        y = x / x; line = inspect.currentframe().f_lineno  # noqa: E702  (0/0: the gradient is NaN at 0)
        with pytest.raises(RuntimeError) as info:
            y.sum().backward()
    assert not ember.autograd.is_anomaly_enabled()
    msg = str(info.value)
    assert "returned nan values in its 1th output." in msg  # d(x/x)/d(other) = -x/x**2, NaN at 0; as torch
    assert f"test_function.py:{line}" in msg


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy warns on 0/0; torch does not
def test_anomaly_check_nan_false_and_set_detect_anomaly():
    x = ember.tensor([0.0, 1.0], requires_grad=True)
    with ember.autograd.set_detect_anomaly(True, check_nan=False):
        assert ember.autograd.is_anomaly_enabled() and not ember.autograd.is_anomaly_check_nan_enabled()
        (x / x).sum().backward()
    assert not ember.autograd.is_anomaly_enabled() and ember.autograd.is_anomaly_check_nan_enabled()
    ember.autograd.set_detect_anomaly(True)
    try:
        with pytest.raises(RuntimeError, match="nan values"):
            (x / x).sum().backward()
    finally:
        ember.autograd.set_detect_anomaly(False)
    assert not ember.autograd.is_anomaly_enabled()


def test_anomaly_in_custom_function():
    class NanGrad(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g * float("nan")

    x = ember.tensor([1.0], requires_grad=True)
    with ember.autograd.set_detect_anomaly(True):
        with pytest.raises(RuntimeError, match="Function 'NanGradBackward' returned nan values in its 0th output"):
            NanGrad.apply(x).sum().backward()


def exp_fn(m):
    class Exp(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            out = x.exp()
            ctx.save_for_backward(out)
            return out

        @staticmethod
        def backward(ctx, g):
            out, = ctx.saved_tensors
            return g * out
    return Exp


def test_double_backward_through_saved_output():
    def case(m):
        x = leaf(m)
        g1, = m.autograd.grad(exp_fn(m).apply(x).sum(), x, create_graph=True)
        g2, = m.autograd.grad(g1.sum(), x)
        return g1, g2
    same(case, rtol=1e-5)


def test_mark_dirty_on_view_of_non_leaf():
    def case(m):
        Double_ = double_inplace_fn(m)
        x = leaf(m, ((1.0, 2.0), (3.0, 4.0)))
        y = x * 1
        Double_.apply(y[0])
        (y * y).sum().backward()
        return y, x.grad, y._version
    same(case)
