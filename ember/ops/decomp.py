"""Decompositions, solvers and norms: the ops behind ``ember.linalg`` (torch.linalg).

Ops are registered as ``linalg_<name>`` (their nodes are ``LinalgInvBackward0`` ..., as in torch) and are exposed by
ember/linalg.py under torch.linalg's names. Forwards call NumPy's LAPACK routines; a singular or non-positive-definite
input raises ember.linalg.LinAlgError (the registry maps numpy.linalg.LinAlgError to it).
"""
from __future__ import annotations

import collections
import math

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ._registry import KEEP, LinAlgError, export, op
from ._util import LOW, dims as _dims, wrap_dim
from .linalg import const, diag_embed, dtype_name, matmul, tril, triu
from .reduce import unreduce

_INF = float("inf")


def check_float(name: str, a, low: bool = False) -> None:
    """torch.linalg takes floating tensors only; most routines also refuse float16/bfloat16 (low=False)."""
    if a.dtype.kind != "f" and a.dtype != D.bfloat16.np:
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got {dtype_name(a)}")
    if not low and a.dtype in LOW:
        raise RuntimeError(f"{name}: Low precision dtypes not supported. Got {dtype_name(a)}")


def check_square(name: str, a) -> None:
    if a.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are {a.shape[-2]} by "
                           f"{a.shape[-1]} matrices")


def _matrix(name: str, a) -> None:
    check_float(name, a)
    if a.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")


def _eye(n: int, like: Tensor) -> Tensor:
    return const(np.eye(n, dtype=like._data.dtype), like)


def _solve_right(X, A):
    """X @ A^-1, as a differentiable solve."""
    return linalg_solve(A, X, left=False)


# ---------------------------------------------------------------------------------------------------------------
# inverse, determinants, solve


@op(dtype=KEEP, method=False, export=False)
def linalg_inv(A, *, xp):
    """Inverse of square matrices (torch.linalg.inv)."""
    check_float("linalg.inv", A)
    check_square("linalg.inv", A)
    return xp.linalg.inv(A)


@linalg_inv.derivative
def _(grad, out):
    return (-matmul(out.mT, matmul(grad, out.mT)),)


@op(dtype=KEEP, method=False, export=False)
def linalg_det(A, *, xp):
    """Determinant of square matrices (torch.linalg.det)."""
    check_float("linalg.det", A)
    check_square("linalg.det", A)
    return xp.linalg.det(A)


@linalg_det.derivative
def _(grad, A, out):
    # d det(A) = det(A) tr(A^-1 dA); a singular A raises here (torch falls back on an SVD formula)
    return ((grad * out).unsqueeze(-1).unsqueeze(-1) * linalg_inv(A).mT,)


@op(dtype=KEEP, method=False, export=False, outputs=2, out_names=("sign", "logabsdet"))
def linalg_slogdet(A, *, xp):
    """Sign and log of the absolute value of the determinant (torch.linalg.slogdet)."""
    check_float("linalg.slogdet", A)
    check_square("linalg.slogdet", A)
    sign, logabsdet = xp.linalg.slogdet(A)
    return xp.asarray(sign), xp.asarray(logabsdet)


@linalg_slogdet.derivative
def _(grad, A):
    g = grad[1]
    return (None if g is None else g.unsqueeze(-1).unsqueeze(-1) * linalg_inv(A).mT,)


def _vector_rhs(A, B) -> bool:
    """torch 2.x: B is a batch of vectors when 1-D, or when its shape is A's batch shape plus n."""
    return B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))


@op(dtype=KEEP, method=False, export=False)
def linalg_solve(A, B, *, left: bool = True, xp):
    """X with A @ X = B (left) or X @ A = B, batch dims broadcasting (torch.linalg.solve)."""
    check_float("linalg.solve", A)
    check_square("linalg.solve", A)
    if A.dtype != B.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
                           f"{dtype_name(A)} and B of type {dtype_name(B)} instead")
    vec = _vector_rhs(A, B)
    b = B[..., None] if vec else B if left else xp.swapaxes(B, -1, -2)
    a = A if left else xp.swapaxes(A, -1, -2)
    if b.shape[-2] != a.shape[-1]:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({a.shape[-2]}x{a.shape[-1]} and "
                           f"{b.shape[-2]}x{b.shape[-1]})")
    try:
        x = xp.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        raise LinAlgError("torch.linalg.solve: The solver failed because the input matrix is singular.") from None
    return x[..., 0] if vec else x if left else xp.swapaxes(x, -1, -2)


