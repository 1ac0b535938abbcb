"""autograd.functional (jacobian, hessian, vjp, jvp, hvp, vhp) against torch: values, result structure,
create_graph, strict mode and argument errors."""
import numpy as np
import pytest

from tests.autograd.both import raises, same

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")

RNG = np.random.default_rng(0)
A, B, C, D = (RNG.uniform(0.5, 1.5, (2, 3)) for _ in range(4))


def cubes(x):
    return (x * x * x).sum(0)


def two_out(x, y):
    return x.exp() * y, (x * y).sum()


def scalar(x, y):
    return (x * x * y).sum()


def args(m, *arrays):
    return tuple(m.tensor(a) for a in arrays)


@pytest.mark.parametrize("create_graph", [False, True])
def test_jacobian(create_graph):
    same(lambda m: m.autograd.functional.jacobian(cubes, m.tensor(A), create_graph=create_graph))
    same(lambda m: m.autograd.functional.jacobian(two_out, args(m, A, B), create_graph=create_graph))
    same(lambda m: m.autograd.functional.jacobian(lambda x: (x.exp(),), args(m, A), create_graph=create_graph))


def test_jacobian_of_unused_input_is_zeros_unless_strict():
    same(lambda m: m.autograd.functional.jacobian(lambda x, y: x * 2, args(m, A, B)))
    raises(lambda m: m.autograd.functional.jacobian(lambda x, y: x * 2, args(m, A, B), strict=True))


def test_jacobian_create_graph_is_differentiable():
    def case(m):
        x = m.tensor(A, requires_grad=True)
        jac = m.autograd.functional.jacobian(cubes, x, create_graph=True)
        jac.sum().backward()
        return jac.requires_grad, x.grad
    same(case)


def test_jacobian_vectorize_and_strategy():
    same(lambda m: m.autograd.functional.jacobian(cubes, m.tensor(A), vectorize=True))
    same(lambda m: m.autograd.functional.jacobian(cubes, m.tensor(A), vectorize=True, strategy="forward-mode"))
    raises(lambda m: m.autograd.functional.jacobian(cubes, m.tensor(A), strategy="forward-mode"), NotImplementedError)
    raises(lambda m: m.autograd.functional.jacobian(cubes, m.tensor(A), strategy="sideways"), AssertionError)
    raises(lambda m: m.autograd.functional.jacobian(cubes, m.tensor(A), vectorize=True, strict=True))


@pytest.mark.parametrize("create_graph", [False, True])
def test_hessian(create_graph):
    same(lambda m: m.autograd.functional.hessian(scalar, args(m, A, B), create_graph=create_graph))
    same(lambda m: m.autograd.functional.hessian(lambda x: (x * x * x).sum(), m.tensor(A), create_graph=create_graph))


def test_hessian_errors():
    raises(lambda m: m.autograd.functional.hessian(lambda x: x * x, m.tensor(A)))
    raises(lambda m: m.autograd.functional.hessian(lambda x: (x.sum(), x.sum()), m.tensor(A)))
    raises(lambda m: m.autograd.functional.hessian(lambda x: (x * 2).sum(), m.tensor(A), strict=True))


@pytest.mark.parametrize("create_graph", [False, True])
def test_vjp_jvp_hvp_vhp(create_graph):
    same(lambda m: m.autograd.functional.vjp(two_out, args(m, A, B), (m.tensor(C), m.tensor(2.0)),
                                             create_graph=create_graph))
    same(lambda m: m.autograd.functional.vjp(lambda x: x.sum(), m.tensor(A), create_graph=create_graph))
    same(lambda m: m.autograd.functional.jvp(two_out, args(m, A, B), args(m, C, D), create_graph=create_graph))
    same(lambda m: m.autograd.functional.jvp(cubes, m.tensor(A), m.tensor(C), create_graph=create_graph))
    same(lambda m: m.autograd.functional.hvp(scalar, args(m, A, B), args(m, C, D), create_graph=create_graph))
    same(lambda m: m.autograd.functional.vhp(scalar, args(m, A, B), args(m, C, D), create_graph=create_graph))
    same(lambda m: m.autograd.functional.hvp(lambda x: (x * x * x).sum(), m.tensor(A), m.tensor(C),
                                             create_graph=create_graph))


def test_v_may_be_omitted_only_for_single_elements():
    same(lambda m: m.autograd.functional.jvp(lambda x: x * x, m.tensor([3.0])))
    same(lambda m: m.autograd.functional.hvp(lambda x: (x * x * x).sum(), m.tensor([2.0])))
    raises(lambda m: m.autograd.functional.vjp(cubes, m.tensor(A)))
    raises(lambda m: m.autograd.functional.jvp(cubes, m.tensor(A)))
    raises(lambda m: m.autograd.functional.vhp(scalar, args(m, A, B)))


def test_v_shape_and_type_errors():
    assert "invalid size" in raises(lambda m: m.autograd.functional.vjp(cubes, m.tensor(A), m.ones(2)))
    assert "invalid length" in raises(lambda m: m.autograd.functional.jvp(two_out, args(m, A, B), args(m, C)))
    raises(lambda m: m.autograd.functional.jvp(two_out, args(m, A, B), (m.tensor(C), 1.0)), TypeError)
    raises(lambda m: m.autograd.functional.vjp(lambda x: 3.0, m.tensor(A)), TypeError)
    raises(lambda m: m.autograd.functional.jacobian(cubes, [m.tensor(A)]), TypeError)


def test_strict_mode():
    raises(lambda m: m.autograd.functional.vjp(lambda x, y: x * 2, args(m, A, B), m.ones(2, 3), strict=True))
    raises(lambda m: m.autograd.functional.vjp(lambda x: m.ones(2, 3), m.tensor(A), m.ones(2, 3), strict=True))
    raises(lambda m: m.autograd.functional.jvp(lambda x: m.ones(2, 3), m.tensor(A), m.tensor(C), strict=True))
    same(lambda m: m.autograd.functional.jvp(lambda x: x * 2, m.tensor(A), m.tensor(C), strict=True))
    raises(lambda m: m.autograd.functional.vhp(lambda x: (x * 2).sum(), m.tensor(A), m.tensor(C), strict=True))
    same(lambda m: m.autograd.functional.vjp(lambda x, y: x * 2, args(m, A, B), m.ones(2, 3)))
    same(lambda m: m.autograd.functional.vhp(lambda x: (x * 2).sum(), m.tensor(A), m.tensor(C)))


def test_inputs_are_not_modified_and_outputs_detached():
    def case(m):
        x = m.tensor(A, requires_grad=True)
        out, res = m.autograd.functional.vjp(lambda t: t * t, x, m.ones(2, 3))
        return out.requires_grad, res.requires_grad, x.grad, x.is_leaf
    same(case)
