"""Matrix functions and the rest of torch.linalg: matrix_exp, LU, solve_ex, vander, cdist, legacy torch.svd/qr."""
from __future__ import annotations

import collections

import numpy as np

from .._tensor import Tensor
from ._registry import KEEP, LinAlgError, export, op
from .creation import zeros
from .decomp import check_float, check_square, linalg_qr, linalg_solve, linalg_svd, vector_norm
from .linalg import const, tril, triu

# Pade(13) coefficients and the 1-norm bound under which it is accurate to double precision (Higham 2005)
_PADE13 = (64764752532480000., 32382376266240000., 7771770303897600., 1187353796428800., 129060195264000.,
           10559470521600., 670442572800., 33522128640., 1323241920., 40840800., 960960., 16380., 182., 1.)
_THETA13 = 5.371920351148152


def _expm(a, xp):
    """exp of each matrix of a by scaling and squaring with a Pade(13) approximant, in float64."""
    x = a.astype(np.float64)
    n = x.shape[-1]
    norm = xp.abs(x).sum(axis=-2).max(axis=-1) if n else xp.zeros(x.shape[:-2])
    s = xp.maximum(0, xp.ceil(xp.log2(xp.maximum(norm, 1e-300) / _THETA13))).astype(np.int64)
    x = x / (2.0 ** s)[..., None, None]
    b = _PADE13
    eye = xp.eye(n)
    x2 = x @ x
    x4 = x2 @ x2
    x6 = x4 @ x2
    u = x @ (x6 @ (b[13] * x6 + b[11] * x4 + b[9] * x2) + b[7] * x6 + b[5] * x4 + b[3] * x2 + b[1] * eye)
    v = x6 @ (b[12] * x6 + b[10] * x4 + b[8] * x2) + b[6] * x6 + b[4] * x4 + b[2] * x2 + b[0] * eye
    r = xp.linalg.solve(v - u, v + u)
    for k in range(int(s.max()) if s.size else 0):  # matrices square as often as their own scaling asks
        r = xp.where((k < s)[..., None, None], r @ r, r)
    return r.astype(a.dtype)


@op(dtype=KEEP, method=True, export=True)
def matrix_exp(A, *, xp):
    """The matrix exponential of square matrices (torch.linalg.matrix_exp)."""
    check_float("linalg.matrix_exp", A)
    check_square("linalg.matrix_exp", A)
    return _expm(A, xp)


@matrix_exp.derivative
def _(grad, A):
    # the gradient is the upper-right block of exp([[A^T, grad], [0, A^T]]) (Mathias 1996)
    n = A.shape[-1]
    M = zeros(*A.shape[:-2], 2 * n, 2 * n, dtype=A.dtype, device=A.device)
    M[..., :n, :n] = A.mT
    M[..., n:, n:] = A.mT
    M[..., :n, n:] = grad
    return (matrix_exp(M)[..., :n, n:],)


# ---------------------------------------------------------------------------------------------------------------
# LU with partial pivoting (NumPy has no LU routine)


def _lu(a, xp):
    """(LU packed, 1-based pivots as int32, info) for each matrix of a, by Gaussian elimination with row pivoting."""
    lu = a.copy()
    m, n = a.shape[-2:]
    k = min(m, n)
    batch = a.shape[:-2]
    flat = lu.reshape((-1, m, n))
    rows = xp.arange(flat.shape[0])
    piv = xp.zeros((flat.shape[0], k), np.int32)
    info = xp.zeros(flat.shape[0], np.int32)
    for j in range(k):
        p = j + xp.abs(flat[:, j:, j]).argmax(axis=-1)
        piv[:, j] = p + 1
        top = flat[rows, j].copy()
        flat[rows, j] = flat[rows, p]
        flat[rows, p] = top
        pivot = flat[:, j, j]
        info = xp.where((info == 0) & (pivot == 0), j + 1, info)
        flat[:, j + 1:, j] /= xp.where(pivot == 0, 1, pivot)[:, None]
        flat[:, j + 1:, j + 1:] -= flat[:, j + 1:, j:j + 1] * flat[:, j:j + 1, j + 1:]
    return flat.reshape(a.shape), piv.reshape(batch + (k,)), info.reshape(batch)


def _no_lu_grad(grad):
    raise NotImplementedError("ember does not differentiate the LU family (linalg.lu_factor, linalg.lu, "
                              "linalg.lu_solve); torch does")


@op(dtype=KEEP, method=False, export=False, outputs=1, out_names=("LU", "pivots", "info"))
def linalg_lu_factor_ex(A, *, pivot: bool = True, check_errors: bool = False, xp):
    """Packed LU factors and 1-based pivots, with info > 0 for a singular matrix (torch.linalg.lu_factor_ex)."""
    check_float("linalg.lu_factor", A)
    if A.ndim < 2:
        raise RuntimeError("linalg.lu_factor: The input tensor A must have at least 2 dimensions.")
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    lu, piv, info = _lu(A, xp)
    if check_errors and info.any():
        raise RuntimeError(f"torch.linalg.lu_factor: U[{info.max()},{info.max()}] is zero and using it on lu_solve "
                           "would result in a division by zero.")  # torch's class here: RuntimeError
    return lu, piv, info


linalg_lu_factor_ex.derivative(_no_lu_grad)
_LuFactor = collections.namedtuple("linalg_lu_factor", ("LU", "pivots"))
_Lu = collections.namedtuple("linalg_lu", ("P", "L", "U"))