@linalg_solve.derivative
def _(grad, A, B, out, left, needs):
    # left: X = A^-1 B, so gB = A^-T g and gA = -gB X^T; right: X = B A^-1, so gB = g A^-T and gA = -X^T gB
    vec = _vector_rhs(A, B)
    gB = linalg_solve(A.mT, grad, left=left)
    if not needs[0]:
        return None, gB
    if vec:
        gA = -gB.unsqueeze(-1) * out.unsqueeze(-2)
    else:
        gA = -matmul(gB, out.mT) if left else -matmul(out.mT, gB)
    return gA, (gB if needs[1] else None)


# ---------------------------------------------------------------------------------------------------------------
# decompositions


@op(dtype=KEEP, method=False, export=False)
def linalg_cholesky(A, *, upper: bool = False, xp):
    """Cholesky factor of symmetric positive-definite matrices, from the lower triangle (torch.linalg.cholesky)."""
    check_float("linalg.cholesky", A)
    check_square("linalg.cholesky", A)
    try:
        L = xp.linalg.cholesky(A)
    except np.linalg.LinAlgError:
        raise LinAlgError("linalg.cholesky: The factorization could not be completed because the input is not "
                          "positive-definite.") from None
    return xp.swapaxes(L, -1, -2).copy() if upper else L


@linalg_cholesky.derivative
def _(grad, out, upper):
    # gA = sym(L^-T Phi(L^T gL) L^-1), Phi taking the lower triangle with half the diagonal (torch's formula)
    L, gL = (out.mT, grad.mT) if upper else (out, grad)
    phi = tril(matmul(L.mT, gL))
    phi = phi - 0.5 * diag_embed(phi.diagonal(0, -2, -1))
    S = linalg_solve(L.mT, _solve_right(phi, L))
    return (0.5 * (S + S.mT),)


@op(dtype=KEEP, method=False, export=False, outputs=2, out_names=("Q", "R"))
def linalg_qr(A, mode: str = "reduced", *, xp):
    """QR decomposition, mode 'reduced', 'complete' or 'r' (Q empty) (torch.linalg.qr)."""
    check_float("linalg.qr", A)
    if A.ndim < 2:
        raise RuntimeError("linalg.qr: The input tensor A must have at least 2 dimensions.")
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', "
                           "or 'complete'")
    if mode == "r":
        return xp.zeros((0,), A.dtype), xp.linalg.qr(A, mode="r")
    return tuple(xp.linalg.qr(A, mode=mode))


@linalg_qr.derivative
def _(grad, out, mode):
    if mode == "r":
        raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when mode='r'. Please use "
                           "linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr.")
    Q, R = out
    gQ, gR = grad
    m, n = Q.shape[-2], R.shape[-1]
    if mode == "complete" and m > n:
        raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
    gQ = gQ if gQ is not None else Q * 0
    gR = gR if gR is not None else R * 0
    if m >= n:
        return (_qr_square_backward(Q, R, gQ, gR),)
    # A = Q [X | Y] with R = [U | V]: X behaves as a square QR, and Y = Q V adds Y gV^T to gQ
    U, V, gU, gV = R[..., :m], R[..., m:], gR[..., :m], gR[..., m:]
    Y = matmul(Q, V)
    gX = _qr_square_backward(Q, U, gQ + matmul(Y, gV.mT), gU)
    return (_cat_last(gX, matmul(Q, gV)),)


def _qr_square_backward(Q, R, gQ, gR):
    """gA = (gQ + Q copyltu(M)) R^-T with M = R gR^T - gQ^T Q (Walter and Lehmann; for m >= n)."""
    M = matmul(R, gR.mT) - matmul(gQ.mT, Q)
    low = tril(M, -1)
    sym = low + low.mT + diag_embed(M.diagonal(0, -2, -1))
    return _solve_right(gQ + matmul(Q, sym), R.mT)


def _cat_last(a, b):
    from .creation import zeros
    out = zeros(*a.shape[:-1], a.shape[-1] + b.shape[-1], dtype=a.dtype, device=a.device)
    out[..., :a.shape[-1]] = a
    out[..., a.shape[-1]:] = b
    return out


