"""ember.linalg: linear algebra under torch.linalg's names (ops in ember/ops/linalg.py and ember/ops/decomp.py)."""
from __future__ import annotations

from .ops._registry import LinAlgError  # noqa: F401
from .ops.decomp import (cholesky_ex, cond, inv_ex, lstsq, matrix_norm, matrix_rank, norm, solve_triangular,  # noqa
                         tensorinv, tensorsolve, vector_norm)
from .ops.decomp import (linalg_cholesky as cholesky, linalg_det as det, linalg_eigh as eigh, linalg_inv as inv,
                         linalg_pinv as pinv, linalg_qr as qr, linalg_slogdet as slogdet, linalg_solve as solve,
                         linalg_svd as svd, linalg_svdvals as svdvals)
from .ops.linalg import matmul, matrix_power, multi_dot  # noqa: F401
from .ops import linalg as _products

cholesky, det, eigh, inv, pinv, qr, slogdet, solve, svd = (
    o.public for o in (cholesky, det, eigh, inv, pinv, qr, slogdet, solve, svd))
matmul = matmul.public


def eigvalsh(A, UPLO: str = "L", *, out=None):
    """Eigenvalues of symmetric matrices, ascending (torch.linalg.eigvalsh)."""
    res = eigh(A, UPLO).eigenvalues
    if out is not None:
        out.copy_(res)
        return out
    return res


def cross(input, other, *, dim: int = -1, out=None):
    """Cross product of 3-vectors along dim (torch.linalg.cross)."""
    return _products.cross.public(input, other, dim, out=out)


def vecdot(x, y, *, dim: int = -1, out=None):
    """Sum of x * y over dim (torch.linalg.vecdot)."""
    from .ops.decomp import check_float
    check_float("linalg.vecdot", x._data, low=True)
    if x.dtype is not y.dtype:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found x of type "
                           f"{_products.dtype_name(x._data)} and y of type {_products.dtype_name(y._data)} instead")
    res = (x * y).sum(dim)
    if out is not None:
        out.copy_(res)
        return out
    return res


def diagonal(A, *, offset: int = 0, dim1: int = -2, dim2: int = -1):
    """A view of the diagonals of A's matrices (torch.linalg.diagonal)."""
    return A.diagonal(offset, dim1, dim2)


def _unavailable(name: str, why: str = "is not implemented in ember"):
    """A torch.linalg name ember does not provide: calling it raises NotImplementedError saying why."""
    def fn(*args, **kwargs):
        raise NotImplementedError(f"linalg.{name} {why}")
    fn.__name__ = name
    fn.__doc__ = f"Not available in ember (torch.linalg.{name}): it {why.removeprefix('is ')}."
    return fn


_COMPLEX = "returns complex tensors in general, and ember has no complex dtypes"
eig = _unavailable("eig", _COMPLEX)
eigvals = _unavailable("eigvals", _COMPLEX)


from .ops.matfun import lu, lu_factor, lu_factor_ex, lu_solve, solve_ex, vander  # noqa: E402,F401
from .ops.matfun import matrix_exp  # noqa: E402

matrix_exp = matrix_exp.public


householder_product = _unavailable("householder_product")
ldl_factor = _unavailable("ldl_factor")
ldl_factor_ex = _unavailable("ldl_factor_ex")
ldl_solve = _unavailable("ldl_solve")