def lu_factor(A: Tensor, *, pivot: bool = True, out=None) -> tuple:
    """Packed LU factors and 1-based pivots (torch.linalg.lu_factor); a singular matrix raises LinAlgError."""
    lu, piv, _ = linalg_lu_factor_ex(A, pivot=pivot, check_errors=True)
    return _LuFactor(lu, piv)


def lu_factor_ex(A: Tensor, *, pivot: bool = True, check_errors: bool = False, out=None) -> tuple:
    """(LU, pivots, info) (torch.linalg.lu_factor_ex)."""
    return linalg_lu_factor_ex(A, pivot=pivot, check_errors=check_errors)


def _permutation(piv, m, xp):
    """The permutation matrices P (A = P L U) of 1-based LAPACK pivots."""
    batch = piv.shape[:-1]
    perm = xp.broadcast_to(xp.arange(m), batch + (m,)).copy().reshape(-1, m)
    flat = piv.reshape(-1, piv.shape[-1]) - 1
    rows = xp.arange(perm.shape[0])
    for j in range(flat.shape[1]):
        p = flat[:, j]
        top = perm[rows, j].copy()
        perm[rows, j] = perm[rows, p]
        perm[rows, p] = top
    eye = xp.eye(m)
    return xp.swapaxes(eye[perm], -1, -2).reshape(batch + (m, m))  # row i of P^T A is row perm[i] of A


def lu_unpack(LU_data: Tensor, LU_pivots: Tensor, unpack_data: bool = True, unpack_pivots: bool = True) -> tuple:
    """P, L, U from packed LU factors (torch.lu_unpack)."""
    m, n = LU_data.shape[-2:]
    k = min(m, n)
    L = tril(LU_data, -1)[..., :, :k] + const(np.eye(m, k, dtype=LU_data._data.dtype), LU_data)
    U = triu(LU_data)[..., :k, :]
    P = const(_permutation(LU_pivots._data, m, np).astype(LU_data._data.dtype), LU_data)
    return _Lu(P, L, U)


export(lu_unpack, name="lu_unpack", method=False)


def lu(A: Tensor, *, pivot: bool = True, out=None) -> tuple:
    """P, L, U with A = P @ L @ U (torch.linalg.lu)."""
    lu_, piv, _ = linalg_lu_factor_ex(A, pivot=pivot)
    return lu_unpack(lu_, piv)


def lu_solve(LU: Tensor, pivots: Tensor, B: Tensor, *, left: bool = True, adjoint: bool = False, out=None) -> Tensor:
    """X with A X = B (or X A = B; A^T with adjoint) from A's LU factors (torch.linalg.lu_solve)."""
    P, L, U = lu_unpack(LU, pivots)
    A = P @ L @ U
    return linalg_solve(A.mT if adjoint else A, B, left=left)


# ---------------------------------------------------------------------------------------------------------------
# composed


_SolveEx = collections.namedtuple("linalg_solve_ex", ("result", "info"))


def solve_ex(A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False, out=None) -> tuple:
    """(solution, info) (torch.linalg.solve_ex): info > 0 marks a singular system (then this raises unless
    check_errors is False, where the solution is NaN)."""
    info = const(_lu(A._data, np)[2], A)
    if bool((info._data > 0).any()):
        if check_errors:
            raise LinAlgError("torch.linalg.solve_ex: The solver failed because the input matrix is singular.")
        eye = const(np.broadcast_to(np.eye(A.shape[-1], dtype=A._data.dtype), A.shape), A)
        return _SolveEx(linalg_solve(eye, B, left=left) * float("nan"), info)  # torch's result is undefined
    return _SolveEx(linalg_solve(A, B, left=left), info)


def vander(x: Tensor, *, N: int | None = None) -> Tensor:
    """Columns x**0, x**1, ..., x**(N-1) along a new last dim (torch.linalg.vander)."""
    n = x.shape[-1] if N is None else N
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    from .join import stack
    cols = [x * 0 + 1]
    for _ in range(1, n):
        cols.append(cols[-1] * x)
    return stack(cols, -1)


@export(method=False)
def cdist(x1: Tensor, x2: Tensor, p: float = 2.0, compute_mode=None) -> Tensor:
    """p-norm distances between the rows of x1 and the rows of x2, batched (torch.cdist)."""
    if x1.ndim < 2 or x2.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    return vector_norm(x1.unsqueeze(-2) - x2.unsqueeze(-3), p, -1)


_Svd = collections.namedtuple("svd", ("U", "S", "V"))
_Qr = collections.namedtuple("qr", ("Q", "R"))


@export
def svd(input: Tensor, some: bool = True, compute_uv: bool = True) -> tuple:
    """U, S, V with input = U diag(S) V^T (torch.svd: V, not Vh; some=True gives the reduced factors)."""
    if not compute_uv:
        m, n = input.shape[-2:]
        S = linalg_svd(input, False).S
        return _Svd(zeros(*input.shape[:-2], m, m, dtype=input.dtype), S, zeros(*input.shape[:-2], n, n,
                                                                              dtype=input.dtype))
    U, S, Vh = linalg_svd(input, not some)
    return _Svd(U, S, Vh.mT)


@export
def qr(input: Tensor, some: bool = True) -> tuple:
    """Q, R (torch.qr: some=True is linalg.qr's mode='reduced', False 'complete')."""
    Q, R = linalg_qr(input, "reduced" if some else "complete")
    return _Qr(Q, R)