@op(dtype=KEEP, method=False, export=False, outputs=2, out_names=("eigenvalues", "eigenvectors"))
def linalg_eigh(A, UPLO: str = "L", *, xp):
    """Eigenvalues (ascending) and eigenvectors of symmetric matrices, from one triangle (torch.linalg.eigh)."""
    check_float("linalg.eigh", A)
    check_square("linalg.eigh", A)
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    w, v = xp.linalg.eigh(A, UPLO=UPLO)
    return w, v


@linalg_eigh.derivative
def _(grad, out):
    L, V = out
    gL, gV = grad
    if gV is None:
        return (matmul(V, gL.unsqueeze(-1) * V.mT),)
    VtgV = matmul(V.mT, gV)
    E = L.unsqueeze(-2) - L.unsqueeze(-1) + _eye(L.shape[-1], L)  # E_ij = L_j - L_i, ones on the diagonal
    inner = 0.5 * (VtgV - VtgV.mT) / E
    if gL is not None:
        inner = inner + diag_embed(gL)
    return (matmul(V, matmul(inner, V.mT)),)


@op(dtype=KEEP, method=False, export=False, outputs=3, out_names=("U", "S", "Vh"))
def linalg_svd(A, full_matrices: bool = True, *, driver=None, xp):
    """Singular value decomposition A = U diag(S) Vh, S descending (torch.linalg.svd)."""
    check_float("linalg.svd", A)
    if A.ndim < 2:
        raise RuntimeError("linalg.svd: The input tensor A must have at least 2 dimensions.")
    U, S, Vh = xp.linalg.svd(A, full_matrices=full_matrices)
    return U, S, Vh


@linalg_svd.derivative
def _(grad, out):
    U, S, Vh = out
    gU, gS, gVh = grad
    m, n, k = U.shape[-2], Vh.shape[-1], S.shape[-1]
    # full_matrices: the columns past k do not reach A (torch narrows them away too)
    U, Vh = U[..., :k], Vh[..., :k, :]
    gU = None if gU is None else gU[..., :k]
    gVh = None if gVh is None else gVh[..., :k, :]
    if gU is None and gVh is None:
        return (matmul(U, gS.unsqueeze(-1) * Vh),)
    S2 = S * S
    E = S2.unsqueeze(-2) - S2.unsqueeze(-1) + _eye(k, S)  # E_ij = S_j^2 - S_i^2, ones on the diagonal
    UtgU = None if gU is None else matmul(U.mT, gU)
    VtgV = None if gVh is None else matmul(Vh, gVh.mT)
    if UtgU is not None:
        UtgU = UtgU - UtgU.mT
    if VtgV is not None:
        VtgV = VtgV - VtgV.mT
    if UtgU is not None and VtgV is not None:
        gA = (UtgU * S.unsqueeze(-2) + S.unsqueeze(-1) * VtgV) / E
    elif UtgU is not None:
        gA = UtgU / E * S.unsqueeze(-2)
    else:
        gA = S.unsqueeze(-1) * (VtgV / E)
    if gS is not None:
        gA = gA + diag_embed(gS)
    if m > k and gU is not None:
        gUSinv = gU / S.unsqueeze(-2)
        gA = matmul(U, gA) + gUSinv - matmul(U, matmul(U.mT, gUSinv))
        return (matmul(gA, Vh),)
    if n > k and gVh is not None:
        SinvgVh = gVh / S.unsqueeze(-1)
        gA = matmul(gA, Vh) + SinvgVh - matmul(matmul(SinvgVh, Vh.mT), Vh)
        return (matmul(U, gA),)
    return (matmul(U, matmul(gA, Vh)),)


def _tolerance(S, m, n, atol, rtol, dtype, xp):
    """max(atol, rtol * largest singular value), with torch's defaults."""
    if isinstance(atol, Tensor):
        atol = atol._data
    if isinstance(rtol, Tensor):
        rtol = rtol._data
    if rtol is None:
        rtol = 0.0 if atol is not None and np.all(np.asarray(atol) > 0) else np.finfo(dtype).eps * max(m, n)
    atol = 0.0 if atol is None else atol
    smax = S.max(axis=-1, keepdims=True) if S.shape[-1] else xp.zeros(S.shape[:-1] + (1,), S.dtype)
    return xp.maximum(xp.asarray(atol)[..., None] if np.ndim(atol) else atol,
                      (xp.asarray(rtol)[..., None] if np.ndim(rtol) else rtol) * smax)


@op(dtype=KEEP, method=False, export=False)
def linalg_pinv(A, *, atol=None, rtol=None, hermitian: bool = False, xp):
    """Moore-Penrose pseudo-inverse; singular values under max(atol, rtol * max) count as zero (torch.linalg.pinv)."""
    check_float("linalg.pinv", A)
    if A.ndim < 2:
        raise RuntimeError("linalg.pinv(" + ("{hermitian=True}" if hermitian else "") + "): The input tensor A must "
                           "have at least 2 dimensions.")
    m, n = A.shape[-2:]
    if hermitian:
        w, V = xp.linalg.eigh(A)
        S, U, Vh = xp.abs(w), V, xp.swapaxes(V * xp.sign(w)[..., None, :], -1, -2)
    else:
        U, S, Vh = xp.linalg.svd(A, full_matrices=False)
    tol = _tolerance(S, m, n, atol, rtol, A.dtype, xp)
    keep = S > tol
    Sinv = xp.where(keep, 1 / xp.where(keep, S, 1), 0).astype(A.dtype)
    return xp.matmul(xp.swapaxes(Vh, -1, -2) * Sinv[..., None, :], xp.swapaxes(U, -1, -2))


@linalg_pinv.derivative
def _(grad, A, out):
    # d(A+) = -A+ dA A+ + A+ A+^T dA^T (I - A A+) + (I - A+ A) dA^T A+^T A+ (valid where the rank is constant)
    P, g = out, grad
    m, n = A.shape[-2], A.shape[-1]
    first = -matmul(P.mT, matmul(g, P.mT))
    left = _eye(m, A) - matmul(A, P)
    right = _eye(n, A) - matmul(P, A)
    second = matmul(left, matmul(g.mT, matmul(P, P.mT)))
    third = matmul(matmul(P.mT, P), matmul(g.mT, right))
    return (first + second + third,)


# ---------------------------------------------------------------------------------------------------------------
# norms


@op(dtype=KEEP, method=False, export=False)
def linalg_vector_norm(x, ord: float = 2, dim=None, keepdim: bool = False, *, dtype=None, xp):
    """The ord-norm of x over dim, or of all its elements (torch.linalg.vector_norm); float16/bfloat16 accumulate
    in float32."""
    check_float("linalg.vector_norm", x, low=True)
    if dtype is not None:
        want = D.to_dtype(dtype)
        if not D.can_cast(D.FROM_NP[x.dtype], want) or want.itemsize < x.dtype.itemsize:
            raise RuntimeError(f"linalg.vector_norm: the dtype of the input ({dtype_name(x)}) should be convertible "
                               f"without narrowing to the specified dtype ({dtype_name(np.empty(0, want.np))})")
        x = x.astype(want.np)
    out_dt = x.dtype
    d = _dims(dim, x.ndim)
    a = x.astype(np.float32) if out_dt in LOW else x
    if ord != 2:  # squares need no abs
        a = xp.abs(a)
    if ord in (_INF, -_INF):
        if a.size == 0 and (d is None or any(x.shape[i] == 0 for i in d)):
            where = "on an empty tensor" if d is None else f"on the dimension {d[0]}"
            raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm {where}because this dimension is "
                               "empty and the operation does not have an identity")
        r = a.max(axis=d, keepdims=keepdim) if ord > 0 else a.min(axis=d, keepdims=keepdim)
    elif ord == 0:
        r = (a != 0).sum(axis=d, keepdims=keepdim, dtype=a.dtype)
    elif ord == 1:
        r = a.sum(axis=d, keepdims=keepdim)
    elif ord == 2 and d is None and not keepdim:  # BLAS dot: one pass, no temporaries (clip_grad_norm_'s case)
        v = a.reshape(-1)
        r = xp.sqrt(xp.dot(v, v))
    elif ord == 2:
        r = xp.sqrt((a * a).sum(axis=d, keepdims=keepdim))
    else:
        r = (a ** ord).sum(axis=d, keepdims=keepdim) ** (1.0 / ord)
    return xp.asarray(r).astype(out_dt, copy=False)


@linalg_vector_norm.derivative
def _(grad, x, out, ord, dim, keepdim):
    if ord == 0:
        return (None,)
    shape = tuple(x.shape)
    g, n = unreduce(grad, shape, dim, keepdim), unreduce(out, shape, dim, keepdim)
    sign = const(np.sign(x._data), x)  # piecewise constant: exact as a constant, to any order
    if ord == 1:
        return (g * sign,)
    if ord in (_INF, -_INF):
        mask = const((np.abs(x._data) == n._data).astype(x._data.dtype), x)
        count = unreduce(mask.sum(dim, keepdim=True), shape, dim, True)
        return (g * sign * mask / count,)
    zero = const((n._data == 0).astype(n._data.dtype), n)  # the norm's subgradient at 0 is 0, as in torch
    if ord == 2:
        return (g * x / (n + zero),)
    return (g * x * (x * sign) ** (ord - 2) / ((n + zero) ** (ord - 1)),)


def vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None, out=None) -> Tensor:
    """The ord-norm of a vector, over dim or all elements (torch.linalg.vector_norm)."""
    if isinstance(dim, list):
        dim = tuple(dim)
    return linalg_vector_norm(x, float(ord), dim, keepdim, dtype=dtype, out=out)


_MATRIX_ORDS = ("fro", "nuc", _INF, -_INF, 1, -1, 2, -2)


def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None, out=None) -> Tensor:
    """Frobenius, nuclear, 1, inf or spectral (2) norm of matrices, and their negative orders (min instead of max)
    (torch.linalg.matrix_norm)."""
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    check_float("linalg.matrix_norm", A._data, low=ord not in ("nuc", 2, -2))
    if ord not in _MATRIX_ORDS:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    d0, d1 = (wrap_dim(d, A.ndim) for d in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, {dim[1]})")
    if ord == "fro":
        res = linalg_vector_norm(A, 2.0, (d0, d1), keepdim, dtype=dtype)
    elif ord in ("nuc", 2, -2):
        x = A if dtype is None else A.to(dtype)
        S = linalg_svdvals(x.movedim((d0, d1), (-2, -1)))
        res = linalg_vector_norm(S, {"nuc": 1.0, 2: _INF, -2: -_INF}[ord], -1)  # S >= 0: sum, max, min
        if keepdim:
            res = res.unsqueeze(min(d0, d1)).unsqueeze(max(d0, d1))
    else:  # 1: max over columns of the column sums of |A|; inf: max over rows of the row sums
        summed, other = (d0, d1) if abs(ord) == 1 else (d1, d0)
        res = linalg_vector_norm(A, 1.0, summed, True, dtype=dtype)
        res = linalg_vector_norm(res, _INF if ord > 0 else -_INF, (summed, other), keepdim)
    if out is not None:
        out.copy_(res)
        return out
    return res


def norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None, out=None) -> Tensor:
    """A vector norm (dim an int, or 1-D input) or a matrix norm (dim a pair, or 2-D input) (torch.linalg.norm)."""
    if dim is not None:
        if isinstance(dim, int) or len(dim) == 1:
            return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype, out=out)
        return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype, out=out)
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype, out=out)
    if A.ndim == 2 or isinstance(ord, str):
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype, out=out)
    if A.ndim != 1:
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got "
                           f"{A.ndim}D.")
    return vector_norm(A, ord, None, keepdim, dtype=dtype, out=out)


@export(name="norm")
def legacy_norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, out=None, dtype=None) -> Tensor:
    """torch.norm / Tensor.norm: 'fro' and numbers are vector norms over dim (all elements by default), 'nuc' is the
    nuclear norm of matrices."""
    if isinstance(dim, int):
        dim = (dim,)
    if p == "nuc":
        return matrix_norm(input, "nuc", (-2, -1) if dim is None else dim, keepdim, dtype=dtype, out=out)
    return vector_norm(input, 2 if p in ("fro", None) else p, dim, keepdim, dtype=dtype, out=out)


# ---------------------------------------------------------------------------------------------------------------
# composed from the ops above


def linalg_svdvals(A: Tensor, *, driver=None, out=None) -> Tensor:
    """Singular values, descending (torch.linalg.svdvals)."""
    S = linalg_svd(A, False).S
    if out is not None:
        out.copy_(S)
        return out
    return S


def matrix_rank(A: Tensor, *, atol=None, rtol=None, hermitian: bool = False, out=None) -> Tensor:
    """Number of singular values above max(atol, rtol * largest), as int64 (torch.linalg.matrix_rank)."""
    check_float("linalg.matrix_rank", A._data)
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_rank: The input tensor A must have at least 2 dimensions.")
    a, xp = A._data, A._device.xp
    S = xp.abs(xp.linalg.eigvalsh(a)) if hermitian else xp.linalg.svd(a, compute_uv=False)
    tol = _tolerance(S, a.shape[-2], a.shape[-1], atol, rtol, a.dtype, xp)
    res = const((S > tol).sum(axis=-1).astype(np.int64), A)
    if out is not None:
        out.copy_(res)
        return out
    return res


_Lstsq = collections.namedtuple("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))


def lstsq(A: Tensor, B: Tensor, rcond=None, *, driver=None) -> tuple:
    """Least-squares solution of A X = B (torch.linalg.lstsq), with the fields of torch's CPU drivers.

    The solution is the minimum-norm one, pinv(A) @ B, for every driver. Residuals (squared, per column) come with
    driver 'gelsd', 'gelss' or 'gels' when A has more rows than columns and full rank; the rank with every driver but
    'gels'; the singular values with 'gelsd' and 'gelss'. The default driver is 'gelsy', as in torch on the CPU.
    """
    driver = driver or "gelsy"
    if driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
    check_float("torch.linalg.lstsq", A._data)
    if A.dtype is not B.dtype:
        raise RuntimeError(f"torch.linalg.lstsq: Expected A and B to have the same dtype, but found A of type "
                           f"{dtype_name(A._data)} and B of type {dtype_name(B._data)} instead")
    if A.ndim < 2:
        raise RuntimeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
    m, n = A.shape[-2:]
    vec = B.ndim == A.ndim - 1
    if (B.shape[-1] if vec else B.shape[-2]) != m:
        raise RuntimeError(f"torch.linalg.lstsq: input.size(-2) should match other.size(-{1 if vec else 2})")
    a, xp = A._data, A._device.xp
    S = xp.linalg.svd(a, compute_uv=False)
    eps = np.finfo(a.dtype).eps
    rtol = eps * max(m, n) if rcond is None or rcond < 0 else rcond
    P = linalg_pinv(A, rtol=rtol)
    solution = matmul(P, B.unsqueeze(-1)).squeeze(-1) if vec else matmul(P, B)
    rank = (S > _tolerance(S, m, n, None, rtol, a.dtype, xp)).sum(axis=-1).astype(np.int64)
    empty = solution.reshape(-1)[:0]
    if driver != "gelsy" and m > n and bool(np.all(rank == n)):
        r = matmul(A, solution.unsqueeze(-1)).squeeze(-1) - B if vec else matmul(A, solution) - B
        residuals = (r * r).sum(-1, keepdim=True) if vec else (r * r).sum(-2)
    else:
        residuals = empty
    rank_t = const(rank if driver != "gels" else np.zeros(0, np.int64), A)
    sv = const(S if driver in ("gelsd", "gelss") else np.zeros(0, a.dtype), A)
    return _Lstsq(solution, residuals, rank_t, sv)


def cond(A: Tensor, p=None, *, out=None) -> Tensor:
    """Condition number in the p-norm; p=None or 2 uses singular values (torch.linalg.cond)."""
    if p is None or p in (2, -2):
        S = linalg_svdvals(A)
        res = S[..., 0] / S[..., -1] if p != -2 else S[..., -1] / S[..., 0]
    else:
        res = matrix_norm(A, p) * matrix_norm(linalg_inv(A), p)
    if out is not None:
        out.copy_(res)
        return out
    return res


def _info(A: Tensor, failed) -> Tensor:
    return const(np.asarray(failed, dtype=np.int32).reshape(A.shape[:-2]), A)


def inv_ex(A: Tensor, *, check_errors: bool = False, out=None) -> tuple:
    """(inverse, info) (torch.linalg.inv_ex): info is 0 for an invertible matrix, positive for a singular one,
    whose inverse is NaN here (torch's is undefined)."""
    try:
        return _InvEx(linalg_inv(A), _info(A, np.zeros(A.shape[:-2])))
    except LinAlgError:
        if check_errors:
            raise
    flat = A._data.reshape((-1,) + A.shape[-2:])
    bad = np.array([np.linalg.matrix_rank(x) < x.shape[-1] for x in flat]).reshape(A.shape[:-2])
    safe = np.where(bad[..., None, None], np.eye(A.shape[-1], dtype=flat.dtype), A._data)
    inv = np.where(bad[..., None, None], np.nan, np.linalg.inv(safe)).astype(flat.dtype)
    return _InvEx(const(inv, A), _info(A, bad))


_InvEx = collections.namedtuple("linalg_inv_ex", ("inverse", "info"))
_CholeskyEx = collections.namedtuple("linalg_cholesky_ex", ("L", "info"))


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False, out=None) -> tuple:
    """(L, info) (torch.linalg.cholesky_ex): info is 0 on success, positive where a matrix is not positive-definite
    (its L is NaN here)."""
    try:
        return _CholeskyEx(linalg_cholesky(A, upper=upper), _info(A, np.zeros(A.shape[:-2])))
    except LinAlgError:
        if check_errors:
            raise
    flat = A._data.reshape((-1,) + A.shape[-2:])
    bad = np.array([not np.all(np.linalg.eigvalsh(x) > 0) for x in flat]).reshape(A.shape[:-2])
    safe = np.where(bad[..., None, None], np.eye(A.shape[-1], dtype=flat.dtype), A._data)
    L = np.where(bad[..., None, None], np.nan, np.linalg.cholesky(safe)).astype(flat.dtype)
    return _CholeskyEx(const(np.swapaxes(L, -1, -2) if upper else L, A), _info(A, bad))


def solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True, unitriangular: bool = False,
                     out=None) -> Tensor:
    """X with A X = B (or X A = B) for triangular A; only A's upper or lower triangle is read
    (torch.linalg.solve_triangular)."""
    T = triu(A, 1 if unitriangular else 0) if upper else tril(A, -1 if unitriangular else 0)
    if unitriangular:
        T = T + _eye(A.shape[-1], A)
    res = linalg_solve(T, B, left=left)
    if out is not None:
        out.copy_(res)
        return out
    return res


def tensorinv(A: Tensor, ind: int = 2, *, out=None) -> Tensor:
    """The inverse of A seen as a map from its last dims to its first ind dims (torch.linalg.tensorinv)."""
    rows, cols = tuple(A.shape[:ind]), tuple(A.shape[ind:])
    res = linalg_inv(A.reshape(math.prod(rows), math.prod(cols))).reshape(*cols, *rows)
    if out is not None:
        out.copy_(res)
        return out
    return res


def tensorsolve(A: Tensor, B: Tensor, dims=None, *, out=None) -> Tensor:
    """X with tensordot(A, X, X.ndim) = B (torch.linalg.tensorsolve)."""
    if dims is not None:
        dims = [wrap_dim(d, A.ndim) for d in dims]
        A = A.permute(*[d for d in range(A.ndim) if d not in dims], *dims)
    xshape = tuple(A.shape[B.ndim:])
    res = linalg_solve(A.reshape(B.numel(), math.prod(xshape)), B.reshape(-1)).reshape(*xshape)
    if out is not None:
        out.copy_(res)
        return out
    return res


# ---------------------------------------------------------------------------------------------------------------
# torch.* spellings of the same ops


export(linalg_inv.public, name="inverse")
export(linalg_det.public, name="det")
export(linalg_slogdet.public, name="slogdet")


@export
def logdet(input: Tensor) -> Tensor:
    """log(det(input)): NaN for a negative determinant, -inf for a singular matrix (torch.logdet)."""
    sign, logabsdet = linalg_slogdet(input)
    return logabsdet + sign.detach().log()


@export
def cholesky(input: Tensor, upper: bool = False) -> Tensor:
    """Cholesky factor (torch.cholesky, deprecated there in favour of torch.linalg.cholesky)."""
    return linalg_cholesky(input, upper=upper)


@export
def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    """Pseudo-inverse with a relative cutoff (torch.pinverse)."""
    return linalg_pinv(input, rtol=rcond)
